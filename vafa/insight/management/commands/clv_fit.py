import argparse
import json
import math
import os
import re
import tempfile
from datetime import date
from pathlib import Path

from django.core.management.base import BaseCommand, CommandError

from vafa.core.digits import to_ascii_digits
from vafa.core.errors import ValidationFailed
from vafa.core.jalali import parse_jalali_date
from vafa.insight.services import FitRefused, clv_fit


def _date(text: str) -> date:
    """An ISO date (1997-09-30) or a Jalali one (1403/07/15), in either digits."""
    plain = to_ascii_digits(text).strip()
    try:
        if re.fullmatch(r"[0-9]{4}-[0-9]{2}-[0-9]{2}", plain) and int(plain[:4]) > 1700:
            return date.fromisoformat(plain)
        return parse_jalali_date(plain)
    except ValueError:
        raise argparse.ArgumentTypeError(f"not a date (YYYY-MM-DD, or a Jalali 1403/07/15): {text!r}") from None


def _horizon(text: str) -> float:
    try:
        value = float(to_ascii_digits(text))
    except ValueError:
        value = math.nan
    if not math.isfinite(value) or value <= 0:
        raise argparse.ArgumentTypeError(f"a number of units above 0, not {text!r}")
    return value


class Command(BaseCommand):
    help = ("Fit BG/NBD and Gamma-Gamma on the purchases up to and including a day, score every member "
            "(MemberScore) and print the parameters; exit 1 with the reason when the data do not support a fit.")

    def add_arguments(self, parser):
        parser.add_argument("--calibration-end", required=True, type=_date, metavar="DATE",
                            help="the last day (Tehran) of the purchases fitted, e.g. 1997-09-30")
        parser.add_argument("--unit", choices=["week", "day"], default="week", help="the unit of time (default: week)")
        parser.add_argument("--horizon", type=_horizon, metavar="N",
                            help="expected purchases over N units in --out (default: 90 days in the unit)")
        parser.add_argument("--json", action="store_true", help="print the parameters as JSON")
        parser.add_argument("--out", metavar="FILE", help="write one CSV row per member to FILE")

    def handle(self, *args, **options):
        end, unit, out = options["calibration_end"], options["unit"], options["out"]
        try:
            # Written beside the file and renamed when done: a path that cannot be written stops
            # the command before the work, and a refused fit leaves an existing file as it was.
            handle = tempfile.NamedTemporaryFile(  # noqa: SIM115 (closed below, whatever happens)
                "w", encoding="utf-8", newline="", dir=Path(out).absolute().parent, prefix=".clv-",
                suffix=".csv", delete=False) if out else None
        except OSError as error:
            raise CommandError(f"--out: cannot write {out} ({error.strerror})", returncode=2) from None
        done = False
        try:
            answer = clv_fit(calibration_end=end, unit=unit, horizon=options["horizon"], out=handle)
            done = True
        except FitRefused as refusal:
            raise CommandError(f"no fit: {refusal.reason}") from None
        except ValidationFailed as error:
            raise CommandError("; ".join(f"--{k.replace('_', '-')}: {v}" for k, v in error.details.items()),
                               returncode=2) from None
        finally:
            if handle is not None:
                handle.close()
                if done:
                    os.replace(handle.name, out)
                else:
                    os.unlink(handle.name)
        if options["json"]:
            self.stdout.write(json.dumps(answer, ensure_ascii=False))
            return
        bg, gg = answer["bgnbd"], answer["gamma_gamma"]
        self.stdout.write(f"{answer['members']} members with purchases up to {end.isoformat()}, time in {unit}s.")
        self.stdout.write(f"BG/NBD: r {bg['r']:.4f}, alpha {bg['alpha']:.4f}, a {bg['a']:.4f}, b {bg['b']:.4f}, "
                          f"log-likelihood {bg['log_likelihood']:.2f}")
        self.stdout.write(f"Gamma-Gamma: p {gg['p']:.4f}, q {gg['q']:.4f}, gamma {gg['gamma']:.2f} Rials, "
                          f"log-likelihood {gg['log_likelihood']:.2f}")
        if out:
            self.stdout.write(f"One row per member written to {out}.")
