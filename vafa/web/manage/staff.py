"""Back-office: staff accounts (owners only) — list, create, change a role, deactivate and
reactivate. The club always keeps one active owner; every change is audited (never a
password)."""

from __future__ import annotations

import functools

from django import forms
from django.contrib import messages
from django.contrib.auth import get_user_model, password_validation
from django.contrib.auth.validators import UnicodeUsernameValidator
from django.http import Http404
from django.shortcuts import redirect, render
from django.urls import path
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.http import require_POST

from vafa.core.audit import Actor
from vafa.core.errors import ApplicationError, StaffNotFound
from vafa.merchants.models import StaffRole
from vafa.merchants.selectors import merchants_all, staff_list, staff_state
from vafa.merchants.services import staff_account_create, staff_active_set, staff_role_change
from vafa.web.access import OWNER, staff_required


class StaffCreateForm(forms.Form):
    username = forms.CharField(label=gettext_lazy("Username"), max_length=150,
                               validators=[UnicodeUsernameValidator()],
                               widget=forms.TextInput(attrs={"class": "ltr", "autocomplete": "off"}))
    first_name = forms.CharField(label=gettext_lazy("First name"), max_length=150, required=False)
    last_name = forms.CharField(label=gettext_lazy("Last name"), max_length=150, required=False)
    role = forms.ChoiceField(label=gettext_lazy("Role"), choices=StaffRole.choices)
    password1 = forms.CharField(label=gettext_lazy("Password"), strip=False,
                                widget=forms.PasswordInput(attrs={"autocomplete": "new-password", "class": "ltr"}))
    password2 = forms.CharField(label=gettext_lazy("Password again"), strip=False,
                                widget=forms.PasswordInput(attrs={"autocomplete": "new-password", "class": "ltr"}))

    merchant = forms.TypedChoiceField(label=gettext_lazy("Works for"), coerce=int, required=False, empty_value=None,
                                      help_text=gettext_lazy("A partner's staff use only the till, for their shop."))

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        shops = [(m.pk, m.name) for m in merchants_all()]
        if len(shops) > 1:
            self.fields["merchant"].choices = shops
            self.fields["merchant"].initial = shops[0][0]
        else:  # a single-shop club has nothing to choose
            del self.fields["merchant"]

    def clean_username(self):
        username = self.cleaned_data["username"].strip()
        if get_user_model().objects.filter(username__iexact=username).exists():
            raise forms.ValidationError(_("An account with this username already exists."), code="exists")
        return username

    def clean(self):
        data = super().clean()
        first, second = data.get("password1"), data.get("password2")
        if first and second and first != second:
            self.add_error("password2", _("The two passwords are not the same."))
        elif first:
            probe = get_user_model()(username=data.get("username") or "", first_name=data.get("first_name") or "",
                                     last_name=data.get("last_name") or "")
            try:
                password_validation.validate_password(first, user=probe)
            except forms.ValidationError as error:
                self.add_error("password1", error)
        return data


class RoleForm(forms.Form):
    role = forms.ChoiceField(label=gettext_lazy("Role"), choices=StaffRole.choices)


def _page(request, *, form=None, status=200):
    accounts = list(staff_list())
    for account in accounts:
        account.state = staff_state(account)
    return render(request, "web/manage/staff_list.html",
                  {"nav": "staff", "accounts": accounts, "form": form or StaffCreateForm(),
                   "roles": StaffRole.choices,
                   "password_help": password_validation.password_validators_help_texts()},
                  status=status)


@staff_required(OWNER)
def index(request):
    return _page(request)


@staff_required(OWNER)
@require_POST
def create(request):
    form = StaffCreateForm(request.POST)
    if not form.is_valid():
        return _page(request, form=form, status=422)
    data = form.cleaned_data
    try:
        user = staff_account_create(username=data["username"], password=data["password1"], role=data["role"],
                                    first_name=data["first_name"], last_name=data["last_name"],
                                    merchant_id=data.get("merchant"), actor=Actor.of(request))
    except ApplicationError as error:
        form.add_error(None, error.message)
        return _page(request, form=form, status=error.status)
    messages.success(request, _("The account %(username)s is ready.") % {"username": user.get_username()})
    return redirect("manage:staff")


def _change(request, user_id, change, done: str):
    try:
        user = change(user_id=user_id, actor=Actor.of(request))
    except StaffNotFound:
        raise Http404 from None
    except ApplicationError as error:
        messages.error(request, error.message)
        return _page(request, status=error.status)
    messages.success(request, done % {"username": user.get_username()})
    return redirect("manage:staff")


@staff_required(OWNER)
@require_POST
def role(request, user_id):
    form = RoleForm(request.POST)
    if not form.is_valid():
        messages.error(request, _("Choose one of the roles."))
        return _page(request, status=422)
    return _change(request, user_id, functools.partial(staff_role_change, role=form.cleaned_data["role"]),
                   _("%(username)s has a new role."))


@staff_required(OWNER)
@require_POST
def deactivate(request, user_id):
    return _change(request, user_id, functools.partial(staff_active_set, active=False),
                   _("%(username)s can no longer log in."))


@staff_required(OWNER)
@require_POST
def reactivate(request, user_id):
    return _change(request, user_id, functools.partial(staff_active_set, active=True),
                   _("%(username)s can log in again."))


urlpatterns = [
    path("staff/", index, name="staff"),
    path("staff/new/", create, name="staff-create"),
    path("staff/<int:user_id>/role/", role, name="staff-role"),
    path("staff/<int:user_id>/deactivate/", deactivate, name="staff-deactivate"),
    path("staff/<int:user_id>/reactivate/", reactivate, name="staff-reactivate"),
]
