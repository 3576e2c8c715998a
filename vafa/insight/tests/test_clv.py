"""The lifetime-value mathematics (vafa/insight/clv.py), without a database: the log-likelihoods
against the textbook product forms, the analytic gradients against finite differences, the
predictions against their closed forms and CDNOW's published figures, heavy buyers without NaN or
inf, recovery of known parameters from simulated customers, and the fits that must be refused."""

import math
import time

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from scipy.integrate import quad
from scipy.special import beta as beta_fn
from scipy.special import gamma as gamma_fn
from scipy.special import hyp2f1
from scipy.stats import beta as beta_dist

from vafa.insight import clv

# CLVTools' parameters for the CDNOW sample in weeks (reference/clv.md)
CDNOW = clv.BgNbd(r=0.2425945, alpha=4.4136019, a=0.7929199, b=2.4258881, log_likelihood=-9582.429)
CDNOW_GG = clv.GammaGamma(p=6.25, q=3.74, gamma=15.44, log_likelihood=0.0)


def one(value) -> np.ndarray:
    return np.array([value], dtype=float)


def simulate(n: int, r: float, alpha: float, a: float, b: float, seed: int = 7):
    """Customers as BG/NBD tells it: a purchase rate from Gamma(r, α), a drop-out probability
    from Beta(a, b) after each purchase, observed from their first purchase for T in [26, 52]."""
    rng = np.random.default_rng(seed)
    rate, drop = rng.gamma(r, 1 / alpha, n), rng.beta(a, b, n)
    T = rng.uniform(26, 52, n)
    x, t_x = np.zeros(n), np.zeros(n)
    for i in range(n):
        t = 0.0
        while True:
            t += rng.exponential(1 / rate[i])
            if t > T[i]:
                break
            x[i] += 1
            t_x[i] = t
            if rng.random() < drop[i]:
                break
    return x, t_x, T


# --- the likelihoods -------------------------------------------------------------------------------------


def naive_bgnbd_likelihood(r, alpha, a, b, x, t_x, T) -> float:
    """Fader, Hardie & Lee (2005), equation 6, in plain products (fine for small x)."""
    r, alpha, a, b, x, t_x, T = (np.float64(v) for v in (r, alpha, a, b, x, t_x, T))
    common = gamma_fn(r + x) * alpha ** r / gamma_fn(r)
    alive = beta_fn(a, b + x) / beta_fn(a, b) * common / (alpha + T) ** (r + x)
    gone = beta_fn(a + 1, b + x - 1) / beta_fn(a, b) * common / (alpha + t_x) ** (r + x) if x > 0 else 0.0
    return float(alive + gone)


@pytest.mark.parametrize(("x", "t_x", "T"), [(0, 0, 38.86), (2, 30.43, 38.86), (1, 1.5, 3.0), (7, 20.0, 52.0),
                                             (3, 0.3, 0.3)])
def test_the_log_likelihood_is_the_log_of_the_papers_formula(x, t_x, T):
    params = (0.2425945, 4.4136019, 0.7929199, 2.4258881)
    ours = clv.bgnbd_log_likelihood(*params, one(x), one(t_x), one(T))[0]
    assert ours == pytest.approx(math.log(naive_bgnbd_likelihood(*params, x, t_x, T)), rel=1e-12)


def test_the_log_likelihood_stays_finite_where_the_products_overflow():
    params = (0.2425945, 4.4136019, 0.7929199, 2.4258881)
    with np.errstate(all="ignore"):
        naive = naive_bgnbd_likelihood(*params, 10_000, 300.0, 310.0)
    assert not math.isfinite(naive) or naive == 0.0  # Γ(r + x) overflows: inf / inf or 0
    ll = clv.bgnbd_log_likelihood(*params, one(10_000), one(300.0), one(310.0))[0]
    # The paper's two terms, each taken to logs by hand (math.lgamma), then added
    r, alpha, a, b, x = (*params, 10_000)

    def log_beta(u, v):
        return math.lgamma(u) + math.lgamma(v) - math.lgamma(u + v)

    common = math.lgamma(r + x) - math.lgamma(r) + r * math.log(alpha) - log_beta(a, b)
    alive = common + log_beta(a, b + x) - (r + x) * math.log(alpha + 310.0)
    gone = common + log_beta(a + 1, b + x - 1) - (r + x) * math.log(alpha + 300.0)
    top = max(alive, gone)
    assert ll == pytest.approx(top + math.log(math.exp(alive - top) + math.exp(gone - top)), rel=1e-10)


