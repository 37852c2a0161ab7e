# -*- coding: utf-8 -*-
# Copyright: Filament MLflow maintainers
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
"""MinIO's volume notation, as the minio role reads it.

A volume is an absolute path (/srv/minio/data) or, in a distributed pool, a URL whose path is
absolute (http://minio{1...4}.lab:9000/srv/minio/data{1...2}). MinIO expands each ellipsis range
{a...b}; a range whose bounds are written with a leading zero ({01...16}) is zero-padded to the
width of its end. The role creates the directories of the path part on each host.
"""

from __future__ import annotations

import re

RANGE = re.compile(r'\{([0-9]+)\.\.\.([0-9]+)\}')
_URL_HOST = re.compile(r'^https?://[^/]*')


class InvalidVolume(ValueError):
    """A volume whose ranges the role cannot expand."""


def path_part(volume):
    """The path of a volume: the URL's scheme and host dropped."""
    return _URL_HOST.sub('', volume, count=1)


def _values(match):
    start, end = match.group(1), match.group(2)
    if int(start) > int(end):
        raise InvalidVolume('the range %s runs backwards' % match.group(0))
    padded = (len(start) > 1 and start.startswith('0')) or end.startswith('0')
    width = len(end) if padded else 0
    return [str(number).zfill(width) for number in range(int(start), int(end) + 1)]


def expand(text):
    """Every string text stands for, its decimal ranges expanded in order."""
    match = RANGE.search(text)
    if not match:
        if '{' in text or '}' in text:
            raise InvalidVolume('%s holds a brace that is not a decimal range such as {1...4}' % text)
        return [text]
    head, tail = text[:match.start()], text[match.end():]
    return [head + value + rest for value in _values(match) for rest in expand(tail)]


def local_paths(volumes):
    """The directories behind the volumes on a host, each once, in order."""
    out = []
    for volume in volumes:
        for path in expand(path_part(volume)):
            if path not in out:
                out.append(path)
    return out


def problems(volumes):
    """Why the path parts of the volumes cannot be expanded (empty when they can)."""
    found = []
    for volume in volumes:
        try:
            expand(path_part(volume))
        except InvalidVolume as exc:
            found.append('%s: %s' % (volume, exc))
    return found


def parse_env_value(text):
    """The volumes of a MINIO_VOLUMES value as the role writes it ("a b", systemd's quoting)."""
    value = str(text or '').strip()
    if len(value) >= 2 and value[0] == value[-1] == '"':
        value = value[1:-1].replace('\\"', '"').replace('\\\\', '\\')
    return value.split()


def layout_change(current, wanted):
    """Why going from the volumes a formatted pool runs on (current) to wanted would break it, or ''.

    MinIO cannot reshape a pool that holds data: the drives it was formed on stay its drives. What
    it can do is take more pools: wanted may list current's pools first and new ones after them."""
    current, wanted = [str(volume) for volume in current], [str(volume) for volume in wanted]
    if not current or wanted == current or wanted[:len(current)] == current:
        return ''
    return ('the pool holds data on %s; MinIO cannot reshape a pool, so %s would leave it unable to start. '
            'To grow it, keep the pool and add one: minio_volumes: %s'
            % (' '.join(current), ' '.join(wanted), current + ['<the new pool>']))
