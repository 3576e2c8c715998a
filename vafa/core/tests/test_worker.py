"""`vafa worker --once`: the periodic jobs that are due run once a Tehran day, as tasks; a missed
day's birthdays are caught up; the outbox is handled; running it again does nothing twice."""

from datetime import date, datetime, time, timedelta
from io import StringIO

import pytest
from django.core.management import CommandError, call_command
from django_tasks_db.models import DBTaskResult

from vafa.core.jalali import TEHRAN
from vafa.core.models import JobRun
from vafa.ledger.models import Transfer
from vafa.member_events.models import Event
from vafa.program.services import rule_create
from vafa.usecases.points import member_adjust

pytestmark = pytest.mark.django_db


def at(day: date, hour: int, minute: int = 0) -> str:
    return datetime.combine(day, time(hour, minute), tzinfo=TEHRAN).isoformat()


def worker(now: str, capsys) -> str:
    call_command("worker", once=True, now=now)
    return capsys.readouterr().out


def test_the_daily_jobs_run_once_each_as_tasks_at_or_after_their_time(member, capsys):
    member_adjust(merchant_id=None, member_id=member.pk, points=10, reason="start")
    day = (datetime.now(TEHRAN) + timedelta(days=400)).date()  # the points have expired by then
    # At 00:10 only the expiry (00:05) is due; tiers (00:20) and occasions (08:00) wait
    out = worker(at(day, 0, 10), capsys)
    assert f"jobs scheduled: expire-points {day}; outbox: 0 handled, 0 failed; tasks run: 1" in out
    assert Transfer.objects.filter(kind="expire").count() == 1
    [run] = JobRun.objects.all()
    assert (run.job, run.period, run.result) == ("expire-points", day.isoformat(), "10 points of 1 members")
    assert run.finished_at is not None
    # At 09:00 the other six (the retention run, the members' scoring at 03:30, the product pairs at 03:45 and
    # the programme effect at 04:00); the expiry is not run again
    out = worker(at(day, 9), capsys)
    assert (f"jobs scheduled: review-tiers {day}, retention {day}, score-members {day}, product-pairs {day}, "
            f"programme-effect {day}, award-occasions {day};") in out
    assert "tasks run: 6" in out
    assert worker(at(day, 23), capsys).strip() == "jobs scheduled: none; outbox: 0 handled, 0 failed; tasks run: 0"
    assert sorted(JobRun.objects.values_list("job", "period")) == [
        ("award-occasions", day.isoformat()), ("expire-points", day.isoformat()), ("product-pairs", day.isoformat()),
        ("programme-effect", day.isoformat()), ("retention", day.isoformat()), ("review-tiers", day.isoformat()),
        ("score-members", day.isoformat())]
    assert set(DBTaskResult.objects.values_list("status", flat=True)) == {"SUCCESSFUL"}
    # The next day they are due again
    assert "expire-points" in worker(at(day + timedelta(days=1), 1), capsys)


def test_a_new_installation_does_not_run_yesterdays_jobs(capsys):
    day = date(2027, 3, 1)
    assert worker(at(day, 0, 1), capsys).startswith("jobs scheduled: none;")
    assert JobRun.objects.count() == 0


def test_birthdays_of_days_the_worker_missed_are_still_celebrated(member_factory, capsys):
    rule_create(data={"name": "birthday", "status": "live", "trigger": "occasion", "occasion": "birthday",
                      "effect": {"type": "fixed_points", "points": 50}})
    today = date(2027, 5, 20)
    JobRun.objects.create(job="award-occasions", period=(today - timedelta(days=4)).isoformat())  # last seen
    born = member_factory(birth_date=date(1990, 5, 18))  # two days ago, Gregorian and Jalali alike
    out = worker(at(today, 9), capsys)
    assert "award-occasions 2027-05-17, award-occasions 2027-05-18, award-occasions 2027-05-19, " \
           "award-occasions 2027-05-20" in out
    [award] = Event.objects.filter(type="occasion.birthday")
    assert (award.member_id, award.points_earned) == (born.pk, 50)
    assert award.occurred_at.astimezone(TEHRAN).date() == date(2027, 5, 18)
    worker(at(today, 10), capsys)
    assert Event.objects.filter(type="occasion.birthday").count() == 1


@pytest.mark.parametrize(("args", "message"), [
    (["--now", "2026-12-24T10:00:00+03:30"], "--now needs --once"),
    (["--once", "--now", "2026-12-24T10:00:00"], "not a time with its offset"),
    (["--once", "--now", "tomorrow"], "not a time with its offset"),
    (["--once", "--interval", "-1"], "--interval: not below 0"),
])
def test_bad_options_are_one_clear_line(args, message):
    with pytest.raises(CommandError, match=message):
        call_command("worker", *args)


def test_with_another_task_backend_the_worker_schedules_the_jobs_and_leaves_the_tasks_to_it(settings, capsys):
    # E.g. RQ on Redis: its own workers run the tasks; here a backend that only keeps them.
    from django_tasks import task_backends

    settings.TASKS = {"default": {"BACKEND": "django_tasks.backends.dummy.DummyBackend"}}
    try:
        out = worker(at(date(2027, 3, 1), 9), capsys)
        assert "expire-points 2027-03-01" in out and "tasks run: 0" in out
        assert len(task_backends["default"].results) == 7 and DBTaskResult.objects.count() == 0
    finally:
        settings.TASKS = {"default": {"BACKEND": "django_tasks_db.DatabaseBackend", "QUEUES": ["default"]}}


def test_the_catch_up_window_is_a_setting(member_factory, capsys, settings):
    settings.JOBS_CATCH_UP_DAYS = 2
    today = date(2027, 5, 20)
    JobRun.objects.create(job="award-occasions", period=(today - timedelta(days=5)).isoformat())
    out = worker(at(today, 9), capsys)
    assert "award-occasions 2027-05-19, award-occasions 2027-05-20" in out
    assert "award-occasions 2027-05-18" not in out


def test_the_retention_run_deletes_only_what_is_old(member, capsys, settings, merchant):
    from vafa.ledger.models import IdempotencyRecord
    from vafa.members.models import CodeFailure, OneTimeCode
    from vafa.merchants.models import LoginFailure

    settings.RETENTION_DAYS, settings.IDEMPOTENCY_DAYS = 30, 10
    now = datetime(2027, 5, 20, 9, tzinfo=TEHRAN)
    for days in (31, 29):
        moment = now - timedelta(days=days)
        OneTimeCode.objects.create(phone="+989121234567", code_hash="x", created_at=moment,
                                   expires_at=moment + timedelta(minutes=2))
        CodeFailure.objects.create(address="192.0.2.1", phone="+989121234567", at=moment)
        LoginFailure.objects.create(username="ali", ip="192.0.2.1", at=moment)
    for days in (11, 9):
        IdempotencyRecord.objects.create(merchant=merchant, key=f"k{days}", fingerprint="f", status=201, body={},
                                         created_at=now - timedelta(days=days))
    from vafa.usecases.retention import retention_run

    run = retention_run(now=now)
    assert (run.codes, run.login_failures, run.idempotency_records) == (2, 1, 1)  # a code and a wrong code
    assert list(IdempotencyRecord.objects.values_list("key", flat=True)) == ["k9"]
    assert OneTimeCode.objects.count() == LoginFailure.objects.count() == CodeFailure.objects.count() == 1
    # `vafa retention` runs it as of now (all these rows lie in the future of the real clock)
    out = StringIO()
    call_command("retention", stdout=out)
    assert out.getvalue() == "0 codes, 0 failed logins, 0 idempotency records deleted.\n"
