"""Portal: the member's badges with their progress, the challenges running now with theirs and
the time left, the contests and the member's own entries (a text, or a photo upload).

A member sees only their own entry and its photo: another's is not found, exactly as an entry
that does not exist. A photo's size is checked as the upload arrives (`vafa.web.photos`), before
the form is read; its type and content by the service, which keeps only a clean copy.
"""

from __future__ import annotations

from datetime import timedelta

from django import forms
from django.contrib import messages
from django.http import Http404
from django.shortcuts import redirect
from django.urls import path
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy, ngettext
from django.views.decorators.csrf import csrf_exempt, csrf_protect
from django.views.decorators.http import require_http_methods

from vafa.core.errors import ApplicationError, ContestEntryNotFound, ContestNotFound
from vafa.engage import selectors as engage
from vafa.engage import services as engaging
from vafa.engage.inputs import CONTEST_TEXT_MAX
from vafa.engage.models import Badge, Challenge, Contest
from vafa.web.photos import limit_uploads, photo_response
from vafa.web.portal.common import error_text, page, portal_member
from vafa.web.templatetags.vafa import digits, jdate, points, toman

NAV = "recognition"


def badge_goal(badge: Badge) -> str:
    n = badge.threshold
    values = {"n": points(n), "category": badge.category}
    if badge.criterion == Badge.Criterion.PURCHASES:
        return ngettext("Make %(n)s purchase.", "Make %(n)s purchases.", n) % values
    if badge.criterion == Badge.Criterion.CATEGORY:
        return ngettext("Make %(n)s purchase in %(category)s.", "Make %(n)s purchases in %(category)s.", n) % values
    if badge.criterion == Badge.Criterion.STREAK_WEEKS:
        return ngettext("Buy something %(n)s week in a row.", "Buy something %(n)s weeks in a row.", n) % values
    if badge.criterion == Badge.Criterion.REFERRALS:
        return ngettext("Invite %(n)s friend who makes a first purchase.",
                        "Invite %(n)s friends who make a first purchase.", n) % values
    return ngettext("Answer %(n)s survey.", "Answer %(n)s surveys.", n) % values


def badge_progress(badge: Badge, value: int) -> str:
    values = {"value": points(value), "n": points(badge.threshold)}
    if badge.criterion == Badge.Criterion.STREAK_WEEKS:
        return _("%(value)s of %(n)s weeks in a row") % values
    if badge.criterion == Badge.Criterion.REFERRALS:
        return _("%(value)s of %(n)s friends") % values
    if badge.criterion == Badge.Criterion.SURVEYS:
        return _("%(value)s of %(n)s surveys") % values
    return _("%(value)s of %(n)s purchases") % values


def challenge_goal(challenge: Challenge) -> str:
    if challenge.goal == Challenge.Goal.SPEND:
        text = _("Spend %(amount)s") % {"amount": toman(challenge.target)}
    else:
        text = ngettext("Make %(n)s purchase", "Make %(n)s purchases", challenge.target) % {
            "n": points(challenge.target)}
    if challenge.category:
        text = _("%(goal)s in %(category)s") % {"goal": text, "category": challenge.category}
    return _("%(goal)s from %(first)s to %(last)s.") % {
        "goal": text, "first": jdate(challenge.starts_at), "last": jdate(challenge.ends_at - timedelta(microseconds=1))}


def challenge_progress(challenge: Challenge, value: int) -> str:
    if challenge.goal == Challenge.Goal.SPEND:
        return _("%(value)s of %(target)s") % {"value": toman(value), "target": toman(challenge.target)}
    return _("%(value)s of %(target)s purchases") % {"value": points(value), "target": points(challenge.target)}


def challenge_when(state) -> str:
    challenge = state.challenge
    if state.state == "upcoming":
        return _("Starts on %(date)s.") % {"date": jdate(challenge.starts_at)}
    if state.state == "ended":
        return _("Ended on %(date)s.") % {"date": jdate(challenge.ends_at - timedelta(microseconds=1))}
    if state.days_left == 0:
        return _("Ends today.")
    return ngettext("%(n)s day left.", "%(n)s days left.", state.days_left) % {"n": digits(state.days_left)}


def challenge_prize(challenge: Challenge) -> str:
    parts = []
    if challenge.points:
        parts.append(_("%(n)s points") % {"n": points(challenge.points)})
    if challenge.reward_id:
        parts.append(challenge.reward.name)
    return _(" and ").join(parts)


