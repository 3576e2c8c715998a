"""A member's labels that rules may ask about: the staff's tags and the segments they are in,
read only when a rule asks for them."""

from collections import defaultdict

from vafa.core.segment_port import segments_holding
from vafa.members.models import MemberTag

NONE: tuple[frozenset[str], frozenset[str]] = (frozenset(), frozenset())


def member_labels(rules, member_ids: list[int]) -> dict[int, tuple[frozenset[str], frozenset[str]]]:
    """Each member's tags and segments that the rules ask about, now; nothing is read when no
    rule asks (a guest, id 0, has none)."""
    wanted_tags = {t for r in rules for t in r.conditions.get("tags") or ()}
    wanted_segments = {c for r in rules for c in r.conditions.get("segments") or ()}
    ids = [i for i in member_ids if i]
    if not ids or not (wanted_tags or wanted_segments):
        return {}
    tags: dict[int, set[str]] = defaultdict(set)
    if wanted_tags:
        for member_id, code in MemberTag.objects.filter(member_id__in=ids, tag__code__in=wanted_tags).values_list(
                "member_id", "tag__code"):
            tags[member_id].add(code)
    segments = segments_holding(wanted_segments, ids) if wanted_segments else {}
    return {i: (frozenset(tags.get(i, ())), segments.get(i, frozenset())) for i in ids}


def member_labels_one(rules, member_id: int) -> tuple[frozenset[str], frozenset[str]]:
    """One member's (tags, segments) that the rules ask about."""
    return member_labels(rules, [member_id]).get(member_id, NONE)
