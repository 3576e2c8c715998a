"""What the scores are used for: the members API's `clv` block (no query of its own), the segments'
`clv` condition (in SQL, exact member sets), the members slipping away, the back-office member page."""

from datetime import datetime

import pytest
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from vafa.core.errors import ValidationFailed
from vafa.core.jalali import TEHRAN
from vafa.core.tests.fixtures import statements
from vafa.engage.segments import conditions_count, conditions_members, segment_create
from vafa.insight.selectors import members_slipping_away
from vafa.members.models import Member, MemberScore
from vafa.merchants.staff import staff_create

pytestmark = pytest.mark.django_db

SCORED = datetime(2026, 1, 10, 3, 30, tzinfo=TEHRAN)


def score(member, *, p_alive=None, before=None, clv=None, e90=None, spend=None, rfm=(None, None, None)):
    return MemberScore.objects.create(member=member, p_alive=p_alive, p_alive_before=before, clv_rial=clv,
                                      expected_purchases_90d=e90, expected_avg_spend_rial=spend, rfm_r=rfm[0],
                                      rfm_f=rfm[1], rfm_m=rfm[2], repeat_days=2, scored_at=SCORED)


# --- the members API ---------------------------------------------------------------------------------------


def test_a_scored_member_answers_the_clv_block(api, member_factory):
    scored, unscored, refused = member_factory(), member_factory(), member_factory()
    score(scored, p_alive=0.8125, clv=12_345_678, e90=1.75, spend=2_500_000)
    score(refused, rfm=(3, 2, 1))  # RFM only: the last fit was refused
    assert api.get(f"/members/{scored.pk}").json()["clv"] == {"p_alive": 0.8125, "expected_purchases_90d": 1.75,
                                                              "clv_rial": 12_345_678}
    assert api.get(f"/members/{unscored.pk}").json()["clv"] is None
    assert api.get(f"/members/{refused.pk}").json()["clv"] is None
    [found] = api.get(f"/members?phone={scored.phone}").json()
    assert found["clv"]["clv_rial"] == 12_345_678


def test_the_clv_block_costs_no_statement(api, member_factory):
    plain, scored = member_factory(), member_factory()
    score(scored, p_alive=0.5, clv=1_000, e90=0.2)
    api.get(f"/members?phone={plain.phone}")  # warm the per-process caches

    def counted(member):
        with CaptureQueriesContext(connection) as ctx:
            assert api.get(f"/members?phone={member.phone}").status_code == 200
        return statements(ctx)

    assert counted(scored) == counted(plain) == 6  # as test_query_budgets.py counts it
    with CaptureQueriesContext(connection) as ctx:
        assert api.get(f"/members/{scored.pk}").json()["clv"]["p_alive"] == 0.5
    with CaptureQueriesContext(connection) as plain_ctx:
        api.get(f"/members/{plain.pk}")
    assert statements(ctx) == statements(plain_ctx)


def test_the_openapi_document_describes_the_block(api):
    document = api.get("/openapi.json").json()
    schema = document["components"]["schemas"]["MemberClvOut"]
    assert set(schema["properties"]) == {"p_alive", "expected_purchases_90d", "clv_rial"}
    assert "clv" in document["components"]["schemas"]["MemberOut"]["properties"]


# --- segments -------------------------------------------------------------------------------------------------


@pytest.fixture
def scored(member_factory):
    """Six members: (p_alive, clv_rial), one not scored, one refused (RFM only), one blocked."""
    people = [member_factory() for _ in range(6)]
    score(people[0], p_alive=0.1, clv=9_000_000)
    score(people[1], p_alive=0.3, clv=5_000_000)  # both bounds exactly
    score(people[2], p_alive=0.31, clv=20_000_000)
    score(people[3], p_alive=0.05, clv=4_999_999)
    score(people[4], rfm=(1, 1, 1))  # refused fit: no figures
    blocked = member_factory(status=Member.Status.BLOCKED)
    score(blocked, p_alive=0.0, clv=50_000_000)
    return people


