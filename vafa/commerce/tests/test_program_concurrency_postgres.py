"""The program under concurrent purchases on PostgreSQL: budgets never exceeded, and lock
order (member accounts before rule rows; a referred member before the referrer; an account
before a member row) so two requests never deadlock."""

import threading
import time
from datetime import date

import pytest
from django.db import connection
from django.db.models import Sum

from vafa.commerce import referral_awards
from vafa.commerce import services as commerce_services
from vafa.commerce.services import purchase_record
from vafa.core.tests.fixtures import assert_ledger_ok
from vafa.ledger.tests.test_concurrency_postgres import run_together
from vafa.program.models import RuleAward
from vafa.program.rules import rule_create

pytestmark = [pytest.mark.postgres, pytest.mark.django_db(transaction=True)]


@pytest.mark.parametrize("same_member", [True, False])
@pytest.mark.parametrize("budget", [{"points": 95}, {"rials": 9_500}])
def test_a_budget_is_never_exceeded_by_concurrent_purchases(merchant, member_factory, same_member, budget):
    # Given a rule of 10 points a purchase with a budget worth 95 points
    rule = rule_create(data={"name": "ten", "status": "live", "effect": {"type": "fixed_points", "points": 10},
                             "budget": budget})
    members = [member_factory() for _ in range(1 if same_member else 20)]
    # When 20 purchases happen at once
    results = run_together(20, lambda i: purchase_record(
        merchant_id=merchant.pk, member_id=members[0 if same_member else i].pk, amount=100_000))
    # Then all succeed and the rule gave exactly its budget
    assert not [r for r in results if isinstance(r, Exception)]
    rule.refresh_from_db()
    assert rule.issued_points == RuleAward.objects.filter(rule=rule).aggregate(s=Sum("points"))["s"] == 95
    assert_ledger_ok()


def _in_threads(calls: dict) -> dict:
    results = {}

    def run(name, call):
        threading.current_thread().name = name
        try:
            connection.ensure_connection()
            results[name] = call()
        except Exception as exc:
            results[name] = exc
        finally:
            connection.close()

    threads = [threading.Thread(target=run, args=item) for item in calls.items()]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(60)
    return results


def test_a_referred_members_first_purchase_and_the_referrers_purchase_do_not_deadlock(
        merchant, member_factory, monkeypatch):
    # Given a budgeted purchase rule (its row is locked by purchases) and a referral reward
    rule_create(data={"name": "budgeted", "status": "live", "effect": {"type": "fixed_points", "points": 10},
                      "budget": {"points": 10**6}})
    rule_create(data={"name": "ref", "status": "live", "trigger": "referral_completed",
                      "effect": {"type": "fixed_points", "points": 100}})
    referrer = member_factory()
    friend = member_factory(referral_code=referrer.referral_code)
    referrer_locked, rule_locked = threading.Event(), threading.Event()
    book_open, usage = commerce_services.book_open, commerce_services.recorded_usage

    def book_open_then_wait(**kwargs):
        book = book_open(**kwargs)
        if threading.current_thread().name == "referrer":
            referrer_locked.set()
            rule_locked.wait(5)  # let the friend's purchase take the rule row first, if it can
        return book

    def usage_in_order(program, *, member_id, moment, lock=True):
        inner = usage(program, member_id=member_id, moment=moment, lock=lock)

        def usage_for(applying):
            if member_id == friend.pk:
                referrer_locked.wait(5)
            answer = inner(applying)
            if member_id == friend.pk:
                rule_locked.set()
                time.sleep(0.3)
            return answer

        return usage_for

    monkeypatch.setattr(commerce_services, "book_open", book_open_then_wait)
    for module in (commerce_services, referral_awards):  # every reader of rule usage in a purchase
        monkeypatch.setattr(module, "recorded_usage", usage_in_order)
    # When both buy at the same moment
    results = _in_threads({
        "friend": lambda: purchase_record(merchant_id=merchant.pk, member_id=friend.pk, amount=100_000),
        "referrer": lambda: purchase_record(merchant_id=merchant.pk, member_id=referrer.pk, amount=100_000),
    })
    # Then both are recorded and the referral paid once
    assert not [r for r in results.values() if isinstance(r, Exception)], results
    assert RuleAward.objects.filter(rule__name="ref").count() == 1
    assert_ledger_ok()


