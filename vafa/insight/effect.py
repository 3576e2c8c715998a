"""Programme effect: what each earning rule, reward and campaign cost and what followed, nightly
into ProgrammeEffect (one row per rule, reward or campaign; all replaced in one transaction).

Definitions (the report "programme-effect" and the dashboard's table show these; tests pin them):

- **Period**: the `PERIOD_DAYS` (365) days up to `now`. A member **received** an item when:
  a rule: an `earn`, `bonus` or `referral` transfer to their account with that rule
  (`Transfer.rule`: the rule's id, or "base" for the base earning), at the time of the purchase
  it was earned on (`occurred_at`, so imported history counts when it happened) or of the event
  (a join award: when the member joined), else the transfer's own time; a reward: a
  redemption of it (`Redemption.created_at`); a campaign: a message of it that was sent
  (`sent` or `delivered`, at `sent_at`). Each recipient's
  **reference time** is their FIRST receipt in the period.
- **Cost**: a rule's points given in the period (gross: what refunds took back later is not
  subtracted) x the point value of the live program; a reward's
  points spent x the point value (the discounts its coupons gave at checkout in `figures`
  "discount_rial"); a campaign's SMS parts sent x `SMS_PRICE_PER_PART_RIAL` (e-mail costs 0).
- **What followed**: purchases that count (not refunded in full) in the `window_days` (30) after
  the reference time (strictly after it, so the purchase a rule fired on is not its own effect;
  and not after `now`): a buyer is a member with one, spend is their amount net of refunds.
- **Comparable members** (the matching): active members (not blocked, pending or erased) who had
  not received the item by their reference time (they may later: otherwise a rule that fires on
  every purchase would leave only members who bought nothing to compare with), had joined by
  then, and fall in the same stratum as recipients. A stratum is
  the nightly RFM recency and frequency quintiles (`MemberScore.rfm_r`, `rfm_f`; no score is its
  own stratum 0/0; the latest scores for both groups, as scores are not kept per day) and whether
  the member bought in the `BEFORE_DAYS` (90) days before the reference time. A comparable
  member's reference time is the mean reference time of the recipients with the same quintiles,
  so both groups are measured over the same weeks.
  `comparison*` are those members as counted; the comparison's rate and spend per member are
  standardised to the recipients' strata (each stratum's rate weighted by its recipients), over
  the recipients in strata that have comparable members ("matched" in `figures`). So the
  difference reads: recipients vs members like them, over the same time.
- **Hold-out lift** (campaigns with a hold-out): `vafa.engage` `campaign_lift` as the campaign's
  own report shows it (contacted vs held-out members over its `lift_days`, the z-test).

Each kind of item (rules, rewards, campaigns) takes two statements for all its items (the
recipients by item and stratum, the comparable members by item and stratum), grouped in SQL:
nothing is loaded but a few rows per item and stratum. So the ledger is read twice a night for all
the rules together (`Transfer.rule` has no index, and needs none), and the comparison reads every
member's score and purchases around one reference time per item and stratum.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta

from django.conf import settings
from django.db import connection, transaction
from django.utils import timezone

from vafa.commerce.models import Purchase
from vafa.core import sql
from vafa.engage.models import Campaign, Message
from vafa.engage.selectors import campaign_lift
from vafa.insight.models import ProgrammeEffect
from vafa.insight.rollups import epoch_sql
from vafa.ledger.models import Account, Transfer
from vafa.member_events.models import Event
from vafa.members.models import Member, MemberScore, MembershipPlan
from vafa.program.models import Reward, Rule, Tier
from vafa.program.selectors import earn_policy
from vafa.rewards.models import Coupon, CouponUse, Redemption

PERIOD_DAYS = 365
WINDOW_DAYS = 30
BEFORE_DAYS = 90
REFS_PER_STATEMENT = 2_000  # (item, r, f) references in one comparison statement: 4 parameters each
DAY = 86_400
EARN_KINDS = (Transfer.Kind.EARN, Transfer.Kind.BONUS, Transfer.Kind.REFERRAL)
SENT = (Message.Status.SENT, Message.Status.DELIVERED)


@dataclass
class Stratum:
    members: int = 0
    buyers: int = 0
    spend_rial: int = 0
    seconds: float = 0.0  # reference times summed (Unix seconds)


@dataclass(frozen=True)
class Receipts:
    """The receipts of one kind of item as SQL: rows (k, member_id, ts), `k` the item (a rule's
    ref, a reward's or a campaign's id), `ts` in Unix seconds."""

    sql: str
    params: list


def _t(model) -> str:
    return sql.table(model)


def _c(model, name: str) -> str:
    return sql.column(model, name)


def _counts(p: str) -> str:
    """A purchase that counts: not refunded in full (a purchase of 0 Rials counts)."""
    return (f"NOT ({p}.{_c(Purchase, 'amount')} > 0 AND {p}.{_c(Purchase, 'refunded_amount')}"
            f" >= {p}.{_c(Purchase, 'amount')})")


def _followed(people: str, window_days: int, now_s: float) -> tuple[str, list]:
    """Per item and stratum of `people` (a CTE of item k, member m, reference time t, quintiles r
    and f): members, buyers and net spend in the window after t, and the reference times summed."""
    p_at = epoch_sql(f"p.{_c(Purchase, 'occurred_at')}")
    pm = f"p.{_c(Purchase, 'member')}"
    pur = _t(Purchase)
    text = (
        f", strata AS (SELECT x.k, x.m, x.t, x.r, x.f, CASE WHEN EXISTS (SELECT 1 FROM {pur} p WHERE {pm} = x.m"
        f" AND {_counts('p')} AND {p_at} >= x.t - %s AND {p_at} < x.t) THEN 1 ELSE 0 END AS a FROM {people} x)"
        f", outcome AS (SELECT s.k, s.m, s.t, s.r, s.f, s.a, COUNT(p.{_c(Purchase, 'id')}) AS n,"
        f" COALESCE(SUM(p.{_c(Purchase, 'amount')} - p.{_c(Purchase, 'refunded_amount')}), 0) AS spend"
        f" FROM strata s LEFT JOIN {pur} p ON {pm} = s.m AND {_counts('p')} AND {p_at} > s.t"
        f" AND {p_at} <= s.t + %s AND {p_at} <= %s GROUP BY s.k, s.m, s.t, s.r, s.f, s.a)"
        f" SELECT k, r, f, a, COUNT(*), SUM(CASE WHEN n > 0 THEN 1 ELSE 0 END), SUM(spend), SUM(t)"
        f" FROM outcome GROUP BY k, r, f, a"
    )
    return text, [BEFORE_DAYS * DAY, window_days * DAY, now_s]


Strata = dict[tuple[int, int, int], Stratum]


def _strata(rows) -> dict[object, Strata]:
    """Per item: its strata (r, f, a)."""
    found: dict[object, Strata] = {}
    for k, r, f, a, n, b, s, t in rows:
        found.setdefault(k, {})[(int(r), int(f), int(a))] = Stratum(int(n), int(b or 0), int(s or 0), float(t or 0))
    return found


def _first_receipts(receipts: Receipts, start_s: float, now_s: float, items: list | None = None) -> tuple[str, list]:
    """Each member's first receipt of each item in the period (of `items` only, when given)."""
    only = f" AND k IN ({', '.join(['%s'] * len(items))})" if items else ""
    return (f"got AS (SELECT k, member_id AS m, MIN(ts) AS t FROM ({receipts.sql}) q"
            f" WHERE ts >= %s AND ts <= %s{only} GROUP BY k, member_id)",
            [*receipts.params, start_s, now_s, *(items or [])])