def ids(conditions) -> list[int]:
    return sorted(conditions_members(conditions).values_list("pk", flat=True))


def test_the_clv_condition_bounds_p_alive_and_the_lifetime_value(scored):
    p = [m.pk for m in scored]
    assert ids({"clv": {"p_alive_max": 0.3, "clv_min_rial": 5_000_000}}) == [p[0], p[1]]
    assert ids({"clv": {"p_alive_max": 0.3}}) == [p[0], p[1], p[3]]
    assert ids({"clv": {"clv_min_rial": 5_000_000}}) == [p[0], p[1], p[2]]
    assert ids({"clv": {"p_alive_max": 0}}) == []  # the blocked member is in no segment
    assert len(ids({"clv": {}})) == 6  # asks nothing
    assert ids({"any": [{"clv": {"clv_min_rial": 10_000_000}}, {"clv": {"p_alive_max": 0.05}}]}) == [p[2], p[3]]
    assert conditions_count({"conditions": {"clv": {"p_alive_max": 1, "clv_min_rial": 0}}}) == 4
    segment = segment_create(data={"name": "slipping VIPs", "conditions": {"clv": {"p_alive_max": 0.3,
                                                                                   "clv_min_rial": 5000000}}})
    assert segment.conditions == {"clv": {"p_alive_max": 0.3, "clv_min_rial": 5000000}}


@pytest.mark.parametrize(("conditions", "field", "why"), [
    ({"clv": {"p_alive_max": 1.5}}, "conditions.clv.p_alive_max", "a number from 0 to 1"),
    ({"clv": {"p_alive_max": -0.1}}, "conditions.clv.p_alive_max", "a number from 0 to 1"),
    ({"clv": {"p_alive_max": "0.3"}}, "conditions.clv.p_alive_max", "a number from 0 to 1"),
    ({"clv": {"p_alive_max": True}}, "conditions.clv.p_alive_max", "a number from 0 to 1"),
    ({"clv": {"clv_min_rial": 1.5}}, "conditions.clv.clv_min_rial", "an integer from 0 to"),
    ({"clv": {"clv_min_rial": -1}}, "conditions.clv.clv_min_rial", "an integer from 0 to"),
    ({"clv": {"p_alive_min": 0.5}}, "conditions.clv.p_alive_min", ""),
    ({"clv": 0.3}, "conditions.clv", ""),
])
def test_a_bad_clv_condition_is_refused(db, conditions, field, why):
    with pytest.raises(ValidationFailed) as caught:
        segment_create(data={"name": "x", "conditions": conditions})
    assert field in caught.value.details, caught.value.details
    assert str(caught.value.details[field]).startswith(why)


def test_the_rfm_condition_reads_the_nightly_scores_once_there_are_any(member_factory, merchant):
    from vafa.commerce.services import purchase_record
    recent, lapsed, unscored = member_factory(), member_factory(), member_factory()
    now = datetime(2026, 1, 12, 12, 0, tzinfo=TEHRAN)
    # Before any scoring the condition computes the quintiles itself: the only buyer is in the first fifth.
    purchase_record(merchant_id=merchant.pk, member_id=lapsed.pk, amount=100_000,
                    occurred_at=datetime(2026, 1, 11, 12, 0, tzinfo=TEHRAN), external_id="rfm-1")
    assert set(conditions_members({"rfm": {"r": [1]}}, now=now).values_list("pk", flat=True)) == {lapsed.pk}
    # Then the nightly scores answer, whatever was bought since; a member without a score meets none.
    score(recent, rfm=(5, 4, 3))
    score(lapsed, rfm=(1, 1, 2))
    assert set(conditions_members({"rfm": {"r": [5]}}, now=now).values_list("pk", flat=True)) == {recent.pk}
    assert set(conditions_members({"rfm": {"r": [1, 2], "m": [2]}}, now=now).values_list("pk", flat=True)) == {
        lapsed.pk}
    assert set(conditions_members({"rfm": {"f": [4], "m": [3]}}, now=now).values_list("pk", flat=True)) == {
        recent.pk}
    assert unscored.pk not in set(conditions_members({"rfm": {"r": [1, 2, 3, 4, 5]}}, now=now).values_list(
        "pk", flat=True))
    # Over another window than the scores' 365 days the condition still computes its own quintiles
    assert set(conditions_members({"rfm": {"r": [1]}, "window_days": 30}, now=now).values_list(
        "pk", flat=True)) == {lapsed.pk}


