"""Test-only: a package index of our own, for server_package_index_url.

Writes <dir>/filament_index_probe-1.0-py3-none-any.whl, a package that exists nowhere else, and a
PEP 503 simple index under <dir>/simple/ of every wheel in <dir>: the probe, and what the role
needs from an index beyond what the converged virtualenv has (flit-core, the build backend of the
role's own package, which prepare.yml downloads beside it). The options scenario serves <dir> on
the host's loopback and points server_package_index_url at <dir>/simple, so the server role can
install the probe (listed in server_extra_packages) only from that index.

`probe_index.py DIR --serve PORT` is that server: the files of DIR on 127.0.0.1:PORT, and for a
project of the index that DIR does not hold, PyPI's own page of it (a new virtualenv installs
everything through server_package_index_url: MLflow and its dependencies come from PyPI that way,
the probe only from here). --ca names the CA bundle to trust for PyPI.
"""

import argparse
import base64
import functools
import hashlib
import http.server
import os
import re
import ssl
import urllib.error
import urllib.request
import zipfile

NAME, VERSION = 'filament-index-probe', '1.0'
MODULE = NAME.replace('-', '_')
DIST_INFO = '%s-%s.dist-info' % (MODULE, VERSION)


def record_hash(data):
    return 'sha256=' + base64.urlsafe_b64encode(hashlib.sha256(data).digest()).rstrip(b'=').decode()


def write_probe(out):
    files = {
        MODULE + '/__init__.py': 'VERSION = %r\n' % VERSION,
        DIST_INFO + '/METADATA': 'Metadata-Version: 2.1\nName: %s\nVersion: %s\n' % (NAME, VERSION),
        DIST_INFO + '/WHEEL': 'Wheel-Version: 1.0\nGenerator: filament-test\nRoot-Is-Purelib: true\nTag: py3-none-any\n',
    }
    record = ''.join('%s,%s,%d\n' % (path, record_hash(text.encode()), len(text.encode())) for path, text in files.items())
    files[DIST_INFO + '/RECORD'] = record + DIST_INFO + '/RECORD,,\n'
    with zipfile.ZipFile(os.path.join(out, '%s-%s-py3-none-any.whl' % (MODULE, VERSION)), 'w', zipfile.ZIP_DEFLATED) as wheel:
        for path, text in files.items():
            wheel.writestr(path, text)


def project(wheel):
    """The PEP 503 name of the project a wheel file belongs to."""
    return re.sub(r'[-_.]+', '-', wheel.split('-', 1)[0]).lower()


def write_index(out):
    wheels = sorted(name for name in os.listdir(out) if name.endswith('.whl'))
    projects = {}
    for wheel in wheels:
        projects.setdefault(project(wheel), []).append(wheel)
    for name, files in projects.items():
        os.makedirs(os.path.join(out, 'simple', name), exist_ok=True)
        links = []
        for wheel in files:
            with open(os.path.join(out, wheel), 'rb') as handle:
                digest = hashlib.sha256(handle.read()).hexdigest()
            links.append('<a href="../../%s#sha256=%s">%s</a>' % (wheel, digest, wheel))
        with open(os.path.join(out, 'simple', name, 'index.html'), 'w') as handle:
            handle.write('<!DOCTYPE html><html><body>%s</body></html>\n' % ''.join(links))
    with open(os.path.join(out, 'simple', 'index.html'), 'w') as handle:
        handle.write('<!DOCTYPE html><html><body>%s</body></html>\n'
                     % ''.join('<a href="%s/">%s</a>' % (name, name) for name in sorted(projects)))


UPSTREAM = 'https://pypi.org/simple/'


class IndexHandler(http.server.SimpleHTTPRequestHandler):
    """DIR's files; PyPI's page for a project DIR does not hold."""

    context = None

    def do_GET(self):  # noqa: N802 (http.server's name)
        path = self.path.split('?', 1)[0]
        local = os.path.join(self.directory, path.lstrip('/'))
        name = path[len('/simple/'):].strip('/') if path.startswith('/simple/') else ''
        if not name or '/' in name or os.path.exists(local):
            super().do_GET()
            return
        request = urllib.request.Request(UPSTREAM + name + '/', headers={'Accept': 'text/html'})
        try:
            with urllib.request.urlopen(request, context=self.context, timeout=60) as response:
                body = response.read()
        except urllib.error.HTTPError as exc:
            self.send_error(exc.code)
            return
        self.send_response(200)
        self.send_header('Content-Type', 'text/html')
        self.send_header('Content-Length', str(len(body)))
        self.end_headers()
        self.wfile.write(body)


def serve(directory, port, ca):
    IndexHandler.context = ssl.create_default_context(cafile=ca if ca and os.path.exists(ca) else None)
    handler = functools.partial(IndexHandler, directory=directory)
    http.server.ThreadingHTTPServer(('127.0.0.1', port), handler).serve_forever()


if __name__ == '__main__':
    parser = argparse.ArgumentParser()
    parser.add_argument('directory')
    parser.add_argument('--serve', type=int)
    parser.add_argument('--ca')
    args = parser.parse_args()
    if args.serve:
        serve(args.directory, args.serve, args.ca)
    else:
        write_probe(args.directory)
        write_index(args.directory)
