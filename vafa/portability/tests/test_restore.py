"""`export_restore` and `vafa restore-export DIR`: a club exported, the database emptied (a fresh
installation: every row gone, ids not reused), the export restored: the same members, purchases,
coupons and gift cards, and the same ledger (balances, totals by kind, every transfer, lot and lot
use, by what they name rather than by id); the restored club goes on working. A changed file, a
wrong count, or an installation that has members is refused before anything is written."""

import json
import os
import re
import shutil
import subprocess
import sys
import uuid
from datetime import timedelta

import pytest
from django.core.management import CommandError, call_command
from django.db import connection, transaction
from django.utils import translation

from vafa.commerce.models import Purchase
from vafa.commerce.services import purchase_record, refund_record
from vafa.core.idcache import clear_all
from vafa.core.tests.fixtures import assert_ledger_ok, ledger_unguarded
from vafa.ledger.models import Account, Lot, LotUse, Transfer
from vafa.members.models import Application, ConsentChange, Member, MembershipPlan
from vafa.merchants.models import Merchant
from vafa.merchants.services import merchant_create
from vafa.portability.export import export_write, file_sha256
from vafa.portability.restore import RestoreError, export_restore
from vafa.portability.tests.test_export import ALI, SARA, build_club
from vafa.program.models import ProgramSettings, Reward, Rule, Tier
from vafa.program.selectors import forget_program
from vafa.rewards.models import Coupon, CouponUse, GiftCard, GiftCardUse, Redemption
from vafa.rewards.services import coupon_redeem

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def english():
    """The messages are checked in English; the CLI test below reads what an operator sees (Persian)."""
    with translation.override("en"):
        yield

# Kept as a fresh installation has them: what migrations write.
_KEPT = ("django_content_type", "auth_permission")


def empty_the_database() -> None:
    """Every row deleted, as in a newly migrated installation (its program settings at their
    defaults); the ledger's history guard is lifted for it. Ids are not reused afterwards, so a
    restore that kept an old id somewhere would show."""
    tables = [t for t in connection.introspection.django_table_names(only_existing=True, include_views=False)
              if t not in _KEPT]
    with transaction.atomic(), ledger_unguarded(), connection.cursor() as cursor:
        for table in tables:
            cursor.execute(f"DELETE FROM {connection.ops.quote_name(table)}")
    ProgramSettings.objects.create(pk=1)
    clear_all()
    forget_program()


def _account(account: Account, merchants: dict[int, str]) -> str:
    return account.member.phone if account.member_id else f"{account.role}:{merchants.get(account.merchant_id, '')}"