def _score_join(alias: str, member: str) -> str:
    return f" LEFT JOIN {_t(MemberScore)} {alias} ON {alias}.{_c(MemberScore, 'member')} = {member}"


def recipients_by_stratum(receipts: Receipts, *, start_s: float, now_s: float,
                          window_days: int) -> dict[object, Strata]:
    first, params = _first_receipts(receipts, start_s, now_s)
    r, f = f"COALESCE(sc.{_c(MemberScore, 'rfm_r')}, 0)", f"COALESCE(sc.{_c(MemberScore, 'rfm_f')}, 0)"
    people = (f"people AS (SELECT got.k AS k, got.m AS m, got.t AS t, {r} AS r, {f} AS f FROM got"
              f"{_score_join('sc', 'got.m')})")
    tail, more = _followed("people", window_days, now_s)
    return _strata(sql.fetch(f"WITH {first}, {people}{tail}", params + more))


def comparison_by_stratum(receipts: Receipts, references: dict[tuple[object, int, int], float], *,
                          start_s: float, now_s: float, window_days: int) -> dict[object, Strata]:
    """The members like each item's recipients who did not receive it: per (item, r, f) of
    `references`, measured from that reference time."""
    found: dict[object, Strata] = {}
    for part in _reference_parts(references):
        found.update(_comparison_part(receipts, part, start_s=start_s, now_s=now_s, window_days=window_days))
    return found


