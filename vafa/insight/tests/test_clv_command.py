"""`vafa clv-fit` (DESIGN): its options, the JSON and the CSV it writes, a refused fit (exit 1,
the reason on stderr) and bad options (exit 2, one clear line)."""

import csv
import io
import json
import os
import subprocess
import sys

import numpy as np
import pytest
from django.core.management import CommandError, call_command

from vafa.insight.models import ClvFit
from vafa.insight.tests.test_scoring import END, bought, simulated_club, tehran
from vafa.members.models import MemberScore

pytestmark = pytest.mark.django_db


def fit(*args) -> str:
    out = io.StringIO()
    call_command("clv_fit", *args, stdout=out)
    return out.getvalue()


@pytest.fixture
def club(merchant, member_factory):
    members = simulated_club(merchant, member_factory, n=200)
    for k, member in enumerate(members[:3]):
        member.external_ref = f"=SHOP-{k}" if k == 0 else f"SHOP-{k}"
        member.save(update_fields=["external_ref"])
    return members


def test_json_answers_designs_shape(club):
    answer = json.loads(fit("--calibration-end", "2021-12-31", "--json"))
    assert set(answer) == {"members", "bgnbd", "gamma_gamma"}
    assert set(answer["bgnbd"]) == {"r", "alpha", "a", "b", "log_likelihood"}
    assert set(answer["gamma_gamma"]) == {"p", "q", "gamma", "log_likelihood"}
    assert answer["members"] == 200
    assert ClvFit.objects.get().bgnbd == answer["bgnbd"]


def test_without_json_a_short_summary(club):
    lines = fit("--calibration-end", "2021-12-31").splitlines()
    record = ClvFit.objects.get()
    bg, gg = record.bgnbd, record.gamma_gamma
    assert lines == [
        "200 members with purchases up to 2021-12-31, time in weeks.",
        f"BG/NBD: r {bg['r']:.4f}, alpha {bg['alpha']:.4f}, a {bg['a']:.4f}, b {bg['b']:.4f}, "
        f"log-likelihood {bg['log_likelihood']:.2f}",
        f"Gamma-Gamma: p {gg['p']:.4f}, q {gg['q']:.4f}, gamma {gg['gamma']:.2f} Rials, "
        f"log-likelihood {gg['log_likelihood']:.2f}",
    ]


def test_out_writes_one_row_per_member(club, tmp_path):
    path = tmp_path / "clv.csv"
    out = fit("--calibration-end", "2021-12-31", "--out", str(path))
    assert out.endswith(f"One row per member written to {path}.\n")
    with path.open(encoding="utf-8", newline="") as handle:
        table = list(csv.reader(handle))
    assert table[0] == ["member_id", "external_ref", "x", "t_x", "T", "p_alive", "expected_purchases",
                        "expected_avg_spend_rial", "clv_rial"]
    assert len(table) == 201
    scores = {s.member_id: s for s in MemberScore.objects.all()}
    rows = {int(line[0]): line for line in table[1:]}
    assert sorted(rows) == sorted(scores) == sorted(m.pk for m in club)
    for member_id, line in rows.items():
        score = scores[member_id]
        assert int(line[2]) == score.repeat_days
        assert float(line[5]) == pytest.approx(score.p_alive, abs=1e-6)
        # The default horizon is 90 days: the same figure as expected_purchases_90d
        assert float(line[6]) == pytest.approx(score.expected_purchases_90d, abs=1e-6)
        assert (int(line[7]), int(line[8])) == (score.expected_avg_spend_rial, score.clv_rial)
        assert 0 <= float(line[3]) <= float(line[4])
    # A reference that begins like a formula stays text in a spreadsheet
    assert [rows[m.pk][1] for m in club[:4]] == ["'=SHOP-0", "SHOP-1", "SHOP-2", ""]


def test_horizon_and_days(club, tmp_path):
    weeks, days = tmp_path / "weeks.csv", tmp_path / "days.csv"
    by_week = json.loads(fit("--calibration-end", "2021-12-31", "--json", "--horizon", "26", "--out", str(weeks)))
    by_day = json.loads(fit("--calibration-end", "2021-12-31", "--json", "--unit", "day", "--horizon", "182",
                            "--out", str(days)))
    # The unit is a scale: α in days is 7 times α in weeks, the others stay (the data are whole days)
    assert by_day["bgnbd"]["alpha"] == pytest.approx(7 * by_week["bgnbd"]["alpha"], rel=1e-5)
    for name in ("r", "a", "b"):
        assert by_day["bgnbd"][name] == pytest.approx(by_week["bgnbd"][name], rel=1e-5)

    def column(path, k):
        with path.open(encoding="utf-8", newline="") as handle:
            return np.array([float(line[k]) for line in list(csv.reader(handle))[1:]])

    assert column(days, 6) == pytest.approx(column(weeks, 6), rel=1e-4)  # 26 weeks are 182 days
    assert column(days, 4) == pytest.approx(7 * column(weeks, 4), abs=1e-4)  # T
    assert list(ClvFit.objects.order_by("fitted_at").values_list("unit", flat=True)) == ["week", "day"]


