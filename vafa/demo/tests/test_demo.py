"""`vafa demo`: a believable club, built through the services, idempotent, ledger intact."""

from io import StringIO

import pytest
from django.contrib.auth import get_user_model
from django.core.management import call_command
from django.db.models import F

from vafa.commerce.models import Purchase, PurchaseItem, Refund
from vafa.core.national_id import validate_national_id
from vafa.core.phone import normalize_phone
from vafa.demo import data
from vafa.demo.build import API_KEY_FILE, demo_plan
from vafa.ledger.checks import verify_ledger
from vafa.ledger.models import Account, Lot, Transfer
from vafa.members.models import Consent, Interest, Member, Occasion
from vafa.merchants.models import ApiKey, Branch, Merchant
from vafa.merchants.selectors import merchant_for_api_key

MEMBERS, PURCHASES = 20, 150


@pytest.fixture(autouse=True)
def _var_dir(settings, tmp_path):
    settings.VAR_DIR = tmp_path
    return tmp_path


def run_demo(**options) -> str:
    out = StringIO()
    call_command("demo", members=MEMBERS, purchases=PURCHASES, stdout=out, **options)
    return out.getvalue()


def counts() -> dict[str, int]:
    return {
        model.__name__: model.objects.count()
        for model in (
            Merchant,
            Branch,
            ApiKey,
            Member,
            Consent,
            Interest,
            Occasion,
            Purchase,
            PurchaseItem,
            Refund,
            Account,
            Transfer,
            Lot,
            get_user_model(),
        )
    }


def test_plan_is_deterministic_and_valid():
    first, second = demo_plan(members=MEMBERS, purchases=PURCHASES), demo_plan(members=MEMBERS, purchases=PURCHASES)
    assert first == second
    phones = [normalize_phone(m.phone) for m in first.members]
    assert len(set(phones)) == MEMBERS
    for m in first.members:
        if m.national_id:
            assert validate_national_id(m.national_id, m.kind) == m.national_id
    assert [p.external_id for p in first.purchases] == [f"demo-{n:06d}" for n in range(1, PURCHASES + 1)]
    for p in first.purchases:
        assert 1 <= len(p.items) <= 5
        assert all(50_000 <= i.unit_price <= 5_000_000 for i in p.items)
        assert sum(p.refunds) <= p.amount
    # Oldest first; the old ones (12-14 months back) come before every recent one.
    assert [p.days_back for p in first.purchases] == sorted((p.days_back for p in first.purchases), reverse=True)
    assert all(375 <= p.days_back <= 425 for p in first.purchases if p.old)
    assert all(1 <= p.days_back <= 363 for p in first.purchases if not p.old)


@pytest.mark.django_db
def test_demo_builds_the_club_once(_var_dir):
    out = run_demo()

    merchant = Merchant.objects.get(slug=data.MERCHANT_SLUG)
    assert merchant.name == data.MERCHANT_NAME
    assert sorted(Branch.objects.filter(merchant=merchant).values_list("code", flat=True)) == [
        "ISF-1",
        "SHZ-1",
        "TBZ-1",
        "THR-1",
    ]
    assert Member.objects.count() == MEMBERS
    assert Member.objects.filter(kind=Member.Kind.ORGANIZATION).count() == MEMBERS // 10
    assert Member.objects.filter(kind=Member.Kind.PERSON).count() == MEMBERS - MEMBERS // 10
    for kind, organization_name, national_id in Member.objects.values_list("kind", "organization_name", "national_id"):
        if kind == Member.Kind.ORGANIZATION:
            assert organization_name and len(national_id) == 11
        if national_id:
            validate_national_id(national_id, kind)
    assert Purchase.objects.count() == PURCHASES
    assert set(Purchase.objects.values_list("external_id", flat=True)) == {
        f"demo-{n:06d}" for n in range(1, PURCHASES + 1)
    }
    assert Purchase.objects.filter(branch__isnull=False).exists()
    assert Purchase.objects.filter(refunded_amount=F("amount")).exists()  # full refunds
    assert Purchase.objects.filter(refunded_amount__gt=0, refunded_amount__lt=F("amount")).exists()  # partial
    assert Transfer.objects.filter(kind=Transfer.Kind.REDEEM, source_kind="purchase").exists()
    assert Transfer.objects.filter(kind=Transfer.Kind.REDEEM, source_kind="api").exists()
    assert Transfer.objects.filter(kind=Transfer.Kind.REFUND_REVERSAL).exists()
    assert Transfer.objects.filter(kind=Transfer.Kind.EXPIRE).exists()
    assert Transfer.objects.filter(kind=Transfer.Kind.ADJUST).exists()
    assert Interest.objects.exists() and Consent.objects.exists()

    # The raw key is in var/demo-api-key.txt only, it works, and the output shows it and a login.
    raw_key = (_var_dir / API_KEY_FILE).read_text().strip()
    assert merchant_for_api_key(raw_key) == merchant
    assert raw_key in out
    admin = get_user_model().objects.get(username="admin")
    assert admin.is_superuser and admin.is_staff and admin.check_password("vafa-demo-1405")
    assert "vafa-demo-1405" in out and "http://127.0.0.1:8000/admin/" in out

    assert [(name, problems) for name, problems in verify_ledger() if problems] == []

    before = counts()
    second = run_demo()

    assert counts() == before
    assert "nothing created" in second
    assert raw_key in second
    assert [(name, problems) for name, problems in verify_ledger() if problems] == []


@pytest.mark.django_db
def test_a_lost_key_file_gets_a_new_working_key(_var_dir):
    run_demo()
    first = (_var_dir / API_KEY_FILE).read_text().strip()
    (_var_dir / API_KEY_FILE).unlink()

    out = run_demo()

    second = (_var_dir / API_KEY_FILE).read_text().strip()
    assert second != first and second in out
    assert merchant_for_api_key(second) == Merchant.objects.get(slug=data.MERCHANT_SLUG)
    assert ApiKey.objects.count() == 2
    assert merchant_for_api_key(first) is None  # the lost key is revoked
    assert Purchase.objects.count() == PURCHASES


@pytest.mark.django_db
def test_an_interrupted_demo_is_completed_without_doubling(_var_dir):
    # Given a club whose purchases stopped part-way (a first run that was cut short) ...
    call_command("demo", members=MEMBERS, purchases=40, stdout=StringIO())
    assert Purchase.objects.count() == 40

    # ... the full run records only what is missing.
    run_demo()

    assert Member.objects.count() == MEMBERS
    assert Purchase.objects.count() == PURCHASES
    assert [(name, problems) for name, problems in verify_ledger() if problems] == []
