# -*- coding: utf-8 -*-
# Copyright: Filament MLflow maintainers
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
"""The logic behind filament.mlflow.s3_copy: every object of one bucket into another, resumable and verified.

Each object is streamed from the source into the destination (a multipart upload when it is large;
never held whole in memory), its sha256 taken on the way, and then read back from the destination:
it counts as copied only when the bytes read back have the same size and sha256. A journal (one
JSON line per verified object, flushed and synced) makes the copy resumable: a run stopped anywhere
starts again after the last object it verified, and an object whose source changed since (another
size or ETag) is copied again. At the end both buckets are listed once more and compared: every
source object must be in the destination with its size, and verified in the journal.

With keep_newer (a pass after the servers were switched to the destination), an object the
destination has but the journal does not is compared by content instead of copied: the same bytes
are journaled as copied, other bytes are the servers' newer write, kept and journaled as kept.
"""

from __future__ import annotations

import concurrent.futures
import hashlib
import json
import os
import threading
import time

CHUNK = 1024 * 1024


def listing(client, bucket, prefix='', exclude=()):
    """{key: (size, etag)} of the objects under prefix, leaving out those under an excluded prefix."""
    found = {}
    pages = client.get_paginator('list_objects_v2').paginate(Bucket=bucket, Prefix=prefix)
    for page in pages:
        for item in page.get('Contents') or []:
            key = item['Key']
            if any(key.startswith(skip) for skip in exclude):
                continue
            found[key] = (item['Size'], item.get('ETag', '').strip('"'))
    return found


class Journal:
    """The objects copied and verified so far, one JSON line each, appended and synced one by one."""

    def __init__(self, path):
        self.path = path
        self.entries = {}
        self.lock = threading.Lock()
        if os.path.exists(path):
            with open(path, encoding='utf-8') as handle:
                for line in handle:
                    try:
                        entry = json.loads(line)
                    except ValueError:
                        continue  # a line cut short when a run was stopped mid-write
                    self.entries[entry['key']] = entry

    def verified(self, key, size, etag):
        entry = self.entries.get(key)
        return bool(entry) and entry['size'] == size and entry['etag'] == etag

    def kept(self, key):
        return bool(self.entries.get(key, {}).get('kept'))

    def record(self, key, size, etag, sha256, kept=False):
        entry = dict(key=key, size=size, etag=etag, sha256=sha256)
        if kept:
            entry['kept'] = True
        line = json.dumps(entry, sort_keys=True) + '\n'
        with self.lock:
            with open(self.path, 'a', encoding='utf-8') as handle:
                handle.write(line)
                handle.flush()
                os.fsync(handle.fileno())
            self.entries[key] = entry


class HashingReader:
    """A stream that hashes what is read through it. It has no seek: boto3 reads it once, in order."""

    def __init__(self, body):
        self.body = body
        self.digest = hashlib.sha256()
        self.size = 0

    def read(self, amount=-1):
        data = self.body.read(amount) if amount is not None and amount >= 0 else self.body.read()
        self.digest.update(data)
        self.size += len(data)
        return data


class CopyFailed(Exception):
    """An object did not arrive whole; the message says which and how."""


def stream_sha256(body):
    digest, size = hashlib.sha256(), 0
    while True:
        data = body.read(CHUNK)
        if not data:
            return digest.hexdigest(), size
        digest.update(data)
        size += len(data)


def copy_object(source, destination, key, size):
    """Stream one object from source to destination and read it back; returns its sha256."""
    answer = source['client'].get_object(Bucket=source['bucket'], Key=key)
    extra = {}
    if answer.get('ContentType'):
        extra['ContentType'] = answer['ContentType']
    if answer.get('Metadata'):
        extra['Metadata'] = answer['Metadata']
    reader = HashingReader(answer['Body'])
    destination['client'].upload_fileobj(reader, destination['bucket'], key, ExtraArgs=extra or None)
    sent = reader.digest.hexdigest()
    if reader.size != size:
        raise CopyFailed('%s: the source gave %d bytes where its listing said %d' % (key, reader.size, size))
    back = destination['client'].get_object(Bucket=destination['bucket'], Key=key)['Body']
    read_back, back_size = stream_sha256(back)
    if (read_back, back_size) != (sent, size):
        raise CopyFailed('%s: read back from the destination as %d bytes with sha256 %s, sent %d bytes with sha256 %s'
                         % (key, back_size, read_back, size, sent))
    return sent