def test_the_gamma_gamma_log_likelihood_is_the_log_of_its_density():
    p, q, gamma, x, m = 6.25, 3.74, 15.44, 3.0, 22.0
    # The mean of x purchases each Gamma(p, ν) with ν ~ Gamma(q, γ): z = x m̄ ~ Gamma(px, ν), m̄ = z / x.
    density = (gamma_fn(p * x + q) / (gamma_fn(p * x) * gamma_fn(q)) * gamma ** q * m ** (p * x - 1) * x ** (p * x)
               / (gamma + m * x) ** (p * x + q))
    ours = clv.gamma_gamma_log_likelihood(p, q, gamma, one(x), one(m))[0]
    assert ours == pytest.approx(math.log(density), rel=1e-12)


@pytest.mark.parametrize("objective", ["bgnbd", "gamma_gamma"])
def test_the_analytic_gradients_match_finite_differences(objective):
    x, t_x, T = simulate(300, 0.8, 5.0, 1.5, 4.0, seed=3)
    weights = 1.0 + np.arange(x.size) % 3  # rows standing for 1, 2 or 3 members
    if objective == "bgnbd":
        point = np.log([0.7, 6.0, 1.2, 3.0])
        args = (clv._BgNbdRows(x, t_x, T, weights),)
        function = clv._bgnbd_objective
        direct = clv.bgnbd_log_likelihood(*np.exp(point), x, t_x, T)
    else:
        keep = x > 0
        x, weights = x[keep], weights[keep]
        m = np.random.default_rng(5).gamma(4.0, 0.5, x.size)
        point = np.log([2.5, 3.5, 1.7])
        args = (clv._GammaGammaRows(x, m, weights),)
        function = clv._gamma_gamma_objective
        direct = clv.gamma_gamma_log_likelihood(*np.exp(point), x, m)
    value, grad = function(point, *args)
    # The sums arranged by distinct x are the weighted mean of the rows' own log-likelihoods
    assert value == pytest.approx(-np.sum(weights * direct) / weights.sum(), rel=1e-12)
    step = 1e-6
    numeric = [(function(point + step * e, *args)[0] - function(point - step * e, *args)[0]) / (2 * step)
               for e in np.eye(point.size)]
    assert grad == pytest.approx(np.array(numeric), rel=1e-5, abs=1e-8)


# --- the predictions --------------------------------------------------------------------------------------


def test_p_alive_is_the_closed_form_and_1_for_one_time_buyers():
    x, t_x, T = np.array([0.0, 2.0, 5.0]), np.array([0.0, 30.43, 10.0]), np.array([38.86, 38.86, 40.0])
    found = clv.p_alive(CDNOW, x, t_x, T)
    r, alpha, a, b = CDNOW.r, CDNOW.alpha, CDNOW.a, CDNOW.b
    expected = [1.0] + [1 / (1 + a / (b + xi - 1) * ((alpha + Ti) / (alpha + ti)) ** (r + xi))
                        for xi, ti, Ti in zip(x[1:], t_x[1:], T[1:], strict=True)]
    assert found == pytest.approx(expected, rel=1e-12)
    assert found[1] == pytest.approx(0.7266, abs=5e-5)


def test_customer_1_of_cdnow_expects_1_226_purchases_in_39_weeks():
    found = clv.expected_purchases(CDNOW, 39, one(2), one(30.43), one(38.86))[0]
    assert found == pytest.approx(1.226, abs=5e-4)


@pytest.mark.parametrize("x", [0, 1, 2, 5, 20, 60])
def test_the_euler_form_equals_the_papers_form(x):
    t_x, T, t = min(x, 1) * 20.0, 30.0, 39.0
    r, alpha, a, b = CDNOW.r, CDNOW.alpha, CDNOW.a, CDNOW.b
    z = t / (alpha + T + t)
    bracket = 1 - ((alpha + T) / (alpha + T + t)) ** (r + x) * hyp2f1(r + x, b + x, a + b + x - 1, z)
    paper = (a + b + x - 1) / (a - 1) * bracket * clv.p_alive(CDNOW, one(x), one(t_x), one(T))[0]
    assert clv.expected_purchases(CDNOW, t, one(x), one(t_x), one(T))[0] == pytest.approx(paper, rel=1e-9)


