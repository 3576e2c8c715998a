"""The SMS gateway interface: one message in, a gateway's receipt (or an `SmsError`) out.

Callers send with `sms_send(to=..., text=...)`. Sending leaves the process and cannot be rolled
back, so a caller inside a transaction must queue it with
`transaction.on_commit(lambda: sms_send(...))` (or enqueue a task on commit): a message about a
purchase that was rolled back must never go out. `sms_send` raises `SmsError` when the gateway
refuses or cannot be reached; `retryable` tells a task whether trying again later can help.

A backend that can say what became of a message (`reports_batch` > 0) answers
`delivery_reports(ids)` with a `DeliveryReport` per id it knows: pending, delivered, failed or
blocked (the number refuses advertising), with the gateway's own status code.

The backend comes from settings (`VAFA_SMS_BACKEND`, `VAFA_SMS_API_KEY`, `VAFA_SMS_SENDER`,
`VAFA_SMS_BASE_URL`, `VAFA_SMS_TIMEOUT`). The API key is a secret: it never appears in a log
line, an exception message or a repr.
"""

from __future__ import annotations

import http.client
import json
import logging
import urllib.error
import urllib.parse
import urllib.request
from abc import ABC, abstractmethod
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any, ClassVar

from django.conf import settings
from django.core.exceptions import ImproperlyConfigured
from django.utils.module_loading import import_string

from vafa.core.errors import InvalidPhone, ValidationFailed
from vafa.core.phone import mask_phone, national_mobile, normalize_phone

logger = logging.getLogger("vafa.integrations.sms")

# Long enough for any transactional text (a concatenated SMS of ~15 Persian parts), short enough
# that a bug cannot send a page of text to every member.
MAX_TEXT_LENGTH = 1000

BACKENDS = {
    "console": "vafa.integrations.sms.console.ConsoleBackend",
    "kavenegar": "vafa.integrations.sms.kavenegar.KavenegarBackend",
    "smsir": "vafa.integrations.sms.smsir.SmsIrBackend",
    "ghasedak": "vafa.integrations.sms.ghasedak.GhasedakBackend",
}


@dataclass(frozen=True)
class SmsMessage:
    to: str  # E.164, an Iranian mobile number: +989121234567
    text: str
    # Our id of the message (the outbox entry's): a gateway that deduplicates sends it along, so
    # sending the same message again after a crash is delivered once.
    key: str = ""
    purpose: str = ""  # e.g. login_code; shown in the console backend's line


@dataclass(frozen=True)
class SmsResult:
    message_id: str  # the gateway's id of the message (for delivery reports)
    status: str  # "queued" when a gateway accepted it, "written" for the console backend


# What a gateway's delivery report says of one message, reduced to what Vafa acts on.
PENDING = "pending"  # still on its way (queued, at the operator), or the gateway gives no verdict yet
DELIVERED = "delivered"
FAILED = "failed"  # will not arrive (undelivered, cancelled, refused)
BLOCKED = "blocked"  # not delivered because the number blocks advertising (*800#)


@dataclass(frozen=True)
class DeliveryReport:
    gateway_id: str  # the gateway's id of the message, as `SmsResult.message_id` gave it
    state: str  # PENDING, DELIVERED, FAILED or BLOCKED
    raw_status: str  # the gateway's own status code, e.g. "10" (kept on the message as it came)


class SmsError(Exception):
    """The message was not accepted. `retryable`: a later attempt may succeed (5xx, timeout).
    `may_have_sent`: the gateway may have taken it anyway (no answer in time, an unreadable 2xx)."""

    def __init__(self, message: str, *, retryable: bool, code: str | int | None = None, may_have_sent: bool = False):
        super().__init__(message)
        self.retryable = retryable
        self.code = code
        self.may_have_sent = may_have_sent


class SmsBackend(ABC):
    name: ClassVar[str]
    # Whether sending a message again with the same `key` is delivered once (the gateway, or for
    # the console backend its file, recognises the key).
    deduplicates: ClassVar[bool] = False
    # How many gateway ids one `delivery_reports` call takes; 0: the backend reports no deliveries.
    reports_batch: ClassVar[int] = 0

    def was_sent(self, key: str, purpose: str = "") -> bool | None:
        """Whether the message with this key (and purpose, when given: keys of different kinds
        of message may repeat) was already sent, when the backend can tell; None when it cannot
        (then `deduplicates` says whether sending again is safe)."""
        return None

    @abstractmethod
    def send(self, message: SmsMessage) -> SmsResult:
        """Hand one message to the gateway, or raise `SmsError`."""

    def delivery_reports(self, gateway_ids: Sequence[str]) -> list[DeliveryReport]:
        """What the gateway says now of these messages (at most `reports_batch` ids): one report
        per id it knows; an id it does not answer for is left out. Raises `SmsError` when the
        gateway cannot be asked (no answer, 5xx, a refused key): nothing is known then."""
        return []

    @classmethod
    def from_settings(cls) -> SmsBackend:
        return cls()


