import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from vafa.core.digits import to_persian_digits
from vafa.core.errors import InvalidNationalId
from vafa.core.national_id import validate_legal_id, validate_national_code, validate_national_id

quick = settings(database=None)


# Independent implementations of the published rules, so the tests do not trust the code under test.
def build_national_code(first_nine: str) -> str:
    total = sum(int(first_nine[i]) * (10 - i) for i in range(9))
    r = total % 11
    return first_nine + str(r if r < 2 else 11 - r)


def build_legal_id(first_ten: str) -> str:
    d = int(first_ten[9]) + 2
    weights = [29, 27, 23, 19, 17, 29, 27, 23, 19, 17]
    r = sum((int(first_ten[i]) + d) * weights[i] for i in range(10)) % 11
    return first_ten + str(0 if r == 10 else r)


# --- national code (person) ---------------------------------------------------------------

# Worked by hand, e.g. 0499370899: 0*10 + 4*9 + 9*8 + 9*7 + 3*6 + 7*5 + 0*4 + 8*3 + 9*2 = 266,
# 266 % 11 = 2, check = 11 - 2 = 9. 1001391391: sum 111, 111 % 11 = 1, check = 1.
# 0629386560: sum 242, 242 % 11 = 0, check = 0. 8704197631: remainder 10, check = 1.
KNOWN_VALID_CODES = ["0499370899", "0010350829", "0629386560", "1001391391", "8704197631", "4886472257"]


@pytest.mark.parametrize("code", KNOWN_VALID_CODES)
def test_known_valid_national_codes(code):
    assert build_national_code(code[:9]) == code  # the fixtures agree with the rule
    assert validate_national_code(code) == code


@pytest.mark.parametrize(
    ("raw", "expected"),
    [
        ("۰۴۹۹۳۷۰۸۹۹", "0499370899"),
        ("٠٤٩٩٣٧٠٨٩٩", "0499370899"),
        ("049-937089-9", "0499370899"),
        (" 049 937 0899 ", "0499370899"),
        ("\u200f۰۴۹۹۳۷۰۸۹۹\u200e", "0499370899"),
        ("499370899", "0499370899"),  # a lost leading zero
        ("10350829", "0010350829"),  # two lost leading zeros
        ("۱۰۳۵۰۸۲۹", "0010350829"),
    ],
)
def test_national_code_normalization(raw, expected):
    assert validate_national_code(raw) == expected


@pytest.mark.parametrize(
    "raw",
    [
        "0499370898",  # wrong check digit
        "0499370890",
        "1001391390",
        "1234567",  # too short, even padded
        "04993708991",  # too long
        "04993708a9",
        "O499370899",  # letter O for zero
        "0499370899x",
        "049_937089_9",
        "049/937089/9",
        "٠٤٩٩٣٧٠٨٩٩٩",
        "１２３４５６７８９０",  # fullwidth digits
        "04993708９９",  # fullwidth digits that int() would happily read
        "",
        "   ",
        "-",
        "0000000000",
        "1111111111",
        "5555555555",
        "00000000",  # pads to all zeros
        "11111111",  # pads to 0011111111, wrong check digit
    ],
)
def test_invalid_national_codes(raw):
    with pytest.raises(InvalidNationalId):
        validate_national_code(raw)


@pytest.mark.parametrize("digit", "0123456789")
def test_all_identical_digits_rejected_although_checksum_passes(digit):
    code = digit * 10
    assert build_national_code(code[:9]) == code
    with pytest.raises(InvalidNationalId):
        validate_national_code(code)


@pytest.mark.parametrize("raw", [None, 499370899, ["0499370899"]])
def test_non_string_national_code_rejected(raw):
    with pytest.raises(InvalidNationalId):
        validate_national_code(raw)


def test_error_code():
    with pytest.raises(InvalidNationalId) as caught:
        validate_national_code("123")
    assert caught.value.code == "invalid_national_id"
    assert caught.value.status == 422


first_nines = st.from_regex(r"[0-9]{9}", fullmatch=True).filter(lambda s: len(set(s)) > 1)


