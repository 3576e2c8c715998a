"""Contests: members send one entry each (a text, or a photo) while the contest takes entries;
staff approve or reject entries, choose winners among the approved ones (each winner's points
credited once) and close the contest.

A contest takes entries while it is `open` and `starts_at` <= now < `ends_at`. Staff may stop
entries early (`judging`), reopen them, and close it (`decided`): after that nothing changes.
Winners are chosen once entries have stopped (judging, or open past its end).

Photos: at most MAX_PHOTO_BYTES, a JPEG, PNG or WebP by its first bytes (whatever its name or
the browser say), decoded in full by Pillow in that format only (a file that claims to be a JPEG
and is not, or is cut short, is refused), at most MAX_PIXELS (a "decompression bomb" is refused
before it is decoded), turned upright by its EXIF orientation, scaled to at most MAX_SIDE pixels
a side and encoded again: what is stored holds no metadata (no camera, no GPS position, no
comments) and is an image Vafa wrote itself. It is kept under a random name in
MEDIA_ROOT/contests/, never served by a static route: only `contest_photo`'s callers (the
entry's member, or staff) read it.
"""

from __future__ import annotations

import secrets
from dataclasses import dataclass
from datetime import datetime
from io import BytesIO

from django.core.files.base import ContentFile
from django.db import IntegrityError, transaction
from django.db.models import Count, Q, QuerySet
from django.utils import timezone, translation
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _

from vafa.core.audit import audit_record, snapshot
from vafa.core.errors import (
    ContestClosed,
    ContestDecided,
    ContestEntryExists,
    ContestEntryNotFound,
    ContestNotFound,
    ContestRunning,
    EntryNotApproved,
    MemberBlocked,
    PhotoRefused,
    ValidationFailed,
)
from vafa.core.ids import parse_id
from vafa.core.inputs import validated
from vafa.core.money import format_points
from vafa.engage.inputs import CONTEST_PHOTO_MAX_BYTES, ContestEntryInput, ContestInput
from vafa.engage.models import Contest, ContestEntry
from vafa.engage.recognition import award_points, club_language, service_notice
from vafa.members.models import Member

MAX_PHOTO_BYTES = CONTEST_PHOTO_MAX_BYTES
MAX_SIDE = 2560  # what is kept: enough for a screen, far less than a camera's
MAX_PIXELS = {"JPEG": 64_000_000, "PNG": 25_000_000, "WEBP": 25_000_000}  # a JPEG decodes scaled down
PHOTO_TYPES = {"JPEG": ("image/jpeg", "jpg"), "PNG": ("image/png", "png"), "WEBP": ("image/webp", "webp")}
DECISIONS = (ContestEntry.Status.APPROVED, ContestEntry.Status.REJECTED, ContestEntry.Status.WINNER)


# --- photos -------------------------------------------------------------------------------------------


def _refused(message, reason: str) -> PhotoRefused:
    return PhotoRefused(message, details={"photo": reason})


def photo_format(head: bytes) -> str | None:
    """JPEG, PNG or WEBP by the file's first bytes (its "magic number"), else None."""
    if head.startswith(b"\xff\xd8\xff"):
        return "JPEG"
    if head.startswith(b"\x89PNG\r\n\x1a\n"):
        return "PNG"
    if len(head) >= 12 and head[:4] == b"RIFF" and head[8:12] == b"WEBP":
        return "WEBP"
    return None


def _read(photo) -> bytes:
    """The upload's bytes, never more than MAX_PHOTO_BYTES + 1 of them read."""
    if isinstance(photo, bytes | bytearray):
        data = bytes(photo)
    else:
        size = getattr(photo, "size", None)
        if size is not None and size > MAX_PHOTO_BYTES:
            raise _refused(_("The photo is larger than 5 MB."), "too_large")
        if hasattr(photo, "seek"):
            photo.seek(0)
        data = photo.read(MAX_PHOTO_BYTES + 1)
    if len(data) > MAX_PHOTO_BYTES:
        raise _refused(_("The photo is larger than 5 MB."), "too_large")
    if not data:
        raise _refused(_("Choose a photo to send."), "required")
    return data


