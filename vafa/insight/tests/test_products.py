"""Complementary products (vafa/insight/products.py): exact support, confidence and lift on a
constructed history, "then" in time order, refunded purchases left out, the bounds, the nightly
job; and the suggestions per member (vafa/insight/selectors.py), never what the member bought."""

from datetime import datetime, time

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from vafa.commerce.models import Purchase, PurchaseItem
from vafa.core.jalali import TEHRAN
from vafa.core.jobs import registered_jobs
from vafa.insight.models import ProductPair
from vafa.insight.products import product_pairs_compute
from vafa.insight.selectors import member_suggestions, suggestions_for

pytestmark = pytest.mark.django_db

T1 = datetime(2026, 10, 1, 10, 0, tzinfo=TEHRAN)
T2 = datetime(2026, 10, 5, 18, 0, tzinfo=TEHRAN)
NOW = datetime(2026, 11, 1, 3, 45, tzinfo=TEHRAN)


def bought(merchant, member, moment, *skus, amount=100_000, refunded=0, names=None):
    purchase = Purchase.objects.create(merchant=merchant, member=member, amount=amount, refunded_amount=refunded,
                                       occurred_at=moment)
    for sku in skus:
        PurchaseItem.objects.create(purchase=purchase, sku=sku, name=(names or {}).get(sku, ""), quantity=1,
                                    unit_price=amount)
    return purchase


@pytest.fixture
def history(merchant, member_factory):
    """Six members with an item that counts; X bought by 5 (A-E), Y by 4 (A, B, C, F), Z by 1 (E).

    A: X and Y together          B: X, then Y            C: Y, then X (Y only before X)
    D: X, then Y refunded in full E: Z, then X (partly refunded: counts)
    F: Y as a free item (amount 0: counts)               G: Z refunded in full (no buyer)
    """
    a, b, c, d, e, f, g = (member_factory() for _ in range(7))
    bought(merchant, a, T1, "X", "Y", names={"X": "Coffee", "Y": "Cake"})
    bought(merchant, b, T1, "X")
    bought(merchant, b, T2, "Y", names={"Y": "Cheesecake"})  # the latest name of Y
    bought(merchant, c, T1, "Y")
    bought(merchant, c, T2, "X")
    bought(merchant, d, T1, "X")
    bought(merchant, d, T2, "Y", amount=50_000, refunded=50_000)
    bought(merchant, e, T1, "Z")
    bought(merchant, e, T2, "X", amount=80_000, refunded=30_000)
    bought(merchant, f, T1, "Y", amount=0)
    bought(merchant, g, T2, "Z", amount=70_000, refunded=70_000)
    return {"A": a, "B": b, "C": c, "D": d, "E": e, "F": f, "G": g}


def pairs() -> dict[tuple[str, str], tuple]:
    return {(p.first_sku, p.then_sku): (p.members, p.then_name, p.support, p.confidence, p.lift)
            for p in ProductPair.objects.all()}


def test_support_confidence_and_lift_are_exact_and_follow_the_order_of_purchases(history):
    computed = product_pairs_compute(now=NOW, min_members=1)
    # 6 buyers; X->Y: A (same purchase) and B (later); C bought Y only before X, D's Y was refunded
    # in full. Y->X: A and C; B bought X only before Y. Z->X: E. X->Z: none (E's Z came first).
    assert pairs() == {
        ("X", "Y"): (2, "Cheesecake", pytest.approx(2 / 6), pytest.approx(2 / 5), pytest.approx((2 / 5) / (4 / 6))),
        ("Y", "X"): (2, "Coffee", pytest.approx(2 / 6), pytest.approx(2 / 4), pytest.approx((2 / 4) / (5 / 6))),
        ("Z", "X"): (1, "Coffee", pytest.approx(1 / 6), pytest.approx(1.0), pytest.approx(1 / (5 / 6))),
    }
    assert computed.pairs == 3
    assert set(ProductPair.objects.values_list("computed_at", flat=True)) == {NOW}


def test_pairs_of_fewer_members_than_the_minimum_are_not_kept(history):
    product_pairs_compute(now=NOW, min_members=2)
    assert set(pairs()) == {("X", "Y"), ("Y", "X")}
    product_pairs_compute(now=NOW)  # the default minimum, 3 members
    assert pairs() == {}


def test_only_the_skus_with_most_buyers_are_considered(history):
    product_pairs_compute(now=NOW, min_members=1, top_skus=2)  # X (5 buyers) and Y (4): Z is left out
    assert set(pairs()) == {("X", "Y"), ("Y", "X")}


def test_each_first_sku_keeps_its_pairs_of_best_lift(merchant, member_factory):
    # X then Y for everyone who bought X; X then Z for one of them, while Z sells widely alone
    buyers = [member_factory() for _ in range(4)]
    for member in buyers:
        bought(merchant, member, T1, "X", "Y")
    bought(merchant, buyers[0], T2, "Z")
    for _ in range(3):
        bought(merchant, member_factory(), T1, "Z")
    product_pairs_compute(now=NOW, min_members=1)
    # 7 buyers: X->Y lift (4/4)/(4/7) = 1.75; X->Z lift (1/4)/(4/7) = 0.4375
    assert [(p.then_sku, p.lift) for p in ProductPair.objects.filter(first_sku="X").order_by("-lift")] == [
        ("Y", pytest.approx(1.75)), ("Z", pytest.approx(0.4375))]
    product_pairs_compute(now=NOW, min_members=1, per_sku=1)
    assert list(ProductPair.objects.filter(first_sku="X").values_list("then_sku", flat=True)) == ["Y"]


