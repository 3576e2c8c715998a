"""Contests: one entry per member while the contest takes entries; photos checked by their bytes
(type, size, that they decode) and kept as a clean copy under a random name; staff approve,
reject and pick winners, whose points are credited once; a closed contest changes no more."""

import re
from datetime import timedelta
from io import BytesIO

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from PIL import Image

from vafa.core.audit import Actor
from vafa.core.errors import (
    ContestClosed,
    ContestDecided,
    ContestEntryExists,
    ContestEntryNotFound,
    ContestRunning,
    EntryNotApproved,
    PhotoRefused,
    ValidationFailed,
)
from vafa.core.models import AuditEntry
from vafa.core.tests.fixtures import assert_ledger_ok, balance, refused
from vafa.engage.contests import (
    contest_create,
    contest_entry_decide,
    contest_entry_submit,
    contest_photo,
    contest_status_set,
    member_contests,
    photo_clean,
)
from vafa.engage.models import Contest, ContestEntry, Message
from vafa.engage.tests.conftest import tehran
from vafa.ledger.models import Transfer

pytestmark = pytest.mark.usefixtures("sms_file")
STARTS, ENDS = tehran(2026, 6, 1, 0, 0), tehran(2026, 6, 15, 0, 0)
DURING, AFTER = STARTS + timedelta(days=3), ENDS + timedelta(hours=1)


