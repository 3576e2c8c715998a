"""Who calls the API and what their key may do.

Every endpoint names the scope it needs (`auth=needs("purchases")`); a key without it is
refused with 403 `forbidden` before the endpoint runs. `request.auth` is the key's merchant and
`request.api_key` its `KeyGrant`."""

import time

from django.conf import settings
from django.core.cache import cache
from django.utils import timezone
from ninja.security import HttpBearer

from vafa.core.audit import Actor, calling_key_set
from vafa.core.errors import Forbidden, RateLimited
from vafa.merchants.models import ALL_SCOPES
from vafa.merchants.selectors import api_key_grant
from vafa.merchants.services import api_key_touch


def _within_rate(key_id: int, scope: str) -> None:
    """A fixed one-minute window per key, and per scope where a stricter limit is set. The
    counters live in Django's cache: per server process by default, club-wide on a shared cache."""
    now = time.time()
    window = int(now // 60)
    limits = [("*", settings.API_RATE_PER_MINUTE)]
    if scope in settings.API_RATE_BY_SCOPE:
        limits.append((scope, settings.API_RATE_BY_SCOPE[scope]))
    for name, limit in limits:
        counter = f"vafa:api-rate:{key_id}:{name}:{window}"
        cache.add(counter, 0, timeout=120)
        try:
            used = cache.incr(counter)
        except ValueError:  # expired between add and incr
            cache.add(counter, 1, timeout=120)
            used = 1
        if used > limit:
            raise RateLimited(details={"retry_after": int(60 - now % 60) + 1, "limit_per_minute": limit})


class ApiKeyAuth(HttpBearer):
    """`Authorization: Bearer <key>`, holding `scope`."""

    def __init__(self, scope: str | None = None):
        if scope is not None and scope not in ALL_SCOPES:
            raise ValueError(f"unknown scope {scope!r}")
        self.scope = scope
        super().__init__()

    def authenticate(self, request, token):
        found = api_key_grant(token)
        if found is None:
            return None
        merchant, grant = found
        request.api_key = grant
        request.api_actor = Actor.of_key(request, key_id=grant.key_id, prefix=grant.prefix)
        calling_key_set(request.api_actor)
        if self.scope is not None and not grant.allows(self.scope):
            raise Forbidden(details={"scope": f"this key lacks the scope {self.scope}"})
        _within_rate(grant.key_id, self.scope or "")
        api_key_touch(key_id=grant.key_id, last_used_at=grant.last_used_at, now=timezone.now())
        return merchant


_AUTH: dict[str, ApiKeyAuth] = {}


def needs(scope: str) -> ApiKeyAuth:
    """The endpoint's authentication: a valid key holding `scope`."""
    if scope not in _AUTH:
        _AUTH[scope] = ApiKeyAuth(scope)
    return _AUTH[scope]
