"""History: every ledger line with why, purchases with their refunds, coupons and gift cards."""

from django.utils import timezone

from vafa.commerce.selectors import member_purchases
from vafa.engage.selectors import member_reviewed_purchases
from vafa.rewards.selectors import coupon_state, gift_card_state, member_coupons, member_gift_cards
from vafa.usecases.member_history import member_activity
from vafa.web.portal.common import cursor_param, page, portal_member
from vafa.web.reasons import with_reasons

PAGE = 20


@portal_member
def history_view(request):
    member = request.member
    lines, next_cursor = member_activity(member_id=member.pk, limit=PAGE, before_id=cursor_param(request))
    return page(request, "history.html", {"lines": with_reasons(lines), "next_cursor": next_cursor,
                                          "first_page": cursor_param(request) is None}, nav="history")


@portal_member
def purchases_view(request):
    purchases, next_cursor = member_purchases(member_id=request.member.pk, limit=PAGE,
                                              before_id=cursor_param(request))
    reviews = member_reviewed_purchases(member_id=request.member.pk, purchase_ids=[p.pk for p in purchases])
    for purchase in purchases:
        purchase.member_review = reviews.get(purchase.pk)  # shown with a "review this purchase" link
    return page(request, "purchases.html", {"purchases": purchases, "next_cursor": next_cursor,
                                            "first_page": cursor_param(request) is None}, nav="history")


@portal_member
def wallet_view(request):
    now = timezone.now()
    member = request.member
    coupons = [{"coupon": c, "state": coupon_state(c, now)} for c in member_coupons(member_id=member.pk, limit=200)]
    cards = [{"card": g, "state": gift_card_state(g, now)} for g in member_gift_cards(member_id=member.pk, limit=200)]
    return page(request, "wallet.html", {"coupons": coupons, "cards": cards}, nav="history")