@quick
@given(first_nines)
def test_every_built_national_code_validates(first_nine):
    code = build_national_code(first_nine)
    assert validate_national_code(code) == code
    assert validate_national_code(to_persian_digits(code)) == code
    assert validate_national_code(f"{code[:3]}-{code[3:9]}-{code[9]}") == code


@quick
@given(first_nines, st.integers(0, 9))
def test_any_other_check_digit_fails(first_nine, digit):
    code = build_national_code(first_nine)
    wrong = first_nine + str(digit)
    if wrong != code:
        with pytest.raises(InvalidNationalId):
            validate_national_code(wrong)


# --- legal ID (organisation) --------------------------------------------------------------

# Worked by hand for 10101234565: d = 6 + 2 = 8; the digits plus 8 are 9 8 9 8 9 10 11 12 13 14;
# weighted: 261 + 216 + 207 + 152 + 153 + 290 + 297 + 276 + 247 + 238 = 2337; 2337 % 11 = 5.
# 10041144260 has remainder 10, so its check digit is 0; 10497869070 has remainder 0.
KNOWN_VALID_LEGAL_IDS = ["10101234565", "10041144260", "10497869070", "10374068121", "10861234565"]


@pytest.mark.parametrize("legal_id", KNOWN_VALID_LEGAL_IDS)
def test_known_valid_legal_ids(legal_id):
    assert build_legal_id(legal_id[:10]) == legal_id
    assert validate_legal_id(legal_id) == legal_id


@pytest.mark.parametrize(
    ("raw", "expected"),
    [
        ("۱۰۱۰۱۲۳۴۵۶۵", "10101234565"),
        ("١٠١٠١٢٣٤٥٦٥", "10101234565"),
        ("1010-1234-565", "10101234565"),
        (" 10101 234565 ", "10101234565"),
    ],
)
def test_legal_id_normalization(raw, expected):
    assert validate_legal_id(raw) == expected


@pytest.mark.parametrize(
    "raw",
    [
        "10101234564",  # wrong check digit
        "10041144261",
        "1010123456",  # 10 digits: not padded, legal IDs always have 11
        "101012345651",
        "1010123456a",
        "101012345６５",
        "",
        None,
        10101234565,
        "33333333333",  # passes the checksum, but is a placeholder
        "00000000000",
    ],
)
def test_invalid_legal_ids(raw):
    with pytest.raises(InvalidNationalId):
        validate_legal_id(raw)


def test_repeated_threes_pass_the_checksum():
    # Why validate_legal_id rejects all-identical digits explicitly.
    assert build_legal_id("3333333333") == "33333333333"


first_tens = st.from_regex(r"[0-9]{10}", fullmatch=True).filter(lambda s: len(set(s)) > 1)


@quick
@given(first_tens)
def test_every_built_legal_id_validates(first_ten):
    legal_id = build_legal_id(first_ten)
    assert validate_legal_id(legal_id) == legal_id
    assert validate_legal_id(to_persian_digits(legal_id)) == legal_id


@quick
@given(first_tens, st.integers(0, 9))
def test_any_other_legal_check_digit_fails(first_ten, digit):
    wrong = first_ten + str(digit)
    if wrong != build_legal_id(first_ten):
        with pytest.raises(InvalidNationalId):
            validate_legal_id(wrong)


# --- dispatch ------------------------------------------------------------------------------


def test_validate_national_id_by_kind():
    assert validate_national_id("۰۴۹۹۳۷۰۸۹۹", "person") == "0499370899"
    assert validate_national_id("10101234565", "organization") == "10101234565"


def test_validate_national_id_uses_the_rule_of_the_kind():
    with pytest.raises(InvalidNationalId):
        validate_national_id("10101234565", "person")
    with pytest.raises(InvalidNationalId):
        validate_national_id("0499370899", "organization")


def test_validate_national_id_unknown_kind_is_a_programming_error():
    with pytest.raises(ValueError, match="company"):
        validate_national_id("0499370899", "company")
