"""Each member's suggested product, asked from below: the messages' `{suggestion}` placeholder
is filled by engage, which sits under insight, where the "bought X, then Y" pairs are computed;
insight registers its answer here (in its AppConfig.ready) and engage asks through this port,
keeping every import pointing downward (as vafa.core.segment_port does for segments)."""

from collections.abc import Callable, Collection

Suggest = Callable[[Collection[int]], dict[int, str]]

_suggest: Suggest | None = None


def suggestion_port_register(*, suggest: Suggest) -> None:
    global _suggest
    _suggest = suggest


def suggestions_of(member_ids: Collection[int]) -> dict[int, str]:
    """{member id: the name of the product suggested to them} (members with none left out).
    Nothing registered: no one has a suggestion."""
    if not member_ids or _suggest is None:
        return {}
    return _suggest(member_ids)