def test_a_computation_replaces_the_pairs_and_bad_bounds_change_nothing(history, merchant):
    product_pairs_compute(now=NOW, min_members=1)
    before = pairs()
    for bad in ({"min_members": 0}, {"per_sku": -1}, {"top_skus": True}, {"top_skus": "5"}):
        with pytest.raises(ValueError):
            product_pairs_compute(now=NOW, **bad)
        assert pairs() == before
    # Everyone's purchases refunded in full: nothing left to pair
    Purchase.objects.update(amount=100_000, refunded_amount=100_000)
    assert product_pairs_compute(now=NOW, min_members=1).pairs == 0
    assert ProductPair.objects.count() == 0


def test_the_computation_is_one_statement_whatever_the_history(history):
    with CaptureQueriesContext(connection) as queries:
        product_pairs_compute(now=NOW, min_members=1)
    statements = [q["sql"] for q in queries.captured_queries if not q["sql"].startswith(("SAVEPOINT", "RELEASE"))]
    assert [s.split()[0] for s in statements] == ["DELETE", "INSERT"]


def test_the_nightly_job_recomputes_the_pairs(history):
    from vafa.core.models import JobRun
    from vafa.insight import products
    from vafa.insight.tasks import product_pairs

    [job] = [j for j in registered_jobs() if j.name == "product-pairs"]
    assert (job.task, job.at) == ("vafa.insight.tasks.product_pairs", time(3, 45))
    JobRun.objects.create(job="product-pairs", period="2026-11-01")
    original = products.MIN_MEMBERS
    products.MIN_MEMBERS = 2
    try:
        result = product_pairs.call(NOW.isoformat())
    finally:
        products.MIN_MEMBERS = original
    assert result == {"pairs": 2}
    assert set(pairs()) == {("X", "Y"), ("Y", "X")}
    run = JobRun.objects.get(job="product-pairs")
    assert run.finished_at is not None and run.result.startswith("2 product pairs")


# --- suggestions per member ----------------------------------------------------------------------------------


@pytest.fixture
def suggested(merchant, member_factory):
    """Pairs set by hand: who bought X is suggested Y (lift 3) and W (lift 1.5), who bought Z is
    suggested W (lift 2) and Y (lift 0.5)."""
    for first, then, name, lift in (("X", "Y", "Cake", 3.0), ("X", "W", "", 1.5), ("Z", "W", "", 2.0),
                                    ("Z", "Y", "Cake", 0.5), ("Y", "X", "Coffee", 1.0)):
        ProductPair.objects.create(first_sku=first, then_sku=then, then_name=name, members=3, support=0.1,
                                   confidence=0.5, lift=lift, computed_at=NOW)
    only_x, x_and_z, bought_y, nothing = (member_factory() for _ in range(4))
    bought(merchant, only_x, T1, "X")
    bought(merchant, x_and_z, T1, "X", "Z")
    bought(merchant, bought_y, T1, "X")
    bought(merchant, bought_y, T2, "Y", amount=10_000, refunded=10_000)  # refunded, but bought: never suggested
    returned_x = member_factory()
    bought(merchant, returned_x, T1, "X", amount=10_000, refunded=10_000)  # as if never bought: no first SKU
    return {"only_x": only_x, "x_and_z": x_and_z, "bought_y": bought_y, "nothing": nothing,
            "returned_x": returned_x}


def test_a_members_suggestions_are_ranked_by_summed_lift_and_never_what_they_bought(suggested):
    assert [(s.sku, s.name) for s in member_suggestions(suggested["only_x"].pk)] == [("Y", "Cake"), ("W", "")]
    # X and Z: W 1.5 + 2 = 3.5, Y 3 + 0.5 = 3.5: tied, then by SKU
    found = member_suggestions(suggested["x_and_z"].pk)
    assert [(s.sku, s.score) for s in found] == [("W", pytest.approx(3.5)), ("Y", pytest.approx(3.5))]
    assert [s.sku for s in member_suggestions(suggested["bought_y"].pk)] == ["W"]  # Y was bought, X too
    assert member_suggestions(suggested["nothing"].pk) == []
    assert member_suggestions(suggested["returned_x"].pk) == []
    assert [s.sku for s in member_suggestions(suggested["only_x"].pk, limit=1)] == ["Y"]
    for bad in (0, -1, True, 101):
        with pytest.raises(ValueError):
            member_suggestions(suggested["only_x"].pk, limit=bad)


def test_the_suggestions_of_many_members_come_in_one_query_by_name_or_sku(suggested, django_assert_max_num_queries):
    ids = [m.pk for m in suggested.values()]
    with django_assert_max_num_queries(1):
        found = suggestions_for(ids)
    assert found == {suggested["only_x"].pk: "Cake", suggested["x_and_z"].pk: "W", suggested["bought_y"].pk: "W"}
    assert suggestions_for([]) == {}


def test_the_command_recomputes_the_pairs_and_refuses_a_bad_minimum(history):
    from io import StringIO

    from django.core.management import CommandError, call_command

    out = StringIO()
    call_command("product_pairs", min_members=2, stdout=out)
    assert out.getvalue().startswith("2 product pairs in ")
    assert set(pairs()) == {("X", "Y"), ("Y", "X")}
    with pytest.raises(CommandError, match="min_members: an integer of at least 1"):
        call_command("product_pairs", min_members=0)
    assert set(pairs()) == {("X", "Y"), ("Y", "X")}