def test_whole_number_parameters_where_scipys_2f1_answers_inf_still_give_figures():
    # a = 2, b = 1, r = 1: the Euler form's 2F1(1, 1; 101; z) is inf in scipy for z > 0.9
    fit = clv.BgNbd(1.0, 1.0, 2.0, 1.0, 0.0)
    found = clv.expected_purchases(fit, np.array([5.0, 10.0, 100.0]), np.full(3, 99.0), np.full(3, 1.0),
                                   np.full(3, 1.0))
    assert np.isfinite(found).all() and (np.diff(found) > 0).all()
    nudged = clv.BgNbd(1.0 + 1e-7, 1.0, 2.0, 1.0, 0.0)
    assert found == pytest.approx(clv.expected_purchases(nudged, np.array([5.0, 10.0, 100.0]), np.full(3, 99.0),
                                                         np.full(3, 1.0), np.full(3, 1.0)), rel=1e-5)


def test_when_everyone_drops_out_alike_the_papers_form_takes_over():
    # a and b in the hundred thousands (a Beta of almost no spread): Euler's (1-z)^(a-1) underflows
    x, t_x, T, t = np.array([0.0, 1.0, 3.0, 8.0]), np.array([0.0, 5.0, 20.0, 40.0]), np.full(4, 52.0), 26.0
    huge = clv.BgNbd(0.73, 4.9, 416_525.0, 1_922_545.0, 0.0)
    found = clv.expected_purchases(huge, t, x, t_x, T)
    assert np.isfinite(found).all() and (found > 0).all()
    # The same dropout probability with a hundredth of the weight: nearly the same figures ...
    large = clv.BgNbd(0.73, 4.9, 4_165.25, 19_225.45, 0.0)
    assert found == pytest.approx(clv.expected_purchases(large, t, x, t_x, T), rel=2e-3)
    # Where both forms can still be computed (a = 50: (1-z)^49 is about 1e-8), they agree
    moderate = clv.BgNbd(0.73, 4.9, 50.0, 230.8, 0.0)
    r, alpha, a, b = moderate.r, moderate.alpha, moderate.a, moderate.b
    z = t / (alpha + T + t)
    factor = (a + b + x - 1) / (a - 1) * clv.p_alive(moderate, x, t_x, T)
    euler = factor * (1 - (1 - z) ** (a - 1) * hyp2f1(a + b - 1 - r, a - 1, a + b + x - 1, z))
    paper = factor * (1 - (1 - z) ** (r + x) * hyp2f1(r + x, b + x, a + b + x - 1, z))
    assert euler == pytest.approx(paper, rel=1e-7)
    assert clv.expected_purchases(moderate, t, x, t_x, T) == pytest.approx(paper, rel=1e-9)


def test_a_new_customer_is_a_customer_seen_for_no_time():
    t = np.array([1.0, 10.0, 52.0])
    new = clv.expected_purchases_new(CDNOW, t)
    seen_for_nothing = clv.expected_purchases(CDNOW, t, np.zeros(3), np.zeros(3), np.zeros(3))
    assert new == pytest.approx(seen_for_nothing, rel=1e-12)
    # Independently: E[X(t) | λ, p] = (1 - e^(-λpt)) / p, λ ~ Gamma(r, α) gives (1 - (α/(α+pt))^r) / p,
    # then over p ~ Beta(a, b) by quadrature
    r, alpha, a, b = CDNOW.r, CDNOW.alpha, CDNOW.a, CDNOW.b
    integral = [quad(lambda p, t=t: (1 - (alpha / (alpha + p * t)) ** r) / p * beta_dist.pdf(p, a, b), 0, 1,
                     limit=200)[0] for t in t]
    assert new == pytest.approx(integral, rel=1e-8)
    assert new[2] == pytest.approx(1.4440, abs=5e-5)  # E[X(52)] in weeks for CDNOW's parameters


