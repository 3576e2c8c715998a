"""Personal data masked where it need not be seen whole (the audit log, keys, cashiers)."""

from vafa.core.masking import mask_email, mask_national_id, mask_personal


def test_masks():
    assert mask_national_id("0013542419") == "******2419"
    assert mask_email("sara.rad@example.com") == "s***@example.com"
    assert mask_email("") == ""


def test_personal_fields_are_masked_at_any_depth():
    data = {"phone": "+989121234567", "national_id": "0013542419", "email": "a@b.ir", "birth_date": "1990-03-21",
            "name": "Sara", "member": {"phone": "09121234567"}, "rows": [{"email": "zz@x.ir"}], "points": 5}
    assert mask_personal(data) == {
        "phone": "+98912***4567", "national_id": "******2419", "email": "a***@b.ir", "birth_date": "****-**-**",
        "name": "Sara", "member": {"phone": "+98912***4567"}, "rows": [{"email": "z***@x.ir"}], "points": 5}
