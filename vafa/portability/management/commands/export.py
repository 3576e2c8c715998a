from django.core.management.base import BaseCommand, CommandError

from vafa.portability.export import ExportError, export_write, export_zip, progress_printer


class Command(BaseCommand):
    help = ("Export everything the business owns into DIR (new or empty): CSV files, XLSX of the smaller tables, "
            "the program and a manifest of counts and checksums.")

    def add_arguments(self, parser):
        parser.add_argument("directory", metavar="DIR")
        parser.add_argument("--zip", action="store_true", help="also write DIR.zip beside the folder")

    def handle(self, *args, directory, zip, **options):
        progress = progress_printer()
        try:
            manifest = export_write(directory, progress=progress)
            archive = export_zip(directory) if zip else None
        except ExportError as error:
            raise CommandError(str(error.message), returncode=2) from None
        except OSError as error:  # the disk filled up, a file could not be written
            raise CommandError(f"{directory}: {error.strerror or error}", returncode=1) from None
        finally:
            if progress:
                self.stderr.write("\r\x1b[K", ending="")
        for entry in manifest["files"]:
            self.stdout.write(f"{entry['name']}: {entry['rows']} rows, {entry['bytes']} bytes, "
                              f"sha256 {entry['sha256']}")
        for entry in manifest["skipped"]:
            self.stdout.write(f"{entry['name']}: not written, {entry['reason']}")
        ledger = manifest["ledger"]
        self.stdout.write(f"Exported to {directory}: {len(manifest['files'])} files, {ledger['transfers']} transfers, "
                          f"{ledger['member_accounts']} member accounts, {ledger['points_outstanding']} points "
                          f"outstanding.")
        if archive:
            self.stdout.write(f"Zip: {archive}")
