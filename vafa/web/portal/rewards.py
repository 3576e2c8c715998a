"""The rewards catalogue, redeeming with a confirmation step, and what a redemption gave."""

from __future__ import annotations

import secrets

import segno
from django.http import Http404
from django.shortcuts import redirect
from django.utils import timezone
from django.utils.html import escape
from django.utils.safestring import mark_safe
from django.utils.translation import gettext as _
from django.views.decorators.http import require_http_methods

from vafa.core.errors import ApplicationError, NotFound
from vafa.members.models import Member
from vafa.program.models import Reward
from vafa.rewards import selectors as catalogue
from vafa.rewards.selectors import coupon_state, gift_card_state, grouped, member_catalogue, member_redemption
from vafa.usecases.fulfilment import portal_redeem
from vafa.web.portal.common import error_text, page, portal_member
from vafa.web.portal.shipping import reward_ships, shipment_progress, shipping_form_for
from vafa.web.templatetags.vafa import jdate

TOKENS = "portal_redeem_tokens"
MAX_TOKENS = 20


def unavailable_text(reason: dict | None) -> str:
    code = (reason or {}).get("reason")
    texts = {
        catalogue.INACTIVE: _("Not offered at the moment."),
        catalogue.ENDED: _("This offer has ended."),
        catalogue.MEMBER_KIND: _("Not offered to your kind of membership."),
        catalogue.TIER: _("For members of a higher tier."),
        catalogue.PLAN: _("For members of a paid plan."),
        catalogue.OUT_OF_STOCK: _("Out of stock."),
        catalogue.LIMIT_REACHED: _("You have taken this reward as often as allowed."),
    }
    if code == catalogue.NOT_STARTED and reason.get("starts_at"):
        from datetime import datetime

        return _("Available from %(date)s.") % {"date": jdate(datetime.fromisoformat(reason["starts_at"]))}
    return texts.get(code, _("Not available to you now."))


def qr_svg(text: str, label: str) -> str:
    """A QR code of `text` as inline SVG (drawn on the server), named for screen readers."""
    svg = segno.make(text, error="m", micro=False).svg_inline(scale=1, border=4, omitsize=True, light="#fff")
    return mark_safe(svg.replace("<svg ", f'<svg role="img" aria-label="{escape(label)}" ', 1))


@portal_member
def catalogue_view(request):
    member = request.member
    available, entries = member_catalogue(member_id=member.pk)
    now_list, saving, unavailable = [], [], []
    for entry in entries:
        reward = entry.reward
        if not entry.available:
            unavailable.append({"reward": reward, "reason": unavailable_text(entry.reason)})
        elif entry.affordable:
            now_list.append({"reward": reward})
        else:
            have = max(available, 0)
            saving.append({"reward": reward, "needed": reward.cost_points - have,
                           "percent": round(100 * have / reward.cost_points) if reward.cost_points else 100})
    return page(request, "rewards.html", {
        "available": available, "now_list": now_list, "saving": saving, "unavailable": unavailable,
        "can_spend": member.status == Member.Status.ACTIVE,
    }, nav="rewards")


def _issue_token(request) -> str:
    token = secrets.token_urlsafe(24)
    tokens = [t for t in request.session.get(TOKENS, []) if isinstance(t, str)][-(MAX_TOKENS - 1):]
    request.session[TOKENS] = [*tokens, token]
    return token


def _confirm_context(request, reward_id, data=None) -> dict:
    member = request.member
    available, entries = member_catalogue(member_id=member.pk)
    entry = next((e for e in entries if str(e.reward.pk) == str(reward_id)), None)
    if entry is None:
        raise Http404
    problem = ""
    if member.status != Member.Status.ACTIVE:
        problem = _("You can spend points once your membership is approved.")
    elif not entry.available:
        problem = unavailable_text(entry.reason)
    elif not entry.affordable:
        problem = _("You need %(n)s more points for this reward.") % {
            "n": _points(entry.reward.cost_points - max(available, 0))}
    context = {"reward": entry.reward, "available": available, "after": available - entry.reward.cost_points,
               "problem": problem}
    if entry.reward.ships and not problem:  # a physical reward: where to send it
        context["shipping_form"] = shipping_form_for(member, data=data)
    return context


