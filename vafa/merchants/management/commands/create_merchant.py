from django.core.management.base import BaseCommand

from vafa.merchants.services import api_key_create, merchant_create, operator_id


class Command(BaseCommand):
    help = "Create a merchant and print its new API key on the last line."

    def add_arguments(self, parser):
        parser.add_argument("name")

    def handle(self, *args, name, **options):
        merchant = merchant_create(name=name)
        _key, raw = api_key_create(merchant=merchant)
        role = "the club's operator" if merchant.pk == operator_id() else "a partner"
        self.stdout.write(f"Merchant {merchant.name!r} created (id {merchant.id}, {role}). "
                          f"Its API key, with the scopes {', '.join(_key.scopes)}:")
        self.stdout.write(raw)