@pytest.mark.parametrize("day", ["1400/10/10", "۱۴۰۰/۱۰/۱۰", "۲۰۲۱-۱۲-۳۱"])
def test_a_jalali_date_or_persian_digits(club, day):
    fit("--calibration-end", day, "--json")
    assert ClvFit.objects.get().calibration_end == END


def test_a_refused_fit_exits_1_with_the_reason_and_leaves_the_old_file(merchant, member_factory, tmp_path):
    for k in range(5):
        bought(merchant, member_factory(), tehran(2021, 10, 1 + k, 12), 100_000)
    path = tmp_path / "clv.csv"
    path.write_text("yesterday's file\n")
    with pytest.raises(CommandError) as refused:
        fit("--calibration-end", "2021-12-31", "--out", str(path))
    assert refused.value.returncode == 1
    assert str(refused.value) == ("no fit: too few repeat customers: 0 of 5 members bought more than once "
                                  "(at least 10 and 2% are needed)")
    assert ClvFit.objects.get().status == "refused"
    assert path.read_text() == "yesterday's file\n"
    assert [p.name for p in tmp_path.iterdir()] == ["clv.csv"]  # no half-written file left


@pytest.mark.parametrize(("args", "message"), [
    (["--calibration-end", "30/09/1997"], "argument --calibration-end: not a date (YYYY-MM-DD, or a Jalali "
                                          "1403/07/15): '30/09/1997'"),
    (["--calibration-end", "1997-02-30"], "argument --calibration-end: not a date"),
    (["--calibration-end", "2021-12-31", "--unit", "month"], "argument --unit: invalid choice: 'month'"),
    (["--calibration-end", "2021-12-31", "--horizon", "-3"], "argument --horizon: a number of units above 0"),
    (["--calibration-end", "2021-12-31", "--horizon", "nan"], "argument --horizon: a number of units above 0"),
    ([], "the following arguments are required: --calibration-end"),
])
def test_bad_options_are_one_clear_line(db, args, message):
    with pytest.raises(CommandError, match=message.replace("(", r"\(").replace(")", r"\)")):
        fit(*args)


def test_a_day_after_today_or_a_folder_that_is_not_there_exit_2(db, tmp_path):
    with pytest.raises(CommandError) as future:
        fit("--calibration-end", "2999-01-01")
    assert (future.value.returncode, str(future.value)) == (2, "--calibration-end: not after today (Tehran)")
    with pytest.raises(CommandError) as folder:
        fit("--calibration-end", "2021-12-31", "--out", str(tmp_path / "nowhere" / "clv.csv"))
    assert folder.value.returncode == 2 and str(folder.value).startswith("--out: cannot write")
    assert ClvFit.objects.count() == 0


def test_the_vafa_command_exits_2_on_a_bad_option(tmp_path):
    env = {**os.environ, "VAFA_DEV": "1", "VAFA_VAR_DIR": str(tmp_path)}
    env.pop("DATABASE_URL", None)
    done = subprocess.run([sys.executable, "-m", "vafa", "clv-fit", "--calibration-end", "tomorrow"], env=env,
                          capture_output=True, text=True, timeout=120)
    assert done.returncode == 2
    assert done.stderr.strip().splitlines()[-1] == ("vafa clv_fit: error: argument --calibration-end: not a date "
                                                    "(YYYY-MM-DD, or a Jalali 1403/07/15): 'tomorrow'")


@pytest.mark.parametrize(("value", "ok"), [("abc", False), ("100", False), ("-1", False), ("nan", False),
                                           ("0", True), ("2.5", True)])
def test_the_monthly_discount_setting_is_a_percent(tmp_path, value, ok):
    env = {**os.environ, "VAFA_DEV": "1", "VAFA_VAR_DIR": str(tmp_path), "VAFA_CLV_MONTHLY_DISCOUNT": value}
    env.pop("DATABASE_URL", None)
    done = subprocess.run([sys.executable, "-c", "import django, os; os.environ['DJANGO_SETTINGS_MODULE'] = "
                           "'vafa.settings'; from django.conf import settings; print(settings.CLV_MONTHLY_DISCOUNT)"],
                          env=env, capture_output=True, text=True, timeout=120)
    if ok:
        assert (done.returncode, done.stdout.strip()) == (0, str(float(value)))
    else:
        assert done.returncode != 0
        assert (f"VAFA_CLV_MONTHLY_DISCOUNT must be a percent a month from 0 to below 100, not {value!r}"
                in done.stderr)
