"""Customer lifetime value: BG/NBD (Fader, Hardie & Lee 2005) for how many purchases a member will
still make, Gamma-Gamma (Fader & Hardie 2013) for what a purchase will be worth. Pure numpy/scipy,
no Django: arrays in, arrays out, so a million members are scored in one pass of a few array
operations (the scoring module feeds it; /work/shared/reference/clv.md has the formulas).

Per member: x = repeat purchases (purchase days - 1), t_x = time of the last purchase since the
first, T = time from the first purchase to the end of the calibration period, all in one unit
(weeks or days); m = the mean amount of the x repeat purchases.

- Everything is computed in log space (gammaln, logaddexp, expit): the textbook product forms
  overflow for heavy buyers (x in the thousands).
- Fits maximise the likelihood over the logarithms of the parameters (they must be positive)
  with L-BFGS-B and the analytic gradient, on rows grouped by identical (x, t_x, T) with
  weights; times and amounts are first divided by their mean (α and γ are scales, so the fit is
  the same, only better conditioned) and the log-likelihood is reported on the data as given.
- A fit that would not mean anything raises `FitRefused` with the reason in words.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass

import numpy as np
from scipy.optimize import minimize
from scipy.special import digamma, expit, gammaln, hyp2f1

# Fewer repeat customers than this (or than this share of all) says nothing about dropping out.
MIN_REPEAT_MEMBERS = 10
MIN_REPEAT_SHARE = 0.02
# The search range of each parameter's logarithm: e^-15 .. e^15 (3e-7 .. 3.3e6) after scaling.
# An optimum pinned at an edge is a degenerate model (e.g. nobody ever drops out), not a fit.
LOG_BOUND = 15.0
EDGE = 0.01  # a logarithm this close to its bound is at the edge (1%)
SETTLED_GRADIENT = 1e-6  # per member, over the logarithms: flat enough to be the optimum
RUNAWAY = 1e4  # a and b both beyond this: running away together to the limit of no spread
RUNAWAY_SAID = ("a and b grow together without end and the other parameters do not settle: the model does not "
                "describe these purchases")
# E[Y(t)] divides by a - 1: that close to 1 it is evaluated just beside it (its limit is finite).
A_NEAR_ONE = 1e-6
DAYS_PER_MONTH = 365.25 / 12


class FitRefused(Exception):
    """The data do not support a meaningful fit; `reason` says why, in words."""

    def __init__(self, reason: str):
        super().__init__(reason)
        self.reason = reason


@dataclass(frozen=True)
class BgNbd:
    r: float
    alpha: float
    a: float
    b: float
    log_likelihood: float

    def as_dict(self) -> dict:
        return asdict(self)


@dataclass(frozen=True)
class GammaGamma:
    p: float
    q: float
    gamma: float
    log_likelihood: float

    @property
    def population_mean(self) -> float:
        """The mean value of a purchase of a member about whom nothing is known yet."""
        return self.p * self.gamma / (self.q - 1)

    def as_dict(self) -> dict:
        return asdict(self)


def _array(values) -> np.ndarray:
    return np.asarray(values, dtype=np.float64)


def _checked_summary(x, t_x, T) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    x, t_x, T = np.broadcast_arrays(_array(x), _array(t_x), _array(T))
    if not (np.isfinite(x).all() and np.isfinite(t_x).all() and np.isfinite(T).all()):
        raise ValueError("x, t_x and T must be finite")
    if (x < 0).any() or (t_x < 0).any() or (t_x > T).any():
        raise ValueError("need x >= 0 and 0 <= t_x <= T")
    return x, t_x, T


def group_rows(*columns: np.ndarray) -> tuple[list[np.ndarray], np.ndarray]:
    """The distinct rows of `columns` and how many times each occurs (the likelihood of a
    repeated row is its single likelihood times its count)."""
    stacked = np.column_stack([_array(c) for c in columns])
    unique, counts = np.unique(stacked, axis=0, return_counts=True)
    return [unique[:, k] for k in range(unique.shape[1])], counts.astype(np.float64)


# --- BG/NBD ------------------------------------------------------------------------------------------


def _bgnbd_terms(r, alpha, a, b, x, t_x, T):
    """The per-row pieces of the log-likelihood: the gamma-function part, the two branches
    A (alive at T) and B (dropped out after the last purchase; -inf when x = 0)."""
    repeat = x > 0
    g = (gammaln(r + x) - gammaln(r) + r * np.log(alpha) + gammaln(a + b) + gammaln(b + x) - gammaln(b)
         - gammaln(a + b + x))
    branch_a = -(r + x) * np.log(alpha + T)
    # b + x - 1 is only used where x >= 1 (for x = 0 it may be negative when b < 1).
    bx1 = b + np.where(repeat, x, 1.0) - 1
    branch_b = np.where(repeat, np.log(a) - np.log(bx1) - (r + x) * np.log(alpha + t_x), -np.inf)
    return g, branch_a, branch_b, repeat, bx1


def bgnbd_log_likelihood(r, alpha, a, b, x, t_x, T) -> np.ndarray:
    """Each row's log-likelihood (sum them, with weights, for the sample's)."""
    g, branch_a, branch_b, _, _ = _bgnbd_terms(r, alpha, a, b, _array(x), _array(t_x), _array(T))
    return g + np.logaddexp(branch_a, branch_b)


class _BgNbdRows:
    """The data of a BG/NBD fit arranged once for the many evaluations of the likelihood: the
    gamma-function part depends on x alone, so it is summed over the distinct x with their
    weights; only the two branches are computed row by row, and only the repeat customers have
    the second one."""

    def __init__(self, x, t_x, T, w):
        self.total = float(w.sum())
        self.x_values, where = np.unique(x, return_inverse=True)
        self.x_weight = np.bincount(where, weights=w, minlength=self.x_values.size)
        once = x == 0
        self.once_T, self.once_w = T[once], w[once]
        repeat = ~once
        self.x, self.t_x, self.T, self.w = x[repeat], t_x[repeat], T[repeat], w[repeat]


def _bgnbd_objective(log_params, rows: _BgNbdRows):
    """The negative mean log-likelihood and its gradient over the parameters' logarithms."""
    r, alpha, a, b = np.exp(log_params)
    u, W = rows.x_values, rows.x_weight
    g = (gammaln(r + u) - gammaln(r) + r * np.log(alpha) + gammaln(a + b) + gammaln(b + u) - gammaln(b)
         - gammaln(a + b + u))
    ll = np.sum(W * g)
    d_r = np.sum(W * (digamma(r + u) - digamma(r) + np.log(alpha)))
    d_alpha = r / alpha * rows.total
    d_a = np.sum(W * (digamma(a + b) - digamma(a + b + u)))
    d_b = np.sum(W * (digamma(a + b) + digamma(b + u) - digamma(b) - digamma(a + b + u)))
    # Members who never came back: only "alive at T", -r ln(α + T)
    once_log = np.log(alpha + rows.once_T)
    ll -= r * np.sum(rows.once_w * once_log)
    d_r -= np.sum(rows.once_w * once_log)
    d_alpha -= r * np.sum(rows.once_w / (alpha + rows.once_T))
    # Repeat customers: alive at T, or gone after their last purchase, added in log space
    x, w = rows.x, rows.w
    log_T, log_t = np.log(alpha + rows.T), np.log(alpha + rows.t_x)
    rx = r + x
    bx1 = b + x - 1
    branch_a = -rx * log_T
    branch_b = np.log(a) - np.log(bx1) - rx * log_t
    both = np.logaddexp(branch_a, branch_b)
    share_a = np.exp(branch_a - both)  # the weight of "alive at T" in the sum
    share_b = 1.0 - share_a
    ll += np.sum(w * both)
    d_r -= np.sum(w * (share_a * log_T + share_b * log_t))
    d_alpha -= np.sum(w * rx * (share_a / (alpha + rows.T) + share_b / (alpha + rows.t_x)))
    d_a += np.sum(w * share_b) / a
    d_b -= np.sum(w * share_b / bx1)
    grad = np.array([d_r * r, d_alpha * alpha, d_a * a, d_b * b])
    return -ll / rows.total, -grad / rows.total