def photo_clean(photo) -> tuple[bytes, str, str]:
    """Check an uploaded photo and write it again without metadata: answers (bytes, content
    type, file extension), or raises `invalid_photo` with details.photo saying why (too_large,
    wrong_type, unreadable, too_many_pixels, required)."""
    from PIL import Image, ImageOps, UnidentifiedImageError

    data = _read(photo)
    kind = photo_format(data[:12])
    if kind is None:
        raise _refused(_("Send a JPEG, PNG or WebP photo."), "wrong_type")
    unreadable = _refused(_("This file is not a photo that can be read."), "unreadable")
    try:
        with Image.open(BytesIO(data), formats=[kind]) as image:
            if image.width * image.height > MAX_PIXELS[kind]:
                raise _refused(_("The photo has too many pixels."), "too_many_pixels")
            if kind == "JPEG":
                image.draft("RGB", (MAX_SIDE, MAX_SIDE))  # decode at a fraction of the size: cheaper
            image.load()  # decodes every pixel: a file cut short or forged fails here
            upright = ImageOps.exif_transpose(image)
            alpha = upright.mode in ("RGBA", "LA", "PA") or "transparency" in upright.info
            mode = "RGBA" if alpha and kind != "JPEG" else "RGB"
            clean = upright.convert(mode) if upright.mode != mode else upright.copy()
            clean.thumbnail((MAX_SIDE, MAX_SIDE))
            clean.info = {}  # no EXIF, ICC profile, text chunks or comments go on
            out = BytesIO()
            options = {"JPEG": {"quality": 88}, "PNG": {}, "WEBP": {"quality": 88}}[kind]
            clean.save(out, format=kind, **options)
    except PhotoRefused:
        raise
    except (UnidentifiedImageError, Image.DecompressionBombError, OSError, SyntaxError, ValueError, EOFError):
        raise unreadable from None
    content_type, extension = PHOTO_TYPES[kind]
    return out.getvalue(), content_type, extension


# --- contests: staff's side ---------------------------------------------------------------------------


def contest_get(*, contest_id) -> Contest:
    contest = Contest.objects.filter(pk=parse_id(contest_id, ContestNotFound)).first()
    if contest is None:
        raise ContestNotFound(details={"id": str(contest_id)[:64]})
    return contest


def contest_list() -> QuerySet[Contest]:
    """Every contest, newest first, with its entries counted by status."""
    counts = {f"{status}_count": Count("entries", filter=Q(entries__status=status))
              for status in ContestEntry.Status.values}
    return Contest.objects.annotate(entries_count=Count("entries"), **counts).order_by("-starts_at", "-pk")


_CONTEST_FIELDS = ["name", "description", "entry_kind", "starts_at", "ends_at", "winner_points", "status"]


def contest_create(*, data, actor=None) -> Contest:
    asked = validated(ContestInput, data)
    with transaction.atomic():
        contest = Contest.objects.create(**asked.model_dump())
        if actor is not None:
            audit_record(actor=actor, action="contest.create", target=contest,
                         after=snapshot(contest, _CONTEST_FIELDS))
    return contest


_MOVES = {
    Contest.Status.OPEN: (Contest.Status.JUDGING, Contest.Status.DECIDED),
    Contest.Status.JUDGING: (Contest.Status.OPEN, Contest.Status.DECIDED),
}


def contest_status_set(*, contest_id, status: str, actor=None) -> tuple[Contest, bool]:
    """Stop entries (judging), take them again (open) or close the contest (decided, final).
    Answers (contest, changed)."""
    if status not in Contest.Status.values:
        raise ValidationFailed(details={"status": "one of open, judging, decided"})
    with transaction.atomic():
        contest = Contest.objects.select_for_update().get(pk=contest_get(contest_id=contest_id).pk)
        if contest.status == status:
            return contest, False
        if status not in _MOVES.get(contest.status, ()):
            raise ContestDecided(details={"status": contest.status})
        before = contest.status
        contest.status = status
        contest.save(update_fields=["status"])
        audit_record(actor=actor, action="contest.status", target=contest, before={"status": before},
                     after={"status": status})
    return contest, True


