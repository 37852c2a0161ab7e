"""Presigned transfers through the site's own address.

MLflow's stock client moves a large artifact in parallel parts over presigned URLs when the server
offers it: the parts go straight to the bucket, not through the server's Python. The bucket here
sits on loopback behind the server, so a URL that names it is of no use to a client. With
FILAMENT_PRESIGNED_PREFIX set (the role sets it where the proxy runs on the store's host), the
server hands out the same URLs with the site's address in their place: the scheme https, the
host the client asked the server by (its Host header, which the proxy passes on and MLflow checks
against --allowed-hosts), and the prefix before the bucket's path. The proxy passes only requests
under that prefix that carry a presigned signature to the store, with the Host the URL was signed
for, so the signature still holds and nothing else of the store is reachable.
"""

import os
from urllib.parse import urlsplit, urlunsplit

PREFIX_ENV = "FILAMENT_PRESIGNED_PREFIX"


def prefix():
    """The path prefix presigned URLs get on the site's address; empty when presigned transfers are off."""
    return os.environ.get(PREFIX_ENV, "").rstrip("/")


class NotOnSiteAddress(Exception):
    """A presigned URL that cannot be moved to the site's address."""


def on_site_address(url, endpoint_url, host, path_prefix):
    """url, presigned for the store at endpoint_url, as the client reaches it: https://host/<prefix>/<path>?<query>.

    Only a path-style URL of that very endpoint is moved (its path is the bucket and the key, which
    the signature covers and the proxy gives back unchanged)."""
    signed, endpoint = urlsplit(url), urlsplit(endpoint_url)
    if not host or not path_prefix.startswith("/"):
        raise NotOnSiteAddress("no site address or prefix to move the URL to")
    if (signed.scheme, signed.netloc) != (endpoint.scheme, endpoint.netloc) or endpoint.path.strip("/"):
        raise NotOnSiteAddress("the URL does not name the store's endpoint by path")
    return urlunsplit(("https", host, path_prefix + signed.path, signed.query, ""))
