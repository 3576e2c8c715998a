from django.core.management.base import BaseCommand, CommandError

from vafa.core.backup import BackupError, backup


class Command(BaseCommand):
    help = ("Write a complete backup of the database to PATH (PostgreSQL: pg_dump's custom format; SQLite: "
            "its online backup). Safe while the club runs.")

    def add_arguments(self, parser):
        parser.add_argument("path")

    def handle(self, *args, path, **options):
        try:
            self.stdout.write(backup(path))
        except BackupError as error:
            raise CommandError(str(error)) from None
