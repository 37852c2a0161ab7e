# -*- coding: utf-8 -*-
"""The copy's plan, journal and verification against in-memory buckets (real stores:
tests/integration/test_s3_copy.py)."""

from __future__ import annotations

import hashlib
import io
import json

from ansible_collections.filament.mlflow.plugins.module_utils import s3_copy as logic


class Paginator:
    def __init__(self, store):
        self.store = store

    def paginate(self, Bucket, Prefix=''):
        keys = sorted(key for key in self.store.objects if key.startswith(Prefix))
        for start in range(0, max(len(keys), 1), 2):  # small pages, to go through several
            yield {'Contents': [{'Key': key, 'Size': len(self.store.objects[key]),
                                 'ETag': '"%s"' % hashlib.md5(self.store.objects[key]).hexdigest()}
                                for key in keys[start:start + 2]]}


class FakeS3:
    """Enough of boto3's S3 client for the copy; corrupt=True changes a byte of every object it stores."""

    def __init__(self, objects=None, corrupt=False):
        self.objects = dict(objects or {})
        self.types = {}
        self.corrupt = corrupt
        self.uploads = []

    def get_paginator(self, name):
        assert name == 'list_objects_v2'
        return Paginator(self)

    def get_object(self, Bucket, Key):
        return {'Body': io.BytesIO(self.objects[Key]), 'ContentType': self.types.get(Key, 'binary/octet-stream'),
                'Metadata': {}}

    def upload_fileobj(self, Fileobj, Bucket, Key, ExtraArgs=None):
        data = b''
        while True:
            chunk = Fileobj.read(3)
            if not chunk:
                break
            data += chunk
        if self.corrupt and data:
            data = bytes([data[0] ^ 1]) + data[1:]
        self.objects[Key] = data
        self.types[Key] = (ExtraArgs or {}).get('ContentType')
        self.uploads.append(Key)


SOURCE = {
    '1/abc/artifacts/model.pkl': b'weights' * 100,
    '1/abc/artifacts/metrics.json': b'{"loss": 0.1}',
    '1/def/artifacts/empty.txt': b'',
    '2/ghi/artifacts/plot.png': b'\x89PNG' + bytes(range(256)),
    '.filament-probe/1234/left-over': b'probe',
}


def endpoints(source=None, destination=None):
    return ({'client': source or FakeS3(SOURCE), 'bucket': 'old'},
            {'client': destination or FakeS3(), 'bucket': 'new'})


def test_copies_every_object_with_its_type_and_journals_each(tmp_path):
    source, destination = endpoints()
    source['client'].types['2/ghi/artifacts/plot.png'] = 'image/png'
    journal = logic.Journal(str(tmp_path / 'journal'))
    summary = logic.copy_bucket(source, destination, journal, exclude=('.filament-probe/',))
    assert summary['copied'] == summary['objects'] == 4
    assert summary['errors'] == [] and summary['mismatches'] == [] and summary['unchanged'] == 0
    assert summary['copied_bytes'] == summary['bytes'] == sum(len(v) for k, v in SOURCE.items() if '/artifacts/' in k)
    assert destination['client'].objects == {k: v for k, v in SOURCE.items() if not k.startswith('.filament')}
    assert destination['client'].types['2/ghi/artifacts/plot.png'] == 'image/png'
    lines = [json.loads(line) for line in (tmp_path / 'journal').read_text().splitlines()]
    assert sorted(line['key'] for line in lines) == sorted(destination['client'].objects)
    model = next(line for line in lines if line['key'] == '1/abc/artifacts/model.pkl')
    assert model['sha256'] == hashlib.sha256(b'weights' * 100).hexdigest()


def test_a_second_run_copies_nothing_and_a_changed_source_object_again(tmp_path):
    source, destination = endpoints()
    logic.copy_bucket(source, destination, logic.Journal(str(tmp_path / 'journal')))
    destination['client'].uploads.clear()
    again = logic.copy_bucket(source, destination, logic.Journal(str(tmp_path / 'journal')))
    assert (again['copied'], again['unchanged'], destination['client'].uploads) == (0, 5, [])

    source['client'].objects['1/abc/artifacts/metrics.json'] = b'{"loss": 0.2}'
    changed = logic.copy_bucket(source, destination, logic.Journal(str(tmp_path / 'journal')))
    assert destination['client'].uploads == ['1/abc/artifacts/metrics.json']
    assert changed['copied'] == 1 and changed['mismatches'] == []


