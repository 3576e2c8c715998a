from django.core.management.base import BaseCommand

from vafa.merchants.services import api_key_create, merchant_create


class Command(BaseCommand):
    help = "Create a merchant and print its new API key on the last line."

    def add_arguments(self, parser):
        parser.add_argument("name")

    def handle(self, *args, name, **options):
        merchant = merchant_create(name=name)
        _key, raw = api_key_create(merchant=merchant)
        self.stdout.write(f"Merchant {merchant.name!r} created (id {merchant.id}). Its API key:")
        self.stdout.write(raw)
