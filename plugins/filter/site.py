# -*- coding: utf-8 -*-
# Copyright: Filament MLflow maintainers
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Filters the roles and site.yml share: the wiring derived from the inventory, the cross-tier
check, the targets the proxy lists for Prometheus, the unit validator, MinIO's volumes, the
database server's writable paths, a role's OS variables, the restart policy and the sandbox of
every unit, the MLflow advisories a release is refused for, and what is wrong with MLflow's users."""

from __future__ import annotations

from ansible.errors import AnsibleFilterError

from ansible_collections.filament.mlflow.plugins.module_utils import bucket_names, metrics, minio_volumes, mlflow_auth, mysql_paths, os_vars
from ansible_collections.filament.mlflow.plugins.module_utils import python_lock, replication, site_checks, systemd_verify
from ansible_collections.filament.mlflow.plugins.module_utils import systemd_restart as restart_policy
from ansible_collections.filament.mlflow.plugins.module_utils import topology
from ansible_collections.filament.mlflow.plugins.module_utils import systemd_sandbox as sandbox
from ansible_collections.filament.mlflow.plugins.plugin_utils import advisories


def tier_problems(host, hostvars, groups):
    """Where the tiers of site.yml disagree, seen from host (a list of messages naming variable and host)."""
    return site_checks.tier_problems(host, hostvars, groups)


def mlflow_advisories(version, table, auth='proxy', accepted=None):
    """The advisories of table (roles/server/vars/advisories.yml) that affect MLflow release version
    as the server role runs it (auth: server_auth), each with its description and whether accepted
    names it (plugin_utils/advisories.py)."""
    try:
        return [dict(entry, description=advisories.describe([entry]), accepted=advisories.is_accepted(entry, accepted))
                for entry in advisories.affecting(version, table, auth)]
    except advisories.AdvisoryError as exc:
        raise AnsibleFilterError(str(exc))


def mlflow_auth_problem(users, admin_username):
    """What is wrong with server_auth_users (module_utils/mlflow_auth.py), or '' (one message, naming the entry)."""
    try:
        mlflow_auth.wanted_users(admin_username, users, where='server_auth_users')
    except mlflow_auth.AuthError as exc:
        return str(exc)
    return ''


def lock_problems(text, mlflow_version, required):
    """Why a hash-locked requirements file cannot install this MLflow release with these requirements."""
    return python_lock.problems(text, mlflow_version, required)


def mlflow_advisories_unknown(accepted, table):
    """The names in accepted that no advisory of table goes by."""
    return advisories.unknown(accepted, table)


def derived(host, name, hostvars, groups, default):
    """The value of a role variable that the inventory's topology gives host (module_utils/topology.py);
    default where host is not in that variable's tier (the role run on its own, outside site.yml's groups)."""
    try:
        return topology.value(host, name, hostvars, groups, default)
    except (topology.UnknownAddress, topology.InvalidTopology) as exc:
        raise AnsibleFilterError('%s (needed for %s)' % (exc, name))


def mysql_replica_action(host, hostvars, groups, reseed=False):
    """What the mysql role does on host of a replicated database tier (module_utils/replication.py):
    primary, replicating, repoint or seed."""
    try:
        return site_checks.replica_action(host, hostvars, groups, reseed)
    except (topology.UnknownAddress, topology.InvalidTopology) as exc:
        raise AnsibleFilterError(str(exc))


def gtid_most_advanced(positions):
    """The hosts of positions ({host: GTID position}) that have received the most transactions."""
    return replication.most_advanced(dict(positions))


def host_address(host, hostvars):
    """The address the other hosts reach host at (filament_address, else its default route's)."""
    try:
        return topology.address(host, hostvars)
    except topology.UnknownAddress as exc:
        raise AnsibleFilterError(str(exc))


def site_members(members, host, hostvars):
    """The hosts of a group (members) that are in host's filament_site: the stack host belongs to."""
    return topology.same_site(list(members), host, topology.once(hostvars))


