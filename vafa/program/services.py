"""Changes to the program: rules (each change a revision), tiers, rewards, the whole program
document, and applying what rules award. Every change raises the program's version."""

from vafa.program.awards import lines_apply, rule_usage_forget, rule_usage_record
from vafa.program.catalog import reward_clean, reward_create, reward_update
from vafa.program.document import program_import
from vafa.program.rules import rule_clean, rule_create, rule_update, tier_clean, tier_create, tier_update
from vafa.program.version import program_changed

__all__ = [
    "lines_apply", "program_changed", "program_import", "reward_clean", "reward_create", "reward_update",
    "rule_clean", "rule_create", "rule_update", "rule_usage_forget", "rule_usage_record", "tier_clean", "tier_create",
    "tier_update",
]