def _settled(objective, log_params, args, only=None) -> bool:
    """At an optimum: the gradient of the mean log-likelihood is flat (in the parameters `only`,
    if given), except where a parameter is held by its bound and the slope points outwards."""
    value, grad = objective(log_params, *args)
    if not np.isfinite(value) or not np.isfinite(grad).all():
        return False
    held = (np.abs(log_params) >= LOG_BOUND - 1e-9) & (np.sign(grad) == -np.sign(log_params))
    checked = ~held
    if only is not None:
        checked &= np.isin(np.arange(grad.size), only)
    return bool((np.abs(grad[checked]) <= SETTLED_GRADIENT).all())


def _minimise(objective, start, args, what: str, limit=None) -> np.ndarray:
    """The logarithms of the parameters at the likelihood's maximum; FitRefused if it does not
    settle. `limit(params)` may name the parameters that must be flat when the others run away
    to a limit the likelihood only approaches (BG/NBD: a and b together)."""

    def settled(point) -> bool:
        if _settled(objective, point, args):
            return True
        flat = limit(np.exp(point)) if limit else None
        return flat is not None and _settled(objective, point, args, only=flat)

    bounds = [(-LOG_BOUND, LOG_BOUND)] * len(start)
    found = minimize(objective, start, args=args, jac=True, method="L-BFGS-B", bounds=bounds,
                     options={"maxiter": 1000, "ftol": 1e-14, "gtol": 1e-9})
    point, value = found.x, found.fun
    said = found.message.rstrip(": ") or "no progress"
    if not (found.success or settled(point)):
        if limit and limit(np.exp(point)) is not None:  # polishing does not stop a runaway
            raise FitRefused(f"the {what} fit did not converge ({said}; {RUNAWAY_SAID})")
        # L-BFGS-B may stop in its line search near the optimum, where float precision runs out;
        # a short Nelder-Mead from there either settles the point or shows it does not settle.
        simplex = minimize(lambda v: objective(np.clip(v, -LOG_BOUND, LOG_BOUND), *args)[0], point,
                           method="Nelder-Mead", options={"maxiter": 200, "xatol": 1e-8, "fatol": 1e-14})
        point, value = np.clip(simplex.x, -LOG_BOUND, LOG_BOUND), simplex.fun
        if not (simplex.success or settled(point)):
            raise FitRefused(f"the {what} fit did not converge ({said})")
    if not np.isfinite(point).all() or not np.isfinite(value):
        raise FitRefused(f"the {what} fit did not converge (values not finite)")
    return point


