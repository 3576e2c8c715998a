from django.core.management.base import BaseCommand, CommandError

from vafa.core.backup import BackupError, restore


class Command(BaseCommand):
    help = "Load a backup made by `vafa backup` into the empty database named by DATABASE_URL."

    def add_arguments(self, parser):
        parser.add_argument("path")

    def handle(self, *args, path, **options):
        try:
            self.stdout.write(restore(path))
        except BackupError as error:
            raise CommandError(str(error)) from None
