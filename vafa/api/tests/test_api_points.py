"""GET /api/v1/members/{id}/points and /ledger; POST /members/{id}/redemptions and /adjustments."""

from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
from django.utils import timezone

from vafa.api.tests.test_api_errors import add_points, assert_error
from vafa.core.tests.fixtures import REQUEST_WRITES, balance, db_state

TEHRAN = ZoneInfo("Asia/Tehran")
LEDGER_LINE_FIELDS = {
    "id",
    "kind",
    "points",
    "rule",
    "memo",
    "source_kind",
    "source_id",
    "merchant_id",
    "reverses_id",
    "created_at",
}


def _program(**fields) -> None:
    from vafa.program.models import ProgramSettings

    assert ProgramSettings.objects.filter(pk=1).update(**fields) == 1


def _days_ago(days: int) -> datetime:
    moment = (timezone.now().astimezone(TEHRAN) - timedelta(days=days)).replace(microsecond=0)
    return moment.replace(day=min(moment.day, 28))  # so that "a year later" is the same day


def _points(api, member) -> dict:
    response = api.get(f"/members/{member.id}/points")
    assert response.status_code == 200, response.content
    return response.json()


def _expiring(body) -> list[tuple[int, datetime]]:
    return [(e["points"], datetime.fromisoformat(e["expires_at"])) for e in body["expiring"]]


# --- GET /members/{id}/points ---------------------------------------------------------------


def test_a_new_member_has_no_points(member, api):
    body = _points(api, member)
    assert {"balance", "available", "pending", "value", "expiring"} <= set(body)
    assert body == {"balance": 0, "available": 0, "pending": 0, "deficit": 0, "value": 0, "expiring": []}


def test_points_value_and_expiring_lots_with_dates(member, api):
    # Given purchases 60 and 30 days ago (3,000,000 and 1,500,000 IRR) and one today
    older, newer = _days_ago(60), _days_ago(30)
    for when, amount in [(newer, 1_500_000), (older, 3_000_000), (None, 500_000)]:
        body = {"member_id": member.id, "amount": amount}
        if when:
            body["occurred_at"] = when.isoformat()
        assert api.post("/purchases", body).status_code == 201
    # When the member's points are read
    body = _points(api, member)
    # Then every point is available, worth 100 IRR, and each lot expires 12 months after its purchase
    assert {k: body[k] for k in ("balance", "available", "pending", "deficit", "value")} == {
        "balance": 500,
        "available": 500,
        "pending": 0,
        "deficit": 0,
        "value": 50_000,
    }
    expiring = _expiring(body)
    assert expiring[:2] == [(300, older.replace(year=older.year + 1)), (150, newer.replace(year=newer.year + 1))]
    assert expiring[2][0] == 50
    assert timedelta(days=364) < expiring[2][1] - timezone.now() <= timedelta(days=366)


def test_lots_expiring_at_the_same_moment_are_shown_together(member, api):
    when = _days_ago(10).isoformat()
    for amount in (1_000_000, 2_000_000):
        api.post("/purchases", {"member_id": member.id, "amount": amount, "occurred_at": when})
    assert [e["points"] for e in _points(api, member)["expiring"]] == [300]


def test_the_value_follows_the_point_value_of_the_program(member, api, merchant):
    _program(point_value_rial=250)
    add_points(member, 40, merchant=merchant)
    assert _points(api, member)["value"] == 10_000


def test_pending_points_are_not_available_until_their_day(member, api, merchant):
    # Given a program where points become available 14 days after the purchase
    _program(pending_days=14)
    api.post("/purchases", {"member_id": member.id, "amount": 1_000_000})  # today: 100 pending
    api.post(
        "/purchases", {"member_id": member.id, "amount": 2_000_000, "occurred_at": _days_ago(20).isoformat()}
    )  # 200, available since 6 days
    add_points(member, 5, merchant=merchant)  # a correction is available at once
    # Then
    body = _points(api, member)
    assert {k: body[k] for k in ("balance", "available", "pending", "value")} == {
        "balance": 305,
        "available": 205,
        "pending": 100,
        "value": 20_500,
    }
    # And pending points cannot be spent
    before = db_state(*REQUEST_WRITES)
    details = assert_error(api.post(f"/members/{member.id}/redemptions", {"points": 206}), 409, "insufficient_points")
    assert details == {"requested": 206, "available": 205, "deficit": 0}
    assert db_state(*REQUEST_WRITES) == before
    assert api.post(f"/members/{member.id}/redemptions", {"points": 205}).json()["balance_after"] == 100


def test_points_that_never_expire_are_not_in_expiring(member, api):
    _program(expiry="never")
    api.post("/purchases", {"member_id": member.id, "amount": 1_000_000})
    body = _points(api, member)
    assert (body["available"], body["expiring"]) == (100, [])


