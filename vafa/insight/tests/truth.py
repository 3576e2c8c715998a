"""The figures computed another way: row by row from the sources, in Python, with the module's
definitions (vafa/insight/selectors.py) and none of the rollups' SQL. Tests compare the two."""

from __future__ import annotations

from collections import Counter, defaultdict
from dataclasses import dataclass, field
from datetime import datetime, timedelta

from vafa.commerce.models import Purchase
from vafa.core.jalali import jalali_month_key
from vafa.ledger.models import Account, Transfer
from vafa.members.models import Member, MemberScore
from vafa.program.models import MemberTier, TierChange
from vafa.rewards.models import Redemption

EARNING = {"earn", "bonus", "referral"}


def month_of(moment: datetime) -> int:
    year, month = jalali_month_key(moment).split("-")
    return int(year) * 100 + int(month)


def counts(p: Purchase) -> bool:
    return not (p.amount > 0 and p.refunded_amount >= p.amount)


@dataclass
class Truth:
    points: dict[int, Counter] = field(default_factory=lambda: defaultdict(Counter))
    joined: Counter = field(default_factory=Counter)
    buyers: dict[int, set] = field(default_factory=lambda: defaultdict(set))
    purchases: Counter = field(default_factory=Counter)
    spend: Counter = field(default_factory=Counter)
    cohort_buyers: dict[tuple[int, int], set] = field(default_factory=lambda: defaultdict(set))
    ups: Counter = field(default_factory=Counter)
    downs: Counter = field(default_factory=Counter)
    per_member: Counter = field(default_factory=Counter)
    last_at: dict[int, datetime] = field(default_factory=dict)
    spend_of: Counter = field(default_factory=Counter)
    rewards: dict[int, dict[int, list[int]]] = field(default_factory=lambda: defaultdict(dict))
    joining: dict = field(default_factory=dict)

    def issued(self, month: int | None = None) -> int:
        rows = [self.points[month]] if month is not None else list(self.points.values())
        return sum(r["earned"] + r["adjusted"] - r["reversed"] for r in rows)

    def spent(self, month: int | None = None) -> int:
        rows = [self.points[month]] if month is not None else list(self.points.values())
        return sum(r["redeemed"] - r["returned"] for r in rows)

    def expired(self, month: int | None = None) -> int:
        rows = [self.points[month]] if month is not None else list(self.points.values())
        return sum(r["expired"] for r in rows)


def truth(now: datetime) -> Truth:
    t = Truth()
    roles = dict(Account.objects.values_list("id", "role"))
    occurred = dict(Purchase.objects.values_list("id", "occurred_at"))
    for tr in Transfer.objects.all():
        into = roles[tr.credit_id] == "member" and roles[tr.debit_id] != "member"
        out = roles[tr.debit_id] == "member" and roles[tr.credit_id] != "member"
        if tr.kind == "transfer" or not (into or out):
            continue
        moment = tr.created_at
        if tr.kind in EARNING and tr.source_kind == "purchase" and tr.source_id in occurred:
            moment = occurred[tr.source_id]
        row = t.points[month_of(moment)]
        if tr.kind in EARNING and into:
            row["earned"] += tr.amount
        elif tr.kind == "adjust":
            row["adjusted"] += tr.amount if into else -tr.amount
        elif tr.kind == "refund_reversal":
            row["returned" if into else "reversed"] += tr.amount
        elif tr.kind == "redeem" and out:
            row["redeemed"] += tr.amount
        elif tr.kind == "expire" and out:
            row["expired"] += tr.amount
    members = {m.pk: m for m in Member.objects.all()}
    for m in members.values():
        t.joined[month_of(m.joined_at)] += 1
    before = defaultdict(lambda: {"n": 0, "rial": 0, "first": None, "after_n": 0, "after_rial": 0})
    for p in Purchase.objects.all():
        member = members[p.member_id]
        net = p.amount - p.refunded_amount
        month = month_of(p.occurred_at)
        t.spend_of[p.member_id] += net
        t.spend[month] += net
        b = before[p.member_id]
        if p.occurred_at < member.joined_at:
            b["rial"] += net
        else:
            b["after_rial"] += net
        if not counts(p):
            continue
        t.purchases[month] += 1
        t.buyers[month].add(p.member_id)
        t.cohort_buyers[(month_of(member.joined_at), month)].add(p.member_id)
        t.per_member[p.member_id] += 1
        if p.member_id not in t.last_at or p.occurred_at > t.last_at[p.member_id]:
            t.last_at[p.member_id] = p.occurred_at
        if p.occurred_at < member.joined_at:
            b["n"] += 1
            b["first"] = min(b["first"] or p.occurred_at, p.occurred_at)
        else:
            b["after_n"] += 1
    chosen = [(m, b) for m, b in before.items() if b["n"] > 0]
    t.joining = {
        "members": len(chosen),
        "before_purchases": sum(b["n"] for _m, b in chosen),
        "before_rial": sum(b["rial"] for _m, b in chosen),
        "before_days": sum((members[m].joined_at - b["first"]).total_seconds() for m, b in chosen) / 86400,
        "after_purchases": sum(b["after_n"] for _m, b in chosen),
        "after_rial": sum(b["after_rial"] for _m, b in chosen),
        "after_days": sum((now - members[m].joined_at).total_seconds() for m, _b in chosen) / 86400,
    }
    for change in TierChange.objects.select_related("from_tier", "to_tier"):
        was = change.from_tier.rank if change.from_tier else 0
        now_rank = change.to_tier.rank if change.to_tier else 0
        if now_rank > was:
            t.ups[month_of(change.changed_at)] += 1
        elif now_rank < was:
            t.downs[month_of(change.changed_at)] += 1
    for r in Redemption.objects.filter(free=False):
        n = t.rewards[month_of(r.created_at)].setdefault(r.reward_id, [0, 0])
        n[0] += 1
        n[1] += r.points
    return t


