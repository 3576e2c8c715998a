"""Why a ledger line moved points, in words the member reads ("Purchase 1405/09/04")."""

from __future__ import annotations

from django.utils.translation import gettext as _

from vafa.usecases.member_history import ActivityLine
from vafa.web.templatetags.vafa import jdate


def line_reason(line: ActivityLine) -> str:
    when = jdate(line.purchase_at) if line.purchase_at else ""
    if line.kind == "expire":
        return _("Expired")
    if line.kind == "refund_reversal":
        if line.points > 0:
            return _("Given back: refund of purchase %(date)s") % {"date": when} if when else _("Given back: refund")
        return _("Taken back: refund of purchase %(date)s") % {"date": when} if when else _("Taken back: refund")
    if line.kind == "redeem":
        if line.source_kind == "reward":
            return _("Redeemed: %(reward)s") % {"reward": line.reward_name} if line.reward_name else _("Redeemed")
        if line.source_kind == "purchase" and when:
            return _("Spent on purchase %(date)s") % {"date": when}
        return _("Spent at checkout")
    if line.kind == "adjust":
        return _("Adjustment: %(reason)s") % {"reason": line.memo} if line.memo else _("Adjustment")
    if line.kind == "transfer":
        return _("Transfer")
    if line.source_kind == "survey":  # a survey's own points (memo "<survey name>: answered")
        name = line.memo.rsplit(": ", 1)[0] if line.memo else ""
        return _("Survey answered: %(name)s") % {"name": name} if name else _("Survey answered")
    if line.source_kind in ("badge", "challenge", "contest"):  # recognition; the memo is its name
        named = {"badge": _("Badge: %(name)s"), "challenge": _("Challenge completed: %(name)s"),
                 "contest": _("Contest winner: %(name)s")}[line.source_kind]
        return named % {"name": line.memo} if line.memo else _("Bonus")
    if line.source_kind == "purchase" and when:
        if line.rule_name:
            return _("%(rule)s (purchase %(date)s)") % {"rule": line.rule_name, "date": when}
        return _("Purchase %(date)s") % {"date": when}
    if line.rule_name:
        return line.rule_name
    if line.kind == "referral":
        return _("Referral bonus")
    return _("Bonus") if line.kind == "bonus" else (line.memo or _("Points"))


def with_reasons(lines: list[ActivityLine]) -> list[dict]:
    return [{"line": line, "reason": line_reason(line)} for line in lines]