# --- members slipping away -----------------------------------------------------------------------------------


def test_members_slipping_away_are_valuable_unlikely_alive_and_falling(member_factory):
    people = [member_factory() for _ in range(12)]
    # (clv_rial, p_alive, p_alive_before): 15 members with a value; the top fifth is 3 of them,
    # so "valuable" is a value of at least the 3rd highest (8,000,000), ties included
    figures = [
        (9_000_000, 0.40, 0.60),  # 0: in
        (8_000_000, 0.20, 0.45),  # 1: in
        (8_000_000, 0.30, 0.50),  # 2: tied with the mark: in
        (8_000_000, 0.45, 0.40),  # 3: rising: out
        (8_000_000, 0.50, 0.90),  # 4: p_alive not below 0.5: out
        (9_500_000, 0.10, None),  # 5: first scoring (nothing to compare): out
        (7_999_999, 0.10, 0.90),  # 6: not valuable enough: out
        (1_000_000, 0.10, 0.90),  # 7
        (500_000, 0.10, 0.90),  # 8
        (100_000, 0.10, 0.90),  # 9
    ]
    figures += [(50_000, 0.9, 0.9)] * 5  # 10-14
    people += [member_factory() for _ in range(4)]
    for member, (clv, alive, before) in zip(people[:10] + people[11:], figures, strict=True):
        score(member, p_alive=alive, before=before, clv=clv)
    score(people[10], rfm=(5, 5, 5))  # no value: not counted in the fifth
    Member.objects.filter(pk=people[2].pk).update(status=Member.Status.BLOCKED)
    found = members_slipping_away(limit=10)
    assert [(s.member_id, s.clv_rial) for s in found] == [(people[0].pk, 9_000_000), (people[1].pk, 8_000_000)]
    assert found[0].member.pk == people[0].pk
    Member.objects.filter(pk=people[2].pk).update(status=Member.Status.ACTIVE)
    assert [s.member_id for s in members_slipping_away(limit=10)] == [p.pk for p in people[:3]]
    assert [s.member_id for s in members_slipping_away(limit=1)] == [people[0].pk]
    with pytest.raises(ValueError, match="limit"):
        members_slipping_away(limit=0)


def test_nobody_slips_away_before_anyone_is_scored(db):
    assert members_slipping_away() == []


# --- the back-office member page -------------------------------------------------------------------------------


def page(role: str, member, lang: str = "fa") -> str:
    client = Client()
    client.force_login(staff_create(username=f"{role}-clv", password="vafa-test-pass-1", role=role))
    response = client.get(reverse("manage:member", args=[member.pk]), headers={"Accept-Language": lang})
    assert response.status_code == 200
    return response.content.decode()


def test_the_member_page_shows_the_figures_in_persian_digits(member):
    score(member, p_alive=0.8125, clv=12_345_670, e90=1.75, spend=2_500_000, rfm=(5, 3, 4))
    html = page("manager", member)
    assert 'data-testid="member-clv"' in html
    assert 'data-testid="p-alive">۸۱٪</dd>' in html
    assert 'data-testid="expected-90d">۱.۸</dd>' in html  # Django's Persian format keeps the "." separator
    assert 'data-testid="clv">۱٬۲۳۴٬۵۶۷ تومان</dd>' in html
    assert '<span class="ltr">۵-۳-۴</span>' in html


