"""The retention job: what the club keeps only for a while is deleted once its time is up.

One-time codes, wrong codes and spend codes, and failed staff logins after
`VAFA_RETENTION_DAYS` (default 30: long enough to look into an attack, and no limit looks back
further than an hour); the answers kept for Idempotency-Key retries after
`VAFA_IDEMPOTENCY_DAYS` (default 30). Runs nightly (`vafa worker`) and by `vafa retention`.
"""

from dataclasses import dataclass
from datetime import datetime, timedelta

from django.conf import settings
from django.utils import timezone

from vafa.ledger.services import idempotency_purge
from vafa.members.services import otp_purge
from vafa.merchants.services import login_failures_purge


@dataclass(frozen=True)
class RetentionRun:
    codes: int
    login_failures: int
    idempotency_records: int

    def __str__(self) -> str:
        return (f"{self.codes} codes, {self.login_failures} failed logins, "
                f"{self.idempotency_records} idempotency records deleted")


def retention_run(*, now: datetime | None = None) -> RetentionRun:
    now = now or timezone.now()
    personal = now - timedelta(days=settings.RETENTION_DAYS)
    return RetentionRun(
        codes=otp_purge(before=personal),
        login_failures=login_failures_purge(before=personal),
        idempotency_records=idempotency_purge(before=now - timedelta(days=settings.IDEMPOTENCY_DAYS)),
    )
