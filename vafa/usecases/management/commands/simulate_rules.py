import json
from datetime import date

from django.core.management.base import BaseCommand, CommandError

from vafa.core.errors import ApplicationError
from vafa.usecases.rule_dry_run import rules_simulate


class Command(BaseCommand):
    help = ("Dry run: what the given rules (ids, or a JSON file of draft rules) would have issued on the "
            "purchases of a period, beside the live rules. Writes nothing.")

    def add_arguments(self, parser):
        parser.add_argument("--from", dest="date_from", required=True, help="first day, YYYY-MM-DD (Tehran)")
        parser.add_argument("--to", dest="date_to", required=True, help="last day, YYYY-MM-DD (Tehran)")
        parser.add_argument("--rule", dest="rule_ids", action="append", default=[], help="a rule id (repeatable)")
        parser.add_argument("--file", help="a JSON file: one rule object or a list of rules/ids")
        parser.add_argument("--json", action="store_true", help="print the whole result as JSON")

    def handle(self, *args, date_from, date_to, rule_ids, file, json: bool, **options):
        specs: list = list(rule_ids)
        if file:
            with open(file, encoding="utf-8") as handle:
                loaded = _json_load(handle)
            specs += loaded if isinstance(loaded, list) else [loaded]
        try:
            result = rules_simulate(rules=specs, date_from=_day(date_from), date_to=_day(date_to))
        except ApplicationError as error:
            raise CommandError(f"{error.code}: {error.details}") from None
        if json:
            self.stdout.write(_json_dump(result))
            return
        self.stdout.write(f"Purchases {result['from']} .. {result['to']}: {result['purchases']}")
        for label, figures in (("draft", result), ("live", result["live"]), ("difference", result["difference"])):
            self.stdout.write(f"{label:>10}: {figures['points']:>12,} points  {figures['value_rial']:>16,} IRR"
                              f"  {figures['members']:>8,} members")
        for line in result["by_rule"]:
            self.stdout.write(f"  rule {line['rule_id']} {line['name']}: {line['points']:,} points, "
                              f"{line['members']:,} members")


def _day(text: str) -> date:
    try:
        return date.fromisoformat(text)
    except ValueError:
        raise CommandError(f"not a date: {text!r} (YYYY-MM-DD)") from None


def _json_load(handle):
    try:
        return json.load(handle)
    except ValueError as error:
        raise CommandError(f"not JSON: {error}") from None


def _json_dump(value) -> str:
    return json.dumps(value, ensure_ascii=False, indent=2, default=str)