def club_state() -> dict:
    """The club by what its rows name (phones, codes, slugs, positions in id order), never by id."""
    merchants = dict(Merchant.objects.values_list("pk", "slug"))
    phones = dict(Member.objects.values_list("pk", "phone"))
    purchases = {p.pk: (p.merchant_id and merchants[p.merchant_id], p.external_id, phones[p.member_id],
                        p.occurred_at) for p in Purchase.objects.all()}
    redemptions = {r.pk: (phones[r.member_id], r.reward.name, r.created_at) for r in Redemption.objects.all()}
    transfers = list(Transfer.objects.order_by("pk").select_related("debit__member", "credit__member"))
    position = {t.pk: n for n, t in enumerate(transfers)}
    lots = list(Lot.objects.order_by("pk").select_related("account__member"))
    lot_position = {lot.pk: n for n, lot in enumerate(lots)}
    sources = {"purchase": purchases, "reward": redemptions, "api": merchants}
    members = {}
    for m in Member.objects.order_by("pk").select_related("tier_state__tier", "referred_by", "merchant"):
        tier = getattr(m, "tier_state", None)
        members[m.phone] = {
            "fields": (m.kind, m.first_name, m.last_name, m.organization_name, m.national_id, m.email, m.birth_date,
                       m.birth_jalali, m.status, m.referral_code, m.external_ref, m.joined_at, m.erased_at),
            "referred_by": m.referred_by.phone if m.referred_by else None,
            "merchant": m.merchant.slug if m.merchant else None,
            "tier": (tier.tier.code if tier.tier else None, tier.since, tier.hold_until) if tier else None,
            "interests": sorted(m.interests.values_list("slug", "name")),
            "consents": sorted(m.consents.values_list("channel", "granted", "changed_at")),
            "consent_changes": list(ConsentChange.objects.filter(member=m).order_by("pk").values_list(
                "channel", "granted", "source", "at")),
            "occasions": list(m.occasions.order_by("pk").values_list("kind", "title", "date")),
            "tags": list(m.member_tags.order_by("pk").values_list("tag__code", "tag__name", "tag__created_at",
                                                                  "added_at", "added_by")),
            "application": list(Application.objects.filter(member=m).values_list(
                "status", "created_at", "decided_at", "decided_by", "reason")),
            "tier_changes": list(m.tier_changes.order_by("pk").values_list("from_tier__code", "to_tier__code",
                                                                           "reason", "changed_at")),
            "memberships": list(m.memberships.order_by("pk").values_list(
                "plan__name", "starts_at", "ends_at", "amount_rial", "payment_reference", "channel", "created_at")),
            "account": (m.account.balance, m.account.deficit),
        }
    return {
        "merchants": sorted(Merchant.objects.values_list("name", "slug", "is_active", "created_at")),
        "plans": sorted(MembershipPlan.objects.values_list("name", "description", "fee_rial", "duration_days",
                                                           "earn_percent", "active", "created_at")),
        "members": members,
        "purchases": [(purchases[p.pk], p.branch.code if p.branch else None, p.amount, p.tax, p.shipping, p.discount,
                       p.channel, p.payment_method, p.points_earned, p.points_redeemed, p.balance_after,
                       p.applied_rules, p.refunded_amount, p.points_reversed, p.points_returned, p.fingerprint,
                       p.recorded_at, list(p.items.order_by("pk").values_list("sku", "name", "category", "quantity",
                                                                              "unit_price")),
                       list(p.refunds.order_by("pk").values_list("external_id", "amount", "points_reversed",
                                                                 "points_returned", "balance_after", "created_at")))
                      for p in Purchase.objects.order_by("pk").select_related("branch")],
        "redemptions": [(redemptions[r.pk], r.merchant_id and merchants[r.merchant_id], r.points, r.value_rial, r.free,
                         r.rule) for r in Redemption.objects.order_by("pk")],
        "transfers": [(t.kind, t.amount, _account(t.debit, merchants), _account(t.credit, merchants),
                       merchants.get(t.merchant_id), merchants.get(t.issuer_id), t.source_kind,
                       sources[t.source_kind][t.source_id] if t.source_kind in sources and t.source_id else t.source_id,
                       t.rule, t.memo, position.get(t.reverses_id), t.created_at) for t in transfers],
        "lots": [(_account(lot.account, merchants), position[lot.transfer_id], merchants.get(lot.merchant_id),
                  lot.amount, lot.remaining, lot.expired, lot.available_at, lot.expires_at, lot.created_at)
                 for lot in lots],
        "lot_uses": [(position[u.transfer_id], lot_position[u.lot_id], u.points)
                     for u in LotUse.objects.order_by("pk")],
        "coupons": [(c.code, c.kind, c.amount_rial, c.percent, c.cap_rial, c.min_purchase_rial, c.sku,
                     phones.get(c.member_id), redemptions.get(c.redemption_id), c.is_promo, c.usage_limit, c.used_count,
                     c.per_member_limit, c.starts_at, c.expires_at, merchants.get(c.merchant_id), c.created_at,
                     list(CouponUse.objects.filter(coupon=c).order_by("pk").values_list(
                         "member__phone", "amount", "discount", "reference", "merchant__slug", "created_at")))
                    for c in Coupon.objects.order_by("pk")],
        "gift_cards": [(g.code, phones[g.member_id], redemptions.get(g.redemption_id), g.initial_rial, g.balance_rial,
                        g.expires_at, merchants.get(g.merchant_id), g.created_at,
                        list(GiftCardUse.objects.filter(gift_card=g).order_by("pk").values_list(
                            "amount_rial", "balance_after", "reference", "merchant__slug", "created_at")))
                       for g in GiftCard.objects.order_by("pk")],
        "program": (sorted(Tier.objects.values_list("code", "name", "rank")),
                    sorted(Reward.objects.values_list("name", "kind", "cost_points", "stock", "active")),
                    sorted(Rule.objects.values_list("name", "status", "priority"))),
    }