def gateway_receptor(e164: str) -> str:
    """`+989121234567` -> `09121234567`, the form Iranian gateways expect for a receptor."""
    return national_mobile(normalize_phone(e164))


class HttpGateway(SmsBackend):
    """What the real adapters share: settings, one HTTP POST, errors mapped to `SmsError`."""

    default_base_url: ClassVar[str]

    def __init__(self, *, api_key: str, sender: str = "", base_url: str = "", timeout: float = 10.0):
        if not api_key:
            raise ImproperlyConfigured(f"VAFA_SMS_API_KEY is required by the {self.name} SMS backend.")
        self._api_key = api_key
        self.sender = sender
        self.base_url = (base_url or self.default_base_url).rstrip("/")
        self.timeout = timeout

    @classmethod
    def from_settings(cls) -> SmsBackend:
        return cls(
            api_key=settings.SMS_API_KEY,
            sender=settings.SMS_SENDER,
            base_url=settings.SMS_BASE_URL,
            timeout=settings.SMS_TIMEOUT,
        )

    def __repr__(self) -> str:  # the key stays out of tracebacks and debug pages
        return f"{type(self).__name__}(base_url={self.base_url!r}, sender={self.sender!r})"

    def _error(self, message: SmsMessage, why: str, *, retryable: bool, code: str | int | None = None,
               may_have_sent: bool = False) -> SmsError:
        logger.warning(
            "SMS to %s via %s failed (%s, code=%s, retryable=%s)",
            mask_phone(message.to), self.name, why, code, retryable,
        )
        return SmsError(f"{self.name}: {why}", retryable=retryable, code=code, may_have_sent=may_have_sent)

    def _post(
        self,
        message: SmsMessage,
        path: str,
        *,
        form: dict[str, str] | None = None,
        json_body: dict[str, Any] | None = None,
        headers: dict[str, str] | None = None,
    ) -> tuple[int, Any]:
        """POST to the gateway; answer (HTTP status, parsed JSON or None).

        Only failures to get any answer raise here (always retryable); what an answer means is
        each adapter's business, since every gateway reports errors its own way.
        """
        all_headers = {"Accept": "application/json"}
        if form is not None:
            body = urllib.parse.urlencode(form, encoding="utf-8").encode("ascii")
            all_headers["Content-Type"] = "application/x-www-form-urlencoded; charset=utf-8"
        else:
            body = json.dumps(json_body, ensure_ascii=False).encode("utf-8")
            all_headers["Content-Type"] = "application/json"
        all_headers.update(headers or {})
        request = urllib.request.Request(self.base_url + path, data=body, headers=all_headers, method="POST")
        try:
            return self._exchange(request)
        except _NoAnswer as no:
            raise self._error(message, no.why, retryable=True, may_have_sent=no.timed_out) from None

    def _ask(self, path: str, *, form: dict[str, str] | None = None, headers: dict[str, str] | None = None,
             base_url: str = "") -> tuple[int, Any]:
        """A question to the gateway (a delivery report), not a message: a GET of `path` (with
        its query), or a form POST when `form` is given. Answers (HTTP status, parsed JSON or
        None); no answer at all raises a retryable `SmsError`."""
        all_headers = {"Accept": "application/json"}
        body = None
        if form is not None:
            body = urllib.parse.urlencode(form, encoding="utf-8").encode("ascii")
            all_headers["Content-Type"] = "application/x-www-form-urlencoded; charset=utf-8"
        all_headers.update(headers or {})
        request = urllib.request.Request((base_url or self.base_url) + path, data=body, headers=all_headers,
                                         method="GET" if form is None else "POST")
        try:
            return self._exchange(request)
        except _NoAnswer as no:
            raise self._report_error(no.why, retryable=True) from None

    def _report_error(self, why: str, *, retryable: bool, code: str | int | None = None) -> SmsError:
        logger.warning("Delivery reports from %s failed (%s, code=%s, retryable=%s)", self.name, why, code, retryable)
        return SmsError(f"{self.name}: {why}", retryable=retryable, code=code)

    def _report_unexpected(self, status: int) -> SmsError:
        """An answer to a question that is neither the documented answer nor a documented error."""
        retryable = status >= 500 or status == 429
        why = f"HTTP {status}" if status >= 400 else f"unreadable answer (HTTP {status})"
        return self._report_error(why, retryable=retryable, code=status)

    def _exchange(self, request: urllib.request.Request) -> tuple[int, Any]:
        """Send `request`; answer (HTTP status, parsed JSON or None), or raise `_NoAnswer`."""
        # Error messages never include the URL or the request: Kavenegar's URL holds the key.
        try:
            with urllib.request.urlopen(request, timeout=self.timeout) as response:
                status, raw = response.status, response.read()
        except urllib.error.HTTPError as error:
            status = error.code
            try:
                raw = error.read()
            except (OSError, http.client.HTTPException):
                raw = b""
        except TimeoutError:
            raise _NoAnswer("the gateway did not answer in time", timed_out=True) from None
        except urllib.error.URLError as error:
            if isinstance(error.reason, TimeoutError):
                raise _NoAnswer("the gateway did not answer in time", timed_out=True) from None
            raise _NoAnswer("the gateway could not be reached") from None
        except (OSError, http.client.HTTPException):
            raise _NoAnswer("the connection to the gateway failed") from None
        try:
            payload = json.loads(raw.decode("utf-8")) if raw else None
        except (UnicodeDecodeError, ValueError):
            payload = None
        return status, payload

    def _unexpected(self, message: SmsMessage, status: int) -> SmsError:
        """An answer that is neither the documented success nor a documented error."""
        if status >= 500 or status == 429:
            return self._error(message, f"HTTP {status}", retryable=True, code=status)
        if status >= 400:
            return self._error(message, f"HTTP {status}", retryable=False, code=status)
        # A 2xx we cannot read: the message may have gone out, so a retry could send it twice.
        return self._error(message, f"unreadable answer (HTTP {status})", retryable=False, code=status,
                           may_have_sent=True)


