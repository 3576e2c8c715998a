from django.core.management.base import BaseCommand

from vafa.merchants.services import login_unlock


class Command(BaseCommand):
    help = "Let a staff name log in again at once: forget its failed logins from every address."

    def add_arguments(self, parser):
        parser.add_argument("username")

    def handle(self, *args, username, **options):
        forgotten = login_unlock(username=username)
        self.stdout.write(f"{username}: {forgotten} failed login(s) forgotten; the name may log in now.")
