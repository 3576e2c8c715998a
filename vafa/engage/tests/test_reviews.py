"""Reviews: a member reviews one of their own purchases once (1 to 5 stars), the `review` rules
award once per purchase, someone else's purchase is refused as unknown, staff hide a review."""

import pytest

from vafa.core.audit import Actor
from vafa.core.errors import PurchaseNotFound, ReviewExists, ReviewNotFound, ValidationFailed
from vafa.core.models import AuditEntry
from vafa.core.tests.fixtures import assert_ledger_ok, balance, db_state
from vafa.engage import selectors as engage
from vafa.engage import services as engaging
from vafa.engage.models import Review
from vafa.ledger.models import Lot, Transfer
from vafa.member_events.models import Event
from vafa.program.rules import rule_create

pytestmark = pytest.mark.django_db
WRITES = (Review, Transfer, Lot, Event)


@pytest.fixture
def buy(buy):
    """buy(member, amount): the recorded purchase."""
    return lambda member, amount: buy(member, amount).purchase


@pytest.fixture
def review_rule(db):
    return rule_create(data={"name": "Thanks for the review", "status": "live", "trigger": "review",
                             "effect": {"type": "fixed_points", "points": 20}})


def test_a_review_earns_by_the_review_rule_once_per_purchase(member, buy, review_rule):
    purchase = buy(member, 1_000_000)
    earned = balance(member)
    review = engaging.review_create(member_id=member.pk, data={"purchase_id": purchase.pk, "rating": 4,
                                                                "text": "  Fresh tea  "})
    assert (review.rating, review.text, review.status, review.points_awarded) == (4, "Fresh tea", "published", 20)
    assert balance(member) == earned + 20
    event = Event.objects.get(type="review")
    assert (event.key, event.points_earned, event.properties) == (
        f"review:purchase:{purchase.pk}", 20, {"purchase_id": purchase.pk, "review_id": review.pk, "rating": 4})
    before = db_state(*WRITES)
    with pytest.raises(ReviewExists) as refused:
        engaging.review_create(member_id=member.pk, data={"purchase_id": purchase.pk, "rating": 1})
    assert refused.value.details == {"purchase_id": purchase.pk}
    assert db_state(*WRITES) == before and balance(member) == earned + 20
    assert engage.reviews_points([review]) == {review.pk: 20}
    assert_ledger_ok()


def test_each_purchase_is_reviewed_on_its_own(member, buy, review_rule):
    first, second = buy(member, 500_000), buy(member, 700_000)
    start = balance(member)
    for purchase in (first, second):
        engaging.review_create(member_id=member.pk, data={"purchase_id": purchase.pk, "rating": 5})
    assert balance(member) == start + 40
    assert engage.member_reviewed_purchases(member_id=member.pk, purchase_ids=[first.pk, second.pk, 999]).keys() == {
        first.pk, second.pk}


def test_someone_elses_purchase_is_refused_as_unknown(member_factory, buy, review_rule):
    owner, stranger = member_factory(), member_factory()
    purchase = buy(owner, 1_000_000)
    before = db_state(*WRITES)
    for raw in (purchase.pk, 999_999):
        with pytest.raises(PurchaseNotFound):
            engaging.review_create(member_id=stranger.pk, data={"purchase_id": raw, "rating": 5})
    assert db_state(*WRITES) == before and balance(stranger) == 0


@pytest.mark.parametrize(("data", "details"), [
    ({"purchase_id": "P", "rating": 0}, {"rating": "an integer from 1 to 5 (stars)"}),
    ({"purchase_id": "P", "rating": 6}, {"rating": "an integer from 1 to 5 (stars)"}),
    ({"purchase_id": "P", "rating": "5"}, {"rating": "an integer from 1 to 5 (stars)"}),
    ({"purchase_id": "P"}, {"rating": "an integer from 1 to 5 (stars)"}),
    ({"purchase_id": "P", "rating": 3, "text": "x" * 2001}, {"text": "a text of at most 2000 characters"}),
    ({"purchase_id": "P", "rating": 3, "stars": 3}, {"stars": "unknown field"}),
])
def test_bad_reviews_are_refused_and_change_nothing(member, buy, review_rule, data, details):
    purchase = buy(member, 1_000_000)
    data = {k: (purchase.pk if v == "P" else v) for k, v in data.items()}
    before = db_state(*WRITES)
    with pytest.raises(ValidationFailed) as refused:
        engaging.review_create(member_id=member.pk, data=data)
    assert refused.value.details == details
    assert db_state(*WRITES) == before


def test_staff_hide_and_publish_a_review_and_the_points_stay(member, buy, review_rule, django_user_model):
    purchase = buy(member, 1_000_000)
    review = engaging.review_create(member_id=member.pk, data={"purchase_id": purchase.pk, "rating": 1,
                                                                "text": "rude"})
    kept = balance(member)
    user = django_user_model.objects.create_user(username="boss", password="x")
    actor = Actor(user=user)
    assert engaging.review_hide(review_id=review.pk, actor=actor).status == "hidden"
    assert engaging.review_hide(review_id=review.pk, actor=actor).status == "hidden"  # twice: nothing more
    assert [e.action for e in AuditEntry.objects.order_by("pk")] == ["review.hide"]
    assert balance(member) == kept
    rows, cursor = engage.review_list(status="hidden")
    assert [r.pk for r in rows] == [review.pk] and cursor is None
    assert engage.review_list(status="published")[0] == []
    assert engaging.review_publish(review_id=review.pk, actor=actor).status == "published"
    with pytest.raises(ReviewNotFound):
        engaging.review_hide(review_id="nope")


def test_reviews_are_listed_newest_first_and_paged(member, buy):
    reviews = [engaging.review_create(member_id=member.pk, data={"purchase_id": buy(member, 100_000).pk,
                                                                  "rating": n}) for n in (1, 2, 3)]
    page, cursor = engage.review_list(limit=2)
    assert [r.pk for r in page] == [reviews[2].pk, reviews[1].pk] and cursor == reviews[1].pk
    page, cursor = engage.review_list(limit=2, before_id=cursor)
    assert [r.pk for r in page] == [reviews[0].pk] and cursor is None
    assert [r.pk for r in engage.review_list(rating=2)[0]] == [reviews[1].pk]
    shown = engage.member_feedback(member_id=member.pk)["reviews"]
    assert [(r["review"].pk, r["points"]) for r in shown] == [(r.pk, 0) for r in reversed(reviews)]
