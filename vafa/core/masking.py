"""Personal data as shown to those who need not see it whole (keys without `members:pii`,
cashiers, marketers, the audit log)."""

from collections.abc import Callable, Mapping


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


def fields_replaced(data, replace: Mapping[str, Callable]):
    """`data` (dicts and lists, nested) with the value of every field named in `replace` passed
    through its function; the rest as it is."""
    if isinstance(data, dict):
        return {key: replace[key](value) if key in replace else fields_replaced(value, replace)
                for key, value in data.items()}
    if isinstance(data, list):
        return [fields_replaced(item, replace) for item in data]
    return data


def _texts_only(mask: Callable[[str], str]) -> Callable:
    return lambda value: mask(value) if isinstance(value, str) and value else value


def _personal_masks() -> dict[str, Callable]:
    from vafa.core.phone import mask_phone

    return {"national_id": _texts_only(mask_national_id), "email": _texts_only(mask_email),
            "birth_date": _texts_only(lambda _value: "****-**-**"), "phone": _texts_only(mask_phone)}


def mask_personal(data):
    """`data` (a dict of fields, possibly nested) with personal fields masked: what the audit
    log keeps of a member's national code, e-mail, birth date and phone."""
    return fields_replaced(data, _personal_masks())


def mask_national_ids(data):
    """`data` with only the national codes masked (for a key without `members:pii`)."""
    return fields_replaced(data, {"national_id": _texts_only(mask_national_id)})
