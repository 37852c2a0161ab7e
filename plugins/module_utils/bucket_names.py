# -*- coding: utf-8 -*-
# Copyright: Filament MLflow maintainers
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
"""The bucket name rules of S3 and Google Cloud Storage: what filament.mlflow.bucket and the roles'
preflights (the filter bucket_name_problems) refuse. Only the standard library here: the filter is
loaded by every task that templates it, and must not pull in boto3 or the Google client."""

from __future__ import annotations

import ipaddress
import re

S3_RESERVED_PREFIXES = ('xn--', 'sthree-', 'amzn-s3-demo-')
S3_RESERVED_SUFFIXES = ('-s3alias', '--ol-s3', '.mrap', '--x-s3', '--table-s3')


def _is_ip_address(name):
    try:
        ipaddress.ip_address(name)
    except ValueError:
        return False
    return True


def bucket_name_problems(name, provider):
    """Everything wrong with a bucket name for this provider; an empty list means it is valid."""
    problems = []
    if provider == 'gcs':
        labels = name.split('.')
        longest = 222 if '.' in name else 63
        if not 3 <= len(name) <= longest:
            problems.append('must be 3-63 characters long (up to 222 with dots)')
        if any(len(label) > 63 for label in labels):
            problems.append('each dot-separated part must be at most 63 characters long')
        if not re.fullmatch(r'[a-z0-9._-]*', name):
            problems.append('may contain only lowercase letters, digits, dots, hyphens and underscores')
    else:
        if not 3 <= len(name) <= 63:
            problems.append('must be 3-63 characters long')
        if not re.fullmatch(r'[a-z0-9.-]*', name):
            problems.append('may contain only lowercase letters, digits, dots and hyphens')
        if '..' in name:
            problems.append("must not contain '..'")
        elif re.search(r'\.-|-\.', name):
            problems.append('must not have a hyphen next to a dot')
        for prefix in S3_RESERVED_PREFIXES:
            if name.startswith(prefix):
                problems.append("must not start with the reserved prefix '%s'" % prefix)
        for suffix in S3_RESERVED_SUFFIXES:
            if name.endswith(suffix):
                problems.append("must not end with the reserved suffix '%s'" % suffix)
    if name and not (name[0].isascii() and name[0].isalnum() and name[-1].isascii() and name[-1].isalnum()):
        problems.append('must start and end with a lowercase letter or a digit')
    if _is_ip_address(name):
        problems.append('must not be an IP address')
    if provider == 'gcs':
        if '..' in name:
            problems.append("must not contain '..'")
        if name.startswith('goog'):
            problems.append("must not start with 'goog'")
        if re.search(r'g[o0][o0]g[l1]e', name):
            problems.append("must not contain 'google' or a look-alike")
    return problems


def bucket_name_error(name, provider):
    """The message for an invalid bucket name, or None when the name is valid."""
    problems = bucket_name_problems(name, provider)
    if not problems:
        return None
    return 'invalid bucket name %r for provider %s: it %s.' % (name, provider, '; it '.join(problems))