@pytest.fixture(autouse=True)
def media(settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path / "media"
    settings.LANGUAGE_CODE = "en"
    return settings.MEDIA_ROOT


def stored_files(root) -> list[str]:
    return sorted(str(p.relative_to(root)) for p in root.rglob("*") if p.is_file()) if root.exists() else []


def image_bytes(fmt="JPEG", size=(64, 48), **save) -> bytes:
    out = BytesIO()
    Image.new("RGB", size, (200, 30, 30)).save(out, fmt, **save)
    return out.getvalue()


def jpeg_with_gps() -> bytes:
    exif = Image.Exif()
    exif[0x010F] = "SecretCam"  # the camera's make
    exif[0x0112] = 6  # turned: shown 90 degrees clockwise
    exif[0x8825] = {2: (35.0, 41.0, 7.0)}  # a GPS latitude
    return image_bytes("JPEG", exif=exif, icc_profile=b"profile" * 4)


def contest(kind="text", points=100):
    return contest_create(data={"name": "Best tea photo", "entry_kind": kind, "starts_at": STARTS, "ends_at": ENDS,
                                "winner_points": points})


def staff(admin_user):
    return Actor(user=admin_user, ip="127.0.0.1")


# --- entering ---------------------------------------------------------------------------------------------


def test_a_member_sends_one_text_entry_while_the_contest_takes_entries(member):
    poem = contest()
    entry = contest_entry_submit(contest_id=poem.pk, member_id=member.pk, text="  چای تازه‌دم  ", now=DURING)
    assert (entry.text, entry.status, entry.photo.name, entry.created_at) == ("چای تازه‌دم", "submitted", "", DURING)
    with refused(ContestEntryExists, ContestEntry):
        contest_entry_submit(contest_id=poem.pk, member_id=member.pk, text="again", now=DURING)


@pytest.mark.parametrize(("moment", "status"), [(STARTS - timedelta(seconds=1), "open"), (ENDS, "open"),
                                               (DURING, "judging"), (DURING, "decided")])
def test_no_entry_before_the_start_from_the_end_or_once_entries_stopped(member, moment, status):
    poem = contest()
    Contest.objects.filter(pk=poem.pk).update(status=status)
    with refused(ContestClosed, ContestEntry):
        contest_entry_submit(contest_id=poem.pk, member_id=member.pk, text="late", now=moment)
    contest_entry_submit(contest_id=contest().pk, member_id=member.pk, text="on time", now=STARTS)


def test_a_text_entry_is_required_and_at_most_2000_characters(member):
    poem = contest()
    with refused(ValidationFailed, ContestEntry) as caught:
        contest_entry_submit(contest_id=poem.pk, member_id=member.pk, text="   ", now=DURING)
    assert caught.value.details == {"text": "required"}
    with refused(ValidationFailed, ContestEntry) as caught:
        contest_entry_submit(contest_id=poem.pk, member_id=member.pk, text="x" * 2001, now=DURING)
    assert caught.value.details == {"text": "a text of at most 2000 characters"}
    assert contest_entry_submit(contest_id=poem.pk, member_id=member.pk, text="x" * 2000, now=DURING).pk


def test_a_photo_is_kept_as_a_clean_copy_under_a_random_name(member, media):
    gallery = contest("photo")
    upload = SimpleUploadedFile("../../etc/passwd.jpg", jpeg_with_gps(), content_type="text/html")
    entry = contest_entry_submit(contest_id=gallery.pk, member_id=member.pk, photo=upload, text="my cup",
                                 now=DURING)
    assert entry.photo_type == "image/jpeg"
    assert re.fullmatch(r"contests/\d{4}/\d{2}/[0-9a-f]{32}\.jpg", entry.photo.name), entry.photo.name
    assert stored_files(media) == [entry.photo.name]
    kept = (media / entry.photo.name).read_bytes()
    assert b"SecretCam" not in kept and b"profile" not in kept
    with Image.open(BytesIO(kept)) as image:
        assert (image.format, image.size, dict(image.getexif())) == ("JPEG", (48, 64), {})  # turned upright
        assert "icc_profile" not in image.info


def test_a_png_named_jpg_is_stored_as_the_png_it_is(member):
    gallery = contest("photo")
    upload = SimpleUploadedFile("cup.jpg", image_bytes("PNG"), content_type="image/jpeg")
    entry = contest_entry_submit(contest_id=gallery.pk, member_id=member.pk, photo=upload, now=DURING)
    assert (entry.photo_type, entry.photo.name.rsplit(".", 1)[1]) == ("image/png", "png")


FAKE_JPEG = b"\xff\xd8\xff\xe0" + b"\x00\x10JFIF\x00" + b"not really an image" * 40
GIF = b"GIF89a" + image_bytes("GIF")[6:]
SVG = b'<svg xmlns="http://www.w3.org/2000/svg"><script>alert(1)</script></svg>'


@pytest.mark.parametrize(("data", "reason"), [
    (FAKE_JPEG, "unreadable"),
    (image_bytes("JPEG")[:200], "unreadable"),  # cut short
    (b"\xff\xd8\xff" + image_bytes("PNG")[3:], "unreadable"),  # a PNG dressed as a JPEG
    (GIF, "wrong_type"),
    (SVG, "wrong_type"),
    (b"%PDF-1.7 ...", "wrong_type"),
    (b"", "required"),
    (b"\xff\xd8\xff" + b"\x00" * (5 * 1024 * 1024), "too_large"),
])
def test_a_photo_that_is_not_one_is_refused_and_nothing_is_kept(member, media, data, reason):
    gallery = contest("photo")
    with refused(PhotoRefused, ContestEntry) as caught:
        contest_entry_submit(contest_id=gallery.pk, member_id=member.pk, now=DURING,
                             photo=SimpleUploadedFile("photo.jpg", data, content_type="image/jpeg"))
    assert caught.value.details == {"photo": reason}
    assert caught.value.code == "invalid_photo"
    assert stored_files(media) == []


def test_the_size_limit_is_5_mb_exactly():
    at_limit = image_bytes("PNG", size=(16, 16))
    at_limit += b"\x00" * (5 * 1024 * 1024 - len(at_limit))  # trailing bytes after IEND: still a PNG
    assert photo_clean(at_limit)[1] == "image/png"
    with pytest.raises(PhotoRefused) as caught:
        photo_clean(at_limit + b"\x00")
    assert caught.value.details == {"photo": "too_large"}


def test_an_image_with_too_many_pixels_is_refused_before_it_is_decoded():
    huge = image_bytes("PNG", size=(6000, 5000))  # 30 million pixels of one colour: a small file
    assert len(huge) < 5 * 1024 * 1024
    with pytest.raises(PhotoRefused) as caught:
        photo_clean(huge)
    assert caught.value.details == {"photo": "too_many_pixels"}


def test_a_large_photo_is_scaled_down_and_webp_accepted():
    data, content_type, extension = photo_clean(image_bytes("WEBP", size=(4000, 1000)))
    with Image.open(BytesIO(data)) as image:
        assert (content_type, extension, image.format, image.size) == ("image/webp", "webp", "WEBP", (2560, 640))


def test_a_photo_contest_needs_a_photo(member):
    with refused(PhotoRefused, ContestEntry) as caught:
        contest_entry_submit(contest_id=contest("photo").pk, member_id=member.pk, text="no photo", now=DURING)
    assert caught.value.details == {"photo": "required"}


def test_a_photo_is_read_by_its_member_only_and_by_staff(member_factory):
    owner, other = member_factory(), member_factory()
    gallery = contest("photo")
    entry = contest_entry_submit(contest_id=gallery.pk, member_id=owner.pk, photo=image_bytes(), now=DURING)
    found, file = contest_photo(entry_id=entry.pk, member_id=owner.pk)
    assert found.pk == entry.pk
    with file:
        assert file.read()[:3] == b"\xff\xd8\xff"
    with pytest.raises(ContestEntryNotFound):
        contest_photo(entry_id=entry.pk, member_id=other.pk)
    staff_copy = contest_photo(entry_id=entry.pk)[1]
    staff_copy.close()


def test_a_member_sees_begun_contests_with_their_own_entry_only(member_factory):
    sara, reza = member_factory(), member_factory()
    poem = contest()
    contest_create(data={"name": "Later", "starts_at": ENDS + timedelta(days=1), "ends_at": ENDS + timedelta(days=3)})
    contest_entry_submit(contest_id=poem.pk, member_id=reza.pk, text="reza's", now=DURING)
    [view] = member_contests(member_id=sara.pk, now=DURING)
    assert (view.contest.pk, view.entry, view.taking_entries) == (poem.pk, None, True)
    [view] = member_contests(member_id=reza.pk, now=AFTER)
    assert (view.entry.text, view.taking_entries) == ("reza's", False)


# --- judging ----------------------------------------------------------------------------------------------


def _entries(gallery, people):
    return [contest_entry_submit(contest_id=gallery.pk, member_id=p.pk, text=f"entry {i}", now=DURING)
            for i, p in enumerate(people)]


def test_staff_approve_reject_and_pick_winners_whose_points_are_credited_once(member_factory, admin_user):
    people = [member_factory() for _ in range(3)]
    poem = contest(points=100)
    first, second, third = _entries(poem, people)
    who = staff(admin_user)
    assert contest_entry_decide(entry_id=first.pk, decision="approved", actor=who, now=DURING)[1] is True
    contest_entry_decide(entry_id=second.pk, decision="approved", actor=who, now=DURING)
    contest_entry_decide(entry_id=third.pk, decision="rejected", actor=who, now=DURING)
    with refused(ContestRunning, ContestEntry, Transfer):
        contest_entry_decide(entry_id=first.pk, decision="winner", actor=who, now=DURING)
    with refused(EntryNotApproved, ContestEntry, Transfer):
        contest_entry_decide(entry_id=third.pk, decision="winner", actor=who, now=AFTER)
    entry, changed = contest_entry_decide(entry_id=first.pk, decision="winner", actor=who, now=AFTER)
    assert (changed, entry.status, entry.points_awarded, entry.decided_by, entry.decided_at) == (
        True, "winner", 100, admin_user.username, AFTER)
    again, changed = contest_entry_decide(entry_id=first.pk, decision="winner", actor=who, now=AFTER)
    assert (changed, again.points_awarded) == (False, 100)
    with refused(EntryNotApproved, ContestEntry, Transfer):
        contest_entry_decide(entry_id=first.pk, decision="rejected", actor=who, now=AFTER)
    winner_transfers = list(Transfer.objects.filter(source_kind="contest").values_list("source_id", "amount", "memo"))
    assert winner_transfers == [(first.pk, 100, "Best tea photo")]
    assert balance(people[0]) == 100 and balance(people[1]) == 0
    message = Message.objects.get()
    assert (message.member_id, message.purpose, message.text) == (
        people[0].pk, "service", "You are a winner of the «Best tea photo» contest! 100 points are yours.")
    actions = list(AuditEntry.objects.order_by("pk").values_list("action", "target_label", "after__status"))
    assert actions == [("contest_entry.approved", f"Best tea photo #{first.pk}", "approved"),
                       ("contest_entry.approved", f"Best tea photo #{second.pk}", "approved"),
                       ("contest_entry.rejected", f"Best tea photo #{third.pk}", "rejected"),
                       ("contest_entry.winner", f"Best tea photo #{first.pk}", "winner")]
    # Closing the contest is final
    assert contest_status_set(contest_id=poem.pk, status="decided", actor=who)[1] is True
    with refused(ContestDecided, ContestEntry, Transfer):
        contest_entry_decide(entry_id=second.pk, decision="winner", actor=who, now=AFTER)
    with refused(ContestDecided, Contest):
        contest_status_set(contest_id=poem.pk, status="open", actor=who)
    assert_ledger_ok()


def test_stopping_entries_early_lets_winners_be_chosen(member, admin_user):
    poem = contest(points=0)
    [entry] = _entries(poem, [member])
    who = staff(admin_user)
    contest_entry_decide(entry_id=entry.pk, decision="approved", actor=who, now=DURING)
    assert contest_status_set(contest_id=poem.pk, status="judging", actor=who) == (
        Contest.objects.get(pk=poem.pk), True)
    entry, changed = contest_entry_decide(entry_id=entry.pk, decision="winner", actor=who, now=DURING)
    assert (changed, entry.points_awarded) == (True, 0)
    assert Transfer.objects.filter(source_kind="contest").count() == 0
    assert Message.objects.get().text == "You are a winner of the «Best tea photo» contest!"
    statuses = list(AuditEntry.objects.filter(action="contest.status").values_list("before", "after"))
    assert statuses == [({"status": "open"}, {"status": "judging"})]


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_a_winner_picked_twice_at_once_earns_once(member, admin_user):
    from vafa.ledger.tests.test_concurrency_postgres import run_together

    poem = contest(points=100)
    [entry] = _entries(poem, [member])
    contest_entry_decide(entry_id=entry.pk, decision="approved", actor=staff(admin_user), now=DURING)
    results = run_together(3, lambda i: contest_entry_decide(entry_id=entry.pk, decision="winner",
                                                             actor=staff(admin_user), now=AFTER)[1])
    assert sorted(results) == [False, False, True]
    assert list(Transfer.objects.filter(source_kind="contest").values_list("amount", flat=True)) == [100]
    assert balance(member) == 100
    assert_ledger_ok()


def test_erasing_a_member_erases_their_entries_texts_and_photos(member, media, django_capture_on_commit_callbacks):
    from vafa.usecases.member_data import member_erase, member_export_json

    gallery = contest("photo")
    entry = contest_entry_submit(contest_id=gallery.pk, member_id=member.pk, photo=image_bytes(), text="my face",
                                 now=DURING)
    exported = "".join(member_export_json(member_id=member.pk))
    assert '"contest_entries"' in exported and "my face" in exported
    assert stored_files(media) == [entry.photo.name]
    with django_capture_on_commit_callbacks(execute=True):
        member_erase(member_id=member.pk)
    entry.refresh_from_db()
    assert (entry.text, entry.photo.name, entry.photo_type, entry.status) == ("", "", "", "submitted")
    assert stored_files(media) == []
