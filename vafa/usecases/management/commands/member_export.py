from django.core.management.base import BaseCommand, CommandError

from vafa.core.errors import MemberNotFound
from vafa.usecases.member_data import member_export_csv, member_export_json


class Command(BaseCommand):
    help = "Write everything the club holds about one member (JSON, or CSV with --format csv) to stdout or a file."

    def add_arguments(self, parser):
        parser.add_argument("member_id")
        parser.add_argument("--format", choices=["json", "csv"], default="json")
        parser.add_argument("--output", help="a file to write (default: standard output)")

    def handle(self, *args, member_id, format, output, **options):
        export = member_export_csv if format == "csv" else member_export_json
        try:
            pieces = export(member_id=member_id)
            first = next(pieces)  # the member is looked up before anything is written
        except MemberNotFound:
            raise CommandError(f"no member {member_id!r}") from None
        if output:
            with open(output, "w", encoding="utf-8", newline="") as out:
                out.write(first)
                out.writelines(pieces)
            return
        self.stdout.write(first, ending="")
        for piece in pieces:
            self.stdout.write(piece, ending="")
