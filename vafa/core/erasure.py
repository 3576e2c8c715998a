"""What the core tables keep of a person, forgotten when a member is erased: the audit log's
labels and names, the outbox's messages to their number, the Django admin's change log."""

from django.utils import timezone

from vafa.core.masking import fields_replaced
from vafa.core.models import AuditEntry, OutboxEntry

NAME_FIELDS = ("first_name", "last_name", "organization_name", "name")


def _without_names(data):
    return fields_replaced(data, dict.fromkeys(NAME_FIELDS, lambda _value: ""))


def person_forget(*, model, member_id: int, phone: str) -> None:
    """`model` is the member model (core sits below the members app)."""
    label = f"#{member_id}"
    for entry in AuditEntry.objects.filter(target_type__in=["members.member", "member"], target_id=str(member_id)):
        entry.target_label = label
        entry.before, entry.after = _without_names(entry.before), _without_names(entry.after)
        entry.save(update_fields=["target_label", "before", "after"])
    now = timezone.now()
    for entry in OutboxEntry.objects.filter(payload__to=phone):
        entry.payload = {**entry.payload, "to": "", "text": ""}
        fields = ["payload"]
        if entry.done_at is None:  # not sent yet: it never will be
            entry.done_at, entry.gave_up, entry.note = now, True, "the member was erased"
            fields += ["done_at", "gave_up", "note"]
        entry.save(update_fields=fields)
    from django.contrib.admin.models import LogEntry
    from django.contrib.contenttypes.models import ContentType

    LogEntry.objects.filter(content_type=ContentType.objects.get_for_model(model),
                            object_id=str(member_id)).update(object_repr=label, change_message="")
