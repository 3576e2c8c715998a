"""The `vafa` console command: Django's management commands under one name."""

import os
import sys


def main() -> None:
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "vafa.settings")
    from django.conf import settings
    from django.core.exceptions import ImproperlyConfigured
    from django.core.management import execute_from_command_line

    args = sys.argv[1:]
    # The contract spells commands with dashes (`vafa create-merchant`); Django modules use underscores.
    if args and not args[0].startswith("-"):
        args[0] = args[0].replace("-", "_")
    try:
        # Settings first: Django would otherwise hide a bad one behind "Unknown command".
        settings.INSTALLED_APPS  # noqa: B018
        execute_from_command_line(["vafa", *args])
    except ImproperlyConfigured as exc:
        # A setting an operator must fix: one line that names it, no traceback.
        print(f"vafa: {exc}", file=sys.stderr)
        sys.exit(2)


if __name__ == "__main__":
    main()