def test_resumes_after_the_last_verified_object_and_ignores_a_torn_line(tmp_path):
    source, destination = endpoints()
    first = '1/abc/artifacts/metrics.json'
    data = SOURCE[first]
    destination['client'].objects[first] = data
    record = dict(key=first, size=len(data), etag=hashlib.md5(data).hexdigest(),
                  sha256=hashlib.sha256(data).hexdigest())
    (tmp_path / 'journal').write_text(json.dumps(record) + '\n{"key": "1/abc/artifacts/mod')
    summary = logic.copy_bucket(source, destination, logic.Journal(str(tmp_path / 'journal')))
    assert first not in destination['client'].uploads
    assert (summary['copied'], summary['unchanged'], summary['mismatches']) == (4, 1, [])


def test_an_object_in_the_journal_but_gone_from_the_destination_is_copied_again(tmp_path):
    source, destination = endpoints()
    logic.copy_bucket(source, destination, logic.Journal(str(tmp_path / 'journal')))
    del destination['client'].objects['1/abc/artifacts/model.pkl']
    summary = logic.copy_bucket(source, destination, logic.Journal(str(tmp_path / 'journal')))
    assert summary['copied'] == 1 and summary['mismatches'] == []


def test_an_object_that_arrives_changed_fails_and_is_not_journaled(tmp_path):
    source, destination = endpoints(destination=FakeS3(corrupt=True))
    journal = logic.Journal(str(tmp_path / 'journal'))
    summary = logic.copy_bucket(source, destination, journal)
    # Every object but the empty one comes back with another sha256.
    assert len(summary['errors']) == 4 and 'read back from the destination' in summary['errors'][0]
    assert sorted(journal.entries) == ['1/def/artifacts/empty.txt']
    assert len(summary['mismatches']) == 4
    assert all('not verified by sha256' in item for item in summary['mismatches'])


def test_check_mode_lists_and_plans_but_writes_nothing(tmp_path):
    source, destination = endpoints()
    summary = logic.copy_bucket(source, destination, logic.Journal(str(tmp_path / 'journal')), check_mode=True)
    assert (summary['to_copy'], summary['copied']) == (5, 0)
    assert destination['client'].objects == {} and not (tmp_path / 'journal').exists()


def test_extra_destination_objects_are_counted_not_failed(tmp_path):
    source, destination = endpoints(destination=FakeS3({'3/new/artifacts/x': b'x'}))
    summary = logic.copy_bucket(source, destination, logic.Journal(str(tmp_path / 'journal')))
    assert summary['extra'] == 1 and summary['mismatches'] == [] and summary['errors'] == []


def test_after_the_switch_a_newer_destination_object_is_kept_and_the_same_bytes_journaled(tmp_path):
    source, destination = endpoints()
    destination['client'].objects.update({'1/abc/artifacts/metrics.json': b'{"loss": 0.05}',  # written since
                                          '2/ghi/artifacts/plot.png': SOURCE['2/ghi/artifacts/plot.png']})
    journal = logic.Journal(str(tmp_path / 'journal'))
    summary = logic.copy_bucket(source, destination, journal, keep_newer=True)
    assert summary['kept'] == ['1/abc/artifacts/metrics.json']
    assert destination['client'].objects['1/abc/artifacts/metrics.json'] == b'{"loss": 0.05}'
    assert '2/ghi/artifacts/plot.png' not in destination['client'].uploads
    assert (summary['copied'], summary['unchanged'], summary['mismatches']) == (3, 1, [])
    # A later pass, with or without keep_newer, leaves the kept object alone.
    later = logic.copy_bucket(source, destination, logic.Journal(str(tmp_path / 'journal')))
    assert later['copied'] == 0 and later['mismatches'] == []
    assert destination['client'].objects['1/abc/artifacts/metrics.json'] == b'{"loss": 0.05}'
