from django.core.management.base import BaseCommand, CommandError

from vafa.merchants.models import Merchant
from vafa.portability.export import progress_printer
from vafa.portability.restore import RestoreError, export_restore


class Command(BaseCommand):
    help = ("Restore an export made by `vafa export` into this fresh installation (no members, no points): "
            "checked against its manifest first, then all of it or nothing.")

    def add_arguments(self, parser):
        parser.add_argument("directory", metavar="DIR")
        parser.add_argument("--merchant", metavar="NAME",
                            help="this installation's merchant (name or slug) the export's club operator becomes "
                                 "(default: the merchant of the same slug or name, else a new one)")

    def handle(self, *args, directory, merchant, **options):
        merchant_id = None
        if merchant:
            found = list(Merchant.objects.filter(slug=merchant).values_list("pk", flat=True)) or list(
                Merchant.objects.filter(name=merchant).values_list("pk", flat=True)[:2])
            if len(found) != 1:
                raise CommandError(f"no merchant named {merchant!r}" if not found
                                   else f"two or more merchants are named {merchant!r}: give its slug", returncode=2)
            merchant_id = found[0]
        progress = progress_printer()
        try:
            summary = export_restore(directory, merchant_id=merchant_id, progress=progress)
        except RestoreError as error:
            raise CommandError(str(error.message), returncode=2) from None
        except OSError as error:
            raise CommandError(f"{directory}: {error.strerror or error}", returncode=1) from None
        finally:
            if progress:
                self.stderr.write("\r\x1b[K", ending="")
        for name, rows in summary["files"].items():
            self.stdout.write(f"{name}: {rows} rows restored")
        for name in summary["not_restored"]:
            self.stdout.write(f"{name}: not restored (kept in the export)")
        merchants = summary["merchants"]
        self.stdout.write(f"Merchants: {', '.join(merchants['matched']) or 'none'} found, "
                          f"{', '.join(merchants['created']) or 'none'} created.")
        ledger = summary["ledger"]
        self.stdout.write(f"{ledger['transfers']} transfers, {ledger['lots']} lots, {ledger['member_accounts']} member "
                          f"accounts, {ledger['points_outstanding']} points outstanding, as in the export; "
                          f"all ledger invariants hold.")
