"""Personal data as shown to those who need not see it whole (keys without `members:pii`,
cashiers, marketers, the audit log)."""


def mask_national_id(value: str) -> str:
    """`0012345678` -> `******5678`: the last four digits let a cashier confirm a code the
    member says aloud without the page revealing it."""
    if not value:
        return value
    keep = value[-4:] if len(value) > 4 else ""
    return "*" * (len(value) - len(keep)) + keep


def mask_email(value: str) -> str:
    """`sara.rad@example.com` -> `s***@example.com`."""
    if not value or "@" not in value:
        return value
    local, domain = value.rsplit("@", 1)
    return f"{local[:1]}***@{domain}"
