import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from vafa.core.digits import to_persian_digits
from vafa.core.errors import InvalidPhone
from vafa.core.phone import is_valid_phone, mask_phone, normalize_phone

quick = settings(database=None)

E164 = "+989121234567"


@pytest.mark.parametrize(
    "raw",
    [
        "09121234567",
        "9121234567",
        "+989121234567",
        "00989121234567",
        "989121234567",
        "۰۹۱۲۱۲۳۴۵۶۷",
        "٠٩١٢١٢٣٤٥٦٧",
        "+۹۸۹۱۲۱۲۳۴۵۶۷",
        "۰۹۱۲123٤٥٦٧",
        "0912 123 4567",
        "0912-123-4567",
        "0912.123.4567",
        "(0912) 123-4567",
        "+98 (912) 123 45 67",
        "+98-912-123-4567",
        "0098 912 123 4567",
        "  09121234567  ",
        "0912\u00a0123\u00a04567",
        "\u200e+98 912 123 4567\u200f",
        "+98 0912 123 4567",
        "+98 (0) 912 123 4567",
        "98 0912 123 4567",
    ],
)
def test_accepted_forms(raw):
    assert normalize_phone(raw) == E164


@pytest.mark.parametrize(
    ("raw", "expected"),
    [
        ("09351234567", "+989351234567"),  # Irancell
        ("09011234567", "+989011234567"),
        ("09211234567", "+989211234567"),  # RighTel
        ("09901234567", "+989901234567"),
        ("0939 000 0000", "+989390000000"),
    ],
)
def test_other_mobile_operators(raw, expected):
    assert normalize_phone(raw) == expected


@pytest.mark.parametrize(
    "raw",
    [
        "",
        "   ",
        "None",
        "null",
        "02112345678",  # Tehran landline
        "+982112345678",
        "09811234567",  # 0981 is not a mobile range
        "09400001234",  # 094x: a valid Iranian number, but a fixed line
        "+442071234567",  # London
        "+14155552671",
        "00442071234567",
        "0912123456",  # too short
        "091212345678",  # too long
        "+98912123456",
        "9891212345",
        "98912123456",
        "0912abc4567",
        "0912-ABC-4567",  # the phonenumbers parser alone would read this as a vanity number
        "09121234567x",
        "0912_123_4567",
        "++989121234567",
        "98+9121234567",
        "0912123456²",  # a superscript digit counts as a digit for str.isdigit
        "０９１２１２３４５６７",  # fullwidth digits
        "0912１２３４５６７",  # fullwidth digits that int() would happily read
        "+98",
        "0",
    ],
)
def test_rejected(raw):
    with pytest.raises(InvalidPhone):
        normalize_phone(raw)


@pytest.mark.parametrize("raw", [None, 9121234567, 9.121234567e9, b"09121234567", ["09121234567"]])
def test_non_string_rejected(raw):
    with pytest.raises(InvalidPhone):
        normalize_phone(raw)


def test_error_code():
    with pytest.raises(InvalidPhone) as caught:
        normalize_phone("123")
    assert caught.value.code == "invalid_phone"
    assert caught.value.status == 422


def test_is_valid_phone():
    assert is_valid_phone("۰۹۱۲ ۱۲۳ ۴۵۶۷") is True
    assert is_valid_phone("02112345678") is False
    assert is_valid_phone(None) is False
    assert is_valid_phone(9121234567) is False


def test_mask_phone():
    assert mask_phone("+989121234567") == "+98912***4567"
    assert mask_phone("0935 123 4567") == "+98935***4567"


def test_mask_phone_never_raises_and_never_leaks():
    assert mask_phone("02112345678") == "***"
    assert mask_phone("") == "***"
    assert mask_phone(None) == "***"


MOBILE_PREFIXES = ["901", "912", "919", "921", "930", "935", "939", "990"]


@st.composite
def written_mobiles(draw):
    """A valid mobile number and one of the ways a person might write it."""
    nsn = draw(st.sampled_from(MOBILE_PREFIXES)) + draw(st.from_regex(r"[0-9]{7}", fullmatch=True))
    prefix = draw(st.sampled_from(["0", "", "+98", "0098", "98", "+98 0"]))
    separator = draw(st.sampled_from(["", " ", "-", ".", " - "]))
    operator = f"({nsn[:3]})" if draw(st.booleans()) else nsn[:3]
    text = prefix + separator.join([operator, nsn[3:6], nsn[6:]])
    if draw(st.booleans()):
        text = to_persian_digits(text)
    return nsn, text


@quick
@given(written_mobiles())
def test_every_written_form_normalizes(case):
    nsn, text = case
    assert normalize_phone(text) == "+98" + nsn
    assert normalize_phone(normalize_phone(text)) == "+98" + nsn


@quick
@given(st.text(alphabet=st.characters(categories=["L"]), min_size=1))
def test_letters_are_never_part_of_a_phone_number(letters):
    assert not is_valid_phone("0912" + letters + "1234567")


def test_national_mobile_writes_a_number_the_iranian_way():
    from vafa.core.phone import national_mobile

    assert national_mobile("+989121234567") == "09121234567"
    assert national_mobile("+98912***4567") == "0912***4567"
    assert national_mobile("***") == "***"