def _reference_parts(references: dict[tuple[object, int, int], float]) -> list[dict]:
    """The references in parts of whole items, each of at most REFS_PER_STATEMENT (an item has at
    most 26 pairs of quintiles): a statement's parameters stay well under PostgreSQL's 65,535."""
    by_item: dict[object, dict] = {}
    for key, t in references.items():
        by_item.setdefault(key[0], {})[key] = t
    parts: list[dict] = []
    for refs in by_item.values():
        if not parts or len(parts[-1]) + len(refs) > REFS_PER_STATEMENT:
            parts.append({})
        parts[-1].update(refs)
    return parts


def _comparison_part(receipts: Receipts, references: dict[tuple[object, int, int], float], *, start_s: float,
                     now_s: float, window_days: int) -> dict[object, Strata]:
    items = list(dict.fromkeys(k for k, _r, _f in references))
    first, params = _first_receipts(receipts, start_s, now_s, items)
    values = ", ".join(["(%s, %s, %s, %s)"] * len(references))
    ref_params = [v for (k, r, f), t in references.items() for v in (k, r, f, t)]
    mem, mid = _t(Member), f"mem.{_c(Member, 'id')}"
    r, f = f"COALESCE(sc.{_c(MemberScore, 'rfm_r')}, 0)", f"COALESCE(sc.{_c(MemberScore, 'rfm_f')}, 0)"
    people = (f"ref (rk, rr, rf, rt) AS (VALUES {values}),"
              f" people AS (SELECT ref.rk AS k, {mid} AS m, ref.rt AS t, ref.rr AS r, ref.rf AS f FROM {mem} mem"
              f"{_score_join('sc', mid)} JOIN ref ON ref.rr = {r} AND ref.rf = {f}"
              f" WHERE {epoch_sql('mem.' + _c(Member, 'joined_at'))} <= ref.rt"
              f" AND mem.{_c(Member, 'status')} = %s AND mem.{_c(Member, 'erased_at')} IS NULL"
              f" AND NOT EXISTS (SELECT 1 FROM got WHERE got.k = ref.rk AND got.m = {mid} AND got.t <= ref.rt))")
    tail, more = _followed("people", window_days, now_s)
    return _strata(sql.fetch(f"WITH {first}, {people}{tail}", params + ref_params + [Member.Status.ACTIVE] + more))


def _references(recipients: dict[object, Strata]) -> dict[tuple[object, int, int], float]:
    """The mean reference time of each item's recipients of each pair of quintiles."""
    sums: dict[tuple[object, int, int], list[float]] = {}
    for k, strata in recipients.items():
        for (r, f, _a), s in strata.items():
            acc = sums.setdefault((k, r, f), [0.0, 0])
            acc[0] += s.seconds
            acc[1] += s.members
    return {key: total / n for key, (total, n) in sums.items() if n}