def plan(source_objects, journal, destination_objects):
    """The keys still to copy: not verified in the journal for this size and ETag, or not in the destination."""
    todo = []
    for key, (size, etag) in sorted(source_objects.items()):
        there = destination_objects.get(key)
        if journal.verified(key, size, etag) and there is not None and (there[0] == size or journal.kept(key)):
            continue
        todo.append(key)
    return todo


def compare(source_objects, destination_objects, journal):
    """What does not match after the copy: [(key, why)]. Extra objects in the destination are not a mismatch."""
    problems = []
    for key, (size, etag) in sorted(source_objects.items()):
        there = destination_objects.get(key)
        if there is None:
            problems.append((key, 'not in the destination'))
        elif journal.kept(key) and journal.verified(key, size, etag):
            continue
        elif there[0] != size:
            problems.append((key, 'size %d in the destination, %d in the source' % (there[0], size)))
        elif not journal.verified(key, size, etag):
            problems.append((key, 'not verified by sha256 (the source changed during the copy?)'))
    return problems


def same_or_newer(source, destination, key):
    """For an object both buckets have: (sha256 of the destination's, whether it holds the source's bytes)."""
    sent = stream_sha256(source['client'].get_object(Bucket=source['bucket'], Key=key)['Body'])
    there = stream_sha256(destination['client'].get_object(Bucket=destination['bucket'], Key=key)['Body'])
    return there[0], sent == there


def copy_bucket(source, destination, journal, exclude=(), jobs=4, check_mode=False, keep_newer=False,
                clock=time.monotonic):
    """Copy what plan() finds, then compare the two listings. source and destination: dicts of client and
    bucket (and prefix for the source). Returns a summary; raises nothing for one object's failure, which is
    reported in 'errors'."""
    started = clock()
    prefix = source.get('prefix', '')
    source_objects = listing(source['client'], source['bucket'], prefix, exclude)
    destination_objects = listing(destination['client'], destination['bucket'], prefix, exclude)
    todo = plan(source_objects, journal, destination_objects)
    summary = dict(objects=len(source_objects), bytes=sum(size for size, dummy in source_objects.values()),
                   to_copy=len(todo), to_copy_bytes=sum(source_objects[key][0] for key in todo),
                   copied=0, copied_bytes=0, unchanged=len(source_objects) - len(todo), kept=[], errors=[],
                   mismatches=[], extra=0, seconds=0.0)
    if check_mode:
        summary['seconds'] = round(clock() - started, 2)
        return summary

    def one(key):
        size, etag = source_objects[key]
        if keep_newer and key in destination_objects:
            sha256, same = same_or_newer(source, destination, key)
            journal.record(key, size, etag, sha256, kept=not same)
            return 'unchanged' if same else 'kept', 0
        sha256 = copy_object(source, destination, key, size)
        journal.record(key, size, etag, sha256)
        return 'copied', size

    with concurrent.futures.ThreadPoolExecutor(max_workers=max(1, jobs)) as pool:
        futures = {pool.submit(one, key): key for key in todo}
        for future in concurrent.futures.as_completed(futures):
            try:
                outcome, size = future.result()
            except Exception as exc:  # pylint: disable=broad-except
                summary['errors'].append('%s: %s' % (futures[future], exc))
                continue
            if outcome == 'kept':
                summary['kept'].append(futures[future])
            elif outcome == 'unchanged':
                summary['unchanged'] += 1
            else:
                summary['copied'] += 1
                summary['copied_bytes'] += size
    summary['errors'].sort()
    summary['kept'].sort()

    # The listings again: the objects written to the source meanwhile are not verified, and show here.
    source_objects = listing(source['client'], source['bucket'], prefix, exclude)
    destination_objects = listing(destination['client'], destination['bucket'], prefix, exclude)
    summary['objects'] = len(source_objects)
    summary['bytes'] = sum(size for size, dummy in source_objects.values())
    summary['mismatches'] = ['%s: %s' % item for item in compare(source_objects, destination_objects, journal)]
    summary['extra'] = len(set(destination_objects) - set(source_objects))
    summary['seconds'] = round(clock() - started, 2)
    return summary