def test_a_heavy_buyer_of_10_000_purchases_gives_finite_figures():
    x, t_x, T = np.array([1e4, 1e4, 1e4]), np.array([300.0, 310.0, 150.0]), np.array([310.0, 310.0, 310.0])
    alive = clv.p_alive(CDNOW, x, t_x, T)
    assert np.isfinite(alive).all() and ((alive >= 0) & (alive <= 1)).all()
    assert alive[1] == 1 / (1 + CDNOW.a / (CDNOW.b + 1e4 - 1))  # last purchase at T: only b can tell
    assert alive[2] == 0.0  # silent for half their life at that pace: gone
    expected = clv.expected_purchases(CDNOW, np.array([1.0, 13.0, 52.0]), x, t_x, T)
    assert np.isfinite(expected).all() and (expected >= 0).all()
    # About 10,000 purchases in 310 weeks: some 32 a week while alive
    assert expected[0] / alive[0] == pytest.approx(32.2, rel=0.02)
    with np.errstate(all="ignore"):
        direct = hyp2f1(CDNOW.r + 1e4, CDNOW.b + 1e4, CDNOW.a + CDNOW.b + 1e4 - 1, 52 / (CDNOW.alpha + 310 + 52))
    assert not math.isfinite(direct)  # what the paper's form would have needed


@settings(max_examples=200, deadline=None)
@given(r=st.floats(0.01, 20), alpha=st.floats(0.01, 500), a=st.floats(0.01, 20), b=st.floats(0.01, 50),
       x=st.integers(0, 20_000), share=st.floats(0, 1), T=st.floats(0, 1000),
       t=st.lists(st.floats(0, 1000), min_size=2, max_size=6))
def test_p_alive_is_a_probability_and_expected_purchases_grow_with_time(r, alpha, a, b, x, share, T, t):
    fit = clv.BgNbd(r, alpha, a, b, 0.0)
    t_x = share * T if x else 0.0
    alive = clv.p_alive(fit, one(x), one(t_x), one(T))[0]
    assert 0.0 <= alive <= 1.0
    times = np.sort(np.array(t))
    expected = clv.expected_purchases(fit, times, np.full(times.size, x), np.full(times.size, t_x),
                                      np.full(times.size, T))
    assert np.isfinite(expected).all()
    assert (expected >= -1e-9).all()
    assert (np.diff(expected) >= -1e-9 * np.maximum(1.0, expected[1:])).all()


def test_expected_spend_weighs_the_population_mean_against_the_members_own():
    x, m = np.array([0.0, 2.0, 50.0]), np.array([np.nan, 22.345, 22.345])
    found = clv.expected_spend(CDNOW_GG, x, m)
    p, q, gamma = CDNOW_GG.p, CDNOW_GG.q, CDNOW_GG.gamma
    assert found[0] == pytest.approx(p * gamma / (q - 1), rel=1e-12) == CDNOW_GG.population_mean
    assert found[1] == pytest.approx((p * gamma + p * 2 * 22.345) / (p * 2 + q - 1), rel=1e-12)
    assert found[1] == pytest.approx(24.66, abs=0.01)
    assert abs(found[2] - 22.345) < abs(found[1] - 22.345)  # more purchases: closer to their own mean


def test_lifetime_value_adds_the_months_discounted():
    x, t_x, T, m = one(2), one(30.43), one(38.86), one(22.345)
    month = clv.DAYS_PER_MONTH / 7
    spend = clv.expected_spend(CDNOW_GG, x, m)[0]
    year = clv.expected_purchases(CDNOW, 12 * month, x, t_x, T)[0]
    undiscounted = clv.lifetime_value(CDNOW, CDNOW_GG, x, t_x, T, m, monthly_discount=0.0)[0]
    assert undiscounted == pytest.approx(year * spend, rel=1e-12)
    first_month = clv.expected_purchases(CDNOW, month, x, t_x, T)[0]
    assert clv.lifetime_value(CDNOW, CDNOW_GG, x, t_x, T, m, months=1, monthly_discount=0.05)[0] == pytest.approx(
        first_month * spend / 1.05, rel=1e-12)
    steps = [clv.expected_purchases(CDNOW, k * month, x, t_x, T)[0] for k in range(13)]
    discounted = sum((steps[k] - steps[k - 1]) / 1.01 ** k for k in range(1, 13)) * spend
    assert clv.lifetime_value(CDNOW, CDNOW_GG, x, t_x, T, m)[0] == pytest.approx(discounted, rel=1e-12)
    assert discounted < undiscounted
    with pytest.raises(ValueError, match="monthly discount"):
        clv.lifetime_value(CDNOW, CDNOW_GG, x, t_x, T, m, monthly_discount=1.5)