def _bgnbd_limit(params: np.ndarray) -> list[int] | None:
    """When everyone drops out alike, the likelihood grows ever more slowly as a and b grow
    together (the Beta of the drop-out probability narrows to a point): there, r and α must be
    settled, and the a and b reached stand for the limit (predictions barely move further)."""
    _, _, a, b = params
    return [0, 1] if a > RUNAWAY and b > RUNAWAY else None


def _refuse_at_edge(log_params: np.ndarray, what: str) -> None:
    if (np.abs(log_params) >= LOG_BOUND - EDGE).any():
        raise FitRefused(f"the {what} fit ran to the edge of its parameters (a degenerate model, not a fit)")


def _enough_repeat(x: np.ndarray, weights: np.ndarray) -> None:
    members = float(weights.sum())
    repeat = float(weights[x > 0].sum())
    if repeat < MIN_REPEAT_MEMBERS or repeat < MIN_REPEAT_SHARE * members:
        raise FitRefused(f"too few repeat customers: {int(repeat)} of {int(members)} members bought more than once "
                         f"(at least {MIN_REPEAT_MEMBERS} and {MIN_REPEAT_SHARE:.0%} are needed)")


def bgnbd_fit(x, t_x, T, weights=None) -> BgNbd:
    """Maximum-likelihood BG/NBD parameters of the members' (x, t_x, T); `weights` counts rows
    that stand for several members (else identical rows are grouped here)."""
    x, t_x, T = _checked_summary(x, t_x, T)
    if weights is None:
        (x, t_x, T), weights = group_rows(x, t_x, T)
    else:
        weights = np.broadcast_to(_array(weights), x.shape)
    if x.size == 0:
        raise FitRefused("no members with purchases")
    _enough_repeat(x, weights)
    scale = float(np.average(T, weights=weights))
    if not scale > 0:
        raise FitRefused("every first purchase is on the last day: no time to see anyone come back")
    args = (_BgNbdRows(x, t_x / scale, T / scale, weights),)
    log_params = _minimise(_bgnbd_objective, np.zeros(4), args, "BG/NBD", _bgnbd_limit)
    if _bgnbd_limit(np.exp(log_params)) is not None and (np.abs(log_params) >= LOG_BOUND - EDGE).any():
        # Where the optimiser stops on the way out depends on its path (and scipy's version): say
        # what happened, a runaway of a and b, whether it stopped settled at the bound or not.
        raise FitRefused(f"the BG/NBD fit did not converge ({RUNAWAY_SAID})")
    _refuse_at_edge(log_params, "BG/NBD")
    r, alpha, a, b = np.exp(log_params)
    alpha *= scale  # α is a time scale; r, a and b do not depend on the unit
    ll = float(weights @ bgnbd_log_likelihood(r, alpha, a, b, x, t_x, T))
    if not np.isfinite([r, alpha, a, b, ll]).all():
        raise FitRefused("the BG/NBD parameters are not finite")
    return BgNbd(float(r), float(alpha), float(a), float(b), ll)


