"""Reviews: a member rates one of their own purchases (1 to 5 stars, a text if they like), once
per purchase, and the `review` trigger is recorded once for it (key `review:purchase:<id>`), so
live `review` rules award what they say. Staff may hide a review (and publish it again); a
hidden review keeps what it earned.

A purchase that is not the member's is answered as one that does not exist
(`purchase_not_found`): a member learns nothing of anyone else's purchases."""

from __future__ import annotations

from datetime import datetime

from django.db import IntegrityError, transaction
from django.db.models import QuerySet
from django.utils import timezone

from vafa.commerce.models import Purchase
from vafa.core.audit import Actor, audit_change
from vafa.core.errors import PurchaseNotFound, ReviewExists, ReviewNotFound, ValidationFailed
from vafa.core.events import publish
from vafa.core.ids import parse_id
from vafa.core.inputs import validated
from vafa.engage.events import ReviewWritten
from vafa.engage.inputs import ReviewInput
from vafa.engage.models import Review
from vafa.ledger.services import book_open, ensure_not_blocked
from vafa.member_events.models import Event
from vafa.member_events.services import trigger_once
from vafa.members.selectors import parse_member_id


def review_get(*, review_id) -> Review:
    review = Review.objects.select_related("member", "purchase").filter(
        pk=parse_id(review_id, ReviewNotFound)).first()
    if review is None:
        raise ReviewNotFound(details={"id": str(review_id)[:64]})
    return review


def review_list(*, status: str | None = None, member_id=None, rating: int | None = None,
                before_id: int | None = None, limit: int = 50) -> tuple[list[Review], int | None]:
    """Reviews, newest first, filtered; answers the page and the cursor of the next one."""
    rows = Review.objects.select_related("member", "purchase")
    if status:
        if status not in Review.Status.values:
            raise ValidationFailed(details={"status": "published or hidden"})
        rows = rows.filter(status=status)
    if member_id is not None:
        rows = rows.filter(member_id=parse_member_id(member_id))
    if rating is not None:
        rows = rows.filter(rating=rating)
    if before_id is not None:
        rows = rows.filter(pk__lt=before_id)
    found = list(rows.order_by("-id")[:limit + 1])
    page = found[:limit]
    return page, (page[-1].pk if len(found) > limit else None)


def member_reviews(*, member_id: int, limit: int = 20) -> QuerySet[Review]:
    return Review.objects.filter(member_id=member_id).select_related("purchase").order_by("-id")[:limit]


def member_reviewed_purchases(*, member_id: int, purchase_ids: list[int]) -> dict[int, Review]:
    """{purchase id: review} of those of these purchases the member has reviewed."""
    return {r.purchase_id: r for r in Review.objects.filter(member_id=member_id, purchase_id__in=purchase_ids)}


def member_purchase(*, member_id: int, purchase_id) -> Purchase:
    """One of the member's own purchases; any other id is `purchase_not_found`."""
    purchase = Purchase.objects.filter(pk=parse_id(purchase_id, PurchaseNotFound), member_id=member_id).first()
    if purchase is None:
        raise PurchaseNotFound(details={"id": str(purchase_id)[:64]})
    return purchase


def review_create(*, member_id, data, now: datetime | None = None) -> Review:
    """The member's review of one of their purchases (`purchase_id`, `rating` 1-5, `text`), and
    the `review` trigger's awards, in one transaction. A second review of the purchase is
    `review_exists` and changes nothing."""
    asked = validated(ReviewInput, data)
    pk = parse_member_id(member_id)
    now = now or timezone.now()
    try:
        with transaction.atomic():
            book = book_open(member_id=pk)  # the member's lock: a second review waits, then sees the first
            purchase = member_purchase(member_id=pk, purchase_id=asked.purchase_id)
            if Review.objects.filter(purchase=purchase).exists():
                raise ReviewExists(details={"purchase_id": purchase.pk})
            ensure_not_blocked(book)
            review = Review.objects.create(member_id=pk, purchase=purchase, rating=asked.rating, text=asked.text,
                                           created_at=now)
            event = trigger_once(member_id=pk, event_type="review", key=review_key(purchase.pk), at=now,
                                 properties={"purchase_id": purchase.pk, "review_id": review.pk,
                                             "rating": asked.rating})
            review.points_awarded = event.points_earned if event is not None else 0
            publish(ReviewWritten(review_id=review.pk, member_id=pk, purchase_id=purchase.pk, rating=review.rating,
                                  points_awarded=review.points_awarded, written_at=now))
            return review
    except IntegrityError:
        # The purchase's one review row, written by a concurrent request (SQLite: no lock to wait on).
        if transaction.get_connection().in_atomic_block:
            raise
        raise ReviewExists(details={"purchase_id": asked.purchase_id}) from None


def _set_status(review_id, status: str, actor: Actor | None) -> Review:
    with transaction.atomic():
        review = Review.objects.select_for_update().get(pk=review_get(review_id=review_id).pk)
        before = review.status
        if before != status:
            review.status = status
            review.save(update_fields=["status"])
            audit_change(actor=actor, action=f"review.{'hide' if status == Review.Status.HIDDEN else 'publish'}",
                         target=review, before={"status": before}, after={"status": status})
        return review


def review_hide(*, review_id, actor: Actor | None = None) -> Review:
    """Hidden from wherever reviews are shown; what it earned stays. Hiding twice changes nothing."""
    return _set_status(review_id, Review.Status.HIDDEN, actor)


def review_publish(*, review_id, actor: Actor | None = None) -> Review:
    return _set_status(review_id, Review.Status.PUBLISHED, actor)


def review_key(purchase_id: int) -> str:
    return f"review:purchase:{purchase_id}"


def reviews_points(reviews) -> dict[int, int]:
    """{review id: points its `review` event earned} (one query)."""
    by_key = {review_key(r.purchase_id): r.pk for r in reviews}
    rows = Event.objects.filter(key__in=list(by_key)).values_list("key", "points_earned") if by_key else []
    return {by_key[key]: points for key, points in rows}