def unit_verify_command(unit, dropin=False):
    """The validate: command for a systemd unit file (or, with dropin=true, a drop-in of unit)."""
    try:
        return systemd_verify.verify_command(unit, dropin=dropin)
    except systemd_verify.InvalidUnitName as exc:
        raise AnsibleFilterError(str(exc))


def minio_volume_paths(volumes):
    """The directories behind MinIO volumes on a host, ranges expanded as MinIO expands them."""
    try:
        return minio_volumes.local_paths(volumes)
    except minio_volumes.InvalidVolume as exc:
        raise AnsibleFilterError('minio_volumes: %s' % exc)


def minio_layout_change(current, wanted):
    """Why MinIO, running a formatted pool on the MINIO_VOLUMES value current, could not start on wanted; ''."""
    return minio_volumes.layout_change(minio_volumes.parse_env_value(current), wanted)


def minio_env_volumes(value):
    """The volumes of a MINIO_VOLUMES value as the role writes it into MinIO's environment file."""
    return minio_volumes.parse_env_value(value)


def minio_volume_problems(volumes):
    """Why MinIO volumes' paths cannot be expanded: a list of messages, empty when they can."""
    return minio_volumes.problems(volumes)


def mysql_override_paths(overrides):
    """The directories the [mysqld] options in overrides point into, which the server must write."""
    return mysql_paths.override_paths(overrides)


def os_vars_files(role_path, facts):
    """The vars/ files of the role at role_path that apply to a host with these facts, in load order."""
    return os_vars.existing(role_path, facts)


def systemd_restart(section):
    """The restart policy every unit of the collection has, for its [Unit] or [Service] section."""
    try:
        return restart_policy.lines(section)
    except restart_policy.InvalidSection as exc:
        raise AnsibleFilterError('systemd_restart: %s' % exc)


def systemd_sandbox(writable, capabilities=(), ambient=True, address_families=sandbox.DEFAULT_FAMILIES, relax=()):
    """The sandbox lines of a unit's [Service] section for a service that writes the paths in writable."""
    try:
        return '\n'.join(sandbox.lines(list(writable), list(capabilities), ambient, list(address_families), list(relax)))
    except sandbox.InvalidSandbox as exc:
        raise AnsibleFilterError('systemd_sandbox: %s' % exc)


def metrics_sd_text(targets, scrape_address):
    """The file the proxy serves at /metrics/targets: Prometheus's http_sd_configs document for the
    targets (module_utils/metrics.py), each scraped at scrape_address."""
    return metrics.sd_text(list(targets), str(scrape_address))


def bucket_name_problems(name, provider='s3'):
    """What is wrong with name as a bucket's of provider (s3, gcs), as filament.mlflow.bucket checks it; [] when nothing."""
    return bucket_names.bucket_name_problems(str(name), provider)


class FilterModule:
    def filters(self):
        return {
            'lock_problems': lock_problems,
            'metrics_sd_text': metrics_sd_text,
            'mlflow_advisories': mlflow_advisories,
            'mlflow_advisories_unknown': mlflow_advisories_unknown,
            'mlflow_auth_problem': mlflow_auth_problem,
            'minio_env_volumes': minio_env_volumes,
            'minio_layout_change': minio_layout_change,
            'minio_volume_paths': minio_volume_paths,
            'minio_volume_problems': minio_volume_problems,
            'gtid_most_advanced': gtid_most_advanced,
            'host_address': host_address,
            'mysql_override_paths': mysql_override_paths,
            'mysql_replica_action': mysql_replica_action,
            'os_vars_files': os_vars_files,
            'bucket_name_problems': bucket_name_problems,
            'derived': derived,
            'site_members': site_members,
            'systemd_restart': systemd_restart,
            'systemd_sandbox': systemd_sandbox,
            'tier_problems': tier_problems,
            'unit_verify_command': unit_verify_command,
        }