@dataclass
class Effect:
    """What followed an item, its recipients vs their comparable members."""

    recipients: int
    buyers: int
    spend_rial: int
    comparison: int
    comparison_buyers: int
    comparison_spend_rial: int
    figures: dict


def effects_of(receipts: Receipts, *, now: datetime, window_days: int = WINDOW_DAYS) -> dict[object, Effect]:
    """Every item's effect (items with no recipient in the period are missing)."""
    now_s = now.timestamp()
    start_s = (now - timedelta(days=PERIOD_DAYS)).timestamp()
    got = recipients_by_stratum(receipts, start_s=start_s, now_s=now_s, window_days=window_days)
    others = comparison_by_stratum(receipts, _references(got), start_s=start_s, now_s=now_s,
                                   window_days=window_days)
    return {k: _effect(strata, others.get(k, {})) for k, strata in got.items()}


def _effect(got: Strata, others: Strata) -> Effect:
    matched = {k: s for k, s in got.items() if others.get(k) and others[k].members}
    compared = [others[k] for k in matched]
    n = sum(s.members for s in matched.values())
    # Each stratum's comparable rate and spend, weighted by its recipients (direct standardisation).
    expected_buyers = sum(s.members * others[k].buyers / others[k].members for k, s in matched.items())
    expected_spend = sum(s.members * others[k].spend_rial / others[k].members for k, s in matched.items())
    figures = {
        "matched": n,
        "matched_buyers": sum(s.buyers for s in matched.values()),
        "matched_spend_rial": sum(s.spend_rial for s in matched.values()),
        "comparison_rate": round(expected_buyers / n, 6) if n else None,
        "comparison_spend_per_member_rial": round(expected_spend / n) if n else None,
        "strata": len(matched),
    }
    return Effect(
        recipients=sum(s.members for s in got.values()), buyers=sum(s.buyers for s in got.values()),
        spend_rial=sum(s.spend_rial for s in got.values()), comparison=sum(s.members for s in compared),
        comparison_buyers=sum(s.buyers for s in compared), comparison_spend_rial=sum(s.spend_rial for s in compared),
        figures=figures)


# --- the items' receipts ------------------------------------------------------------------------------------


def _rule_earnings() -> tuple[str, list]:
    """Every earning of a rule as rows (k: the rule's ref, member_id, ts, points), at the time it
    happened: the purchase's `occurred_at`, the event's (a join award is given when the member
    joined, however much later it was booked), else the transfer's own time."""
    tr, acc, pur, ev = _t(Transfer), _t(Account), _t(Purchase), _t(Event)
    source_kind, source_id = f"tr.{_c(Transfer, 'source_kind')}", f"tr.{_c(Transfer, 'source_id')}"
    at = epoch_sql(f"COALESCE(p.{_c(Purchase, 'occurred_at')}, e.{_c(Event, 'occurred_at')},"
                   f" tr.{_c(Transfer, 'created_at')})")
    kinds = ", ".join(["%s"] * len(EARN_KINDS))
    return (
        f"SELECT tr.{_c(Transfer, 'rule')} AS k, a.{_c(Account, 'member')} AS member_id, {at} AS ts,"
        f" tr.{_c(Transfer, 'amount')} AS points"
        f" FROM {tr} tr JOIN {acc} a ON a.{_c(Account, 'id')} = tr.{_c(Transfer, 'credit')}"
        f" LEFT JOIN {pur} p ON {source_kind} = 'purchase' AND p.{_c(Purchase, 'id')} = {source_id}"
        f" LEFT JOIN {ev} e ON {source_kind} = 'event' AND e.{_c(Event, 'id')} = {source_id}"
        f" WHERE tr.{_c(Transfer, 'rule')} <> '' AND tr.{_c(Transfer, 'kind')} IN ({kinds})"
        f" AND a.{_c(Account, 'member')} IS NOT NULL", [*EARN_KINDS])


