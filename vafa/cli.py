"""The `vafa` console command: Django's management commands under one name."""

import os
import sys


def main() -> None:
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "vafa.settings")
    from django.core.management import execute_from_command_line

    args = sys.argv[1:]
    # The contract spells commands with dashes (`vafa create-merchant`); Django modules use underscores.
    if args and not args[0].startswith("-"):
        args[0] = args[0].replace("-", "_")
    execute_from_command_line(["vafa", *args])


if __name__ == "__main__":
    main()
