"""The nightly scoring (vafa/insight/scoring.py, services.py) on the database, SQLite and
PostgreSQL alike: the purchase-day summary by DESIGN's conventions (Tehran days with the daylight
saving time of 2021, same-day purchases merged, refunds, free items), RFM quintiles, MemberScore
written in bulk with p_alive_before, refused fits recorded, and the nightly job."""

from datetime import date, datetime, time, timedelta

import numpy as np
import pytest
from django.db.models import F

from vafa.commerce.models import Purchase
from vafa.core.errors import ValidationFailed
from vafa.core.jalali import TEHRAN
from vafa.core.jobs import registered_jobs
from vafa.insight import clv, scoring
from vafa.insight.models import ClvFit
from vafa.insight.services import FitRefused, clv_fit, members_score
from vafa.members.models import MemberScore

pytestmark = pytest.mark.django_db

END = date(2021, 12, 31)


def tehran(*args) -> datetime:
    return datetime(*args, tzinfo=TEHRAN)


def bought(merchant, member, moment: datetime, amount: int, refunded: int = 0) -> None:
    Purchase.objects.create(merchant=merchant, member=member, amount=amount, refunded_amount=refunded,
                            occurred_at=moment)


def rows(s: scoring.Summary) -> dict[int, tuple]:
    return {int(m): (int(s.x[k]), int(s.t_x_days[k]), int(s.T_days[k]),
                     None if np.isnan(s.repeat_mean[k]) else float(s.repeat_mean[k]), int(s.recency_days[k]),
                     int(s.window_days[k]), int(s.window_money[k]))
            for k, m in enumerate(s.member_id)}


def test_the_summary_follows_designs_conventions(merchant, member_factory):
    a, b, c, d, e, f = (member_factory() for _ in range(6))
    bought(merchant, a, tehran(2021, 6, 30, 12, 0), 1_000_000)
    # 00:20 Tehran summer time is 19:50 UTC the day before: a fixed +03:30 would put it on 30 Khordad
    bought(merchant, a, tehran(2021, 7, 1, 0, 20), 500_000)
    bought(merchant, a, tehran(2021, 7, 1, 18, 0), 300_000)  # the same day: one transaction of 800,000
    bought(merchant, a, tehran(2021, 9, 10, 10, 0), 2_000_000, refunded=2_000_000)  # refunded in full: no day
    bought(merchant, a, tehran(2021, 10, 5, 9, 0), 400_000, refunded=100_000)  # 300,000 net
    bought(merchant, a, tehran(2021, 12, 31, 23, 50), 200_000)  # the last minute of the calibration end
    bought(merchant, a, tehran(2022, 1, 1, 0, 10), 900_000)  # after it
    bought(merchant, b, tehran(2021, 12, 31, 10, 0), 700_000)  # first bought on the last day
    bought(merchant, c, tehran(2021, 11, 1, 10, 0), 0)  # a free item: a purchase day worth 0
    bought(merchant, c, tehran(2021, 11, 15, 10, 0), 1_000_000)
    bought(merchant, d, tehran(2021, 5, 5, 10, 0), 300_000, refunded=300_000)  # nothing left: no summary
    bought(merchant, f, tehran(2020, 5, 1, 10, 0), 100_000)  # both before the RFM window
    bought(merchant, f, tehran(2020, 6, 1, 10, 0), 150_000)

    found = rows(scoring.summary(END))
    assert found == {
        # x, t_x, T (days), m (the repeat days' mean), days since the last, days and money in the window
        a.pk: (3, 184, 184, (800_000 + 300_000 + 200_000) / 3, 0, 4, 2_300_000),
        b.pk: (0, 0, 0, None, 0, 1, 700_000),
        c.pk: (1, 14, 60, 1_000_000.0, 46, 2, 1_000_000),
        f.pk: (1, 31, 609, 150_000.0, 578, 0, 0),
    }
    assert e.pk not in found and d.pk not in found
    # A day earlier the last minute of 31 December is out, and 1 July's purchases are still one day
    earlier = rows(scoring.summary(date(2021, 12, 30)))[a.pk]
    assert earlier[:4] == (2, 97, 183, 550_000.0)


