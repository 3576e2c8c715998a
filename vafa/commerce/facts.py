"""A purchase's facts, built in one place: what the program's rules may look at about a purchase and
its member (the engine's `Context`: amount, items, times, the member's kind, tier and interests,
which purchase of theirs it is, branch, channel, payment method), and what its lines need (the
tier and the paid plan that multiply, tax, shipping and the points discount).

Two ways to learn them, one way to put them together (`_facts`):
- `purchase_facts`: one purchase being recorded or previewed, read from the database; a query
  runs only when the live rules use what it reads, so a plain program keeps the purchase at its
  fixed query budget;
- `purchase_facts_bulk`: the recorded purchases of a period for the dry run, with everything
  loaded once and each member's tier and plan as they were at each purchase.

A new rule condition is three changes: its field in `vafa.program.inputs`, its test in
`vafa.program.engine`, and its fact here (in `_facts` and the two readers above)."""

from collections import defaultdict
from collections.abc import Iterable, Iterator
from datetime import datetime

from django.db.models import Count, Q

from vafa.commerce import tiers
from vafa.commerce.models import Purchase, PurchaseItem
from vafa.core import sql
from vafa.members.models import Member, Membership, MembershipPlan
from vafa.members.selectors import PlanInForce, in_force
from vafa.merchants.models import Branch
from vafa.program import engine
from vafa.program.models import TierChange
from vafa.program.selectors import Program, PurchaseFacts, TierInfo, member_labels, member_labels_one

# The engine's facts about a purchase that this builder supplies. A condition that reads any
# other fact is refused when a rule is saved (vafa.program.inputs), so no rule waits in vain.
SUPPLIED = frozenset({"occurred_at", "amount", "items", "member_kind", "tier", "interests", "nth_purchase",
                      "merchant_id", "branch", "channel", "payment_method", "tags", "segments"})


def _facts(*, merchant_id: int | None, occurred_at: datetime, amount: int, tax: int, shipping: int, discount: int,
           items: tuple[engine.Item, ...], member_kind: str, tier: TierInfo | None, plan: PlanInForce | None,
           interests: frozenset[str], nth: int, branch: str | None, channel: str, payment_method: str,
           tags: frozenset[str] = frozenset(), segments: frozenset[str] = frozenset(),
           tier_state=None) -> PurchaseFacts:
    context = engine.Context(
        trigger="purchase", occurred_at=occurred_at, amount=amount, items=items, member_kind=member_kind,
        tier=tier.code if tier else None, interests=interests, nth_purchase=nth, merchant_id=merchant_id,
        branch=branch, channel=channel, payment_method=payment_method, tags=tags, segments=segments)
    return PurchaseFacts(context=context, tax=tax, shipping=shipping, discount=discount, tier=tier, plan=plan,
                         tier_state=tier_state)


def _items(items: Iterable) -> tuple[engine.Item, ...]:
    return tuple(engine.Item(sku=i.sku, quantity=i.quantity, unit_price=i.unit_price, category=i.category)
                 for i in items)


# --- one purchase, from the database --------------------------------------------------------------


def purchase_facts(program: Program, *, member_id: int, member_kind: str, merchant_id: int | None,
                   occurred_at: datetime, amount: int, tax: int, shipping: int, discount: int, items,
                   branch_id: int | None, channel: str, payment_method: str) -> PurchaseFacts:
    """The facts of a purchase of `member_id` at `occurred_at` (a member id of 0 is a guest: a new
    person's first purchase)."""
    rules = program.rules_for("purchase")
    nth = 0
    if program.needs_nth:
        # The n-th purchase: n - 1 of the member's purchases come before it by occurred_at
        # (an equal time counts as before: it was recorded first).
        nth = sql.fetch(f"SELECT COUNT(*) FROM {sql.table(Purchase)} WHERE {sql.column(Purchase, 'member')} = %s"
                        f" AND {sql.column(Purchase, 'occurred_at')} <= %s", [member_id, occurred_at])[0][0] + 1
    tier_state = tiers.tier_state(member_id) if program.tiers else None
    interests = frozenset()
    if any(r.conditions.get("interests") for r in rules):
        interests = frozenset(Member.interests.through.objects.filter(member_id=member_id)
                              .values_list("interest__slug", flat=True))
    branch = None
    if branch_id is not None and any(r.conditions.get("branches") for r in rules):
        branch = Branch.objects.filter(pk=branch_id).values_list("code", flat=True).first()
    tags, segments = member_labels_one(rules, member_id)
    return _facts(
        merchant_id=merchant_id, occurred_at=occurred_at, amount=amount, tax=tax, shipping=shipping, discount=discount,
        items=_items(items), member_kind=member_kind,
        tier=program.tier_by_id(tier_state.tier_id) if tier_state else None, tier_state=tier_state,
        plan=_plan_at(member_id, occurred_at) if program.plans_with_bonus else None,
        interests=interests, nth=nth, branch=branch, channel=channel, payment_method=payment_method,
        tags=tags, segments=segments)


def _plan_at(member_id: int, at: datetime) -> PlanInForce | None:
    """The paid plan in force at `at`. Plain SQL: a purchase asks this whenever a plan multiplies
    points; the choice among the rows is the members app's one rule (`in_force`)."""
    m, p = Membership, MembershipPlan
    rows = sql.fetch(
        f"SELECT m.{sql.column(m, 'starts_at')}, m.{sql.column(m, 'ends_at')}, p.{sql.column(p, 'earn_percent')},"
        f" m.{sql.column(m, 'id')}, p.{sql.column(p, 'id')}, p.{sql.column(p, 'name')}"
        f" FROM {sql.table(m)} m JOIN {sql.table(p)} p ON p.{sql.column(p, 'id')} = m.{sql.column(m, 'plan')}"
        f" WHERE m.{sql.column(m, 'member')} = %s AND m.{sql.column(m, 'starts_at')} <= %s"
        f" AND m.{sql.column(m, 'ends_at')} > %s", [member_id, at, at])
    chosen = in_force([(sql.aware(a), sql.aware(b), *rest) for a, b, *rest in rows], at)
    return PlanInForce(chosen[4], chosen[5], chosen[2]) if chosen else None