def p_alive(fit: BgNbd, x, t_x, T) -> np.ndarray:
    """P(still a customer at T | x, t_x, T): 1 for a member who never came back (the model
    cannot tell them from one who will), else expit of the log odds."""
    x, t_x, T = _checked_summary(x, t_x, T)
    repeat = x > 0
    bx1 = fit.b + np.where(repeat, x, 1.0) - 1
    log_odds = (np.log(fit.a) - np.log(bx1)
                + (fit.r + x) * (np.log(fit.alpha + T) - np.log(fit.alpha + t_x)))
    return np.where(repeat, expit(-log_odds), 1.0)


def _hyp2f1(a, b, c, z) -> np.ndarray:
    """scipy's 2F1, where it is finite. scipy 1.17 answers inf when c - a - b is a whole number
    and z > 0.9 (e.g. 2F1(1, 1; 101; 0.95)); 2F1 is continuous in a, so those points are taken
    one part in 10^9 of a away (fitted parameters are never exactly whole, so this is rare)."""
    value = np.asarray(hyp2f1(a, b, c, z), dtype=np.float64)
    bad = ~np.isfinite(value)
    if bad.any():
        value = value.copy()
        value[bad] = np.broadcast_to(hyp2f1(np.asarray(a) * (1 + 1e-9) + 1e-12, b, c, z), value.shape)[bad]
    return value


def _a_for_division(a: float) -> float:
    if abs(a - 1.0) < A_NEAR_ONE:
        return 1.0 + A_NEAR_ONE if a >= 1.0 else 1.0 - A_NEAR_ONE
    return a


def _bracket(r: float, a: float, b: float, x: np.ndarray, one_minus_z: np.ndarray) -> np.ndarray:
    """1 - (1-z)^(r+x) 2F1(r+x, b+x; a+b+x-1; z), by whichever of two equal forms is tame.

    Euler's transformation gives 1 - (1-z)^(a-1) 2F1(a+b-1-r, a-1; a+b+x-1; z): its first two
    parameters no longer grow with x, so it stays finite for members with thousands of
    purchases, where the paper's form overflows. When a is the larger (a fit where everyone drops
    out alike has a and b in the hundred thousands), the paper's form is the tame one. Each
    element takes the form with the smaller power of (1-z) in front."""
    x, one_minus_z = np.broadcast_arrays(x, one_minus_z)
    z = 1.0 - one_minus_z
    log_rest = np.log(one_minus_z)
    euler = abs(a - 1) <= r + x
    if euler.all():  # the usual case (a of the order of 1): no masks to copy through
        return 1.0 - np.exp((a - 1) * log_rest) * _hyp2f1(a + b - 1 - r, a - 1, a + b + x - 1, z)
    bracket = np.empty(x.shape, dtype=np.float64)
    e, o = euler, ~euler
    if e.any():
        bracket[e] = 1.0 - np.exp((a - 1) * log_rest[e]) * _hyp2f1(a + b - 1 - r, a - 1, a + b + x[e] - 1, z[e])
    if o.any():
        bracket[o] = 1.0 - np.exp((r + x[o]) * log_rest[o]) * _hyp2f1(r + x[o], b + x[o], a + b + x[o] - 1, z[o])
    return bracket