@pytest.fixture
def club(settings, tmp_path):
    settings.SMS_BACKEND = "console"
    settings.SMS_OUTBOX = tmp_path / "outbox.jsonl"
    return build_club()


@pytest.fixture
def exported(club, tmp_path):
    folder = tmp_path / "export"
    export_write(folder)
    return folder


def test_the_restored_club_is_the_club(club, exported):
    before = club_state()
    old_member_ids = set(Member.objects.values_list("pk", flat=True))
    empty_the_database()
    assert (Member.objects.count(), Transfer.objects.count(), Merchant.objects.count()) == (0, 0, 0)

    summary = export_restore(exported)

    assert club_state() == before
    assert_ledger_ok()
    assert summary["files"] == {
        "merchants.csv": 1, "branches.csv": 1, "membership_plans.csv": 1, "program.json": 1, "rules.csv": 0,
        "interests.csv": 2,
        "tags.csv": 1, "members.csv": 4, "consent_changes.csv": 4, "occasions.csv": 1, "member_tags.csv": 1,
        "applications.csv": 1, "memberships.csv": 1, "tier_changes.csv": 1, "purchases.csv": 2,
        "purchase_items.csv": 1, "refunds.csv": 2, "walk_in_sales.csv": 0, "walk_in_sale_items.csv": 0,
        "redemptions.csv": 2, "accounts.csv": 8, "transfers.csv": 9,
        "lots.csv": 5, "lot_uses.csv": 3, "rule_awards.csv": 0, "coupons.csv": 2, "coupon_uses.csv": 1,
        "gift_cards.csv": 1, "gift_card_uses.csv": 1}
    assert summary["not_restored"] == ["messages.csv"]
    assert summary["merchants"] == {"matched": [], "created": [club["merchant"].slug]}
    assert summary["ledger"]["points_outstanding"] == 10
    assert summary["ledger"]["transfers_by_kind"]["refund_reversal"] == {"transfers": 2, "points": 105}
    # New rows, every reference mapped to them
    new_ids = set(Member.objects.values_list("pk", flat=True))
    assert not new_ids & old_member_ids
    assert sorted(Account.objects.filter(role="member").values_list("code", flat=True)) == sorted(
        f"member:{pk}" for pk in new_ids)
    # A purchase recorded without an external id has none again
    assert sorted(Purchase.objects.values_list("external_id", flat=True), key=str) == ["1001", None]


