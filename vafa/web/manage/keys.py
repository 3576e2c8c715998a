"""Back-office: the club's API keys (owners only) — create with scopes, change the scopes,
rotate and revoke, and see when each was last used. A new secret is shown once, on the page
that made it, and never stored (only its digest)."""

from __future__ import annotations

from django import forms
from django.contrib import messages
from django.http import Http404
from django.shortcuts import redirect, render
from django.urls import path
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.http import require_POST

from vafa.core.audit import Actor
from vafa.core.errors import ApplicationError, ValidationFailed
from vafa.merchants.models import PARTNER_FORBIDDEN_SCOPES, ApiKey, Scope
from vafa.merchants.selectors import api_keys_of, merchants_all
from vafa.merchants.services import api_key_create, api_key_revoke, api_key_rotate, api_key_scopes_set, operator_id
from vafa.web.access import OWNER, staff_required


class KeyForm(forms.Form):
    merchant = forms.ModelChoiceField(label=gettext_lazy("Merchant"), queryset=None, empty_label=None)
    name = forms.CharField(label=gettext_lazy("What the key is for"), max_length=100,
                           help_text=gettext_lazy("e.g. website, Tehran till, accounting"))
    scopes = forms.MultipleChoiceField(label=gettext_lazy("Scopes"), choices=Scope.choices,
                                       widget=forms.CheckboxSelectMultiple)

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["merchant"].queryset = merchants_all()


class ScopesForm(forms.Form):
    scopes = forms.MultipleChoiceField(choices=Scope.choices, widget=forms.CheckboxSelectMultiple)


def _page(request, *, form=None, new_key=None, new_raw=None, status=200):
    return render(request, "web/manage/api_keys.html", {
        "nav": "keys", "keys": api_keys_of(), "form": form or KeyForm(), "scopes": Scope.choices,
        "partner_forbidden": sorted(PARTNER_FORBIDDEN_SCOPES), "operator_id": operator_id(),
        "new_key": new_key, "new_raw": new_raw,
    }, status=status)


def _key(key_id: int) -> ApiKey:
    key = api_keys_of().filter(pk=key_id).first()
    if key is None:
        raise Http404
    return key


@staff_required(OWNER)
def index(request):
    return _page(request)


@staff_required(OWNER)
@require_POST
def create(request):
    form = KeyForm(request.POST)
    if not form.is_valid():
        return _page(request, form=form, status=422)
    data = form.cleaned_data
    try:
        key, raw = api_key_create(merchant=data["merchant"], name=data["name"], scopes=data["scopes"],
                                  actor=Actor.of(request))
    except ValidationFailed as error:
        form.add_error("scopes", error.details.get("scopes") or error.message)
        return _page(request, form=form, status=422)
    return _page(request, new_key=key, new_raw=raw, status=201)


@staff_required(OWNER)
@require_POST
def scopes(request, key_id):
    key = _key(key_id)
    form = ScopesForm(request.POST)
    if not form.is_valid():
        messages.error(request, _("Choose at least one scope."))
        return _page(request, status=422)
    try:
        api_key_scopes_set(key_id=key.pk, scopes=form.cleaned_data["scopes"], actor=Actor.of(request))
    except ValidationFailed as error:
        messages.error(request, error.details.get("scopes") or error.message)
        return _page(request, status=422)
    messages.success(request, _("The key %(prefix)s… has new scopes.") % {"prefix": key.prefix})
    return redirect("manage:keys")


@staff_required(OWNER)
@require_POST
def rotate(request, key_id):
    key = _key(key_id)
    if key.revoked_at is not None:
        messages.error(request, _("A revoked key cannot be rotated; create a new one."))
        return _page(request, status=409)
    try:
        new_key, raw = api_key_rotate(key_id=key.pk, actor=Actor.of(request))
    except ApplicationError as error:
        messages.error(request, f"{error.message} {error.details.get('scopes', '')}".strip())
        return _page(request, status=error.status)
    return _page(request, new_key=new_key, new_raw=raw, status=201)


@staff_required(OWNER)
@require_POST
def revoke(request, key_id):
    key = _key(key_id)
    api_key_revoke(key=key, actor=Actor.of(request))
    messages.success(request, _("The key %(prefix)s… no longer works.") % {"prefix": key.prefix})
    return redirect("manage:keys")


urlpatterns = [
    path("keys/", index, name="keys"),
    path("keys/new/", create, name="keys-create"),
    path("keys/<int:key_id>/scopes/", scopes, name="keys-scopes"),
    path("keys/<int:key_id>/rotate/", rotate, name="keys-rotate"),
    path("keys/<int:key_id>/revoke/", revoke, name="keys-revoke"),
]