def expected_purchases(fit: BgNbd, t, x, t_x, T, *, alive: np.ndarray | None = None) -> np.ndarray:
    """E[Y(t) | x, t_x, T]: purchases expected in the next `t` units (t may be an array too):
    (a+b+x-1)/(a-1) [1 - ((α+T)/(α+T+t))^(r+x) 2F1(r+x, b+x; a+b+x-1; t/(α+T+t))] P(alive)."""
    x, t_x, T = _checked_summary(x, t_x, T)
    t = _array(t)
    if (t < 0).any():
        raise ValueError("t must not be negative")
    a = _a_for_division(fit.a)
    alive = p_alive(fit, x, t_x, T) if alive is None else alive
    bracket = _bracket(fit.r, a, fit.b, x, (fit.alpha + T) / (fit.alpha + T + t))
    return (a + fit.b + x - 1) / (a - 1) * bracket * alive


def expected_purchases_new(fit: BgNbd, t) -> np.ndarray:
    """E[X(t)] of a member just joined: purchases in their first `t` units,
    (a+b-1)/(a-1) [1 - (α/(α+t))^r 2F1(r, b; a+b-1; t/(α+t))]."""
    t = _array(t)
    a = _a_for_division(fit.a)
    bracket = _bracket(fit.r, a, fit.b, np.zeros_like(t), fit.alpha / (fit.alpha + t))
    return (a + fit.b - 1) / (a - 1) * bracket


# --- Gamma-Gamma -------------------------------------------------------------------------------------


def gamma_gamma_log_likelihood(p, q, gamma, x, m) -> np.ndarray:
    """Each repeat customer's log-likelihood of their mean amount m over x purchases."""
    x, m = _array(x), _array(m)
    px = p * x
    return (gammaln(px + q) - gammaln(px) - gammaln(q) + q * np.log(gamma) + (px - 1) * np.log(m)
            + px * np.log(x) - (px + q) * np.log(gamma + x * m))


class _GammaGammaRows:
    """The data of a Gamma-Gamma fit arranged once: what depends on x alone is summed over the
    distinct x; the sums of x ln m, ln m and x ln x do not depend on the parameters at all."""

    def __init__(self, x, m, w):
        self.total = float(w.sum())
        self.x_values, where = np.unique(x, return_inverse=True)
        self.x_weight = np.bincount(where, weights=w, minlength=self.x_values.size)
        self.x, self.m, self.w = x, m, w
        self.sum_log_m = np.sum(w * np.log(m))
        self.sum_x_log_m = np.sum(w * x * np.log(m))
        self.sum_x_log_x = np.sum(w * x * np.log(x))


def _gamma_gamma_objective(log_params, rows: _GammaGammaRows):
    p, q, gamma = np.exp(log_params)
    u, W = rows.x_values, rows.x_weight
    pu = p * u
    log_gxm = np.log(gamma + rows.x * rows.m)
    px = p * rows.x
    ll = (np.sum(W * (gammaln(pu + q) - gammaln(pu))) + rows.total * (q * np.log(gamma) - gammaln(q))
          + p * (rows.sum_x_log_m + rows.sum_x_log_x) - rows.sum_log_m - np.sum(rows.w * (px + q) * log_gxm))
    psi = digamma(pu + q)
    d_p = np.sum(W * u * (psi - digamma(pu))) + rows.sum_x_log_m + rows.sum_x_log_x - np.sum(
        rows.w * rows.x * log_gxm)
    d_q = np.sum(W * psi) + rows.total * (np.log(gamma) - digamma(q)) - np.sum(rows.w * log_gxm)
    d_gamma = rows.total * q / gamma - np.sum(rows.w * (px + q) / (gamma + rows.x * rows.m))
    grad = np.array([d_p * p, d_q * q, d_gamma * gamma])
    return -ll / rows.total, -grad / rows.total