def test_the_restored_club_goes_on(club, exported):
    empty_the_database()
    export_restore(exported)
    merchant = Merchant.objects.get()
    sara = Member.objects.get(phone=SARA)
    first = Purchase.objects.get(external_id="1001")
    # The rest of the first purchase refunded: its 100 remaining points taken back, from 90: a deficit
    refund = refund_record(merchant_id=merchant.pk, purchase_id=first.pk, amount=1_000_000)
    assert (refund.points_reversed, refund.balance_after) == (100, -10)
    # A new purchase: 1 point per 10,000 Rials, repaying the deficit first
    later = purchase_record(merchant_id=merchant.pk, phone=SARA, amount=500_000, external_id="1002").purchase
    assert (later.points_earned, later.balance_after) == (50, 40)
    # The same external id again replays the restored purchase (the shop's retry)
    again = purchase_record(merchant_id=merchant.pk, phone=SARA, amount=1_250_000, external_id="1001",
                            branch="THR-1", payment_method="card",
                            items=[{"sku": "TEA-1", "name": "چای سیاه", "category": "tea", "quantity": 2,
                                    "unit_price": 625_000}])
    assert again.replayed and again.purchase.pk == first.pk
    # Sara's coupon is hers and still unused; Ali's deficit is still his
    coupon = Coupon.objects.get(member=sara)
    assert coupon_redeem(code=coupon.code, member_id=sara.pk, amount=2_000_000, merchant_id=merchant.pk).discount \
        == 500_000
    assert Account.objects.get(member__phone=ALI).deficit == 80
    assert_ledger_ok()


def test_the_command_restores_and_verify_ledger_agrees(club, exported, capsys):
    empty_the_database()
    call_command("restore_export", str(exported))
    out = capsys.readouterr().out.splitlines()
    assert out[0] == "merchants.csv: 1 rows restored"
    assert "transfers.csv: 9 rows restored" in out
    assert "messages.csv: not restored (kept in the export)" in out
    assert out[-1] == ("9 transfers, 5 lots, 4 member accounts, 10 points outstanding, as in the export; "
                       "all ledger invariants hold.")
    call_command("verify_ledger")
    verified = capsys.readouterr().out.splitlines()
    assert verified[-2:] == ["9 transfers, 5 lots, 4 member accounts, 10 points outstanding.",
                             "All ledger invariants hold."]


def test_the_export_operator_can_become_a_merchant_of_this_installation(club, exported):
    empty_the_database()
    main = merchant_create(name="فروشگاه اصلی", slug="main")
    summary = export_restore(exported, merchant_id=main.pk)
    assert summary["merchants"] == {"matched": ["main"], "created": []}
    assert list(Merchant.objects.values_list("slug", flat=True)) == ["main"]
    assert set(Purchase.objects.values_list("merchant_id", flat=True)) == {main.pk}
    issued = Account.objects.get(code=f"issued:{main.pk}")
    assert Transfer.objects.filter(debit=issued, kind="earn").count() == 2
    assert_ledger_ok()


# --- refusals: nothing is written -----------------------------------------------------------------


def _nothing_written() -> None:
    assert (Member.objects.count(), Merchant.objects.count(), Transfer.objects.count(), Tier.objects.count()) == (
        0, 0, 0, 0)


def test_a_changed_file_is_refused_before_anything_is_written(club, exported):
    empty_the_database()
    members = exported / "members.csv"
    members.write_bytes(members.read_bytes().replace("سارا".encode(), "سارہ".encode()))
    with pytest.raises(RestoreError) as caught:
        export_restore(exported)
    assert str(caught.value.message) == ("members.csv is not the file the manifest describes (its size or SHA-256 "
                                         "differs): it changed after the export.")
    _nothing_written()


def test_a_count_that_does_not_match_is_refused(club, exported):
    empty_the_database()
    manifest = json.loads((exported / "manifest.json").read_text(encoding="utf-8"))
    next(e for e in manifest["files"] if e["name"] == "purchases.csv")["rows"] = 3
    (exported / "manifest.json").write_text(json.dumps(manifest), encoding="utf-8")
    with pytest.raises(RestoreError, match=r"^purchases\.csv has 2 rows; the manifest says 3\.$"):
        export_restore(exported)
    _nothing_written()