def test_rfm_quintiles_are_ntile_5_with_ties_broken_by_member_id(merchant, member_factory):
    # (days before the end of each purchase day, net of each): the last is the most recent
    histories = [
        [(100, 100)],  # m1
        [(40, 300), (20, 300), (10, 300)],  # m2
        [(30, 250), (10, 250)],  # m3
        [(0, 5_000)],  # m4
        [(340, 75), (330, 75), (320, 75), (300, 75)],  # m5
        [(60, 250), (50, 250)],  # m6
        [(1, 50)],  # m7
        [(400, 1_000)],  # m8: before the window
    ]
    members = []
    for history in histories:
        member = member_factory()
        members.append(member)
        for days, amount in history:
            bought(merchant, member, datetime.combine(END - timedelta(days=days), time(12), tzinfo=TEHRAN), amount)
    s = scoring.summary(END)
    r, f, m = scoring.rfm(s)
    by_member = {int(k): (int(r[i]), int(f[i]), int(m[i])) for i, k in enumerate(s.member_id)}
    # 7 members in the window: NTILE(5) makes groups of 2, 2, 1, 1, 1
    assert [by_member[x.pk] for x in members] == [
        (1, 1, 1),  # m1: 100 days ago, 1 day, 100
        (2, 4, 4),  # m2: 10 days ago (before m3 by id), 3 days, 900
        (3, 2, 2),  # m3: 10 days ago, 2 days, 500 (before m6 by id)
        (5, 1, 5),  # m4: today, 1 day, 5,000
        (1, 5, 2),  # m5: 300 days ago, 4 days, 300
        (2, 3, 3),  # m6: 50 days ago, 2 days, 500
        (4, 2, 1),  # m7: yesterday, 1 day, 50
        (0, 0, 0),  # m8: none (NULL)
    ]


@pytest.mark.parametrize(("n", "expected"), [(1, [1]), (4, [1, 2, 3, 4]), (7, [1, 1, 2, 2, 3, 4, 5]),
                                             (12, [1, 1, 1, 2, 2, 2, 3, 3, 4, 4, 5, 5])])
def test_ntile_numbers_as_sql_does(n, expected):
    assert scoring.ntile(np.zeros(n), np.arange(n)).tolist() == expected


def simulated_club(merchant, member_factory, n: int = 300, seed: int = 4) -> list:
    """Members buying as BG/NBD tells it over 2021 (days), one purchase per purchase day."""
    rng = np.random.default_rng(seed)
    rate, drop = rng.gamma(0.9, 1 / 40.0, n), rng.beta(1.2, 3.0, n)
    members, purchases = [], []
    for i in range(n):
        member = member_factory()
        members.append(member)
        first = int(rng.integers(0, 200))
        day = float(first)
        amount_scale = rng.gamma(4.0, 250_000)
        while day <= 364:
            amount = int(rng.gamma(6.0, amount_scale / 6)) + 1_000
            moment = datetime.combine(date(2021, 1, 1) + timedelta(days=int(day)), time(11), tzinfo=TEHRAN)
            purchases.append(Purchase(merchant=merchant, member=member, amount=amount, occurred_at=moment))
            if day > first and rng.random() < drop[i]:
                break
            day = np.floor(day) + 1 + rng.exponential(1 / rate[i])
    Purchase.objects.bulk_create(purchases)
    return members


def test_a_fit_scores_every_member_who_bought(merchant, member_factory, settings):
    settings.CLV_MONTHLY_DISCOUNT = 2.0
    members = simulated_club(merchant, member_factory)
    idle = member_factory()
    now = tehran(2022, 1, 1, 3, 30)
    answer = clv_fit(calibration_end=END, now=now)
    s = scoring.summary(END)
    assert answer["members"] == s.members == len(members)
    fit = ClvFit.objects.get()
    assert (fit.status, fit.reason, fit.unit, fit.members, fit.repeat_members) == (
        "fitted", "", "week", len(members), int((s.x > 0).sum()))
    assert fit.bgnbd == answer["bgnbd"] and fit.gamma_gamma == answer["gamma_gamma"]
    assert fit.fitted_at == now and fit.seconds > 0
    # What is stored is what the models say with the fitted parameters
    bg = clv.BgNbd(**answer["bgnbd"])
    gg = clv.GammaGamma(**answer["gamma_gamma"])
    x, t_x, T = s.x.astype(float), s.t_x_days / 7, s.T_days / 7
    alive = clv.p_alive(bg, x, t_x, T)
    e90 = clv.expected_purchases(bg, 90 / 7, x, t_x, T)
    spend = clv.expected_spend(gg, x, s.repeat_mean)
    value = clv.lifetime_value(bg, gg, x, t_x, T, s.repeat_mean, monthly_discount=0.02)
    scores = {row.member_id: row for row in MemberScore.objects.all()}
    assert set(scores) == {m.pk for m in members} and idle.pk not in scores
    for k, member_id in enumerate(s.member_id.tolist()):
        row = scores[member_id]
        assert row.p_alive == pytest.approx(alive[k], rel=1e-12)
        assert row.expected_purchases_90d == pytest.approx(e90[k], rel=1e-12)
        assert row.expected_avg_spend_rial == round(spend[k])
        assert row.clv_rial == round(value[k])
        assert row.repeat_days == s.x[k]
        assert row.p_alive_before is None and row.scored_at == now
    one_timer = scores[int(s.member_id[np.argmax(s.x == 0)])]
    assert one_timer.p_alive == 1.0 and one_timer.expected_avg_spend_rial == round(gg.population_mean)


