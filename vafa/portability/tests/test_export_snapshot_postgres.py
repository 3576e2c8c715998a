"""An export taken while the shop sells reads one state of the database: a purchase committed
by another connection halfway through (after accounts.csv, before transfers.csv) is in none of
the files, so the export still balances and restores. Without the snapshot the accounts would
miss the purchase's points and the transfers hold them: the restore would refuse the ledger.
The fixtures commit for real (transaction=True); the purchase runs in a thread of its own."""

import threading

import pytest
from django.db import connection

from vafa.commerce.services import purchase_record
from vafa.core.tests.fixtures import assert_ledger_ok
from vafa.ledger.models import Account, Transfer
from vafa.portability.export import export_write
from vafa.portability.restore import export_restore
from vafa.portability.tests.test_export import SARA, build_club, read_csv
from vafa.portability.tests.test_restore import empty_the_database

pytestmark = [pytest.mark.postgres, pytest.mark.django_db(transaction=True)]


def test_a_purchase_made_during_the_export_is_in_none_of_its_files(settings, tmp_path):
    settings.SMS_BACKEND = "console"
    settings.SMS_OUTBOX = tmp_path / "outbox.jsonl"
    club = build_club()
    transfers_before = Transfer.objects.count()
    sold = []

    def sell():
        try:
            sold.append(purchase_record(merchant_id=club["merchant"].pk, phone=SARA, amount=3_000_000,
                                        external_id="during-export").purchase)
        finally:
            connection.close()  # this thread's own connection

    def progress(file_name, rows):
        if file_name == "accounts.csv" and not sold:
            seller = threading.Thread(target=sell)
            seller.start()
            seller.join(timeout=60)  # committed before the export reads the transfers

    manifest = export_write(tmp_path / "out", progress=progress)

    assert sold and Transfer.objects.count() > transfers_before  # the purchase is in the database...
    # ...and in no file of the export
    assert len(read_csv(tmp_path / "out" / "transfers.csv")) == transfers_before == manifest["ledger"]["transfers"]
    assert "during-export" not in {row["external_id"] for row in read_csv(tmp_path / "out" / "purchases.csv")}
    sara = next(row for row in read_csv(tmp_path / "out" / "accounts.csv") if row["member_id"] == str(club["sara"].pk))
    assert int(sara["balance"]) == 90 == Account.objects.get(member=club["sara"]).balance - 300

    empty_the_database()
    summary = export_restore(tmp_path / "out")
    assert summary["ledger"] == manifest["ledger"]
    assert Account.objects.get(member__phone=SARA).balance == 90
    assert_ledger_ok()
