"""Personal data as shown to those who need not see it whole (keys without `members:pii`,
cashiers, marketers, the audit log)."""


def mask_national_id(value: str) -> str:
    """`0012345678` -> `******5678`: the last four digits let a cashier confirm a code the
    member says aloud without the page revealing it."""
    if not value:
        return value
    keep = value[-4:] if len(value) > 4 else ""
    return "*" * (len(value) - len(keep)) + keep


def mask_code(code) -> str:
    """A code someone could spend, shown by its last four characters only ("…WXYZ")."""
    text = str(code or "")
    return f"…{text[-4:]}" if len(text) > 4 else "…"


def mask_email(value: str) -> str:
    """`sara.rad@example.com` -> `s***@example.com`."""
    if not value or "@" not in value:
        return value
    local, domain = value.rsplit("@", 1)
    return f"{local[:1]}***@{domain}"


def _mask_value(key: str, value):
    from vafa.core.phone import mask_phone

    if not isinstance(value, str) or not value:
        return value
    if key == "national_id":
        return mask_national_id(value)
    if key == "email":
        return mask_email(value)
    if key == "birth_date":
        return "****-**-**"
    if key == "phone":
        return mask_phone(value)
    return value


PERSONAL_FIELDS = frozenset({"national_id", "email", "birth_date", "phone"})


def mask_personal(data):
    """`data` (a dict of fields, possibly nested) with personal fields masked: what the audit
    log keeps of a member's national code, e-mail, birth date and phone."""
    if isinstance(data, dict):
        return {key: _mask_value(key, value) if key in PERSONAL_FIELDS else mask_personal(value)
                for key, value in data.items()}
    if isinstance(data, list):
        return [mask_personal(item) for item in data]
    return data
