"""E-mail through Django's e-mail framework (the file backend under var/mail/ by default, SMTP or
any backend by settings), sent by the outbox worker once as far as the backend allows.

Every message carries `X-Vafa-Message: <key>`; after a crash past the point of no return, the
file backend's folder tells whether the key was written. Other backends cannot tell, so an
attempt in doubt is given up rather than risk a second e-mail."""

from dataclasses import dataclass
from pathlib import Path

from django.conf import settings
from django.core.mail import EmailMultiAlternatives, get_connection

from vafa.core.outbox import Delivery, GiveUp, OutcomeUnknown

KEY_HEADER = "X-Vafa-Message"
FILE_BACKEND = "django.core.mail.backends.filebased.EmailBackend"


@dataclass(frozen=True)
class Email:
    to: str
    subject: str
    text: str
    html: str = ""
    key: str = ""
    headers: tuple[tuple[str, str], ...] = ()


def _written(key: str) -> bool | None:
    if settings.EMAIL_BACKEND != FILE_BACKEND:
        return None
    folder = Path(settings.EMAIL_FILE_PATH)
    if not folder.is_dir():
        return False
    needle = f"{KEY_HEADER}: {key}\n".encode()
    return any(needle in path.read_bytes() for path in folder.iterdir() if path.is_file())


def email_attempt(delivery: Delivery, email: Email) -> str:
    """Send one e-mail for the outbox row `delivery`; answers "written"/"sent" or
    "already sent"."""
    if delivery.in_doubt:
        written = _written(email.key)
        if written:
            return "already sent"
        if written is None:
            raise GiveUp("an earlier attempt may have sent it and the e-mail backend cannot tell: not sent again")
    message = EmailMultiAlternatives(subject=email.subject, body=email.text, to=[email.to],
                                     headers={KEY_HEADER: email.key, **dict(email.headers)})
    if email.html:
        message.attach_alternative(email.html, "text/html")
    delivery.point_of_no_return()
    try:
        get_connection().send_messages([message])
    except TimeoutError as error:
        raise OutcomeUnknown(f"the mail server did not answer in time: {error}") from error
    except (OSError, ValueError) as error:  # SMTP errors are OSErrors; a refused address a ValueError
        raise RuntimeError(f"the e-mail could not be sent: {type(error).__name__}") from error
    return "sent"