# --- POST /members/{id}/redemptions -----------------------------------------------------------


def test_a_redemption_spends_points_first_to_expire_first(member, api):
    older, newer = _days_ago(60), _days_ago(30)
    api.post("/purchases", {"member_id": member.id, "amount": 1_000_000, "occurred_at": newer.isoformat()})
    api.post("/purchases", {"member_id": member.id, "amount": 1_000_000, "occurred_at": older.isoformat()})
    response = api.post(f"/members/{member.id}/redemptions", {"points": 130})
    assert response.status_code == 201, response.content
    assert response.json() == {"points_spent": 130, "balance_after": 70, "coupon": None}
    assert balance(member) == 70
    # the lot of the older purchase is gone, 30 were taken from the newer one
    assert _expiring(_points(api, member)) == [(70, newer.replace(year=newer.year + 1))]
    line = api.get(f"/members/{member.id}/ledger").json()["items"][0]
    assert (line["kind"], line["points"], line["source_kind"]) == ("redeem", -130, "api")


def test_a_redemption_of_every_point_leaves_zero(member, api, merchant):
    add_points(member, 75, merchant=merchant)
    assert api.post(f"/members/{member.id}/redemptions", {"points": 75}).json() == {
        "points_spent": 75,
        "balance_after": 0,
        "coupon": None,
    }
    assert _points(api, member)["expiring"] == []


@pytest.mark.parametrize("lang", ["en", "fa"])
def test_redeeming_more_than_available_is_insufficient_points(member, api, merchant, lang):
    add_points(member, 75, merchant=merchant)
    before = db_state(*REQUEST_WRITES)
    details = assert_error(
        api.post(f"/members/{member.id}/redemptions", {"points": 76}, lang=lang), 409, "insufficient_points", lang=lang
    )
    assert details == {"requested": 76, "available": 75, "deficit": 0}
    assert db_state(*REQUEST_WRITES) == before


def test_a_blocked_member_cannot_redeem(member, api, merchant):
    from vafa.members.services import member_status_set

    add_points(member, 75, merchant=merchant)
    member_status_set(member=member, status="blocked")
    before = db_state(*REQUEST_WRITES)
    assert_error(api.post(f"/members/{member.id}/redemptions", {"points": 1}), 409, "member_blocked")
    assert db_state(*REQUEST_WRITES) == before


def test_a_pending_applicant_earns_but_cannot_spend(member, api, merchant):
    from vafa.members.services import member_status_set

    # Given a member whose application (closed club) is not approved yet
    member_status_set(member=member, status="pending")
    # When they buy, Then they earn
    response = api.post("/purchases", {"member_id": member.id, "amount": 1_000_000})
    assert response.status_code == 201, response.content
    assert response.json()["balance_after"] == 100
    # But they cannot spend, neither in a checkout nor in a redemption
    before = db_state(*REQUEST_WRITES)
    assert_error(
        api.post("/purchases", {"member_id": member.id, "amount": 1_000_000, "redeem_points": 10}),
        409,
        "member_pending",
    )
    assert_error(api.post(f"/members/{member.id}/redemptions", {"points": 10}), 409, "member_pending")
    assert db_state(*REQUEST_WRITES) == before


def test_a_redemption_by_reward_id_is_reward_not_found_while_there_are_no_rewards(member, api, merchant):
    add_points(member, 75, merchant=merchant)
    before = db_state(*REQUEST_WRITES)
    assert_error(api.post(f"/members/{member.id}/redemptions", {"reward_id": 3}), 404, "reward_not_found")
    assert db_state(*REQUEST_WRITES) == before


# --- POST /members/{id}/adjustments -----------------------------------------------------------


def test_a_positive_adjustment_adds_points_that_expire_like_earned_ones(member, api):
    response = api.post(f"/members/{member.id}/adjustments", {"points": 250, "reason": "جبران تأخیر ارسال"})
    assert response.status_code == 201, response.content
    assert response.json() == {"points": 250, "balance_after": 250}
    line = api.get(f"/members/{member.id}/ledger").json()["items"][0]
    assert (line["kind"], line["points"], line["memo"], line["source_kind"]) == (
        "adjust",
        250,
        "جبران تأخیر ارسال",
        "api",
    )
    [(points, expires_at)] = _expiring(_points(api, member))
    assert points == 250
    assert timedelta(days=364) < expires_at - timezone.now() <= timedelta(days=366)


def test_a_negative_adjustment_takes_points_back(member, api, merchant):
    add_points(member, 250, merchant=merchant)
    response = api.post(f"/members/{member.id}/adjustments", {"points": -100, "reason": "ثبت اشتباه"})
    assert response.status_code == 201, response.content
    assert response.json() == {"points": -100, "balance_after": 150}
    line = api.get(f"/members/{member.id}/ledger").json()["items"][0]
    assert (line["kind"], line["points"], line["memo"]) == ("adjust", -100, "ثبت اشتباه")


