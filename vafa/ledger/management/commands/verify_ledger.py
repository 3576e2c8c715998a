from django.core.management.base import BaseCommand, CommandError
from django.db.models import Sum

from vafa.ledger.checks import verify_ledger
from vafa.ledger.models import Account, Lot, Transfer


class Command(BaseCommand):
    help = "Check every ledger invariant; exit 1 with a precise report when any fails."

    def handle(self, *args, **options):
        results = verify_ledger()
        failed = 0
        for name, problems in results:
            mark = "ok  " if not problems else "FAIL"
            self.stdout.write(f"{mark} {name}")
            for problem in problems[:50]:
                self.stdout.write(f"     - {problem}")
            if len(problems) > 50:
                self.stdout.write(f"     ... and {len(problems) - 50} more")
            failed += bool(problems)
        members = Account.objects.filter(role=Account.Role.MEMBER).count()
        outstanding = Account.objects.filter(role=Account.Role.MEMBER).aggregate(s=Sum("balance"))["s"] or 0
        self.stdout.write(
            f"{Transfer.objects.count()} transfers, {Lot.objects.count()} lots, {members} member accounts, "
            f"{outstanding} points outstanding."
        )
        if failed:
            raise CommandError(f"{failed} invariant(s) do not hold.")
        self.stdout.write("All ledger invariants hold.")