def gamma_gamma_fit(x, m) -> GammaGamma:
    """Maximum-likelihood Gamma-Gamma parameters on the repeat customers (x > 0; others are
    left out here) and the means of their repeat purchases; γ in the unit of m."""
    x, m = np.broadcast_arrays(_array(x), _array(m))
    keep = x > 0
    x, m = x[keep], m[keep]
    if x.size < MIN_REPEAT_MEMBERS:
        raise FitRefused(f"too few repeat customers for the spend model: {x.size} "
                         f"(at least {MIN_REPEAT_MEMBERS} are needed)")
    if not np.isfinite(m).all() or (m <= 0).any():
        raise FitRefused("a repeat customer's mean purchase is not positive (refunds?): the spend model needs "
                         "amounts above 0")
    scale = float(m.mean())
    args = (_GammaGammaRows(x, m / scale, np.ones_like(x)),)
    # Start from a moment match of the Gamma mixing (q = 3, p γ/(q-1) = the mean): p = 2, γ = 1.
    start = np.log([2.0, 3.0, 1.0])
    log_params = _minimise(_gamma_gamma_objective, start, args, "Gamma-Gamma")
    p, q, gamma = np.exp(log_params)
    gamma *= scale
    if not q > 1:
        raise FitRefused(f"the spend model has q = {q:.3f} <= 1: the amounts are too heavy-tailed for a mean "
                         "purchase value to exist")
    _refuse_at_edge(log_params, "Gamma-Gamma")
    ll = float(gamma_gamma_log_likelihood(p, q, gamma, x, m).sum())
    if not np.isfinite([p, q, gamma, ll]).all():
        raise FitRefused("the Gamma-Gamma parameters are not finite")
    return GammaGamma(float(p), float(q), float(gamma), ll)


def expected_spend(fit: GammaGamma, x, m) -> np.ndarray:
    """E[M | x, m]: the expected value of the member's next purchase, a weighted mean of the
    population mean p γ / (q - 1) and their own mean; the population mean when x = 0 (m is then
    not used and may be anything, e.g. 0 or NaN)."""
    x, m = np.broadcast_arrays(_array(x), _array(m))
    px = fit.p * x
    own = np.where(x > 0, m, 0.0)
    return ((fit.q - 1) * fit.population_mean + px * own) / (px + fit.q - 1)


# --- lifetime value ---------------------------------------------------------------------------------------


def discounted_purchases(bg: BgNbd, x, t_x, T, *, months: int = 12, monthly_discount: float = 0.01,
                         unit_days: float = 7.0, alive: np.ndarray | None = None) -> np.ndarray:
    """Σ_k (E[Y(k)] - E[Y(k-1)]) / (1 + d)^k over the next `months` months: the purchases each
    month is expected to bring, discounted. A month is 365.25/12 days, in the unit of the fit
    (`unit_days` days per unit: 7 for weeks)."""
    if months < 1:
        raise ValueError("months must be at least 1")
    if not 0 <= monthly_discount < 1:
        raise ValueError("the monthly discount is a fraction from 0 to 1")
    x, t_x, T = _checked_summary(x, t_x, T)
    alive = p_alive(bg, x, t_x, T) if alive is None else alive
    month = DAYS_PER_MONTH / unit_days
    total = np.zeros_like(x)
    before = np.zeros_like(x)
    for k in range(1, months + 1):
        upto = expected_purchases(bg, k * month, x, t_x, T, alive=alive)
        total += (upto - before) / (1 + monthly_discount) ** k
        before = upto
    return total


def lifetime_value(bg: BgNbd, gg: GammaGamma, x, t_x, T, m, *, months: int = 12, monthly_discount: float = 0.01,
                   unit_days: float = 7.0, alive: np.ndarray | None = None,
                   spend: np.ndarray | None = None) -> np.ndarray:
    """The value of each member's purchases over the next `months` months: each month's expected
    purchases (E[Y(k)] - E[Y(k-1)]) times the expected purchase value E[M | x, m], discounted
    by (1 + monthly_discount)^k."""
    spend = expected_spend(gg, x, m) if spend is None else spend
    return discounted_purchases(bg, x, t_x, T, months=months, monthly_discount=monthly_discount,
                                unit_days=unit_days, alive=alive) * spend
