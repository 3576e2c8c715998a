from django.core.management.base import BaseCommand, CommandError

from vafa.insight import products


class Command(BaseCommand):
    help = ('Recompute the "bought X, then Y" product pairs from the purchases as they stand (what the '
            'nightly product-pairs job does) and print how many were kept.')

    def add_arguments(self, parser):
        parser.add_argument("--min-members", type=int, default=products.MIN_MEMBERS, metavar="N",
                            help=f"members a pair needs to be kept (default: {products.MIN_MEMBERS})")

    def handle(self, *args, **options):
        try:
            computed = products.product_pairs_compute(min_members=options["min_members"])
        except ValueError as error:
            raise CommandError(str(error)) from None
        self.stdout.write(f"{computed.pairs} product pairs in {computed.seconds:.1f}s")