def rule_receipts() -> Receipts:
    return Receipts(*_rule_earnings())


def reward_receipts() -> Receipts:
    return Receipts(
        f"SELECT {_c(Redemption, 'reward')} AS k, {_c(Redemption, 'member')} AS member_id,"
        f" {epoch_sql(_c(Redemption, 'created_at'))} AS ts FROM {_t(Redemption)}", [])


def campaign_receipts() -> Receipts:
    at = epoch_sql(f"COALESCE({_c(Message, 'sent_at')}, {_c(Message, 'created_at')})")
    return Receipts(
        f"SELECT {_c(Message, 'campaign')} AS k, {_c(Message, 'member')} AS member_id, {at} AS ts"
        f" FROM {_t(Message)} WHERE {_c(Message, 'campaign')} IS NOT NULL AND {_c(Message, 'status')} IN (%s, %s)",
        [*SENT])


def _items_given(now: datetime) -> tuple[dict[str, int], dict[int, int], dict[int, int]]:
    """Points per rule, points per reward and SMS parts per campaign in the period: one statement each."""
    start = now - timedelta(days=PERIOD_DAYS)
    start_s, now_s = start.timestamp(), now.timestamp()
    earnings, params = _rule_earnings()
    rules = sql.fetch(f"SELECT k, SUM(points) FROM ({earnings}) q WHERE ts >= %s AND ts <= %s GROUP BY k",
                      [*params, start_s, now_s])
    rewards = sql.fetch(
        f"SELECT {_c(Redemption, 'reward')}, SUM({_c(Redemption, 'points')}) FROM {_t(Redemption)}"
        f" WHERE {_c(Redemption, 'created_at')} >= %s AND {_c(Redemption, 'created_at')} <= %s"
        f" GROUP BY {_c(Redemption, 'reward')}", [start, now])
    sent_at = f"COALESCE({_c(Message, 'sent_at')}, {_c(Message, 'created_at')})"
    campaigns = sql.fetch(
        f"SELECT {_c(Message, 'campaign')}, SUM({_c(Message, 'parts')}) FROM {_t(Message)}"
        f" WHERE {_c(Message, 'campaign')} IS NOT NULL AND {_c(Message, 'status')} IN (%s, %s)"
        f" AND {sent_at} >= %s AND {sent_at} <= %s GROUP BY {_c(Message, 'campaign')}", [*SENT, start, now])
    return ({r: int(p or 0) for r, p in rules}, {int(r): int(p or 0) for r, p in rewards},
            {int(c): int(p or 0) for c, p in campaigns})


def _discounts(reward_ids: list[int], now: datetime) -> dict[int, int]:
    """What the coupons of each reward's redemptions took off baskets in the period."""
    if not reward_ids:
        return {}
    start = now - timedelta(days=PERIOD_DAYS)
    marks = ", ".join(["%s"] * len(reward_ids))
    rows = sql.fetch(
        f"SELECT r.{_c(Redemption, 'reward')}, SUM(u.{_c(CouponUse, 'discount')}) FROM {_t(CouponUse)} u"
        f" JOIN {_t(Coupon)} c ON c.{_c(Coupon, 'id')} = u.{_c(CouponUse, 'coupon')}"
        f" JOIN {_t(Redemption)} r ON r.{_c(Redemption, 'id')} = c.{_c(Coupon, 'redemption')}"
        f" WHERE r.{_c(Redemption, 'reward')} IN ({marks}) AND u.{_c(CouponUse, 'created_at')} >= %s"
        f" AND u.{_c(CouponUse, 'created_at')} <= %s GROUP BY r.{_c(Redemption, 'reward')}",
        [*reward_ids, start, now])
    return {int(r): int(d or 0) for r, d in rows}


