"""What a member did that rules may reward: record an event (once by its key), award the built-in
triggers (joining, completing the profile, occasions), and upload packaging codes."""

from vafa.member_events.occasions import occasions_award
from vafa.member_events.packaging import packaging_codes_upload
from vafa.member_events.triggers import event_record, trigger_once

__all__ = ["event_record", "occasions_award", "packaging_codes_upload", "trigger_once"]
