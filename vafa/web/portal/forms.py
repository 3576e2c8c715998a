"""The member portal's forms: they parse and check input; services decide the rest."""

from __future__ import annotations

from django import forms
from django.utils.translation import gettext_lazy as _

from vafa.core.digits import to_ascii_digits
from vafa.core.errors import InvalidPhone
from vafa.core.phone import normalize_phone
from vafa.members.models import Consent, Interest, Member
from vafa.web.widgets import JalaliDateField


class PhoneForm(forms.Form):
    phone = forms.CharField(
        label=_("Mobile number"), max_length=32,
        widget=forms.TextInput(attrs={"type": "tel", "inputmode": "tel", "autocomplete": "tel",
                                      "placeholder": "09121234567", "dir": "ltr"}))

    def clean_phone(self):
        try:
            return normalize_phone(self.cleaned_data["phone"])
        except InvalidPhone as error:
            raise forms.ValidationError(error.message, code=error.code) from None


class CodeForm(forms.Form):
    code = forms.CharField(
        label=_("Code from the SMS"), max_length=12,
        widget=forms.TextInput(attrs={"inputmode": "numeric", "autocomplete": "one-time-code",
                                      "pattern": "[0-9۰-۹]{6}", "maxlength": "6", "dir": "ltr"}))

    def clean_code(self):
        code = to_ascii_digits(self.cleaned_data["code"]).strip()
        if len(code) != 6 or not code.isascii() or not code.isdigit():
            raise forms.ValidationError(_("The code has 6 digits."), code="format")
        return code


KIND_CHOICES = [(Member.Kind.PERSON, _("A person")), (Member.Kind.ORGANIZATION, _("A company or organization"))]


class JoinForm(forms.Form):
    first_name = forms.CharField(label=_("First name"), max_length=100,
                                 widget=forms.TextInput(attrs={"autocomplete": "given-name"}))
    last_name = forms.CharField(label=_("Last name"), max_length=100,
                                widget=forms.TextInput(attrs={"autocomplete": "family-name"}))
    kind = forms.ChoiceField(label=_("Joining as"), choices=KIND_CHOICES, initial=Member.Kind.PERSON,
                             widget=forms.RadioSelect)
    organization_name = forms.CharField(label=_("Organization name"), max_length=200, required=False,
                                        widget=forms.TextInput(attrs={"autocomplete": "organization"}))
    referral_code = forms.CharField(label=_("Referral code (optional)"), max_length=20, required=False,
                                    widget=forms.TextInput(attrs={"dir": "ltr", "autocapitalize": "characters"}))

    def clean_referral_code(self):
        return to_ascii_digits(self.cleaned_data["referral_code"]).strip().upper().replace("-", "").replace(" ", "")

    def clean(self):
        data = super().clean()
        if data.get("kind") == Member.Kind.ORGANIZATION and not (data.get("organization_name") or "").strip():
            self.add_error("organization_name", _("Enter the organization's name."))
        return data


class ProfileForm(forms.Form):
    first_name = forms.CharField(label=_("First name"), max_length=100, required=False,
                                 widget=forms.TextInput(attrs={"autocomplete": "given-name"}))
    last_name = forms.CharField(label=_("Last name"), max_length=100, required=False,
                                widget=forms.TextInput(attrs={"autocomplete": "family-name"}))
    organization_name = forms.CharField(label=_("Organization name"), max_length=200, required=False,
                                        widget=forms.TextInput(attrs={"autocomplete": "organization"}))
    email = forms.EmailField(label=_("E-mail"), required=False, max_length=254,
                             widget=forms.EmailInput(attrs={"autocomplete": "email", "dir": "ltr"}))
    birth_date = JalaliDateField(label=_("Birthday"), required=False, min_year=1920)
    wedding_date = JalaliDateField(label=_("Wedding anniversary"), required=False, min_year=1940)
    interests = forms.ModelMultipleChoiceField(label=_("Interests"), required=False,
                                               queryset=Interest.objects.order_by("name"),
                                               widget=forms.CheckboxSelectMultiple)

    def __init__(self, *args, member: Member, **kwargs):
        super().__init__(*args, **kwargs)
        self.member = member
        if member.kind == Member.Kind.ORGANIZATION:
            self.fields["organization_name"].required = True
        else:
            del self.fields["organization_name"]

    def changes(self) -> dict:
        data = self.cleaned_data
        changes = {name: data[name] for name in ("first_name", "last_name", "email", "birth_date")}
        if "organization_name" in self.fields:
            changes["organization_name"] = data["organization_name"]
        changes["interests"] = [i.name for i in data["interests"]]
        return changes


class ConsentForm(forms.Form):
    """One switch per channel the club may message the member on."""

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        for channel, label in Consent.Channel.choices:
            self.fields[channel] = forms.BooleanField(label=label, required=False)

    def consents(self) -> dict[str, bool]:
        return {channel: bool(self.cleaned_data.get(channel)) for channel in Consent.Channel.values}

    def changes(self) -> dict[str, bool]:
        """Only the channels whose switch differs from the initial (current) choice: saving
        what is already so records nothing, not even for a channel never asked about."""
        return {channel: bool(self.cleaned_data.get(channel)) for channel in self.changed_data}
