"""The portal's side of physical rewards: the delivery address asked on the confirmation page
(prefilled from the member and their last shipment), and what the redemption page shows of the
shipment. The form parses and says what is wrong in the page's language; the services decide
(vafa.rewards.inputs.ShippingInput checks the same again)."""

from __future__ import annotations

from django import forms
from django.utils.translation import gettext_lazy as _

from vafa.core.errors import InvalidPhone
from vafa.core.phone import national_mobile, normalize_phone
from vafa.core.postal import normalize_postal_code
from vafa.members.models import Member
from vafa.program.models import Reward
from vafa.rewards.models import Shipment
from vafa.rewards.selectors import member_last_address


def reward_ships(reward_id) -> bool:
    return Reward.objects.filter(pk=reward_id, ships=True).exists()


class ShippingForm(forms.Form):
    """Where the reward goes. A person's is theirs (`recipient_name`); an organisation member's
    goes to the organisation, with the contact person who receives it."""

    recipient_name = forms.CharField(label=_("Recipient's name"), max_length=200,
                                     widget=forms.TextInput(attrs={"autocomplete": "name"}))
    organization_name = forms.CharField(label=_("Organization"), max_length=200,
                                        widget=forms.TextInput(attrs={"autocomplete": "organization"}))
    contact_person = forms.CharField(label=_("Contact person"), max_length=200,
                                     help_text=_("Who receives the parcel at the organization."),
                                     widget=forms.TextInput(attrs={"autocomplete": "name"}))
    phone = forms.CharField(label=_("Recipient's mobile number"), max_length=32,
                            widget=forms.TextInput(attrs={"type": "tel", "inputmode": "tel", "autocomplete": "tel",
                                                          "dir": "ltr"}))
    province = forms.CharField(label=_("Province"), max_length=60, required=False,
                               widget=forms.TextInput(attrs={"autocomplete": "address-level1"}))
    city = forms.CharField(label=_("City"), max_length=60, required=False,
                           widget=forms.TextInput(attrs={"autocomplete": "address-level2"}))
    address = forms.CharField(label=_("Address"), max_length=1000,
                              help_text=_("Street, alley, number and unit."),
                              widget=forms.Textarea(attrs={"rows": 3, "autocomplete": "street-address"}))
    postal_code = forms.CharField(label=_("Postal code"), max_length=16,
                                  help_text=_("10 digits."),
                                  widget=forms.TextInput(attrs={"inputmode": "numeric", "autocomplete": "postal-code",
                                                                "dir": "ltr"}))
    note = forms.CharField(label=_("Note for the sender (optional)"), max_length=255, required=False)

    def __init__(self, *args, organization: bool = False, **kwargs):
        super().__init__(*args, **kwargs)
        self.organization = organization
        if organization:
            del self.fields["recipient_name"]
        else:
            del self.fields["organization_name"]
            del self.fields["contact_person"]

    def clean_phone(self):
        try:
            return normalize_phone(self.cleaned_data["phone"])
        except InvalidPhone as error:
            raise forms.ValidationError(error.message, code=error.code) from None

    def clean_postal_code(self):
        code = normalize_postal_code(self.cleaned_data["postal_code"])
        if code is None:
            raise forms.ValidationError(_("A postal code has 10 digits."), code="postal_code")
        return code

    def shipping(self) -> dict:
        """The address as vafa.rewards.inputs.ShippingInput takes it."""
        return {name: value for name, value in self.cleaned_data.items()}


def shipping_form_for(member: Member, data=None) -> ShippingForm:
    """The address form for this member: bound to `data` when sent, else prefilled from the
    member (name, mobile, organisation) and the address of their last shipment."""
    organization = member.kind == Member.Kind.ORGANIZATION
    if data is not None:
        return ShippingForm(data, organization=organization)
    name = f"{member.first_name} {member.last_name}".strip()
    initial = {"phone": national_mobile(member.phone)}
    if organization:
        initial.update(organization_name=member.organization_name, contact_person=name)
    else:
        initial["recipient_name"] = name
    last = member_last_address(member_id=member.pk)
    if last is not None:
        initial.update(province=last.province, city=last.city, address=last.address, postal_code=last.postal_code,
                       phone=national_mobile(last.phone))
        if organization and last.organization_name:
            initial.update(organization_name=last.organization_name, contact_person=last.contact_person)
        elif not organization:
            initial["recipient_name"] = last.recipient_name
    return ShippingForm(initial=initial, organization=organization)


STEPS_SHOWN = (Shipment.Status.REQUESTED, Shipment.Status.PREPARING, Shipment.Status.SENT, Shipment.Status.DELIVERED)


def shipment_progress(shipment: Shipment) -> list[dict]:
    """The member's view of the way: each step with when it happened (None: not yet), or the
    steps taken and the cancellation."""
    taken = {}
    for step in shipment.steps.all():
        taken.setdefault(step.status, step.at)  # the first time it got there
    shown = [s for s in STEPS_SHOWN if s in taken or shipment.status != Shipment.Status.CANCELLED]
    if shipment.status == Shipment.Status.CANCELLED:
        shown.append(Shipment.Status.CANCELLED)
    labels = dict(Shipment.Status.choices)
    reached = STEPS_SHOWN.index(shipment.status) if shipment.status in STEPS_SHOWN else -1
    return [{"status": s, "label": labels[s], "at": taken.get(s),
             "done": s in taken or (s in STEPS_SHOWN and STEPS_SHOWN.index(s) <= reached),
             "current": s == shipment.status} for s in shown]