def test_a_negative_adjustment_may_take_pending_points(member, api):
    _program(pending_days=14)
    api.post("/purchases", {"member_id": member.id, "amount": 1_000_000})
    response = api.post(f"/members/{member.id}/adjustments", {"points": -100, "reason": "fraud"})
    assert response.json() == {"points": -100, "balance_after": 0}


def test_a_negative_adjustment_beyond_the_balance_is_insufficient_points(member, api, merchant):
    add_points(member, 250, merchant=merchant)
    before = db_state(*REQUEST_WRITES)
    details = assert_error(
        api.post(f"/members/{member.id}/adjustments", {"points": -251, "reason": "x"}), 409, "insufficient_points"
    )
    assert details["requested"] == 251
    assert db_state(*REQUEST_WRITES) == before


def test_the_reason_of_an_adjustment_is_mandatory(member, api, merchant):
    add_points(member, 250, merchant=merchant)
    before = db_state(*REQUEST_WRITES)
    for body in [{"points": -5}, {"points": 5, "reason": ""}, {"points": -5, "reason": " \t "}]:
        details = assert_error(api.post(f"/members/{member.id}/adjustments", body), 422, "validation_error")
        assert "reason" in details
    assert db_state(*REQUEST_WRITES) == before


# --- GET /members/{id}/ledger -----------------------------------------------------------------


@pytest.fixture
def five_lines(member, merchant):
    """Five adjustments of +1 ... +5 points, oldest first; answers their transfer ids, newest first."""
    from vafa.ledger.models import Transfer

    for points in range(1, 6):
        add_points(member, points, merchant=merchant)
    return list(Transfer.objects.filter(credit__member=member).order_by("-id").values_list("id", flat=True))


def test_the_ledger_is_newest_first_in_pages(member, api, five_lines):
    pages, cursor = [], None
    while True:
        response = api.get(f"/members/{member.id}/ledger?limit=2" + (f"&cursor={cursor}" if cursor else ""))
        assert response.status_code == 200, response.content
        body = response.json()
        assert set(body) == {"items", "next_cursor"}
        pages.append([(line["id"], line["points"]) for line in body["items"]])
        cursor = body["next_cursor"]
        if cursor is None:
            break
        assert isinstance(cursor, str)
    ids = five_lines
    assert pages == [[(ids[0], 5), (ids[1], 4)], [(ids[2], 3), (ids[3], 2)], [(ids[4], 1)]]


def test_a_full_last_page_has_no_next_cursor(member, api, five_lines):
    first = api.get(f"/members/{member.id}/ledger?limit=4").json()
    assert [line["points"] for line in first["items"]] == [5, 4, 3, 2]
    last = api.get(f"/members/{member.id}/ledger?limit=1&cursor={first['next_cursor']}").json()
    assert ([line["points"] for line in last["items"]], last["next_cursor"]) == ([1], None)
    everything = api.get(f"/members/{member.id}/ledger?limit=5").json()
    assert (len(everything["items"]), everything["next_cursor"]) == (5, None)


def test_the_default_page_holds_every_line_of_a_short_ledger(member, api, five_lines):
    body = api.get(f"/members/{member.id}/ledger").json()
    assert [line["id"] for line in body["items"]] == five_lines
    assert body["next_cursor"] is None


def test_the_ledger_shows_only_the_members_own_lines(member_factory, api, merchant):
    member, other = member_factory(), member_factory()
    add_points(other, 99, merchant=merchant)
    api.post("/purchases", {"member_id": member.id, "amount": 1_000_000})
    api.post(f"/members/{member.id}/redemptions", {"points": 40})
    body = api.get(f"/members/{member.id}/ledger").json()
    assert [(line["kind"], line["points"]) for line in body["items"]] == [("redeem", -40), ("earn", 100)]
    line = body["items"][1]
    assert set(line) == LEDGER_LINE_FIELDS
    assert (line["rule"], line["source_kind"], line["merchant_id"], line["reverses_id"]) == (
        "base",
        "purchase",
        merchant.id,
        None,
    )
    assert datetime.fromisoformat(line["created_at"]).tzinfo is not None


def test_an_empty_ledger(member, api):
    assert api.get(f"/members/{member.id}/ledger").json() == {"items": [], "next_cursor": None}


def test_a_cursor_past_the_oldest_line_is_an_empty_page(member, api, five_lines):
    body = api.get(f"/members/{member.id}/ledger?cursor={min(five_lines)}").json()
    assert body == {"items": [], "next_cursor": None}
