"""What the program accepts from outside: rules, tiers and rewards, checked field by field."""

from vafa.program.catalog import reward_clean
from vafa.program.rules import rule_clean, tier_clean

__all__ = ["reward_clean", "rule_clean", "tier_clean"]
