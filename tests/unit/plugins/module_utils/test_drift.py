# -*- coding: utf-8 -*-
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Unit tests of the drift checks against a temporary directory and this machine's accounts."""

from __future__ import annotations

import grp
import hashlib
import os
import pathlib
import pwd

import pytest

from ansible_collections.filament.mlflow.plugins.module_utils import drift as logic

ME = pwd.getpwuid(os.getuid())
MY_GROUP = grp.getgrgid(os.getgid()).gr_name


def sha1(data):
    return hashlib.sha1(data).hexdigest()


@pytest.fixture
def wanted_file(tmp_path):
    path = tmp_path / 'app.env'
    path.write_bytes(b'A=1\n')
    path.chmod(0o640)
    return dict(key='env', path=str(path), state='file', checksum=sha1(b'A=1\n'),
                owner=ME.pw_name, group=MY_GROUP, mode='0640')


def test_a_matching_file_has_no_reasons(wanted_file):
    assert logic.path_reasons(wanted_file) == []


@pytest.mark.parametrize('change, reason', [
    (lambda p: p.write_bytes(b'A=2\n'), 'has other content'),
    (lambda p: p.chmod(0o644), 'mode is 0644, wanted 0640'),
    (lambda p: p.unlink(), 'is missing'),
    (lambda p: (p.unlink(), p.mkdir()), 'is not a regular file'),
    (lambda p: (p.unlink(), p.symlink_to('/etc/hostname')), 'is not a regular file'),
])
def test_each_change_to_a_file_is_a_reason(wanted_file, change, reason):
    change(pathlib.Path(wanted_file['path']))
    reasons = logic.path_reasons(wanted_file)
    assert len(reasons) == 1 and reason in reasons[0]


def test_owner_and_group_are_compared_by_name(wanted_file):
    reasons = logic.path_reasons(dict(wanted_file, owner='no-such-owner', group='no-such-group'))
    assert any('owner is %s, wanted no-such-owner' % ME.pw_name in r for r in reasons)
    assert any('group is %s, wanted no-such-group' % MY_GROUP in r for r in reasons)


def test_content_is_not_compared_without_a_checksum(wanted_file):
    with open(wanted_file['path'], 'w', encoding='utf-8') as handle:
        handle.write('anything\n')
    assert logic.path_reasons(dict(wanted_file, checksum=None)) == []


def test_directories_and_absent_paths(tmp_path):
    directory = tmp_path / 'conf.d'
    directory.mkdir(mode=0o750)
    directory.chmod(0o750)
    want = dict(key='dirs', path=str(directory), state='directory', mode='0750')
    assert logic.path_reasons(want) == []
    assert 'mode is 0750, wanted 0700' in logic.path_reasons(dict(want, mode='0700'))[0]
    assert 'is missing' in logic.path_reasons(dict(want, path=str(tmp_path / 'nope')))[0]
    gone = dict(key='old', path=str(tmp_path / 'old.pem'), state='absent')
    assert logic.path_reasons(gone) == []
    (tmp_path / 'old.pem').write_text('x', encoding='utf-8')
    assert logic.path_reasons(gone) == ['%s exists' % gone['path']]


@pytest.mark.parametrize('mode', ['640', 'rw-r-----', '0999', 'u=rw'])
def test_a_mode_that_is_not_octal_is_refused(wanted_file, mode):
    if mode == '640':
        assert logic.path_reasons(dict(wanted_file, mode=mode)) == []
        return
    with pytest.raises(logic.InvalidWanted, match='mode must be an octal string'):
        logic.path_reasons(dict(wanted_file, mode=mode))


def test_users_are_compared_field_by_field(tmp_path):
    want = dict(name=ME.pw_name, group=grp.getgrgid(ME.pw_gid).gr_name, home=ME.pw_dir, shell=ME.pw_shell)
    assert logic.user_reasons(want) == []
    reasons = logic.user_reasons(dict(want, shell='/usr/sbin/nologin-x', home='/elsewhere'))
    assert len(reasons) == 2 and "shell" in reasons[1] and "home" in reasons[0]
    assert logic.user_reasons(dict(name='no-such-user-filament')) == ['user no-such-user-filament is missing']

    shadow = tmp_path / 'shadow'
    shadow.write_text('%s:!:19000:0:99999:7:::\nother:$6$x:1::::::\n' % ME.pw_name, encoding='utf-8')
    assert logic.user_reasons(dict(want, locked=True), shadow_path=str(shadow)) == []
    shadow.write_text('%s:!$6$abc:19000:0:99999:7:::\n' % ME.pw_name, encoding='utf-8')
    assert 'not locked' in logic.user_reasons(dict(want, locked=True), shadow_path=str(shadow))[0]
    assert 'not locked' in logic.user_reasons(dict(want, locked=True), shadow_path=str(tmp_path / 'unreadable'))[0]


def test_groups():
    assert logic.group_reasons(dict(name=MY_GROUP)) == []
    assert logic.group_reasons(dict(name='no-such-group-filament')) == ['group no-such-group-filament is missing']


DPKG_STATUS = """Package: caddy
Status: install ok installed
Version: 2.6.2-5

Package: mariadb-server
Status: deinstall ok config-files
Version: 1:10.11.6-0+deb12u1

Package: python3-venv
Status: install ok half-configured

Package: curl
Status: hold ok installed
"""


