"""Vafa (وفا): a self-hosted customer club and loyalty platform."""
