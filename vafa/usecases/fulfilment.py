"""Physical rewards, from the member's request to the doorstep: a redemption with its delivery
address, each step of its shipment, and the member told of each step.

Each of these is one transaction holding the redemption or the step (vafa.rewards), the audit
entry of a staff member's step, and the member's messages (vafa.engage, purpose `service`): an
SMS, and an e-mail when the member has an address. A message's occurrence key names the shipment
and its step (`shipment:7:sent:sms`), so a step repeated, replayed or retried messages once; a
corrected tracking code is a step of its own (`shipment:7:step:12:sms`) and is told once too.

The texts are the club's, in its default language (settings.LANGUAGE_CODE, Persian with Persian
digits unless the club says otherwise), whoever acts and in whatever language their page is: a
member reads one language from the club."""

from __future__ import annotations

from django.conf import settings
from django.db import transaction
from django.utils import translation
from django.utils.translation import gettext

from vafa.core.audit import Actor, audit_record
from vafa.core.digits import to_persian_digits
from vafa.core.money import format_points
from vafa.engage.models import Channel, Purpose
from vafa.engage.services import message_queue
from vafa.members.models import Member
from vafa.rewards.models import Redemption, Shipment
from vafa.rewards.services import StepOutcome, portal_reward_redeem, reward_redeem, shipment_step

Status = Shipment.Status


# --- redeeming a physical reward ----------------------------------------------------------------


def reward_redeem_for_member(*, member_id: int, reward_id, merchant_id: int | None = None, shipping=None,
                             by: str = "") -> Redemption:
    """`vafa.rewards.services.reward_redeem` (a till's or an integrator's), and for a physical
    reward the member's first message, in the same transaction."""
    with transaction.atomic():
        redemption = reward_redeem(member_id=member_id, reward_id=reward_id, merchant_id=merchant_id,
                                   shipping=shipping, shipped_by=by)
        _announce_request(redemption)
        return redemption


def portal_redeem(*, member_id: int, reward_id, token: str, shipping=None) -> Redemption:
    """`vafa.rewards.services.portal_reward_redeem` (once per form token), and for a physical
    reward the member's first message, in the same transaction."""
    with transaction.atomic():
        redemption = portal_reward_redeem(member_id=member_id, reward_id=reward_id, token=token, shipping=shipping)
        if not getattr(redemption, "replayed", False):
            _announce_request(redemption)
        return redemption


def _announce_request(redemption: Redemption) -> None:
    shipment = getattr(redemption, "shipment", None)
    if shipment is not None:
        shipment.redemption = redemption
        _tell(shipment, Status.REQUESTED, key=f"shipment:{shipment.pk}:{Status.REQUESTED}")


# --- the steps ----------------------------------------------------------------------------------


def shipment_advance(*, shipment_id, status: str, tracking_code: str = "", carrier: str = "", note: str = "",
                     actor: Actor | None = None, by: str = "", merchant_id: int | None = None) -> StepOutcome:
    """One step of a shipment (see vafa.rewards.shipments), with the member's message and, when a
    staff member acts (`actor`), an audit entry, all in one transaction. A step to where the
    shipment already is changes nothing and tells nobody. `by` names who acts when no `actor`
    does (an API key: its own audit entry comes with the API's answer)."""
    with transaction.atomic():
        outcome = shipment_step(shipment_id=shipment_id, status=status, tracking_code=tracking_code,
                                carrier=carrier, note=note, by=actor.name if actor is not None else by,
                                merchant_id=merchant_id)
        if not outcome.changed:
            return outcome
        shipment, step = outcome.shipment, outcome.step
        if actor is not None:
            after = {"status": shipment.status, "carrier": shipment.carrier, "tracking_code": shipment.tracking_code,
                     "note": step.note, "points_back": outcome.points_back}
            audit_record(actor=actor, action=f"shipment.{shipment.status}", target=shipment,
                         target_label=f"{shipment.redemption.reward.name} #{shipment.pk}"[:200],
                         before=outcome.before, after=after)
        key = (f"shipment:{shipment.pk}:step:{step.pk}" if outcome.corrected else
               f"shipment:{shipment.pk}:{shipment.status}")
        _tell(shipment, shipment.status, key=key, points_back=outcome.points_back, corrected=outcome.corrected)
        return outcome


# --- what the member is told ----------------------------------------------------------------------


def step_text(shipment: Shipment, status: str, *, points_back: int = 0, corrected: bool = False) -> str:
    """The member's message for this step, in the active language."""
    persian = (translation.get_language() or "").startswith("fa")

    def number(n: int) -> str:
        return to_persian_digits(str(n)) if persian else str(n)

    values = {"reward": shipment.redemption.reward.name, "number": number(shipment.pk),
              "tracking_code": shipment.tracking_code, "carrier": shipment.carrier,
              "points": format_points(points_back, "fa" if persian else "en")}
    if corrected:
        return gettext("The tracking code of “%(reward)s” is now %(tracking_code)s.") % values
    if status == Status.REQUESTED:
        return gettext("Your request for “%(reward)s” is registered (number %(number)s). "
                       "We will let you know when it is sent.") % values
    if status == Status.PREPARING:
        return gettext("“%(reward)s” is being prepared to be sent to you.") % values
    if status == Status.SENT:
        if shipment.carrier:
            return gettext("“%(reward)s” has been sent by %(carrier)s. Tracking code: %(tracking_code)s") % values
        return gettext("“%(reward)s” has been sent. Tracking code: %(tracking_code)s") % values
    if status == Status.DELIVERED:
        return gettext("“%(reward)s” has been delivered. We hope you enjoy it!") % values
    if points_back:
        return gettext("Sending “%(reward)s” was cancelled; its %(points)s points are back in your account.") % values
    return gettext("Sending “%(reward)s” was cancelled.") % values


def _tell(shipment: Shipment, status: str, *, key: str, points_back: int = 0, corrected: bool = False) -> None:
    member = Member.objects.only("pk", "email").get(pk=shipment.redemption.member_id)
    with translation.override(settings.LANGUAGE_CODE):
        text = step_text(shipment, status, points_back=points_back, corrected=corrected)
        subject = gettext("Your reward: %(reward)s") % {"reward": shipment.redemption.reward.name}
    message_queue(member_id=member.pk, channel=Channel.SMS, purpose=Purpose.SERVICE, text=text, key=f"{key}:sms")
    if member.email:
        message_queue(member_id=member.pk, channel=Channel.EMAIL, purpose=Purpose.SERVICE, text=text,
                      subject=subject[:200], key=f"{key}:email")