def taking_entries(contest: Contest, now: datetime) -> bool:
    return contest.status == Contest.Status.OPEN and contest.starts_at <= now < contest.ends_at


def contest_entries(*, contest_id, status: str | None = None) -> QuerySet[ContestEntry]:
    rows = ContestEntry.objects.filter(contest_id=contest_get(contest_id=contest_id).pk).select_related("member")
    if status:
        rows = rows.filter(status=status)
    return rows.order_by("created_at", "pk")


def contest_entry_get(*, entry_id) -> ContestEntry:
    entry = ContestEntry.objects.select_related("contest", "member").filter(
        pk=parse_id(entry_id, ContestEntryNotFound)).first()
    if entry is None:
        raise ContestEntryNotFound(details={"id": str(entry_id)[:64]})
    return entry


def _label(entry: ContestEntry, contest: Contest) -> str:
    return f"{contest.name} #{entry.pk}"


def contest_entry_decide(*, entry_id, decision: str, actor=None, now: datetime | None = None
                         ) -> tuple[ContestEntry, bool]:
    """Approve, reject, or make a winner of an entry (audited with the staff member who did).
    A winner's points are credited in the same transaction, once: the entry's row is locked, and
    an entry already a winner stays one and earns nothing more. Answers (entry, changed)."""
    if decision not in DECISIONS:
        raise ValidationFailed(details={"decision": "one of approved, rejected, winner"})
    now = now or timezone.now()
    pk = contest_entry_get(entry_id=entry_id).pk
    with transaction.atomic():
        entry = ContestEntry.objects.select_for_update().get(pk=pk)
        contest = Contest.objects.get(pk=entry.contest_id)
        if contest.status == Contest.Status.DECIDED:
            raise ContestDecided(details={"status": contest.status})
        if entry.status == decision:
            return entry, False
        if entry.status == ContestEntry.Status.WINNER:
            raise EntryNotApproved(details={"status": entry.status})
        before = {"status": entry.status, "points_awarded": entry.points_awarded}
        if decision == ContestEntry.Status.WINNER:
            if entry.status != ContestEntry.Status.APPROVED:
                raise EntryNotApproved(details={"status": entry.status})
            if taking_entries(contest, now):
                raise ContestRunning(details={"ends_at": contest.ends_at.isoformat()})
            if Member.objects.filter(pk=entry.member_id, status=Member.Status.BLOCKED).exists():
                raise MemberBlocked(details={"status": "blocked"})
            if contest.winner_points:
                award_points(member_id=entry.member_id, points=contest.winner_points, source=("contest", entry.pk),
                             memo=contest.name, now=now)
                entry.points_awarded = contest.winner_points
            with club_language():
                text = gettext("You are a winner of the «%(contest)s» contest!") % {"contest": contest.name}
                if contest.winner_points:
                    text += " " + gettext("%(points)s points are yours.") % {
                        "points": format_points(contest.winner_points, translation.get_language())}
            service_notice(entry.member_id, key=f"contest:{contest.pk}:winner:{entry.member_id}", text=text, now=now)
        entry.status = decision
        entry.decided_at = now
        entry.decided_by = (getattr(actor, "name", "") or "")[:150]
        entry.save(update_fields=["status", "decided_at", "decided_by", "points_awarded"])
        audit_record(actor=actor, action=f"contest_entry.{decision}", target=entry,
                     target_label=_label(entry, contest), before=before,
                     after={"status": entry.status, "points_awarded": entry.points_awarded})
    return entry, True


# --- contests: the member's side ----------------------------------------------------------------------


