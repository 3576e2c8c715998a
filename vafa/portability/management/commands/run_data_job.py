"""`vafa run-data-job import|export ID`: the process the back-office starts for an import or an
export (vafa.portability.background); run by hand, it continues a job that was cut off."""

from django.core.management.base import BaseCommand, CommandError

from vafa.core.errors import ApplicationError
from vafa.portability.models import ImportJob
from vafa.portability.services import export_run, import_run


class Command(BaseCommand):
    help = "Run (or continue) an import or an export started from the back-office."

    def add_arguments(self, parser):
        parser.add_argument("kind", choices=["import", "export"])
        parser.add_argument("job", type=int)

    def handle(self, *args, kind, job, **options):
        try:
            if kind == "export":
                export_run(job)
                return
            found = ImportJob.objects.filter(pk=job).first()
            if found is None:
                raise CommandError(f"no import {job}", returncode=2)
            done = import_run(found)
        except ApplicationError as error:
            raise CommandError(str(error.message), returncode=2) from None
        self.stdout.write(f"import {done.pk}: {done.status}, imported {done.imported}, "
                          f"already there {done.unchanged}, refused {done.failed}")
