"""What other apps may use of the integrations: sending an SMS through the configured gateway."""

from vafa.integrations.sms import SmsError, sms_send

__all__ = ["SmsError", "sms_send"]
