"""Sales without a member in `vafa export` and back through the restore: the same sales, items,
refunded amounts, branches and external ids, by what they name (never by id)."""

import pytest

from vafa.commerce.models import WalkInSale, WalkInSaleItem
from vafa.commerce.services import ItemIn, walk_in_sale_record, walk_in_sale_refund
from vafa.merchants.models import Merchant
from vafa.portability.export import export_write
from vafa.portability.restore import export_restore
from vafa.portability.tests.test_export import build_club, read_csv
from vafa.portability.tests.test_restore import empty_the_database

pytestmark = pytest.mark.django_db


def _sales() -> list[tuple]:
    slugs = dict(Merchant.objects.values_list("pk", "slug"))
    return sorted((
        (slugs[s.merchant_id], s.branch.code if s.branch_id else "", s.external_id or "", s.amount, s.refunded_amount,
         s.channel, s.payment_method, s.occurred_at, s.fingerprint,
         sorted((i.sku, i.name, i.category, i.quantity, i.unit_price) for i in s.items.all()))
        for s in WalkInSale.objects.select_related("branch").prefetch_related("items")), key=repr)


@pytest.fixture
def club(settings, tmp_path):
    settings.SMS_BACKEND = "console"
    settings.SMS_OUTBOX = tmp_path / "outbox.jsonl"
    made = build_club()
    m = made["merchant"].pk
    sale = walk_in_sale_record(merchant_id=m, amount=1_500_000, external_id="W-1", branch="THR-1",
                               payment_method="cash", items=[ItemIn(sku="TEA", quantity=3, unit_price=500_000,
                                                                     category="drinks", name="چای")]).sale
    walk_in_sale_refund(merchant_id=m, sale_id=sale.pk, amount=500_000)
    walk_in_sale_record(merchant_id=m, amount=80_000)
    return made


def test_sales_without_a_member_are_exported_and_restored(club, tmp_path):
    folder = tmp_path / "export"
    manifest = export_write(folder)
    rows = {e["name"]: e["rows"] for e in manifest["files"]}
    assert (rows["walk_in_sales.csv"], rows["walk_in_sale_items.csv"]) == (2, 1)
    exported = read_csv(folder / "walk_in_sales.csv")
    assert [(r["external_id"], r["amount"], r["refunded_amount"]) for r in exported] == [
        ("W-1", "1500000", "500000"), ("", "80000", "0")]
    before = _sales()
    empty_the_database()
    assert WalkInSale.objects.count() == WalkInSaleItem.objects.count() == 0
    summary = export_restore(folder)
    assert (summary["files"]["walk_in_sales.csv"], summary["files"]["walk_in_sale_items.csv"]) == (2, 1)
    assert _sales() == before
