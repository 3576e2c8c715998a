"""When spending a member's points needs the member's proof of presence, and checking it.

A partner (any merchant but the club's operator) always needs it; the operator only above
`VAFA_OPERATOR_SPEND_PROOF_ABOVE` points (0: never). The proof is a spend code the member shows
in the portal or receives by SMS (vafa.members.spend_codes)."""

from django.conf import settings

from vafa.commerce.selectors import purchase_with_external_id
from vafa.core.errors import Forbidden
from vafa.members import selectors as members
from vafa.members.services import spend_code_check, spend_code_use
from vafa.merchants.services import operator_id


def spend_proof_needed(*, merchant_id: int, points: int) -> bool:
    if points <= 0:
        return False
    if merchant_id != operator_id():
        return True
    above = settings.OPERATOR_SPEND_PROOF_ABOVE
    return bool(above) and points > above


def spend_proof_asked(*, merchant_id: int) -> bool:
    """Whether this merchant's till ever asks for the member's code (to show the field)."""
    return merchant_id != operator_id() or bool(settings.OPERATOR_SPEND_PROOF_ABOVE)


def spend_proof_check(*, merchant_id: int, member_id, code, points: int) -> int | None:
    """The checked code's id when a proof is needed (None when not), or `Forbidden` with the
    wrong try counted. Use the id with `spend_proof_use` in the spend's transaction."""
    if not spend_proof_needed(merchant_id=merchant_id, points=points):
        return None
    member = members.member_get(member_id=member_id)
    return spend_code_check(member_id=member.pk, code=code)


def purchase_spend_proof(*, merchant_id: int, purchase, code) -> int | None:
    """A purchase's proof. A retry of a purchase already recorded (same `external_id`) needs none:
    recording it again only replays it or refuses it, it spends nothing twice."""
    if not spend_proof_needed(merchant_id=merchant_id, points=purchase.redeem_points):
        return None
    member_id = purchase.member_id
    if member_id is None:
        member = members.member_find_by_phone(phone=purchase.phone)
        if member is None:
            return None  # the purchase itself answers member_not_found
        member_id = member.pk
    try:
        return spend_code_check(member_id=member_id, code=code)
    except Forbidden:
        if purchase.external_id and purchase_with_external_id(merchant_id=merchant_id,
                                                              external_id=purchase.external_id):
            return None
        raise


def spend_proof_use(*, proof: int | None, merchant_id: int) -> None:
    if proof is not None:
        spend_code_use(proof=proof, merchant_id=merchant_id)
