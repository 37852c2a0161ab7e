"""Test-only: a package index of our own, for server_package_index_url.

Writes <dir>/filament_index_probe-1.0-py3-none-any.whl, a package that exists nowhere else, and a
PEP 503 simple index under <dir>/simple/ of every wheel in <dir>: the probe, and what the role
needs from an index beyond what the converged virtualenv has (flit-core, the build backend of the
role's own package, which prepare.yml downloads beside it). The options scenario serves <dir> on
the host's loopback and points server_package_index_url at <dir>/simple, so the server role can
install the probe (listed in server_extra_packages) only from that index.
"""

import base64
import hashlib
import os
import re
import sys
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


if __name__ == '__main__':
    write_probe(sys.argv[1])
    write_index(sys.argv[1])