def test_p_alive_before_is_the_last_scoring_of_an_earlier_day(merchant, member_factory):
    simulated_club(merchant, member_factory)
    first_night, second_night = tehran(2022, 1, 1, 3, 30), tehran(2022, 1, 2, 3, 30)
    clv_fit(calibration_end=END, now=first_night)
    before = dict(MemberScore.objects.values_list("member_id", "p_alive"))
    clv_fit(calibration_end=date(2022, 1, 1), now=second_night)
    after = {row.member_id: row for row in MemberScore.objects.all()}
    assert {k: row.p_alive_before for k, row in after.items()} == before
    assert sum(row.p_alive < before[k] for k, row in after.items()) > 0  # a day of silence lowers some
    # Scored again the same day: the comparison is kept, not lost
    clv_fit(calibration_end=date(2022, 1, 1), now=second_night + timedelta(hours=5))
    assert dict(MemberScore.objects.values_list("member_id", "p_alive_before")) == before


def test_a_refused_fit_is_recorded_and_the_rfm_still_written(merchant, member_factory):
    people = [member_factory() for _ in range(12)]
    for k, member in enumerate(people):
        bought(merchant, member, tehran(2021, 10, 1 + k, 12, 0), 100_000 * (k + 1))
    for member in people[:3]:  # three repeat customers: too few
        bought(merchant, member, tehran(2021, 11, 20, 12, 0), 50_000)
    MemberScore.objects.create(member=people[0], p_alive=0.9, scored_at=tehran(2021, 12, 1))
    with pytest.raises(FitRefused) as refused:
        clv_fit(calibration_end=END, now=tehran(2022, 1, 1, 3, 30))
    reason = "too few repeat customers: 3 of 12 members bought more than once (at least 10 and 2% are needed)"
    assert refused.value.reason == reason
    fit = ClvFit.objects.get()
    assert (fit.status, fit.reason, fit.members, fit.repeat_members, fit.bgnbd, fit.gamma_gamma) == (
        "refused", reason, 12, 3, {}, {})
    rows_ = {s.member_id: s for s in MemberScore.objects.all()}
    assert len(rows_) == 12
    assert {(s.p_alive, s.clv_rial, s.expected_purchases_90d) for s in rows_.values()} == {(None, None, None)}
    assert rows_[people[0].pk].p_alive_before == 0.9  # the last p_alive known
    # Recency: the nine who bought once in October by their day, then the three of 20 November by id
    assert [rows_[p.pk].rfm_r for p in people] == [4, 5, 5, 1, 1, 1, 2, 2, 2, 3, 3, 4]
    assert rows_[people[0].pk].repeat_days == 1


def test_a_member_without_a_purchase_day_any_more_loses_the_score(merchant, member_factory):
    simulated_club(merchant, member_factory, n=200)
    clv_fit(calibration_end=END, now=tehran(2022, 1, 1, 3, 30))
    gone = Purchase.objects.order_by("pk").first().member
    Purchase.objects.filter(member=gone).update(refunded_amount=F("amount"))
    clv_fit(calibration_end=END, now=tehran(2022, 1, 2, 3, 30))
    assert not MemberScore.objects.filter(member=gone).exists()
    assert MemberScore.objects.count() == 199


def test_bad_input_is_a_clear_error(db):
    with pytest.raises(ValidationFailed) as error:
        clv_fit(calibration_end=date(2999, 1, 1))
    assert error.value.details == {"calibration_end": "not after today (Tehran)"}
    with pytest.raises(ValidationFailed) as error:
        clv_fit(calibration_end=END, unit="month")
    assert error.value.details == {"unit": "week or day"}
    with pytest.raises(ValidationFailed) as error:
        clv_fit(calibration_end=END, horizon=0)
    assert error.value.details == {"horizon": "a number of units above 0"}
    with pytest.raises(FitRefused, match="no members with purchases"):
        clv_fit(calibration_end=END)


def test_the_nightly_job_scores_up_to_yesterday_in_weeks_at_0330(merchant, member_factory):
    [job] = [j for j in registered_jobs() if j.name == "score-members"]
    assert (job.task, job.at) == ("vafa.insight.tasks.score_members", time(3, 30))
    simulated_club(merchant, member_factory, n=200)
    fit = members_score(tehran(2022, 1, 1, 3, 30))
    assert (fit.status, fit.calibration_end, fit.unit, fit.members) == ("fitted", END, "week", 200)
    assert MemberScore.objects.count() == 200

    from vafa.insight.tasks import score_members

    result = score_members.call(tehran(2022, 1, 2, 3, 30).isoformat())
    assert result == {"status": "fitted", "members": 200, "reason": ""}
    assert list(ClvFit.objects.values_list("calibration_end", flat=True)) == [date(2022, 1, 1), END]
