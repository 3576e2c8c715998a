"""The ledger is shown in the Django admin but never edited there, not even by a superuser; and a
transfer row cannot be changed or deleted from code either."""

import pytest
from django.contrib import admin
from django.contrib.auth import get_user_model
from django.db import transaction
from django.test import RequestFactory
from django.urls import reverse

from vafa.commerce.services import purchase_record
from vafa.ledger.models import Account, IdempotencyRecord, Lot, Transfer
from vafa.ledger.services import points_redeem

pytestmark = [pytest.mark.django_db, pytest.mark.filterwarnings("ignore:No directory at")]

LEDGER_MODELS = [Transfer, Lot, Account, IdempotencyRecord]


@pytest.fixture
def superuser(db):
    return get_user_model().objects.create_superuser(username="root", email="root@example.com", password=None)


@pytest.fixture
def ledger(member, merchant):
    """A purchase, a redemption and an idempotency record: at least one row of each ledger model."""
    purchase = purchase_record(
        merchant_id=merchant.pk, member_id=member.pk, amount=2_000_000, external_id="ORD-1"
    ).purchase
    points_redeem(member_id=member.pk, points=50, merchant_id=merchant.pk)
    IdempotencyRecord.objects.create(
        merchant=merchant, key="key-1", fingerprint="f" * 64, status=201, body={"id": purchase.pk}
    )
    for model in LEDGER_MODELS:
        assert model.objects.exists()
    return purchase


def admin_url(model, action, *args):
    return reverse(f"admin:{model._meta.app_label}_{model._meta.model_name}_{action}", args=args)


@pytest.mark.parametrize("model", LEDGER_MODELS, ids=lambda m: m.__name__)
def test_no_add_change_or_delete_permission_even_for_a_superuser(model, superuser, ledger):
    request = RequestFactory().get("/admin/")
    request.user = superuser
    model_admin = admin.site._registry[model]
    obj = model.objects.first()
    assert model_admin.has_view_permission(request) is True
    assert model_admin.has_view_permission(request, obj) is True
    assert model_admin.has_add_permission(request) is False
    assert model_admin.has_change_permission(request) is False
    assert model_admin.has_change_permission(request, obj) is False
    assert model_admin.has_delete_permission(request) is False
    assert model_admin.has_delete_permission(request, obj) is False
    assert "delete_selected" not in model_admin.get_actions(request)


@pytest.mark.parametrize("model", LEDGER_MODELS, ids=lambda m: m.__name__)
def test_the_superuser_can_read_the_changelist_and_each_row(model, client, superuser, ledger):
    client.force_login(superuser)
    response = client.get(admin_url(model, "changelist"))
    assert response.status_code == 200
    assert response.context["cl"].result_count == model.objects.count()
    obj = model.objects.first()
    response = client.get(admin_url(model, "change", obj.pk))
    assert response.status_code == 200
    assert response.context["has_change_permission"] is False
    assert b'name="_save"' not in response.content


@pytest.mark.parametrize("model", LEDGER_MODELS, ids=lambda m: m.__name__)
def test_the_superuser_cannot_add_change_or_delete_through_the_admin(model, client, superuser, ledger):
    client.force_login(superuser)
    obj = model.objects.first()
    rows = list(model.objects.order_by("pk").values())
    assert client.get(admin_url(model, "add")).status_code == 403
    assert client.post(admin_url(model, "add"), {}).status_code == 403
    assert client.post(admin_url(model, "change", obj.pk), {"memo": "edited", "balance": "999999"}).status_code == 403
    assert client.get(admin_url(model, "delete", obj.pk)).status_code == 403
    assert client.post(admin_url(model, "delete", obj.pk), {"post": "yes"}).status_code == 403
    response = client.post(
        admin_url(model, "changelist"), {"action": "delete_selected", "_selected_action": [obj.pk], "post": "yes"}
    )
    assert response.status_code in (200, 302)
    assert list(model.objects.order_by("pk").values()) == rows


def test_a_saved_transfer_cannot_be_saved_again(ledger):
    transfer = Transfer.objects.get(kind="earn")
    original = Transfer.objects.filter(pk=transfer.pk).values().get()
    transfer.amount = 1_000_000
    transfer.memo = "edited"
    with pytest.raises(ValueError, match="immutable"):
        transfer.save()
    with pytest.raises(ValueError, match="immutable"):
        transfer.save(update_fields=["memo"])
    assert Transfer.objects.filter(pk=transfer.pk).values().get() == original


def test_a_transfer_cannot_be_deleted(ledger):
    count = Transfer.objects.count()
    for transfer in Transfer.objects.all():
        with pytest.raises(ValueError, match="immutable"):
            transfer.delete()
    assert Transfer.objects.count() == count


def test_a_transfer_that_a_lot_depends_on_is_protected_even_from_a_bulk_delete(ledger):
    from django.db.models import ProtectedError

    count = Transfer.objects.count()
    with pytest.raises(ProtectedError), transaction.atomic():
        Transfer.objects.filter(kind="earn").delete()
    assert Transfer.objects.count() == count


def test_a_new_transfer_is_saved_once(member, merchant, ledger):
    issued = Account.objects.get(code=f"issued:{merchant.pk}")
    expired = Account.objects.get_or_create(code="expired", defaults={"role": "expired"})[0]
    transfer = Transfer(debit=issued, credit=expired, amount=1, kind="transfer")
    transfer.save()
    assert transfer.pk is not None
    with pytest.raises(ValueError):
        transfer.save()
