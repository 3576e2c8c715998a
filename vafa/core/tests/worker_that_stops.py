"""Run `vafa worker --once` in a child process that stops dead at one point of its handling of
an SMS (for the tests that kill it there): `python -m vafa.core.tests.worker_that_stops POINT MARK`.

POINT: `claimed` (before anything leaves: the row is claimed, the gateway not called),
`sending` (inside the gateway call, the point of no return passed), `sent` (the gateway took it,
the row is not marked done yet). MARK: a file the child writes when it is there, so the test
knows when to kill it."""

import os
import sys
import time
from pathlib import Path


def main() -> None:
    point, mark = sys.argv[1], Path(sys.argv[2])
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "vafa.settings")
    import django

    django.setup()
    from django.core.management import call_command

    from vafa.core import outbox
    from vafa.integrations.sms.console import ConsoleBackend

    def stop_here(*args, **kwargs):
        mark.write_text(point)
        time.sleep(3600)  # until killed

    if point == "claimed":
        outbox.Delivery.point_of_no_return = stop_here
    elif point == "sending":
        ConsoleBackend.send = stop_here
    elif point == "sent":
        real_finish = outbox._finish

        def finish_then_stop(entry, **kwargs):
            if entry.handler == "sms.send":
                stop_here()
            real_finish(entry, **kwargs)

        outbox._finish = finish_then_stop
    else:
        raise SystemExit(f"unknown point {point}")
    call_command("worker", once=True)


if __name__ == "__main__":
    main()