def test_a_profile_change_and_a_purchase_of_the_same_member_do_not_deadlock(merchant, member_factory, monkeypatch):
    # Given completing the profile earns points (the change then locks the member's account)
    from vafa.member_events import triggers
    from vafa.members.services import member_update

    rule_create(data={"name": "profile", "status": "live", "trigger": "profile_completed",
                      "effect": {"type": "fixed_points", "points": 10}})
    member = member_factory(email="a@example.com")
    member_locked, account_locked = threading.Event(), threading.Event()
    award_book_open, purchase_book_open = triggers.book_open, commerce_services.book_open

    def award_book_open_late(**kwargs):
        member_locked.set()
        account_locked.wait(5)
        time.sleep(0.5)  # the purchase reaches its insert, which needs the member row
        return award_book_open(**kwargs)

    def purchase_book_open_second(**kwargs):
        member_locked.wait(5)
        book = purchase_book_open(**kwargs)
        account_locked.set()
        return book

    monkeypatch.setattr(triggers, "book_open", award_book_open_late)
    monkeypatch.setattr(commerce_services, "book_open", purchase_book_open_second)
    results = _in_threads({
        "profile": lambda: member_update(member_id=member.pk, changes={"birth_date": date(1990, 1, 1)}),
        "purchase": lambda: purchase_record(merchant_id=merchant.pk, member_id=member.pk, amount=100_000),
    })
    assert not [r for r in results.values() if isinstance(r, Exception)], results
    assert_ledger_ok()


def test_a_program_import_and_a_purchase_do_not_deadlock(merchant, member, monkeypatch):
    # Given a budgeted rule that gives a stocked reward (a purchase locks the rule row, then
    # the reward row), and an import that changes that reward
    from vafa.program import document as program_document
    from vafa.program.catalog import reward_create
    from vafa.program.document import program_export, program_import

    reward = reward_create(name="tea", kind="coupon_amount", amount_rial=1000, cost_points=5, stock=100)
    rule_create(data={"name": "gift", "status": "live", "effect": {"type": "reward", "reward_id": reward.pk},
                      "budget": {"points": 10**6}})
    rule_create(data={"name": "pts", "status": "live", "effect": {"type": "fixed_points", "points": 5},
                      "budget": {"points": 10**6}})
    document = program_export()
    for item in document["rewards"]:
        item["cost_points"] = 7
    rules_locked, import_started = threading.Event(), threading.Event()
    usage, rules_import = commerce_services.recorded_usage, program_document._rules_import

    def usage_then_wait(program, **kwargs):
        inner = usage(program, **kwargs)

        def usage_for(applying):
            answer = inner(applying)  # the rule rows are locked now
            rules_locked.set()
            import_started.wait(5)
            time.sleep(0.5)
            return answer

        return usage_for

    def rules_import_signalled(*args, **kwargs):
        import_started.set()
        return rules_import(*args, **kwargs)

    monkeypatch.setattr(commerce_services, "recorded_usage", usage_then_wait)
    monkeypatch.setattr(program_document, "_rules_import", rules_import_signalled)

    def import_after_the_purchase_locked_rules():
        rules_locked.wait(5)
        return program_import(data=document)

    results = _in_threads({
        "purchase": lambda: purchase_record(merchant_id=merchant.pk, member_id=member.pk, amount=100_000),
        "import": import_after_the_purchase_locked_rules,
    })
    assert not [r for r in results.values() if isinstance(r, Exception)], results
    assert_ledger_ok()
