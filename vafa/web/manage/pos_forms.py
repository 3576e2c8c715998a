"""The till's forms: what a cashier types, parsed into Rials, points and an E.164 phone.

Amounts are typed in Toman (Persian, Arabic or ASCII digits, with or without thousands
separators) and kept in Rials (x10). Points are whole numbers typed the same way."""

import re
import uuid

from django import forms
from django.core.exceptions import ValidationError
from django.utils.translation import gettext_lazy as _

from vafa.core.digits import to_ascii_digits
from vafa.core.errors import Conflict, InvalidPhone
from vafa.core.limits import MAX_POINTS, MAX_RIAL
from vafa.core.phone import normalize_phone

# Thousands separators people type or paste: comma, Arabic comma and thousands separator,
# apostrophe, spaces of every kind and the invisible marks of right-to-left text.
_GROUPING = re.compile(r"[,\u060c\u066c'’\s\u00a0\u200c\u200e\u200f\u202a-\u202e\u2066-\u2069_]+")
_WHOLE = re.compile(r"[0-9]{1,16}")
_EXTERNAL_ID = re.compile(r"pos-[0-9a-f]{32}")
MAX_TOMAN = MAX_RIAL // 10


def parse_whole(raw: str) -> int | None:
    """A whole number typed with any digits and separators, or None when it is not one."""
    text = _GROUPING.sub("", to_ascii_digits(str(raw or "")))
    if not _WHOLE.fullmatch(text):
        return None
    return int(text)


def toman_to_rials(raw: str) -> int | None:
    """'۲۵۰٬۰۰۰' Toman -> 2500000 Rials; None when it is not a positive whole amount."""
    toman = parse_whole(raw)
    if toman is None or not 0 < toman <= MAX_TOMAN:
        return None
    return toman * 10


def new_external_id() -> str:
    """One per checkout form: a double submit of the same form records one purchase."""
    return f"pos-{uuid.uuid4().hex}"


class TomanField(forms.CharField):
    default_error_messages = {"invalid": _("Type the amount in Toman as a whole number, e.g. 250,000.")}

    def to_python(self, value):
        value = super().to_python(value)
        if value in self.empty_values:
            return None
        rials = toman_to_rials(value) if len(value) <= 40 else None
        if rials is None:
            raise ValidationError(self.error_messages["invalid"], code="invalid")
        return rials


class PointsField(forms.CharField):
    default_error_messages = {"invalid": _("Type the points as a whole number.")}

    def to_python(self, value):
        value = super().to_python(value)
        if value in self.empty_values:
            return 0
        points = parse_whole(value) if len(value) <= 30 else None
        if points is None or points > MAX_POINTS:
            raise ValidationError(self.error_messages["invalid"], code="invalid")
        return points


class PhoneField(forms.CharField):
    def to_python(self, value):
        value = super().to_python(value)
        if value in self.empty_values:
            return ""
        if len(value) > 40:
            raise ValidationError(InvalidPhone.message, code=InvalidPhone.code)
        try:
            return normalize_phone(value)
        except InvalidPhone as error:
            raise ValidationError(error.message, code=error.code) from None


def _text(**attrs) -> forms.TextInput:
    return forms.TextInput(attrs={"autocomplete": "off", **attrs})


class SearchForm(forms.Form):
    phone = PhoneField(label=_("Member's mobile number"), help_text=_("Any form: 0912…, +98912…, Persian digits."),
                       widget=forms.TextInput(attrs={"type": "tel", "inputmode": "tel", "autocomplete": "off",
                                                     "accesskey": "p", "autofocus": True}))


class JoinForm(forms.Form):
    phone = PhoneField(label=_("Mobile number"), widget=forms.TextInput(
        attrs={"type": "tel", "inputmode": "tel", "autocomplete": "off"}))
    first_name = forms.CharField(label=_("First name"), max_length=100, required=False,
                                 widget=_text(autofocus=True))
    last_name = forms.CharField(label=_("Last name"), max_length=100, required=False, widget=_text())


PAYMENT_METHODS = [("card", _("Card")), ("cash", _("Cash")), ("other", _("Other"))]


class CheckoutForm(forms.Form):
    amount = TomanField(label=_("Amount (Toman)"), widget=_text(
        inputmode="numeric", accesskey="a", autofocus=True, **{"class": "pos-amount"}))
    redeem_points = PointsField(label=_("Points to spend"), required=False, widget=_text(
        inputmode="numeric", accesskey="s"))
    coupon = forms.CharField(label=_("Coupon code"), max_length=64, required=False, widget=_text(
        accesskey="c", autocapitalize="characters", spellcheck="false", **{"class": "ltr"}))
    payment_method = forms.ChoiceField(label=_("Payment"), choices=PAYMENT_METHODS, initial="card")
    member_code = forms.CharField(label=_("Member's spend code"), max_length=20, required=False, widget=_text(
        inputmode="numeric", autocomplete="off", **{"class": "ltr"}),
        help_text=_("The member shows it in the club's portal, or it comes to them by SMS."))
    external_id = forms.CharField(widget=forms.HiddenInput, max_length=40)

    def clean_external_id(self):
        value = self.cleaned_data["external_id"]
        if not _EXTERNAL_ID.fullmatch(value):
            raise ValidationError(_("This checkout form is not valid; open the till again."), code="invalid")
        return value


class WalkInForm(forms.Form):
    """A sale without a member: the amount and how it was paid, no points, no coupon."""

    amount = TomanField(label=_("Amount (Toman)"), widget=_text(
        inputmode="numeric", accesskey="a", autofocus=True, **{"class": "pos-amount"}))
    payment_method = forms.ChoiceField(label=_("Payment"), choices=PAYMENT_METHODS, initial="card")
    external_id = forms.CharField(widget=forms.HiddenInput, max_length=40)

    clean_external_id = CheckoutForm.clean_external_id


# Where a service's refusal shows on the checkout form.
_ERROR_FIELDS = {
    "insufficient_points": "redeem_points", "redeem_exceeds_amount": "redeem_points",
    "coupon_not_found": "coupon", "coupon_used": "coupon", "coupon_expired": "coupon",
    "coupon_min_purchase": "coupon", "coupon_exhausted": "coupon", "coupon_not_for_member": "coupon",
    "coupon_changed": "coupon", "invalid_phone": "phone",
}


def error_field(error, form: forms.Form) -> str | None:
    name = _ERROR_FIELDS.get(error.code)
    if name is None and "member_code" in getattr(error, "details", {}):
        name = "member_code"
    if name is None and error.code == "validation_error":
        name = next((key for key in error.details if key in form.fields), None)
    return name if name in form.fields else None


def error_status(error) -> int:
    """A refused POST answers 409 when the state refused it, else 422 (an unknown coupon
    code is input the cashier can correct, not a missing page)."""
    return 409 if isinstance(error, Conflict) else 422


def add_service_error(form: forms.Form, error) -> int:
    form.add_error(error_field(error, form), ValidationError(error.message, code=error.code))
    return error_status(error)