def test_cashiers_do_not_see_the_figures_and_unscored_members_show_none(member, member_factory):
    score(member, p_alive=0.5, clv=1_000_000, e90=0.5, spend=100_000)
    assert 'data-testid="member-clv"' not in page("cashier", member)
    assert 'data-testid="member-clv"' not in page("owner", member_factory())


# --- the dashboard: the distribution of lifetime values and the members slipping away --------------------------


def test_the_distribution_bands_the_values_as_written(db):
    from types import SimpleNamespace

    import numpy as np

    from vafa.insight.scoring import VALUE_BANDS, value_distribution

    values = np.array([0.0, 999_999.4, 999_999.6, 1_000_000.0, 4_999_999.4, 75_000_000.0, 600_000_000.0])
    bands = value_distribution(SimpleNamespace(value=values))
    assert [(b["from_rial"], b["to_rial"], b["members"], b["clv_rial"]) for b in bands] == [
        (0, 1_000_000, 2, 999_999),
        (1_000_000, 5_000_000, 3, 1_000_000 + 1_000_000 + 4_999_999),  # 999,999.6 is written 1,000,000
        (5_000_000, 10_000_000, 0, 0),
        (10_000_000, 50_000_000, 0, 0),
        (50_000_000, 100_000_000, 1, 75_000_000),
        (100_000_000, 500_000_000, 0, 0),
        (500_000_000, None, 1, 600_000_000),
    ]
    assert len(bands) == len(VALUE_BANDS)
    assert value_distribution(SimpleNamespace(value=None)) == []


def dashboard(lang: str = "fa") -> str:
    from django.contrib.auth import get_user_model

    client = Client()
    owner = get_user_model().objects.filter(username="owner-clv-dash").first()
    client.force_login(owner or staff_create(username="owner-clv-dash", password="vafa-test-pass-1", role="owner"))
    if lang == "en":
        client.cookies["django_language"] = "en"
    response = client.get(reverse("manage:dashboard"))
    assert response.status_code == 200
    return response.content.decode()


def test_the_dashboard_shows_the_latest_distribution_and_who_is_slipping_away(member_factory):
    from vafa.insight.models import ClvFit

    assert 'data-testid="no-clv"' in dashboard() and 'data-testid="no-slipping"' in dashboard("en")
    bands = [{"from_rial": 0, "to_rial": 1_000_000, "members": 3, "clv_rial": 1_500_000},
             {"from_rial": 500_000_000, "to_rial": None, "members": 1, "clv_rial": 700_000_000}]
    ClvFit.objects.create(fitted_at=SCORED, calibration_end=SCORED.date(), status="fitted", distribution=bands)
    sara = member_factory(first_name="سارا", last_name="افشار")
    score(sara, p_alive=0.25, before=0.75, clv=9_000_000)
    nameless = member_factory(first_name="", last_name="", phone="09127654321")
    score(nameless, p_alive=0.2, before=0.7, clv=8_000_000)
    for _ in range(8):
        score(member_factory(), p_alive=0.9, before=0.9, clv=10_000)
    html = dashboard()
    # A member without a name by their phone masked: the dashboard is a marketer's page too
    assert f'<tr data-member="{nameless.pk}">' in html and "7654321" not in html and "+98912***4321" in html
    assert '<tr data-from="0">\n          <th scope="row">۰ تومان تا ۱۰۰٬۰۰۰ تومان</th>' in html
    assert '<td class="num">۳</td>' in html and "۷۰٬۰۰۰٬۰۰۰ تومان" in html
    assert f'<tr data-member="{sara.pk}">' in html and "سارا افشار</a>" in html and "۲۵٪" in html
    english = dashboard("en")
    assert "50,000,000 Toman and more" in english and "75%" in english
    ClvFit.objects.create(fitted_at=SCORED.replace(day=11), calibration_end=SCORED.date(), status="refused",
                          reason="too few repeat customers (3 < 10)")
    html = dashboard("en")
    assert 'data-testid="clv-refused"' in html and "too few repeat customers (3 &lt; 10)" in html
