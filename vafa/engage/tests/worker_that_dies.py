"""Run `vafa worker --once [--now ISO]` in a child process that kills itself with SIGKILL at the
N-th passing of a point, for the tests that kill a worker in the middle of a campaign or of
automations:

    python -m vafa.engage.tests.worker_that_dies POINT N [--now ISO] [--chunk SIZE] [--of automation:ID]

POINT: `decided` (the N-th chunk of messages is written, its transaction not committed yet: the
chunks before it are), `sent` (the N-th SMS is in the console file, its message and outbox row
not yet marked sent), `none` (never: a worker whose chunks are SIZE, to run several at once).
`--chunk`: the campaigns' and automations' chunk size (more chunks, more points to die at and
more interleaving between workers); `--of`: count only the chunks of that campaign or
automation (`campaign:3`, `automation:7`). The real `worker` command runs; only the point is
hooked."""

import argparse
import os
import signal


def die() -> None:
    os.kill(os.getpid(), signal.SIGKILL)


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("point", choices=["decided", "sent", "none"])
    parser.add_argument("n", type=int)
    parser.add_argument("--now")
    parser.add_argument("--chunk", type=int)
    parser.add_argument("--of", default="")
    args = parser.parse_args()
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "vafa.settings")
    import django

    django.setup()
    from django.core.management import call_command

    from vafa.engage import automations, campaigns
    from vafa.integrations.sms.console import ConsoleBackend

    passed = {"n": 0}

    def count() -> None:
        passed["n"] += 1
        if passed["n"] >= args.n:
            die()

    if args.chunk:
        campaigns.CHUNK = automations.CHUNK = args.chunk
    if args.point == "decided":
        real_decide = campaigns.messages_decide

        kind, _, wanted = args.of.partition(":")

        def decide_then_die(**kwargs):
            written = real_decide(**kwargs)
            if not kind or str(kwargs.get(f"{kind}_id")) == wanted:
                count()  # inside the chunk's transaction: it never commits
            return written

        campaigns.messages_decide = automations.messages_decide = decide_then_die
    elif args.point == "sent":
        real_send = ConsoleBackend.send

        def send_then_die(self, message):
            result = real_send(self, message)
            count()  # the line is written; the gateway's answer never reaches the database
            return result

        ConsoleBackend.send = send_then_die
    call_command("worker", once=True, now=args.now)


if __name__ == "__main__":
    main()