def test_a_million_members_are_scored_in_seconds():
    rng = np.random.default_rng(11)
    n = 1_000_000
    T = rng.uniform(0, 104, n)
    x = rng.poisson(2.0, n).astype(float)
    t_x = np.where(x > 0, rng.uniform(0, 1, n) * T, 0.0)
    m = rng.gamma(4.0, 5e5, n)
    started = time.perf_counter()
    alive = clv.p_alive(CDNOW, x, t_x, T)
    expected = clv.expected_purchases(CDNOW, 90 / 7, x, t_x, T, alive=alive)
    value = clv.lifetime_value(CDNOW, CDNOW_GG, x, t_x, T, m, alive=alive)
    seconds = time.perf_counter() - started
    assert np.isfinite(alive).all() and np.isfinite(expected).all() and np.isfinite(value).all()
    assert seconds < 30, seconds  # about 3 s on the 2-core machine; generous for a busy one


# --- fitting ---------------------------------------------------------------------------------------------------


def test_the_fit_recovers_the_parameters_of_simulated_customers():
    x, t_x, T = simulate(5000, 0.8, 5.0, 1.5, 4.0)
    fit = clv.bgnbd_fit(x, t_x, T)
    assert (fit.r, fit.alpha, fit.a, fit.b) == pytest.approx((0.8, 5.0, 1.5, 4.0), rel=0.06)
    assert fit.log_likelihood == pytest.approx(float(clv.bgnbd_log_likelihood(fit.r, fit.alpha, fit.a, fit.b, x, t_x,
                                                                            T).sum()), rel=1e-12)


def test_grouped_rows_and_other_units_give_the_same_fit():
    x, t_x, T = simulate(2000, 0.5, 3.0, 0.9, 2.5, seed=9)
    days = np.round(t_x * 7), np.round(T * 7)
    in_days = clv.bgnbd_fit(x, *days)
    in_weeks = clv.bgnbd_fit(x, days[0] / 7, days[1] / 7)
    assert (in_days.r, in_days.a, in_days.b) == pytest.approx((in_weeks.r, in_weeks.a, in_weeks.b), rel=1e-5)
    assert in_days.alpha == pytest.approx(7 * in_weeks.alpha, rel=1e-5)
    # α is a scale: the log-likelihood differs by sum(x) ln 7 between the units
    assert in_days.log_likelihood == pytest.approx(in_weeks.log_likelihood - x.sum() * math.log(7), rel=1e-8)
    (gx, gt, gT), counts = clv.group_rows(x, *days)
    assert counts.sum() == x.size and gx.size < x.size
    grouped = clv.bgnbd_fit(gx, gt, gT, weights=counts)
    assert (grouped.r, grouped.alpha, grouped.a, grouped.b) == pytest.approx(
        (in_days.r, in_days.alpha, in_days.a, in_days.b), rel=1e-6)


def test_the_gamma_gamma_fit_recovers_its_parameters_and_gamma_is_a_scale():
    rng = np.random.default_rng(21)
    n, p, q, gamma = 20_000, 4.0, 5.0, 20.0
    x = rng.integers(1, 8, n).astype(float)
    nu = rng.gamma(q, 1 / gamma, n)  # each customer's rate ν ~ Gamma(q, γ)
    m = np.array([rng.gamma(p, 1 / nu[i], int(x[i])).mean() for i in range(n)])
    fit = clv.gamma_gamma_fit(x, m)
    assert (fit.p, fit.q, fit.gamma) == pytest.approx((p, q, gamma), rel=0.06)
    assert fit.population_mean == pytest.approx(p * gamma / (q - 1), rel=0.01)
    in_rials = clv.gamma_gamma_fit(x, m * 10_000)
    assert (in_rials.p, in_rials.q) == pytest.approx((fit.p, fit.q), rel=1e-5)
    assert in_rials.gamma == pytest.approx(fit.gamma * 10_000, rel=1e-5)
    assert clv.gamma_gamma_fit(np.append(x, 0), np.append(m, np.nan)) == fit  # x = 0 rows are left out


def _members(n: int, repeat: int):
    x = np.zeros(n)
    x[:repeat] = np.arange(1, repeat + 1) % 4 + 1
    t_x = np.where(x > 0, 5.0 + np.arange(n) % 7, 0.0)
    return x, t_x, np.full(n, 20.0)


