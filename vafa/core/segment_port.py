"""Who is in which segment, asked from below: the program's rules (`segments` condition) and
the purchases that run them sit under the engagement app that defines segments, so engage
registers its answer here (in its AppConfig.ready) and the lower apps ask through this port,
keeping every import pointing downward.

A segment is named in a rule by its code (or its id as text)."""

from collections.abc import Callable, Collection

Test = Callable[[Collection[str], Collection[int]], dict[int, frozenset[str]]]
Known = Callable[[Collection[str]], set[str]]

_test: Test | None = None
_known: Known | None = None


def segment_port_register(*, test: Test, known: Known) -> None:
    global _test, _known
    _test, _known = test, known


def segments_holding(codes: Collection[str], member_ids: Collection[int]) -> dict[int, frozenset[str]]:
    """For each member, which of the segments `codes` they are in now (members in none are left
    out). Nothing registered: nobody is in any segment."""
    if not codes or not member_ids or _test is None:
        return {}
    return _test(codes, member_ids)


def segments_unknown(codes: Collection[str]) -> list[str]:
    """The codes that name no segment (all of them while no segments app is installed)."""
    known = _known(codes) if _known is not None else set()
    return sorted(set(codes) - known)
