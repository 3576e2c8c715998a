"""Sending SMS through a pluggable gateway.

    from vafa.integrations.sms import sms_send
    transaction.on_commit(lambda: sms_send(to=member.phone, text=_("Your code: %s") % code))

The backend is chosen by `VAFA_SMS_BACKEND` (`console` by default, `kavenegar`, `smsir`,
`ghasedak`); see `base.py` for the contract and each adapter for its gateway's HTTP API.
"""

from vafa.integrations.sms.base import (
    MAX_TEXT_LENGTH,
    DeliveryReport,
    SmsBackend,
    SmsError,
    SmsMessage,
    SmsResult,
    get_backend,
    sms_send,
)

__all__ = ["MAX_TEXT_LENGTH", "DeliveryReport", "SmsBackend", "SmsError", "SmsMessage", "SmsResult", "get_backend",
           "sms_send"]