@portal_member
def badges_view(request):
    now = timezone.now()
    member_id = request.member.pk
    earned, to_earn = [], []
    for state in engage.member_badges(member_id=member_id, now=now):
        row = {"state": state, "badge": state.badge, "goal": badge_goal(state.badge)}
        if state.earned:
            earned.append(row)
        else:
            row["progress"] = badge_progress(state.badge, state.progress.value)
            to_earn.append(row)
    challenges = [{"state": s, "challenge": s.challenge, "goal": challenge_goal(s.challenge),
                   "progress": challenge_progress(s.challenge, s.progress.value), "when": challenge_when(s),
                   "prize": challenge_prize(s.challenge)}
                  for s in engage.member_challenges(member_id=member_id, now=now)]
    return page(request, "recognition/badges.html", {
        "earned": earned, "to_earn": to_earn, "challenges": challenges, "tab": "badges"}, nav=NAV)


def contest_state(view) -> str:
    contest = view.contest
    if view.taking_entries:
        return _("Taking entries until %(date)s.") % {"date": jdate(contest.ends_at - timedelta(microseconds=1))}
    if contest.status == Contest.Status.DECIDED:
        return _("The winners are chosen.")
    return _("No longer taking entries; the club is choosing the winners.")


@portal_member
def contests_view(request):
    rows = [{"view": v, "contest": v.contest, "entry": v.entry, "state": contest_state(v)}
            for v in engage.member_contests(member_id=request.member.pk, now=timezone.now())]
    return page(request, "recognition/contests.html", {"rows": rows, "tab": "contests"}, nav=NAV)


class EntryForm(forms.Form):
    text = forms.CharField(label=gettext_lazy("Your entry"), max_length=CONTEST_TEXT_MAX, required=False,
                           widget=forms.Textarea(attrs={"rows": 6}))
    photo = forms.FileField(label=gettext_lazy("Your photo"), required=False,
                            help_text=gettext_lazy("A JPEG, PNG or WebP photo of at most 5 MB."),
                            widget=forms.FileInput(attrs={"accept": "image/jpeg,image/png,image/webp"}))

    def __init__(self, *args, kind: str, **kwargs):
        super().__init__(*args, **kwargs)
        if kind == Contest.Entry.TEXT:
            del self.fields["photo"]
            self.fields["text"].required = True
            self.fields["text"].help_text = _("At most %(n)s characters.") % {"n": digits(CONTEST_TEXT_MAX)}
        else:
            self.fields["photo"].required = True
            self.fields["text"].label = _("A few words about it (optional)")
            self.order_fields(["photo", "text"])


def _contest_page(request, contest_id):
    member = request.member
    try:
        view = engage.member_contest(contest_id=contest_id, member_id=member.pk)
    except ContestNotFound:
        raise Http404 from None
    kind = view.contest.entry_kind
    form = EntryForm(kind=kind)
    status = 200
    if request.method == "POST":
        form = EntryForm(request.POST, request.FILES, kind=kind)
        status = 422
        if getattr(request, "photo_too_large", False):
            form.is_valid()
            form.add_error("photo", _("The photo is larger than 5 MB."))
        elif form.is_valid():
            try:
                engaging.contest_entry_submit(contest_id=view.contest.pk, member_id=member.pk,
                                              text=form.cleaned_data["text"], photo=form.cleaned_data.get("photo"))
            except ApplicationError as error:
                named = [f for f in error.details if f in form.fields]
                form.add_error(named[0] if named else None, error_text(error))
                status = error.status
            else:
                messages.success(request, _("Your entry is sent. The club will review it."))
                return redirect("portal:contest", contest_id=view.contest.pk)
    return page(request, "recognition/contest.html", {
        "view": view, "contest": view.contest, "entry": view.entry, "form": form, "tab": "contests",
        "state": contest_state(view), "first": jdate(view.contest.starts_at),
        "last": jdate(view.contest.ends_at - timedelta(microseconds=1)),
    }, status=status, nav=NAV)


_protected_contest_page = csrf_protect(portal_member(_contest_page))


@csrf_exempt  # checked by csrf_protect below, once the upload handlers are set
@require_http_methods(["GET", "POST"])
def contest_view(request, contest_id):
    # The size limit must be in place before anything (the CSRF check first) reads the form.
    limit_uploads(request)
    return _protected_contest_page(request, contest_id)


contest_view.member_only = True


@portal_member
def photo_view(request, entry_id):
    try:
        entry, file = engage.contest_photo(entry_id=entry_id, member_id=request.member.pk)
    except ContestEntryNotFound:
        raise Http404 from None
    return photo_response(entry, file)


urlpatterns = [
    path("badges/", badges_view, name="badges"),
    path("contests/", contests_view, name="contests"),
    path("contests/<int:contest_id>/", contest_view, name="contest"),
    path("contests/entries/<int:entry_id>/photo/", photo_view, name="contest_photo"),
]
