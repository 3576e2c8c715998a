from django.core.management.base import BaseCommand, CommandError

from vafa.core.errors import MemberNotFound
from vafa.usecases.member_data import member_erase


class Command(BaseCommand):
    help = ("Erase one member's personal data for good (name, phone, national code, e-mail, birth date, "
            "occasions); their points and purchases stay in the books, anonymous. Needs --yes.")

    def add_arguments(self, parser):
        parser.add_argument("member_id")
        parser.add_argument("--yes", action="store_true", help="yes, erase: it cannot be undone")

    def handle(self, *args, member_id, yes, **options):
        if not yes:
            raise CommandError("erasing cannot be undone: run it again with --yes")
        try:
            member = member_erase(member_id=member_id)
        except MemberNotFound:
            raise CommandError(f"no member {member_id!r}") from None
        self.stdout.write(f"Member {member.pk} erased; their points and purchases stay in the books, anonymous.")