def active(t: Truth, now: datetime, days: int) -> int:
    since = now - timedelta(days=days)
    return sum(1 for at in t.last_at.values() if since < at <= now)


def rfm_cells() -> dict[tuple[int, int], tuple[int, int]]:
    """(r, f) -> (members, their spend to date), from the scores and the purchases."""
    spend = Counter()
    for p in Purchase.objects.all():
        spend[p.member_id] += p.amount - p.refunded_amount
    cells: dict[tuple[int, int], list[int]] = defaultdict(lambda: [0, 0])
    for s in MemberScore.objects.filter(rfm_r__isnull=False, rfm_f__isnull=False):
        cells[(s.rfm_r, s.rfm_f)][0] += 1
        cells[(s.rfm_r, s.rfm_f)][1] += spend[s.member_id]
    return {k: (v[0], v[1]) for k, v in cells.items()}


def assert_matches(figures, joining, grid, now: datetime) -> None:
    """Every figure of the dashboard (and of the joining report and the RFM grid) equals the
    figures row by row."""
    import pytest

    t = truth(now)
    for m in figures.points_by_month:
        n = m.month.number
        assert (m.issued, m.spent, m.expired) == (t.issued(n), t.spent(n), t.expired(n)), m.month.key
    for m in figures.purchases_by_month:
        n = m.month.number
        assert (m.buyers, m.purchases, m.joined) == (len(t.buyers[n]), t.purchases[n], t.joined[n]), m.month.key
        # a month's spend: the net amounts of its purchases that count (those refunded in full are 0)
        assert m.amount_rial == t.spend[n], m.month.key
    for m in figures.new_members_by_month:
        assert m.joined == t.joined[m.month.number]
    for c in figures.cohorts:
        later = [m for m in figures.months if m.number >= c.month.number]
        assert c.size == t.joined[c.month.number]
        assert c.buyers == [len(t.cohort_buyers[(c.month.number, m.number)]) for m in later], c.month.key
    assert [(m.ups, m.downs) for m in figures.tier_moves] == [(t.ups[m.number], t.downs[m.number])
                                                              for m in figures.months]
    assert figures.members_total == Member.objects.count()
    assert figures.members_active == active(t, now, 90)
    assert (figures.rates.buyers, figures.rates.repeat_buyers) == (
        sum(1 for n in t.per_member.values() if n >= 1), sum(1 for n in t.per_member.values() if n >= 2))
    assert (figures.breakage.issued, figures.breakage.spent, figures.breakage.expired) == (
        t.issued(), t.spent(), t.expired())
    balances = sum(Account.objects.filter(role="member").values_list("balance", flat=True))
    assert balances == t.issued() - t.spent() - t.expired()
    window = {m.number for m in figures.months}
    chosen: dict[int, list[int]] = defaultdict(lambda: [0, 0])
    for month, rewards in t.rewards.items():
        for reward_id, (n, points) in rewards.items():
            if month in window:
                chosen[reward_id][0] += n
                chosen[reward_id][1] += points
    top = sorted(chosen.items(), key=lambda kv: (-kv[1][0], -kv[1][1], kv[0]))[:5]
    assert [(r.reward_id, r.redemptions, r.points) for r in figures.top_rewards] == [(k, n, p) for k, (n, p) in top]
    assert (joining.members, joining.before_purchases, joining.before_rial, joining.after_purchases,
            joining.after_rial) == tuple(t.joining[k] for k in ("members", "before_purchases", "before_rial",
                                                                "after_purchases", "after_rial"))
    assert (joining.before_days, joining.after_days) == (pytest.approx(t.joining["before_days"]),
                                                         pytest.approx(t.joining["after_days"]))
    assert {k: (c.members, c.spend_rial) for k, c in grid.cells.items()} == rfm_cells()


def tiers_truth(months, tiers) -> dict:
    """Per tier shown: buyers, purchases, spend counted from the purchases one by one."""
    shown = {m.number for m in months}
    tier_of = dict(MemberTier.objects.values_list("member_id", "tier_id"))
    buyers, purchases, spend = defaultdict(set), Counter(), Counter()
    for p in Purchase.objects.all():
        if month_of(p.occurred_at) in shown and counts(p):
            tier = tier_of.get(p.member_id)
            buyers[tier].add(p.member_id)
            purchases[tier] += 1
            spend[tier] += p.amount - p.refunded_amount
    return {tier: (len(buyers[tier]), purchases[tier], spend[tier]) for tier in tiers}


def tiers_shown(compared) -> dict:
    """selectors.tiers_compared's figures, as tiers_truth counts them."""
    return {t.tier_id: (t.figures.buyers, t.figures.purchases, t.figures.spend_rial) for t in compared}
