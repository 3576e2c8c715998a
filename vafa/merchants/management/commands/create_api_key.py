from django.core.management.base import BaseCommand, CommandError

from vafa.core.errors import ValidationFailed
from vafa.merchants.models import Merchant, Scope
from vafa.merchants.services import api_key_create


class Command(BaseCommand):
    help = "Create an API key for a merchant with the scopes given and print it on the last line."

    def add_arguments(self, parser):
        parser.add_argument("--merchant", required=True, help="the merchant's name, slug or id")
        parser.add_argument("--scopes", required=True,
                            help=f"comma-separated, from: {', '.join(Scope.values)}")
        parser.add_argument("--name", default="default", help="what the key is for, e.g. 'website'")

    def handle(self, *args, merchant, scopes, name, **options):
        found = Merchant.objects.filter(name=merchant) | Merchant.objects.filter(slug=merchant)
        if merchant.isdigit():
            found = found | Merchant.objects.filter(pk=int(merchant))
        matches = list(found.distinct()[:2])
        if len(matches) != 1:
            raise CommandError(f"no single merchant named {merchant!r}" if matches else f"no merchant {merchant!r}")
        try:
            key, raw = api_key_create(merchant=matches[0], name=name, scopes=scopes.split(","))
        except ValidationFailed as exc:
            raise CommandError(exc.details.get("scopes", str(exc))) from None
        self.stdout.write(f"API key {key.prefix}… for {matches[0].name!r} with the scopes {', '.join(key.scopes)}:")
        self.stdout.write(raw)