class _NoAnswer(Exception):
    """No answer from the gateway at all; `timed_out`: it may have acted on the request."""

    def __init__(self, why: str, *, timed_out: bool = False):
        super().__init__(why)
        self.why = why
        self.timed_out = timed_out


def report_status(value: Any) -> str | None:
    """A gateway's status code as text ("10"), or None when it is not an integer."""
    if isinstance(value, bool) or not isinstance(value, int):
        return None
    return str(value)


def report_id(value: Any) -> str | None:
    """A gateway's message id (a number, or a string) as text, or None when it has none."""
    if isinstance(value, bool):
        return None
    if isinstance(value, int):
        return str(value)
    if isinstance(value, str) and value.strip():
        return value.strip()
    return None


class SmsNotChosen(ImproperlyConfigured):
    """Production without a chosen gateway: the console backend would print login codes."""


NOT_CHOSEN = ("no SMS gateway is chosen: in production the console backend, which writes every message "
              "(login codes too) to a file and the log, runs only when chosen by name; set VAFA_SMS_BACKEND "
              "to kavenegar, smsir or ghasedak (or console, knowingly)")


def sms_backend_refused() -> str | None:
    """Why no SMS may be sent with these settings, or None."""
    if settings.SMS_BACKEND == "console" and not settings.DEV_MODE and not settings.SMS_BACKEND_CHOSEN:
        return NOT_CHOSEN
    return None


def get_backend() -> SmsBackend:
    """The backend named by `VAFA_SMS_BACKEND`, configured from settings."""
    name = settings.SMS_BACKEND
    refused = sms_backend_refused()
    if refused:
        raise SmsNotChosen(refused)
    if name not in BACKENDS:
        raise ImproperlyConfigured(f"Unknown VAFA_SMS_BACKEND {name!r}; choose one of {', '.join(BACKENDS)}.")
    return import_string(BACKENDS[name]).from_settings()


def sms_message(*, to: str, text: str, key: str = "", purpose: str = "") -> SmsMessage:
    """A checked message: `to` in any accepted form of an Iranian mobile number (kept as E.164),
    a text of 1 to MAX_TEXT_LENGTH characters; else `InvalidPhone` / `ValidationFailed`."""
    try:
        phone = normalize_phone(to)
    except InvalidPhone:
        raise InvalidPhone(details={"to": "an Iranian mobile number"}) from None
    if not isinstance(text, str) or not text.strip():
        raise ValidationFailed(details={"text": "a non-empty text"})
    if len(text) > MAX_TEXT_LENGTH:
        raise ValidationFailed(details={"text": f"a text of at most {MAX_TEXT_LENGTH} characters"})
    return SmsMessage(to=phone, text=text, key=key, purpose=purpose)


def sms_send(*, to: str, text: str, key: str = "", purpose: str = "") -> SmsResult:
    """Validate and send one SMS now. Messages decided in a transaction go through the outbox
    instead (`vafa.integrations.services.sms_queue`), which calls this after the commit.

    Raises `InvalidPhone` / `ValidationFailed` for bad input (nothing is sent) and `SmsError` when
    the gateway does not accept the message.
    """
    return get_backend().send(sms_message(to=to, text=text, key=key, purpose=purpose))
