"""The visitor's address, for rate limits and the audit log."""

import ipaddress
import logging

from django.conf import settings

log = logging.getLogger("vafa.security")
_warned = False


def client_ip(request) -> str | None:
    """The visitor's address, for rate limits and the log.

    Behind N reverse proxies (`VAFA_TRUSTED_PROXIES=N`) it is the N-th address from the right of
    X-Forwarded-For, the one the nearest trusted proxy saw; anything further left is whatever the
    client claimed. Without proxies the header is ignored, so it cannot be forged.
    """
    hops = settings.TRUSTED_PROXIES
    if hops > 0:
        forwarded = [part.strip() for part in request.META.get("HTTP_X_FORWARDED_FOR", "").split(",") if part.strip()]
        if len(forwarded) >= hops:
            return forwarded[-hops]
    return request.META.get("REMOTE_ADDR") or None


def _warn_untrusted_proxy() -> None:
    global _warned
    if not _warned:
        _warned = True
        log.warning("Requests carry X-Forwarded-For but VAFA_TRUSTED_PROXIES is 0: every visitor shares the "
                    "proxy's address and one rate limit. Set VAFA_TRUSTED_PROXIES to the number of proxies.")


def address_group(ip: str | None) -> str | None:
    """The address a rate limit counts: an IPv4 address as it is, an IPv6 one as its /64 (one
    household or phone gets a whole /64, so counting single addresses would count nothing)."""
    if not ip:
        return None
    try:
        address = ipaddress.ip_address(ip)
    except ValueError:
        return None
    if address.version == 6:
        if address.ipv4_mapped is not None:
            return str(address.ipv4_mapped)
        return str(ipaddress.ip_network(f"{address}/64", strict=False).network_address)
    return str(address)


class ForwardedForCheckMiddleware:
    """Warns once (see `_warn_untrusted_proxy`) when the server is behind a proxy it was not told of."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        if not _warned and settings.TRUSTED_PROXIES == 0 and "HTTP_X_FORWARDED_FOR" in request.META:
            _warn_untrusted_proxy()
        return self.get_response(request)