def contest_entry_submit(*, contest_id, member_id: int, text: str = "", photo=None,
                         now: datetime | None = None) -> ContestEntry:
    """The member's one entry: a text (at most 2000 characters), or a photo (checked and cleaned
    by `photo_clean`, with an optional caption). Refusals: contest_not_found, contest_closed,
    contest_entry_exists, validation_error (no text), invalid_photo; each writes nothing."""
    now = now or timezone.now()
    contest = contest_get(contest_id=contest_id)
    asked = validated(ContestEntryInput, {"text": "" if text is None else text})
    if not taking_entries(contest, now):
        raise ContestClosed(details={"status": contest.status})
    if Member.objects.filter(pk=member_id, status=Member.Status.BLOCKED).exists():
        raise MemberBlocked(details={"status": "blocked"})
    if ContestEntry.objects.filter(contest=contest, member_id=member_id).exists():
        raise ContestEntryExists(details={"contest_id": contest.pk})
    clean = None
    if contest.entry_kind == Contest.Entry.TEXT:
        if not asked.text:
            raise ValidationFailed(_("Write your entry."), details={"text": "required"})
    else:
        if photo is None:
            raise _refused(_("Choose a photo to send."), "required")
        clean = photo_clean(photo)
    entry = ContestEntry(contest=contest, member_id=member_id, text=asked.text, created_at=now)
    try:
        with transaction.atomic():
            if clean is not None:
                data, content_type, extension = clean
                entry.photo_type = content_type
                # A random name: nothing of the member's file name is kept or trusted.
                entry.photo.save(f"{secrets.token_hex(16)}.{extension}", ContentFile(data), save=False)
            entry.save()
    except IntegrityError:
        _forget_file(entry)
        raise ContestEntryExists(details={"contest_id": contest.pk}) from None
    except BaseException:
        _forget_file(entry)
        raise
    return entry


def _forget_file(entry: ContestEntry) -> None:
    if entry.photo:
        entry.photo.delete(save=False)


@dataclass(frozen=True)
class ContestView:
    contest: Contest
    entry: ContestEntry | None
    taking_entries: bool


def member_contests(*, member_id: int, now: datetime | None = None, limit: int = 50) -> list[ContestView]:
    """The contests a member may see (begun, newest first), each with their own entry."""
    now = now or timezone.now()
    contests = list(Contest.objects.filter(starts_at__lte=now).order_by("-starts_at", "-pk")[:limit])
    entries = {e.contest_id: e for e in ContestEntry.objects.filter(member_id=member_id,
                                                                     contest__in=[c.pk for c in contests])}
    return [ContestView(c, entries.get(c.pk), taking_entries(c, now)) for c in contests]


def member_contest(*, contest_id, member_id: int, now: datetime | None = None) -> ContestView:
    """One contest as the member sees it (a contest not begun yet is not found)."""
    now = now or timezone.now()
    contest = contest_get(contest_id=contest_id)
    if contest.starts_at > now:
        raise ContestNotFound(details={"id": str(contest_id)[:64]})
    entry = ContestEntry.objects.filter(contest=contest, member_id=member_id).first()
    return ContestView(contest, entry, taking_entries(contest, now))


def contest_photo(*, entry_id, member_id: int | None = None) -> tuple[ContestEntry, object]:
    """An entry's photo, opened for reading: (entry, file). With `member_id` (the portal), only
    that member's own entry: anyone else's is not found, exactly as a missing one."""
    entry = contest_entry_get(entry_id=entry_id)
    if (member_id is not None and entry.member_id != member_id) or not entry.photo:
        raise ContestEntryNotFound(details={"id": str(entry_id)[:64]})
    try:
        return entry, entry.photo.open("rb")
    except FileNotFoundError:
        raise ContestEntryNotFound(details={"id": str(entry_id)[:64]}) from None


# --- a member's data erased on request -----------------------------------------------------------------


def contest_entries_forget(*, member_id: int) -> int:
    """Erase what a member sent to contests (in the caller's transaction): the texts, and the
    photos, whose files go once the erasure commits. Which contests they entered, with what
    outcome and points, stays. Answers how many entries it touched."""
    entries = ContestEntry.objects.filter(member_id=member_id)
    files = [(entry.photo.storage, entry.photo.name) for entry in entries.exclude(photo="")]
    touched = entries.exclude(text="", photo="").update(text="", photo="", photo_type="")
    for storage, name in files:
        transaction.on_commit(lambda storage=storage, name=name: storage.delete(name))
    return touched
