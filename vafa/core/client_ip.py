"""The visitor's address, for rate limits and the audit log."""

from django.conf import settings


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