def _lift(campaign: Campaign, now: datetime) -> dict | None:
    if not campaign.holdout:
        return None
    lift = campaign_lift(campaign, now=now)
    if lift is None:
        return None
    return {"lift_days": lift["lift_days"], "complete": lift["complete"], "contacted": lift["contacted"],
            "held_out": lift["held_out"], "rate_difference": lift["rate_difference"], "z": lift["z"],
            "significant": lift["significant"]}


def _row(kind: str, ref: str, name: str, effect: Effect, *, points: int, cost_rial: int, window_days: int,
         now: datetime, **extra) -> ProgrammeEffect:
    return ProgrammeEffect(
        kind=kind, ref=ref, name=name[:200], recipients=effect.recipients, cost_rial=cost_rial, points=points,
        recipients_buyers=effect.buyers, recipients_spend_rial=effect.spend_rial, comparison=effect.comparison,
        comparison_buyers=effect.comparison_buyers, comparison_spend_rial=effect.comparison_spend_rial,
        window_days=window_days, figures={**effect.figures, **extra}, computed_at=now)


def programme_effects_compute(*, now: datetime | None = None, window_days: int = WINDOW_DAYS) -> int:
    """Recompute every rule's, reward's and campaign's effect as of `now`; answers the rows written."""
    now = now or timezone.now()
    value = earn_policy().point_value_rial
    rules, rewards, campaigns = _items_given(now)
    rows: list[ProgrammeEffect] = []
    rule_names = {str(pk): name for pk, name in
                  Rule.objects.filter(pk__in=[int(r) for r in rules if r.isdigit()]).values_list("pk", "name")}
    # A tier's or a paid plan's extra earning is named by the tier or the plan (awards.py's refs)
    rule_names.update({f"tier:{code}": name for code, name in Tier.objects.values_list("code", "name")})
    rule_names.update({f"plan:{pk}": name for pk, name in MembershipPlan.objects.values_list("pk", "name")})
    effects = effects_of(rule_receipts(), now=now, window_days=window_days) if rules else {}
    for ref, points in sorted(rules.items()):
        name = rule_names.get(ref, "")  # "base": the page names it
        rows.append(_row(ProgrammeEffect.Kind.RULE, ref, name, effects.get(ref, _effect({}, {})),
                         points=points, cost_rial=points * value, window_days=window_days, now=now))
    reward_names = dict(Reward.objects.filter(pk__in=list(rewards)).values_list("pk", "name"))
    discounts = _discounts(list(rewards), now)
    effects = effects_of(reward_receipts(), now=now, window_days=window_days) if rewards else {}
    for reward_id, points in sorted(rewards.items()):
        rows.append(_row(ProgrammeEffect.Kind.REWARD, str(reward_id), reward_names.get(reward_id, ""),
                         effects.get(reward_id, _effect({}, {})),
                         points=points, cost_rial=points * value, window_days=window_days, now=now,
                         discount_rial=discounts.get(reward_id, 0)))
    price = settings.SMS_PRICE_PER_PART_RIAL
    effects = effects_of(campaign_receipts(), now=now, window_days=window_days) if campaigns else {}
    for campaign in Campaign.objects.filter(pk__in=list(campaigns)).order_by("pk"):
        parts = campaigns[campaign.pk]
        rows.append(_row(ProgrammeEffect.Kind.CAMPAIGN, str(campaign.pk), campaign.name,
                         effects.get(campaign.pk, _effect({}, {})),
                         points=0, cost_rial=parts * price, window_days=window_days, now=now,
                         sms_parts=parts, holdout_lift=_lift(campaign, now)))
    with transaction.atomic():
        with connection.cursor() as cursor:  # one statement: the rows have nothing that points at them
            cursor.execute(f"DELETE FROM {_t(ProgrammeEffect)}")
        ProgrammeEffect.objects.bulk_create(rows)
    return len(rows)
