"""`vafa import members FILE` and `vafa import purchases FILE` (DESIGN: "Importing history")."""

import sys

from django.core.management.base import BaseCommand, CommandError

from vafa.core.errors import ApplicationError
from vafa.ledger.selectors import verify_ledger
from vafa.portability.services import ImportJob, import_file, import_merchant

BAR = 30


class Command(BaseCommand):
    help = ("Import members or purchases from a .csv (UTF-8) or .xlsx file; refused rows go to "
            "FILE.errors.csv. Running the same file again continues an interrupted import and adds nothing twice.")

    def add_arguments(self, parser):
        parser.add_argument("kind", choices=ImportJob.Kind.values)
        parser.add_argument("file")
        parser.add_argument("--merchant", help="the merchant's name (default: the only merchant)")
        parser.add_argument("--dry-run", action="store_true", help="check every row, write nothing")
        parser.add_argument("--no-points", action="store_true", help="import without awarding points")

    def handle(self, *args, **options):
        progress = self._bar if sys.stdout.isatty() and options["verbosity"] > 0 else None
        try:
            merchant = import_merchant(options["merchant"])
            job = import_file(kind=options["kind"], path=options["file"], merchant_id=merchant.pk,
                              dry_run=options["dry_run"], earns=not options["no_points"], progress=progress)
        except ApplicationError as error:
            raise CommandError(f"{error.message} {error.details or ''}".strip(), returncode=2) from None
        if progress is not None:
            self.stdout.write("")
        verb = "would import" if options["dry_run"] else "imported"
        self.stdout.write(f"{job.kind}: {verb} {job.imported}, already there {job.unchanged}, refused {job.failed}"
                          f" (lines to {job.lines_done}).")
        if job.failed:
            self.stdout.write(f"Refused rows, with their line and error: {job.errors_path}")
        if job.kind == ImportJob.Kind.PURCHASES and not options["dry_run"]:
            broken = [name for name, problems in verify_ledger() if problems]
            if broken:
                raise CommandError(f"ledger invariants do not hold: {', '.join(broken)} (run vafa verify-ledger)")
            self.stdout.write("All ledger invariants hold.")

    def _bar(self, job):
        total = job.lines_total or 0
        done = max(job.lines_done - 1, 0)
        share = min(done / total, 1.0) if total else 0.0
        filled = int(share * BAR)
        self.stdout.write(f"\r[{'#' * filled}{' ' * (BAR - filled)}] {share:6.1%}  {done:,}/{total:,} rows",
                          ending="")
        self.stdout.flush()
