"""Background tasks of insight (run by `vafa worker`, on the task backend of the settings)."""

from django.utils.dateparse import parse_datetime
from django_tasks import task

from vafa.core.jobs import job_finished
from vafa.insight.services import members_score


@task()
def score_members(now: str) -> dict:
    """The nightly scoring (lifetime value and RFM of every member who bought), as of `now` (ISO 8601)."""
    moment = parse_datetime(now)
    fit = members_score(now=moment)
    result = (f"{fit.members} members scored in {fit.seconds:.1f}s" if fit.status == fit.Status.FITTED
              else f"refused ({fit.reason}); RFM of {fit.members} members")
    job_finished(job="score-members", now=moment, result=result)
    return {"status": fit.status, "members": fit.members, "reason": fit.reason}


@task()
def product_pairs(now: str) -> dict:
    """The nightly "bought X, then Y" pairs (vafa/insight/products.py), from the purchases as they stand."""
    from vafa.insight import products

    moment = parse_datetime(now)
    computed = products.product_pairs_compute(now=moment, min_members=products.MIN_MEMBERS)
    job_finished(job="product-pairs", now=moment,
                 result=f"{computed.pairs} product pairs in {computed.seconds:.1f}s")
    return {"pairs": computed.pairs}


@task()
def programme_effect(now: str) -> dict:
    """The nightly programme effect (vafa/insight/effect.py): each rule, reward and campaign as of `now`."""
    from vafa.insight import effect

    moment = parse_datetime(now)
    rows = effect.programme_effects_compute(now=moment)
    job_finished(job="programme-effect", now=moment, result=f"{rows} rules, rewards and campaigns")
    return {"rows": rows}