def test_a_missing_file_or_a_folder_that_is_no_export_is_refused(club, exported, tmp_path):
    empty_the_database()
    (exported / "lots.csv").unlink()
    with pytest.raises(RestoreError, match=r"^lots\.csv is missing from "):
        export_restore(exported)
    with pytest.raises(RestoreError, match=r"has no manifest\.json: it is not an export made by vafa export\."):
        export_restore(tmp_path)
    manifest = json.loads((exported / "manifest.json").read_text(encoding="utf-8"))
    manifest["format_version"] = 2
    (exported / "manifest.json").write_text(json.dumps(manifest), encoding="utf-8")
    with pytest.raises(RestoreError, match="format version 2; this Vafa restores version 1"):
        export_restore(exported)
    _nothing_written()


def test_an_installation_with_members_is_refused(club, exported):
    members = Member.objects.count()
    with pytest.raises(RestoreError, match="already has members or points"):
        export_restore(exported)
    assert Member.objects.count() == members
    with pytest.raises(CommandError) as caught:
        call_command("restore_export", str(exported))
    assert caught.value.returncode == 2


def tamper(folder, name: str, old: str, new: str) -> None:
    """Change a file of the export and its manifest entry with it, as a hand-edited export would."""
    path = folder / name
    text = path.read_text(encoding="utf-8-sig")
    assert old in text
    path.write_text(text.replace(old, new, 1), encoding="utf-8-sig")
    manifest = json.loads((folder / "manifest.json").read_text(encoding="utf-8"))
    entry = next(e for e in manifest["files"] if e["name"] == name)
    entry["sha256"], entry["bytes"] = file_sha256(path), path.stat().st_size
    (folder / "manifest.json").write_text(json.dumps(manifest), encoding="utf-8")


def test_a_row_the_database_refuses_rolls_everything_back_and_says_where(club, exported):
    empty_the_database()
    tamper(exported, "lots.csv", ",40,40,0,", ",40,41,0,")  # more left than it held
    with pytest.raises(RestoreError) as caught:
        export_restore(exported)
    assert str(caught.value.message).startswith("lots.csv, line 6: the database refused a row there or before it: ")
    _nothing_written()


def test_a_ledger_that_does_not_add_up_to_the_export_is_rolled_back(club, exported):
    empty_the_database()
    sara = club["sara"]
    tamper(exported, "accounts.csv", f",member,{sara.pk},,90,0", f",member,{sara.pk},,91,0")
    with pytest.raises(RestoreError) as caught:
        export_restore(exported)
    assert str(caught.value.message).startswith("The restored ledger does not match the export's (")
    _nothing_written()


def test_a_cell_that_is_not_what_its_column_holds_is_refused_with_its_line(club, exported):
    empty_the_database()
    tamper(exported, "purchases.csv", ",in_store,card,", ",by_pigeon,card,")
    with pytest.raises(RestoreError) as caught:
        export_restore(exported)
    assert str(caught.value.message) == "purchases.csv, line 2: column channel: one of in_store, online"
    _nothing_written()


def test_a_reference_to_a_row_the_export_lacks_is_refused_with_its_line(club, exported):
    empty_the_database()
    first = club["first"]
    tamper(exported, "purchase_items.csv", f",{first.pk},TEA-1,", ",999999,TEA-1,")
    with pytest.raises(RestoreError) as caught:
        export_restore(exported)
    assert str(caught.value.message) == "purchase_items.csv, line 2: purchases 999999 is not in the export"
    _nothing_written()


# --- a real installation, as an operator runs it ------------------------------------------------


def vafa(*args, env):
    return subprocess.run([sys.executable, "-m", "vafa", *args], env=env, capture_output=True, text=True,
                          timeout=300)


def _env(tmp_path, database_url):
    clean = {k: v for k, v in os.environ.items() if not k.startswith("VAFA_") and k != "DATABASE_URL"}
    return {**clean, "VAFA_DEV": "1", "VAFA_VAR_DIR": str(tmp_path / "var"), "DATABASE_URL": database_url}