def _points(n: int) -> str:
    from vafa.web.templatetags.vafa import points

    return points(n)


@portal_member
@require_http_methods(["GET", "POST"])
def redeem_view(request, reward_id: int):
    if request.method == "GET":
        context = _confirm_context(request, reward_id)
        if not context["problem"]:
            context["token"] = _issue_token(request)
        return page(request, "redeem_confirm.html", context, status=409 if context["problem"] else 200,
                    nav="rewards")
    token = request.POST.get("token", "")
    if token not in request.session.get(TOKENS, []):
        context = _confirm_context(request, reward_id, data=request.POST)
        context["error"] = _("This confirmation has expired. Please confirm again.")
        if not context["problem"]:
            context["token"] = _issue_token(request)
        return page(request, "redeem_confirm.html", context, status=409, nav="rewards")
    shipping = None
    if reward_ships(reward_id):
        form = shipping_form_for(request.member, data=request.POST)
        if not form.is_valid():
            context = _confirm_context(request, reward_id, data=request.POST)
            context["token"] = token  # not used yet: the corrected form goes with it
            return page(request, "redeem_confirm.html", context, status=409 if context["problem"] else 422,
                        nav="rewards")
        shipping = form.shipping()
    try:
        redemption = portal_redeem(member_id=request.member.pk, reward_id=reward_id, token=token, shipping=shipping)
    except NotFound:
        raise Http404 from None
    except ApplicationError as error:
        context = _confirm_context(request, reward_id, data=request.POST)
        context["error"] = error_text(error)
        context["error_code"] = error.code
        if not context["problem"]:
            context["token"] = _issue_token(request)
        return page(request, "redeem_confirm.html", context, status=error.status if error.status >= 400 else 409,
                    nav="rewards")
    return redirect("portal:redemption", redemption_id=redemption.pk)


def _gift(redemption) -> dict:
    """What a redemption gave, ready for the page: kind, code (as shown and as encoded), QR."""
    now = timezone.now()
    coupon = getattr(redemption, "coupon", None)
    card = getattr(redemption, "gift_card", None)
    partner = getattr(redemption, "partner_code", None)
    if coupon is not None:
        return {"kind": "coupon", "item": coupon, "code": grouped(coupon.code), "state": coupon_state(coupon, now),
                "qr": qr_svg(coupon.code, _("QR code of the coupon code"))}
    if card is not None:
        return {"kind": "gift_card", "item": card, "code": grouped(card.code), "state": gift_card_state(card, now),
                "qr": qr_svg(card.code, _("QR code of the gift card code"))}
    if partner is not None:
        return {"kind": "partner_code", "item": partner, "code": partner.code, "state": "active",
                "qr": qr_svg(partner.code, _("QR code of the partner code"))}
    shipment = getattr(redemption, "shipment", None)
    if shipment is not None:  # a physical reward: where it is on its way
        return {"kind": "shipment", "item": shipment, "steps": shipment_progress(shipment)}
    if redemption.reward.kind == Reward.Kind.CHARITY:
        return {"kind": "charity"}
    return {"kind": "other", "qr": qr_svg(f"VAFA-R{redemption.pk}", _("QR code of the redemption number"))}


@portal_member
def redemption_view(request, redemption_id: int):
    redemption = member_redemption(member_id=request.member.pk, redemption_id=redemption_id)
    if redemption is None:
        raise Http404
    return page(request, "redemption.html", {"redemption": redemption, "reward": redemption.reward,
                                             "gift": _gift(redemption)}, nav="rewards")
