"""Per-process caches of row ids that never change once committed (system accounts,
branches), so the hot path of a purchase needs no lookup query.

An id is remembered only after its transaction commits: a row created inside a
transaction that rolls back must never be remembered."""

from collections.abc import Hashable

from django.db import connection, transaction

_caches: list["CommittedIdCache"] = []


class CommittedIdCache:
    def __init__(self) -> None:
        self._ids: dict[Hashable, int] = {}
        _caches.append(self)

    def get(self, key: Hashable) -> int | None:
        return self._ids.get(key)

    def remember(self, key: Hashable, value: int) -> None:
        if connection.in_atomic_block:
            transaction.on_commit(lambda: self._ids.__setitem__(key, value))
        else:
            self._ids[key] = value

    def clear(self) -> None:
        self._ids.clear()


def cache_register(cache) -> None:
    """Another per-process cache (anything with `clear()`) that `clear_all` forgets too."""
    _caches.append(cache)


def clear_all() -> None:
    """Forget every cached id (tests that truncate tables call this)."""
    for cache in _caches:
        cache.clear()