def _summary(env) -> str:
    done = vafa("verify-ledger", env=env)
    assert done.returncode == 0, done.stdout + done.stderr
    assert done.stdout.rstrip().endswith("All ledger invariants hold.")
    return re.search(r"\d+ transfers, \d+ lots, \d+ member accounts, -?\d+ points outstanding\.", done.stdout).group()


def _demo_exported_and_restored(tmp_path, source, target, fresh_copy) -> None:
    migrated = vafa("migrate", "-v0", env=source)
    assert migrated.returncode == 0, migrated.stderr
    fresh_copy()  # the target: a fresh installation, as migrated
    made = vafa("demo", "--members", "15", "--purchases", "120", env=source)
    assert made.returncode == 0, made.stderr
    exported = vafa("export", str(tmp_path / "club"), env=source)
    assert exported.returncode == 0, exported.stderr
    assert exported.stdout.splitlines()[0].startswith("merchants.csv: 1 rows, ")
    again = vafa("export", str(tmp_path / "club"), env=source)
    assert again.returncode == 2 and "خالی نیست: خروجی را در پوشه‌ای تازه یا خالی بگیرید." in again.stderr
    restored = vafa("restore-export", str(tmp_path / "club"), env=target)
    assert restored.returncode == 0, restored.stderr
    assert _summary(target) == _summary(source)
    twice = vafa("restore-export", str(tmp_path / "club"), env=target)
    assert twice.returncode == 2 and "این سامانه از پیش عضو یا امتیاز دارد" in twice.stderr
    # The restored installation exports the same rows (ids and creation times of rows made anew aside)
    assert vafa("export", str(tmp_path / "again"), env=target).returncode == 0
    first, second = (json.loads((tmp_path / name / "manifest.json").read_text(encoding="utf-8"))
                     for name in ("club", "again"))
    assert second["ledger"] == first["ledger"]
    assert [(e["name"], e["rows"]) for e in second["files"]] == [
        (e["name"], 0 if e["name"] == "messages.csv" else e["rows"]) for e in first["files"]]


def test_a_demo_club_moves_to_a_fresh_sqlite_installation(tmp_path):
    source = _env(tmp_path, f"sqlite:///{tmp_path / 'club.sqlite3'}")
    target = {**source, "DATABASE_URL": f"sqlite:///{tmp_path / 'fresh.sqlite3'}"}
    _demo_exported_and_restored(tmp_path, source, target,
                                lambda: shutil.copyfile(tmp_path / "club.sqlite3", tmp_path / "fresh.sqlite3"))


@pytest.mark.postgres
def test_a_demo_club_moves_to_a_fresh_postgresql_installation(tmp_path):
    import psycopg

    server = connection.settings_dict
    base = f"postgres://{server['USER']}@{server['HOST']}:{server['PORT'] or 5432}"
    source, target = (f"vafa_export_{uuid.uuid4().hex[:8]}_{n}" for n in ("src", "dst"))

    def fresh_copy():
        with psycopg.connect(f"{base}/postgres", autocommit=True) as admin:
            admin.execute(f'CREATE DATABASE "{target}" TEMPLATE "{source}"')

    with psycopg.connect(f"{base}/postgres", autocommit=True) as admin:
        admin.execute(f'CREATE DATABASE "{source}"')
    try:
        _demo_exported_and_restored(tmp_path, _env(tmp_path, f"{base}/{source}"), _env(tmp_path, f"{base}/{target}"),
                                    fresh_copy)
    finally:
        with psycopg.connect(f"{base}/postgres", autocommit=True) as admin:
            for name in (source, target):
                admin.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


def test_times_survive_with_their_instant(club, exported):
    before = {p.external_id: p.occurred_at for p in Purchase.objects.all()}
    empty_the_database()
    export_restore(exported)
    after = {p.external_id: p.occurred_at for p in Purchase.objects.all()}
    assert after["1001"] == before["1001"]
    assert after["1001"].utcoffset() == timedelta(0)  # stored in UTC whatever the file's offset
