"""Badges, challenges and contests in the back-office (marketers, owners, managers only; every
refused request changes nothing) and in the portal (a member's own progress and entries only;
photos through views that check who asks, never a static route)."""

import re
from datetime import timedelta
from io import BytesIO

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import Client
from django.utils import timezone
from PIL import Image

from vafa.commerce.services import purchase_record
from vafa.core.models import AuditEntry
from vafa.core.tests.fixtures import balance, unchanged
from vafa.engage.contests import contest_create, contest_entry_decide, contest_entry_submit
from vafa.engage.models import Badge, Challenge, Contest, ContestEntry, MemberBadge
from vafa.engage.recognition import badge_create, challenge_create, recognition_forget, recognition_sweep
from vafa.ledger.models import Transfer
from vafa.merchants.services import merchant_create
from vafa.merchants.staff import staff_create
from vafa.web.tests.test_portal_helpers import log_in

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def _media(settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path / "media"
    recognition_forget()


def staff_client(role: str, *, partner=None) -> Client:
    user = staff_create(username=f"{role}-{'p' if partner else 'o'}", password="long-enough-pass-1", role=role,
                        merchant_id=partner.pk if partner else None)
    client = Client()
    client.force_login(user)
    return client


def jpeg(size=(40, 30)) -> bytes:
    out = BytesIO()
    Image.new("RGB", size, (10, 120, 60)).save(out, "JPEG")
    return out.getvalue()


def running_contest(kind="photo", points=80, **more):
    now = timezone.now()
    return contest_create(data={"name": more.get("name", "Tea moments"), "entry_kind": kind,
                                "starts_at": now - timedelta(days=1), "ends_at": now + timedelta(days=5),
                                "winner_points": points})


BADGE_FORM = {"code": "regular", "name": "Regular", "description": "", "criterion": "purchases", "threshold": "3",
              "category": "", "points": "50", "active": "on"}


# --- the back-office: who may ------------------------------------------------------------------------------


@pytest.mark.parametrize("role", ["owner", "manager", "marketer"])
def test_engagers_see_the_pages_and_the_nav_link(role, merchant):
    client = staff_client(role)
    page = client.get("/manage/recognition/badges/")
    assert page.status_code == 200
    assert 'href="/manage/recognition/badges/"' in client.get("/manage/members/").content.decode()
    for url in ("/manage/recognition/challenges/", "/manage/recognition/contests/"):
        assert client.get(url).status_code == 200


def test_cashiers_partners_and_strangers_are_refused_and_change_nothing(merchant, member):
    partner = merchant_create(name="Partner cafe")
    made = badge_create(data={"code": "b", "name": "B", "criterion": "purchases", "threshold": 1})
    contest = running_contest(kind="text")
    entry = contest_entry_submit(contest_id=contest.pk, member_id=member.pk, text="mine")
    cashier = staff_client("cashier")
    assert 'href="/manage/recognition/badges/"' not in cashier.get("/manage/members/").content.decode()
    refused = [cashier, staff_client("owner", partner=partner), staff_client("marketer", partner=partner)]
    posts = [("/manage/recognition/badges/", BADGE_FORM),
             (f"/manage/recognition/badges/{made.pk}/", {**BADGE_FORM, "name": "Changed"}),
             ("/manage/recognition/contests/", {"name": "x"}),
             (f"/manage/recognition/contests/{contest.pk}/status/", {"status": "decided"}),
             (f"/manage/recognition/entries/{entry.pk}/approve/", {}),
             (f"/manage/recognition/entries/{entry.pk}/winner/", {})]
    with unchanged(Badge, Challenge, Contest, ContestEntry, AuditEntry, Transfer):
        for client in refused:
            assert client.get("/manage/recognition/badges/").status_code == 403
            assert client.get(f"/manage/recognition/contests/{contest.pk}/").status_code == 403
            for url, data in posts:
                assert client.post(url, data).status_code == 403, url
        for url, data in posts:
            response = Client().post(url, data)
            assert (response.status_code, response["Location"].split("?")[0]) == (302, "/manage/login/")


# --- badges and challenges in the back-office ----------------------------------------------------------------


def test_a_marketer_creates_and_edits_a_badge_and_sees_how_many_hold_it(merchant, member_factory):
    client = staff_client("marketer")
    response = client.post("/manage/recognition/badges/", BADGE_FORM)
    assert (response.status_code, response["Location"]) == (302, "/manage/recognition/badges/")
    badge = Badge.objects.get()
    assert (badge.code, badge.criterion, badge.threshold, badge.points, badge.active) == (
        "regular", "purchases", 3, 50, True)
    assert AuditEntry.objects.get().action == "badge.create"
    for person in (member_factory(), member_factory()):
        for n in range(3):
            purchase_record(merchant_id=merchant.pk, member_id=person.pk, amount=1_000_000,
                            external_id=f"{person.pk}-{n}")
    recognition_sweep(timezone.now())
    page = client.get("/manage/recognition/badges/").content.decode()
    assert re.search(rf'data-testid="badge-{badge.pk}".*?data-testid="holders">۲<', page, re.S)
    # The same code again: refused on the field, nothing written
    with unchanged(Badge):
        again = client.post("/manage/recognition/badges/", BADGE_FORM)
    assert again.status_code == 409
    # A category badge needs its category
    with unchanged(Badge):
        missing = client.post("/manage/recognition/badges/", {**BADGE_FORM, "code": "tea", "criterion": "category"})
    assert missing.status_code == 422 and 'id="id_category_error"' in missing.content.decode()
    edit = client.post(f"/manage/recognition/badges/{badge.pk}/", {**BADGE_FORM, "threshold": "5", "points": "60"})
    assert edit.status_code == 302
    badge.refresh_from_db()
    assert (badge.threshold, badge.points, badge.code) == (5, 60, "regular")
    assert AuditEntry.objects.filter(action="badge.update").get().after == {"threshold": 5, "points": 60}
    assert client.get("/manage/recognition/badges/999/").status_code == 404


def test_a_challenge_is_made_from_whole_days_and_switched_off(merchant):
    client = staff_client("manager")
    today = timezone.localdate()
    year = today.year
    data = {"name": "Three this month", "description": "", "goal": "purchases", "target": "3", "category": "",
            "points": "70", "reward": "",
            "starts_on_0": "1", "starts_on_1": str(today.month), "starts_on_2": str(year), "starts_on_3": "gregorian",
            "ends_on_0": "28", "ends_on_1": str(today.month), "ends_on_2": str(year), "ends_on_3": "gregorian"}
    assert client.post("/manage/recognition/challenges/", data).status_code == 302
    challenge = Challenge.objects.get()
    local = timezone.localtime
    assert (local(challenge.starts_at).date().day, local(challenge.starts_at).hour) == (1, 0)
    assert (local(challenge.ends_at).date().day, local(challenge.ends_at).hour) == (29, 0)  # the end of the 28th
    spend = {**data, "goal": "spend", "target": "50000"}
    assert client.post("/manage/recognition/challenges/", spend).status_code == 302
    assert Challenge.objects.order_by("-pk").first().target == 500_000  # Toman in, Rials kept
    backwards = {**data, "ends_on_0": "1", "starts_on_0": "2"}
    with unchanged(Challenge):
        assert client.post("/manage/recognition/challenges/", backwards).status_code == 422
    assert client.post(f"/manage/recognition/challenges/{challenge.pk}/active/", {"active": "0"}).status_code == 302
    challenge.refresh_from_db()
    assert challenge.active is False
    assert list(AuditEntry.objects.filter(action="challenge.update").values_list("after", flat=True)) == [
        {"active": False}]


# --- contests in the back-office ----------------------------------------------------------------------------


def test_staff_see_entries_with_photos_and_approve_and_pick_a_winner(merchant, member_factory):
    sara, reza = member_factory(), member_factory()
    contest = running_contest(points=80)
    photo = contest_entry_submit(contest_id=contest.pk, member_id=sara.pk, photo=jpeg())
    contest_entry_submit(contest_id=contest.pk, member_id=reza.pk, photo=jpeg())
    client = staff_client("marketer")
    page = client.get(f"/manage/recognition/contests/{contest.pk}/").content.decode()
    assert f'src="/manage/recognition/entries/{photo.pk}/photo/"' in page
    assert sara.phone not in page  # a marketer sees masked numbers
    shown = client.get(f"/manage/recognition/entries/{photo.pk}/photo/")
    assert (shown.status_code, shown["Content-Type"], shown["Cache-Control"]) == (200, "image/jpeg",
                                                                                   "private, no-store")
    assert b"".join(shown.streaming_content)[:3] == b"\xff\xd8\xff"
    assert client.post(f"/manage/recognition/entries/{photo.pk}/approve/").status_code == 302
    # Winners only once entries stop
    running = client.post(f"/manage/recognition/entries/{photo.pk}/winner/")
    assert running.status_code == 409
    assert client.post(f"/manage/recognition/contests/{contest.pk}/status/", {"status": "judging"}).status_code == 302
    for _ in range(2):
        assert client.post(f"/manage/recognition/entries/{photo.pk}/winner/").status_code == 302
    assert balance(sara) == 80 and balance(reza) == 0
    assert Transfer.objects.filter(source_kind="contest").count() == 1
    assert list(AuditEntry.objects.filter(action__startswith="contest").order_by("pk").values_list(
        "action", flat=True)) == ["contest_entry.approved", "contest.status", "contest_entry.winner"]
    closed = client.post(f"/manage/recognition/contests/{contest.pk}/status/", {"status": "decided"})
    assert closed.status_code == 302
    assert client.post(f"/manage/recognition/entries/{photo.pk}/reject/").status_code == 409
    assert client.post(f"/manage/recognition/entries/{photo.pk}/nonsense/").status_code == 404


def test_a_marketer_creates_a_contest(merchant):
    client = staff_client("marketer")
    today = timezone.localdate()
    data = {"name": "Poem", "description": "A poem about tea", "entry_kind": "text", "winner_points": "30",
            "starts_on_0": str(today.day), "starts_on_1": str(today.month), "starts_on_2": str(today.year),
            "starts_on_3": "gregorian", "ends_on_0": str(today.day), "ends_on_1": str(today.month),
            "ends_on_2": str(today.year + 1), "ends_on_3": "gregorian"}
    response = client.post("/manage/recognition/contests/", data)
    contest = Contest.objects.get()
    assert (response.status_code, response["Location"]) == (302, f"/manage/recognition/contests/{contest.pk}/")
    assert (contest.entry_kind, contest.winner_points, contest.status) == ("text", 30, "open")


# --- the portal -----------------------------------------------------------------------------------------------


def test_a_member_sees_earned_badges_with_jalali_dates_and_progress_towards_others(client, merchant, member):
    first = badge_create(data={"code": "first", "name": "First cup", "criterion": "purchases", "threshold": 1,
                               "points": 5})
    five = badge_create(data={"code": "five", "name": "Five cups", "criterion": "purchases", "threshold": 5})
    now = timezone.now()
    challenge_create(data={"name": "Three this week", "target": 3, "starts_at": now - timedelta(days=1),
                           "ends_at": now + timedelta(days=6, hours=1), "points": 10})
    for n in range(2):
        purchase_record(merchant_id=merchant.pk, member_id=member.pk, amount=1_000_000, external_id=f"x{n}")
    recognition_sweep(now)
    award = MemberBadge.objects.get()
    log_in(client, member)
    page = client.get("/badges/").content.decode()
    from vafa.core.jalali import format_jalali_date

    assert re.search(rf'data-testid="badge-{first.pk}" data-earned="1">.*?{format_jalali_date(award.awarded_at)}',
                     page, re.S)
    assert "style=" not in page
    client.cookies["django_language"] = "en"  # the exact words (Persian ones come from the catalogue)
    page = client.get("/badges/").content.decode()
    assert re.search(rf'data-testid="badge-{five.pk}" data-earned="0">.*?aria-valuenow="40" aria-valuetext="2 of 5 '
                     r'purchases"', page, re.S)
    assert 'data-testid="progress-text">2 of 3 purchases<' in page
    assert "6 days left." in page
    assert "Badge: First cup" in client.get("/history/").content.decode()  # the ledger line says why


def test_a_member_sends_a_photo_entry_and_sees_its_status_and_photo(client, member):
    contest = running_contest()
    log_in(client, member)
    page = client.get(f"/contests/{contest.pk}/").content.decode()
    assert 'enctype="multipart/form-data"' in page and 'name="csrfmiddlewaretoken"' in page
    upload = SimpleUploadedFile("holiday.jpg", jpeg(), content_type="image/jpeg")
    response = client.post(f"/contests/{contest.pk}/", {"photo": upload, "text": "my cup"})
    assert (response.status_code, response["Location"]) == (302, f"/contests/{contest.pk}/")
    entry = ContestEntry.objects.get()
    page = client.get(f"/contests/{contest.pk}/").content.decode()
    assert 'data-status="submitted"' in page and f'src="/contests/entries/{entry.pk}/photo/"' in page
    assert 'data-testid="entry-form"' not in page
    photo = client.get(f"/contests/entries/{entry.pk}/photo/")
    assert (photo.status_code, photo["Content-Type"]) == (200, "image/jpeg")
    assert "/media/" not in page
    assert Client().get(f"/media/{entry.photo.name}").status_code == 404  # no static route to uploads
    listing = client.get("/contests/").content.decode()
    assert f'data-testid="contest-{contest.pk}"' in listing and 'data-status="submitted"' in listing


def test_a_member_never_sees_anothers_entry_or_photo(client, member_factory):
    sara, reza = member_factory(), member_factory()
    contest = running_contest()
    entry = contest_entry_submit(contest_id=contest.pk, member_id=sara.pk, photo=jpeg(), text="sara's secret")
    log_in(client, reza)
    assert client.get(f"/contests/entries/{entry.pk}/photo/").status_code == 404
    page = client.get(f"/contests/{contest.pk}/").content.decode()
    assert "sara's secret" not in page and f"/contests/entries/{entry.pk}/photo/" not in page
    assert "sara's secret" not in client.get("/contests/").content.decode()
    # Staff in the portal are no member: sent to the member login
    owner = staff_client("owner")
    assert owner.get(f"/contests/entries/{entry.pk}/photo/")["Location"].startswith("/login/")
    assert Client().get(f"/contests/entries/{entry.pk}/photo/")["Location"].startswith("/login/")


def test_uploads_that_are_not_photos_are_refused_with_a_message(client, member):
    contest = running_contest()
    log_in(client, member)
    fake = SimpleUploadedFile("fake.jpg", b"\xff\xd8\xff\xe0 not an image at all" * 20, content_type="image/jpeg")
    with unchanged(ContestEntry):
        response = client.post(f"/contests/{contest.pk}/", {"photo": fake})
    assert response.status_code == 422 and 'data-testid="error-photo"' in response.content.decode()
    gif = SimpleUploadedFile("a.gif", b"GIF89a......", content_type="image/gif")
    with unchanged(ContestEntry):
        assert client.post(f"/contests/{contest.pk}/", {"photo": gif}).status_code == 422


def test_a_photo_over_5_mb_is_dropped_as_it_arrives(client, member, settings, monkeypatch):
    from vafa.web.portal import recognition as pages

    contest = running_contest()
    log_in(client, member)
    monkeypatch.setattr(pages.engaging, "contest_entry_submit", lambda **kw: pytest.fail("the form was read"))
    big = SimpleUploadedFile("big.jpg", b"\xff\xd8\xff" + b"\x00" * (5 * 1024 * 1024), content_type="image/jpeg")
    with unchanged(ContestEntry):
        response = client.post(f"/contests/{contest.pk}/", {"photo": big})
    page = response.content.decode()
    assert response.status_code == 422 and 'data-testid="error-photo"' in page
    assert not settings.MEDIA_ROOT.exists() or list(settings.MEDIA_ROOT.rglob("*")) == []


def test_the_entry_form_needs_the_csrf_token(member):
    contest = running_contest(kind="text")
    client = Client(enforce_csrf_checks=True)
    log_in(client, member)
    with unchanged(ContestEntry):
        assert client.post(f"/contests/{contest.pk}/", {"text": "hello"}).status_code == 403
    page = client.get(f"/contests/{contest.pk}/").content.decode()
    token = re.search(r'name="csrfmiddlewaretoken" value="([^"]+)"', page).group(1)
    assert client.post(f"/contests/{contest.pk}/", {"text": "hello", "csrfmiddlewaretoken": token}).status_code == 302
    assert ContestEntry.objects.get().text == "hello"


def test_a_text_entry_twice_is_refused_and_a_winner_sees_it(client, member, admin_user):
    from vafa.core.audit import Actor

    contest = running_contest(kind="text", points=40)
    log_in(client, member)
    assert client.post(f"/contests/{contest.pk}/", {"text": "first"}).status_code == 302
    again = client.post(f"/contests/{contest.pk}/", {"text": "second"})
    assert again.status_code == 409 and 'data-testid="error"' in again.content.decode()
    assert list(ContestEntry.objects.values_list("text", flat=True)) == ["first"]
    entry = ContestEntry.objects.get()
    Contest.objects.filter(pk=contest.pk).update(status="judging")
    contest_entry_decide(entry_id=entry.pk, decision="approved", actor=Actor(user=admin_user))
    contest_entry_decide(entry_id=entry.pk, decision="winner", actor=Actor(user=admin_user))
    page = client.get(f"/contests/{contest.pk}/").content.decode()
    assert 'data-status="winner"' in page and "۴۰" in page
    assert balance(member) == 40


def test_a_contest_not_begun_is_not_found(client, member):
    now = timezone.now()
    later = contest_create(data={"name": "Soon", "starts_at": now + timedelta(days=2), "ends_at": now + timedelta(
        days=4)})
    log_in(client, member)
    assert client.get(f"/contests/{later.pk}/").status_code == 404
    assert client.get("/contests/999999/").status_code == 404
    assert f"contest-{later.pk}" not in client.get("/contests/").content.decode()
