"""Changes made by insight: fitting the lifetime-value models and scoring the members
(MemberScore, written in bulk), by `vafa clv-fit` or the nightly job. The conventions are in
vafa/insight/scoring.py; the formulas in vafa/insight/clv.py."""

from __future__ import annotations

import csv
import math
import time
from datetime import date, datetime, timedelta
from pathlib import Path
from typing import IO

from django.conf import settings
from django.utils import timezone

from vafa.core.errors import ValidationFailed
from vafa.core.jalali import TEHRAN
from vafa.insight import scoring
from vafa.insight.clv import FitRefused
from vafa.insight.models import ClvFit

__all__ = ["FitRefused", "clv_fit", "insight_refresh", "members_score"]

UNITS = tuple(scoring.UNITS)


def _monthly_discount() -> float:
    return getattr(settings, "CLV_MONTHLY_DISCOUNT", 1.0) / 100


def _checked(calibration_end, unit: str, horizon, now: datetime) -> float | None:
    if not isinstance(calibration_end, date) or isinstance(calibration_end, datetime):
        raise ValidationFailed(details={"calibration_end": "a date"})
    if calibration_end > now.astimezone(TEHRAN).date():
        raise ValidationFailed(details={"calibration_end": "not after today (Tehran)"})
    if unit not in UNITS:
        raise ValidationFailed(details={"unit": "week or day"})
    if horizon is None:
        return None
    if isinstance(horizon, bool) or not isinstance(horizon, int | float) or not math.isfinite(horizon) \
            or horizon <= 0:
        raise ValidationFailed(details={"horizon": "a number of units above 0"})
    return float(horizon)


def _fit_answer(scored: scoring.Scored) -> dict:
    """DESIGN's shape: {"members", "bgnbd": {r, alpha, a, b, log_likelihood}, "gamma_gamma": {p, q,
    gamma, log_likelihood}}; γ in Rials, as the amounts are."""
    return {"members": scored.summary.members, "bgnbd": scored.bgnbd.as_dict(),
            "gamma_gamma": scored.gamma_gamma.as_dict()}


def _score(calibration_end: date, unit: str, horizon: float | None, now: datetime) -> tuple[scoring.Scored, ClvFit]:
    started = time.perf_counter()
    summary = scoring.summary(calibration_end)
    scored = scoring.fit_and_score(summary, unit=unit, horizon=horizon, monthly_discount=_monthly_discount())
    scoring.write_scores(scored, now)
    scored.seconds = time.perf_counter() - started
    fit = ClvFit.objects.create(
        fitted_at=now, calibration_end=calibration_end, unit=unit,
        status=ClvFit.Status.REFUSED if scored.refused else ClvFit.Status.FITTED, reason=scored.refused[:255],
        members=summary.members, repeat_members=scored.repeat_members,
        bgnbd=scored.bgnbd.as_dict() if scored.bgnbd and not scored.refused else {},
        gamma_gamma=scored.gamma_gamma.as_dict() if scored.gamma_gamma and not scored.refused else {},
        seconds=round(scored.seconds, 3), distribution=[] if scored.refused else scoring.value_distribution(scored))
    return scored, fit


def _write_csv(scored: scoring.Scored, out: str | Path | IO[str]) -> None:
    if isinstance(out, str | Path):
        with open(out, "w", encoding="utf-8", newline="") as handle:
            csv.writer(handle).writerows(scoring.csv_rows(scored))
        return
    csv.writer(out).writerows(scoring.csv_rows(scored))


def clv_fit(*, calibration_end: date, unit: str = "week", horizon: float | None = None,
            out: str | Path | IO[str] | None = None, now: datetime | None = None) -> dict:
    """Fit BG/NBD and Gamma-Gamma on the purchases up to and including `calibration_end` (a Tehran
    day), score every member with a purchase into MemberScore and record the fit (ClvFit). `out`
    (a path or an open text file) receives one CSV row per member, with the expected purchases over
    `horizon` units (default: 90 days in the unit). Raises FitRefused (its `reason` in words) when
    the data do not support a fit; the refusal is recorded and the RFM scores are written all the
    same, the lifetime-value figures left empty."""
    now = now or timezone.now()
    horizon = _checked(calibration_end, unit, horizon, now)
    scored, _ = _score(calibration_end, unit, horizon, now)
    if scored.refused:
        raise FitRefused(scored.refused)
    if out is not None:
        _write_csv(scored, out)
    return _fit_answer(scored)


def members_score(now: datetime | None = None) -> ClvFit:
    """The nightly scoring: the purchases up to yesterday (Tehran), in weeks. A refused fit is not
    an error here: the ClvFit row says why, and the members keep their RFM."""
    now = now or timezone.now()
    yesterday = now.astimezone(TEHRAN).date() - timedelta(days=1)
    return _score(yesterday, "week", None, now)[1]


def insight_refresh(now: datetime | None = None) -> dict:
    """The nightly jobs of insight at once, in their order (scores, then the pairs, then the
    programme effect, which matches members by the scores): what `vafa demo` runs so a new club's
    dashboard has its figures without waiting for the night."""
    from vafa.insight.effect import programme_effects_compute
    from vafa.insight.products import MIN_MEMBERS, product_pairs_compute

    now = now or timezone.now()
    fit = members_score(now)
    pairs = product_pairs_compute(now=now, min_members=MIN_MEMBERS)
    effects = programme_effects_compute(now=now)
    return {"fit": fit.status, "scored": fit.members, "pairs": pairs.pairs, "effects": effects}
