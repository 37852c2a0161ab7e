# -*- coding: utf-8 -*-
# Copyright: Filament MLflow maintainers
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
"""(Controller side: packaging comes with ansible-core.) The CVE floor of the server role: which advisories of its table (roles/server/vars/advisories.yml)
an MLflow release is affected by, for the way the role runs it.

Each advisory has an id (its CVE; ghsa: its GitHub advisory, when there is one), a severity, an affected range (a PEP 440 specifier set, such as
'<3.17.0' or '>=2.14.0rc0,<3.13.0'), the release that fixed it, and `applies`: `always` (any
`mlflow server`), `mlflow_auth` (only MLflow's own basic-auth app, server_auth: mlflow) or
`file_store` (only a file backend store, which the role never uses).
"""

from __future__ import annotations

try:
    from packaging.specifiers import InvalidSpecifier, SpecifierSet
    from packaging.version import InvalidVersion, Version
except ImportError:  # ansible-core depends on packaging; sanity's import test runs without it
    HAS_PACKAGING = False
else:
    HAS_PACKAGING = True

SEVERITIES = ('high', 'critical')
APPLIES = ('always', 'mlflow_auth', 'file_store')
FIELDS = ('id', 'severity', 'summary', 'affected', 'fixed', 'applies', 'source')


class AdvisoryError(ValueError):
    """The table or the version is malformed."""


def check_table(table):
    """Problems of the table itself (a list of messages); the role's unit tests keep it empty."""
    problems = []
    seen = set()
    for number, entry in enumerate(table or [], 1):
        name = entry.get('id', '#%d' % number) if isinstance(entry, dict) else '#%d' % number
        if not isinstance(entry, dict):
            problems.append('%s is not a mapping' % name)
            continue
        missing = [field for field in FIELDS if not entry.get(field)]
        if missing:
            problems.append('%s lacks %s' % (name, ', '.join(missing)))
            continue
        if name in seen:
            problems.append('%s is listed twice' % name)
        seen.add(name)
        if entry['severity'] not in SEVERITIES:
            problems.append('%s: severity must be one of %s' % (name, ', '.join(SEVERITIES)))
        if entry['applies'] not in APPLIES:
            problems.append('%s: applies must be one of %s' % (name, ', '.join(APPLIES)))
        try:
            affected = SpecifierSet(entry['affected'], prereleases=True)
            fixed = Version(str(entry['fixed']))
        except (InvalidSpecifier, InvalidVersion) as exc:
            problems.append('%s: %s' % (name, exc))
            continue
        if fixed in affected:
            problems.append('%s: the fixed release %s is in the affected range %s' % (name, fixed, entry['affected']))
    return problems


def _version(version):
    if not HAS_PACKAGING:
        raise AdvisoryError('the Python package packaging (a dependency of ansible-core) is missing on the controller')
    try:
        return Version(str(version))
    except InvalidVersion:
        raise AdvisoryError('%r is not a release number' % (version,))


def affecting(version, table, auth='proxy'):
    """The advisories of table that affect release version as the role runs it (auth: server_auth)."""
    release = _version(version)
    found = []
    for entry in table:
        if entry['applies'] == 'file_store' or (entry['applies'] == 'mlflow_auth' and auth != 'mlflow'):
            continue
        if release in SpecifierSet(entry['affected'], prereleases=True):
            found.append(entry)
    return found


def names(entry):
    """The names an advisory goes by: its CVE, and its GitHub advisory."""
    return [entry['id']] + ([entry['ghsa']] if entry.get('ghsa') else [])


def unknown(accepted, table):
    """The names of accepted that are no advisory of the table (a typo accepts nothing)."""
    known = {name for entry in table for name in names(entry)}
    return [name for name in accepted or [] if name not in known]


def is_accepted(entry, accepted):
    """Whether accepted (server_mlflow_accepted_advisories) names the advisory, by CVE or GHSA id."""
    return bool(set(accepted or []) & set(names(entry)))


def refused(version, table, auth='proxy', accepted=None):
    """The advisories affecting version that accepted does not name: preflight stops on these."""
    return [entry for entry in affecting(version, table, auth) if not is_accepted(entry, accepted)]


def describe(entries):
    """One line per advisory, as preflight names them."""
    return '; '.join('%s (%s, %s: %s; fixed in %s, %s)' % (entry['id'], entry.get('ghsa', 'no GHSA'), entry['severity'],
                                                           entry['summary'], entry['fixed'], entry['source'].split()[0])
                     for entry in entries)
