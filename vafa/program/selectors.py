"""Reads of the program: the live program (cached per process by its version), rules, tiers and
rewards in their one JSON shape, the program document, and what rules would award."""

from vafa.program.awards import (
    Line,
    PurchaseFacts,
    purchase_lines,
    purchase_rule_context,
    recorded_usage,
    rule_lines,
)
from vafa.program.catalog import parse_reward_id, reward_body, reward_fields
from vafa.program.document import program_export
from vafa.program.labels import member_labels, member_labels_one
from vafa.program.live import (
    ClubPolicy,
    Program,
    RuleInfo,
    TierInfo,
    club_policy,
    earn_policy,
    engine_rule,
    forget_program,
    member_tier,
    member_tier_id,
    program_now,
    rule_info,
)
from vafa.program.rules import rule_body, rule_get, tier_body, tier_get

__all__ = [
    "ClubPolicy",
    "Line",
    "Program",
    "PurchaseFacts",
    "RuleInfo",
    "TierInfo",
    "club_policy",
    "earn_policy",
    "engine_rule",
    "forget_program",
    "member_labels",
    "member_labels_one",
    "member_tier",
    "member_tier_id",
    "parse_reward_id",
    "program_export",
    "program_now",
    "purchase_lines",
    "purchase_rule_context",
    "recorded_usage",
    "reward_body",
    "reward_fields",
    "rule_body",
    "rule_get",
    "rule_info",
    "rule_lines",
    "tier_body",
    "tier_get",
]