# --- the recorded purchases of a period (the dry run) -----------------------------------------------


class _History:
    """Each member's tier and paid plans over time, loaded the first time a member is met."""

    def __init__(self, program: Program):
        self.program = program
        self.tiers: dict[int, list] = defaultdict(list)
        self.plans: dict[int, list] = defaultdict(list)

    def load(self, member_ids: set[int]) -> None:
        if self.program.tiers:
            for member_id, at, tier_id in (TierChange.objects.filter(member_id__in=member_ids)
                                           .order_by("changed_at", "id")
                                           .values_list("member_id", "changed_at", "to_tier_id")):
                self.tiers[member_id].append((at, tier_id))
        if self.program.plans_with_bonus:
            for row in (Membership.objects.filter(member_id__in=member_ids)
                        .values_list("member_id", "starts_at", "ends_at", "plan__earn_percent", "id", "plan_id",
                                     "plan__name")):
                self.plans[row[0]].append(row[1:])

    def tier(self, member_id: int, at: datetime) -> TierInfo | None:
        tier_id = None
        for changed_at, to_tier in self.tiers.get(member_id, ()):
            if changed_at > at:
                break
            tier_id = to_tier
        return self.program.tier_by_id(tier_id)

    def plan(self, member_id: int, at: datetime) -> PlanInForce | None:
        chosen = in_force(self.plans.get(member_id, ()), at)
        return PlanInForce(chosen[4], chosen[5], chosen[2]) if chosen else None


BULK_CHUNK = 2_000  # purchases read at a time: every IN list is at most this long


def _purchases_in_chunks(start: datetime, end: datetime, size: int) -> Iterator[list[Purchase]]:
    """The period's purchases in the order they happened, `size` at a time (keyset paging)."""
    after: tuple[datetime, int] | None = None
    while True:
        page = Purchase.objects.filter(occurred_at__gte=start, occurred_at__lt=end)
        if after is not None:
            page = page.filter(Q(occurred_at__gt=after[0]) | Q(occurred_at=after[0], id__gt=after[1]))
        chunk = list(page.order_by("occurred_at", "id")
                     .only("id", "member_id", "merchant_id", "branch_id", "occurred_at", "amount", "tax",
                           "shipping", "discount", "channel", "payment_method")[:size])
        if not chunk:
            return
        yield chunk
        if len(chunk) < size:
            return
        after = (chunk[-1].occurred_at, chunk[-1].pk)


def purchase_facts_bulk(program: Program, *, start: datetime, end: datetime, chunk: int | None = None,
                        also: Iterable[engine.Rule] = ()) -> Iterator[tuple[Purchase, PurchaseFacts]]:
    """The purchases that happened from `start` to before `end`, in the order they happened
    (occurred_at, then as recorded), each with its facts as they were then: the member's tier
    and plan at that moment, and which purchase of theirs it was. Read a chunk at a time, so
    neither memory nor any query's list of ids grows with the period (a handful of queries a
    chunk; what is kept across chunks is a few numbers per member met). `also`: rules beside the
    live ones (a dry run's drafts) whose facts are wanted too."""
    branches = dict(Branch.objects.values_list("id", "code"))
    history = _History(program)
    seen: dict[int, int] = {}
    kinds: dict[int, str] = {}
    interests: dict[int, frozenset] = {}
    # Tags and segments as they are today: neither keeps its history.
    labels: dict[int, tuple[frozenset[str], frozenset[str]]] = {}
    purchase_rules = [*program.rules_for("purchase"), *also]
    for purchases in _purchases_in_chunks(start, end, chunk or BULK_CHUNK):
        items: dict[int, list] = defaultdict(list)
        for item in PurchaseItem.objects.filter(purchase_id__in=[p.pk for p in purchases]):
            items[item.purchase_id].append(item)
        new = {p.member_id for p in purchases} - kinds.keys()
        if new:
            seen.update(Purchase.objects.filter(member_id__in=new, occurred_at__lt=start)
                        .values_list("member_id").annotate(n=Count("id")).values_list("member_id", "n"))
            kinds.update(Member.objects.filter(pk__in=new).values_list("id", "kind"))
            found: dict[int, set] = defaultdict(set)
            for member_id, slug in Member.interests.through.objects.filter(member_id__in=new).values_list(
                    "member_id", "interest__slug"):
                found[member_id].add(slug)
            interests.update({member_id: frozenset(found.get(member_id, ())) for member_id in new})
            labels.update(member_labels(purchase_rules, sorted(new)))
            history.load(new)
        for p in purchases:
            seen[p.member_id] = seen.get(p.member_id, 0) + 1
            yield p, _facts(
                merchant_id=p.merchant_id, occurred_at=p.occurred_at, amount=p.amount, tax=p.tax,
                shipping=p.shipping, discount=p.discount, items=_items(items.get(p.pk, ())),
                member_kind=kinds[p.member_id], tier=history.tier(p.member_id, p.occurred_at),
                plan=history.plan(p.member_id, p.occurred_at), interests=interests[p.member_id],
                nth=seen[p.member_id], branch=branches.get(p.branch_id), channel=p.channel,
                payment_method=p.payment_method, tags=labels.get(p.member_id, (frozenset(), frozenset()))[0],
                segments=labels.get(p.member_id, (frozenset(), frozenset()))[1])
