"""Gateways to the world outside the club: SMS (and later e-mail, WooCommerce, CSV).

Only `vafa.core` is imported from here, so any app may reach a gateway through the small
interfaces this package exposes (`vafa.integrations.sms.sms_send`).
"""
