"""The member's own profile, marketing consents and language."""

from django.contrib import messages
from django.shortcuts import redirect
from django.utils.translation import gettext as _
from django.views.decorators.http import require_http_methods, require_POST

from vafa.core.errors import ApplicationError
from vafa.members.models import Consent, Occasion
from vafa.members.selectors import member_consents
from vafa.members.services import member_consents_save, member_profile_save
from vafa.web.portal.common import error_text, page, portal_member
from vafa.web.portal.forms import ConsentForm, ProfileForm

FIELD_OF_DETAIL = {"first_name", "last_name", "organization_name", "email", "birth_date", "interests"}


def _initial(member) -> dict:
    wedding = member.occasions.filter(kind=Occasion.Kind.WEDDING).order_by("id").first()
    return {"first_name": member.first_name, "last_name": member.last_name,
            "organization_name": member.organization_name, "email": member.email, "birth_date": member.birth_date,
            "wedding_date": wedding.date if wedding else None, "interests": list(member.interests.all())}


def _context(member, form, consent_form) -> dict:
    others = member.occasions.exclude(kind=Occasion.Kind.WEDDING).order_by("id")
    return {"form": form, "consent_form": consent_form, "other_occasions": others,
            "channels": Consent.Channel.choices}


def _consent_form(member, data=None) -> ConsentForm:
    current = member_consents(member_id=member.pk)
    return ConsentForm(data, initial={channel: bool(granted) for channel, granted in current.items()})


@portal_member
@require_http_methods(["GET", "POST"])
def profile_view(request):
    member = request.member
    if request.method == "GET":
        form = ProfileForm(initial=_initial(member), member=member)
        return page(request, "profile.html", _context(member, form, _consent_form(member)), nav="profile")
    form = ProfileForm(request.POST, member=member)
    if not form.is_valid():
        return page(request, "profile.html", _context(member, form, _consent_form(member)), status=422,
                    nav="profile")
    try:
        member_profile_save(member_id=member.pk, changes=form.changes(),
                            wedding_date=form.cleaned_data["wedding_date"])
    except ApplicationError as error:
        for field in error.details or {}:
            if field in FIELD_OF_DETAIL and field in form.fields:
                form.add_error(field, error_text(error))
                break
        else:
            form.add_error(None, error_text(error))
        return page(request, "profile.html", _context(member, form, _consent_form(member)),
                    status=error.status if error.status >= 400 else 422, nav="profile")
    messages.success(request, _("Your profile is saved."))
    return redirect("portal:profile")


@portal_member
@require_POST
def consents_view(request):
    member = request.member
    form = _consent_form(member, request.POST)
    if not form.is_valid():  # pragma: no cover - booleans are always valid
        return page(request, "profile.html", _context(member, ProfileForm(initial=_initial(member), member=member),
                                                      form), status=422, nav="profile")
    changes = form.changes()  # only what the member changed: saving as it was records nothing
    if changes:
        member_consents_save(member_id=member.pk, consents=changes)
    messages.success(request, _("Your message preferences are saved."))
    return redirect("portal:profile")