def test_packages_come_from_the_dpkg_status_database():
    installed = logic.installed_packages(DPKG_STATUS)
    assert installed == {'caddy': '2.6.2-5'}  # removed, half-configured and held-but-odd states do not count
    assert logic.package_versions([dict(names=['caddy', 'mariadb-server'])], installed) == {'caddy': '2.6.2-5'}
    assert logic.package_versions([dict(names=['caddy'])], None) == {}
    assert logic.package_reasons(dict(names=['caddy']), installed) == []
    assert logic.package_reasons(dict(names=['caddy', 'mariadb-server', 'python3-venv']), installed) == [
        'mariadb-server, python3-venv not installed']
    assert 'cannot tell' in logic.package_reasons(dict(names=['caddy']), None)[0]


SHOW = """Id=mlflow.service
LoadState=loaded
ActiveState=active
UnitFileState=enabled

Id=caddy.service
LoadState=loaded
ActiveState=failed
UnitFileState=disabled

Id=nope.service
LoadState=not-found
ActiveState=inactive
UnitFileState=
"""


def test_units_are_read_from_systemctl_show():
    mlflow, caddy, nope = logic.parse_systemctl_show(SHOW)
    assert logic.unit_reasons(dict(name='mlflow.service'), mlflow) == []
    assert logic.unit_reasons(dict(name='caddy.service'), caddy) == [
        'unit caddy.service is disabled, wanted enabled', 'unit caddy.service is failed, wanted active']
    assert logic.unit_reasons(dict(name='caddy.service', enabled=False, active=False), caddy) == []
    assert logic.unit_reasons(dict(name='nope.service'), nope) == ['unit nope.service is not loaded']
    assert logic.unit_reasons(dict(name='x.service'), {}) == ['unit x.service is not loaded']


def test_a_unit_wanted_masked_must_be_masked_and_stopped():
    wanted = dict(name='mariadb.socket', masked=True)
    assert logic.unit_reasons(wanted, {'LoadState': 'masked', 'ActiveState': 'inactive'}) == []
    assert logic.unit_reasons(wanted, {'LoadState': 'loaded', 'ActiveState': 'active', 'UnitFileState': 'enabled'}) == [
        'unit mariadb.socket is loaded/active, wanted masked and stopped']
    # Masked, but still listening since the last boot: stopped too.
    assert logic.unit_reasons(wanted, {'LoadState': 'masked', 'ActiveState': 'active'}) == [
        'unit mariadb.socket is masked/active, wanted masked and stopped']
    assert logic.unit_reasons(wanted, {}) == ['unit mariadb.socket is unknown/unknown, wanted masked and stopped']


def test_collect_keeps_the_first_order_and_merges_shared_keys():
    drifted, reasons = logic.collect([('dirs', []), ('unit', ['a']), ('dirs', ['b']), ('unit', ['c']), ('env', [])])
    assert drifted == ['unit', 'dirs']
    assert reasons == {'unit': ['a', 'c'], 'dirs': ['b']}


def test_present_follows_links_like_creates(tmp_path):
    target = tmp_path / 'python3'
    target.write_text('', encoding='utf-8')
    link = tmp_path / 'python'
    link.symlink_to(target)
    want = dict(key='venv', path=str(link), state='present', mode='0600')
    assert logic.path_reasons(want) == []
    target.unlink()
    assert logic.path_reasons(want) == ['%s is missing' % link]


def test_a_pinned_sha256_is_compared_too(wanted_file):
    pinned = 'sha256:' + hashlib.sha256(b'A=1\n').hexdigest()
    assert logic.path_reasons(dict(wanted_file, checksum=pinned)) == []
    assert logic.path_reasons(dict(wanted_file, checksum=pinned.upper().replace('SHA256', 'sha256'))) == []
    assert 'has other content' in logic.path_reasons(dict(wanted_file, checksum='sha256:' + '0' * 64))[0]
    with pytest.raises(logic.InvalidWanted, match='checksum must be'):
        logic.path_reasons(dict(wanted_file, checksum='md5:abc'))


def test_a_copy_of_another_host_file(tmp_path, wanted_file):
    source = tmp_path / 'root.crt'
    source.write_bytes(b'A=1\n')
    want = dict(wanted_file, checksum=None, same_as=str(source))
    assert logic.path_reasons(want) == []
    source.write_bytes(b'renewed\n')
    assert logic.path_reasons(want) == ['%s differs from %s' % (wanted_file['path'], source)]
    source.unlink()
    assert logic.path_reasons(want) == ['%s is missing' % source]


def test_a_copy_with_text_appended(tmp_path):
    system = tmp_path / 'ca-certificates.crt'
    system.write_bytes(b'-----SYSTEM-----\n')
    bundle = tmp_path / 'bundle.pem'
    bundle.write_bytes(b'-----SYSTEM-----\n\n-----MIRROR-----\n')
    want = dict(key='ca', path=str(bundle), same_as=str(system), followed_by='\n-----MIRROR-----\n')
    assert logic.path_reasons(want) == []
    system.write_bytes(b'-----SYSTEM-----\n-----UPDATED-----\n')
    assert logic.path_reasons(want) == ['%s differs from %s and the text after it' % (bundle, system)]
    assert logic.path_reasons(dict(want, followed_by='\n-----OTHER-----\n', same_as=str(bundle))) != []