@pytest.mark.parametrize(("n", "repeat", "says"), [
    (100, 9, "too few repeat customers: 9 of 100 members bought more than once"),
    (1000, 19, "too few repeat customers: 19 of 1000 members bought more than once (at least 10 and 2% are needed)"),
])
def test_too_few_repeat_customers_is_refused(n, repeat, says):
    with pytest.raises(clv.FitRefused) as refused:
        clv.bgnbd_fit(*_members(n, repeat))
    assert refused.value.reason.startswith(says)


def test_twenty_repeat_customers_of_a_thousand_are_enough_to_try():
    fit = clv.bgnbd_fit(*_members(1000, 20))
    assert all(math.isfinite(v) and v > 0 for v in (fit.r, fit.alpha, fit.a, fit.b))


def test_a_fit_that_does_not_converge_is_refused(monkeypatch):
    class Stuck:
        success, x, fun, message = False, np.zeros(4), 1.0, "ABNORMAL_TERMINATION_IN_LNSRCH"

    monkeypatch.setattr(clv, "minimize", lambda *args, **kwargs: Stuck())
    with pytest.raises(clv.FitRefused, match=r"the BG/NBD fit did not converge \(ABNORMAL_TERMINATION_IN_LNSRCH\)"):
        clv.bgnbd_fit(*simulate(500, 0.8, 5.0, 1.5, 4.0))


def test_spend_without_a_mean_is_refused():
    rng = np.random.default_rng(7)
    x = rng.integers(1, 5, 500).astype(float)
    m = (rng.pareto(0.5, 500) + 1) * 1000  # a Pareto tail of index 0.5: no mean
    with pytest.raises(clv.FitRefused, match=r"q = 0\.\d+ <= 1"):
        clv.gamma_gamma_fit(x, m)


@pytest.mark.parametrize("bad", [0.0, -5.0])
def test_a_mean_purchase_that_is_not_positive_is_refused(bad):
    x, m = np.ones(20), np.full(20, 100.0)
    m[3] = bad
    with pytest.raises(clv.FitRefused, match="not positive"):
        clv.gamma_gamma_fit(x, m)


def test_bad_summaries_are_clear_errors():
    with pytest.raises(ValueError, match="t_x <= T"):
        clv.p_alive(CDNOW, one(1), one(5), one(3))
    with pytest.raises(ValueError, match="finite"):
        clv.p_alive(CDNOW, one(np.nan), one(0), one(3))
    with pytest.raises(clv.FitRefused, match="no members"):
        clv.bgnbd_fit([], [], [])


def test_members_dropping_out_all_alike_are_fitted_at_the_limit():
    # One drop-out probability for everyone (0.2): a and b grow together, their ratio holds
    x, t_x, T = simulate(3000, 0.8, 5.0, 1e6, 4e6, seed=1)
    fit = clv.bgnbd_fit(x, t_x, T)
    assert fit.a > clv.RUNAWAY and fit.b > clv.RUNAWAY
    assert fit.a / (fit.a + fit.b) == pytest.approx(0.2, rel=0.05)
    assert (fit.r, fit.alpha) == pytest.approx((0.8, 5.0), rel=0.1)
    expected = clv.expected_purchases(fit, 13.0, x, t_x, T)
    assert np.isfinite(expected).all() and (expected >= 0).all()


def test_purchases_the_model_does_not_describe_are_refused():
    # Clockwork buyers: every member buys at a fixed pace, and may stop right after the first purchase
    rng = np.random.default_rng(1)
    n = 5000
    first, stop = rng.integers(1, 701, n), 0.03 + 0.9 * rng.random(n) ** 2
    gap = 3 + np.floor(rng.random(n) ** 2 * 120)
    count = np.minimum(15, 1 + np.floor(np.log(1 - rng.random(n)) / np.log(1 - stop)))
    x, t_x = np.zeros(n), np.zeros(n)
    for i in range(n):
        days = [first[i] - j * gap[i] for j in range(int(count[i])) if first[i] - j * gap[i] >= 1]
        x[i], t_x[i] = len(days) - 1, first[i] - days[-1]
    with pytest.raises(clv.FitRefused, match="a and b grow together without end and the other parameters do not "
                                             "settle: the model does not describe these purchases"):
        clv.bgnbd_fit(x, t_x / 7, first / 7)
