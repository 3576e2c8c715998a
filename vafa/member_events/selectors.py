"""Reads of member events."""

from vafa.member_events.occasions import occasion_candidates
from vafa.member_events.packaging import packaging_codes_unused
from vafa.member_events.triggers import profile_complete

__all__ = ["occasion_candidates", "packaging_codes_unused", "profile_complete"]
