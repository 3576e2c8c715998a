"""Portal: the messages a member received, and notification preferences.

Both pages take the member from the session only (no id in the address or the form): a member
never sees, or changes, another member's messages or choices. Login and spend codes are not
`Message` rows (they go straight to the SMS gateway), so nothing secret shows here.
"""

from django.conf import settings
from django.contrib import messages as flash
from django.shortcuts import redirect
from django.urls import path
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.http import require_http_methods

from vafa.engage.selectors import member_messages_received
from vafa.members.models import Consent, ConsentChange
from vafa.members.selectors import member_consent_changes, member_consents
from vafa.members.services import member_consents_save
from vafa.web.portal.common import cursor_param, page, portal_member
from vafa.web.portal.forms import ConsentForm
from vafa.web.templatetags.vafa import digits

PAGE = 20
HISTORY = 100
# What ends a marketing SMS from a service line (vafa.engage.texts.OPT_OUT): the text as sent.
OPT_OUT_MARK = "لغو۱۱"

CHANNEL_LABELS = {
    "sms": gettext_lazy("SMS"),
    "email": gettext_lazy("E-mail"),
    "push": gettext_lazy("App notification"),
}

# How a change came about, as the member reads it ("... by your SMS reply 11").
SOURCE_LABELS = {
    ConsentChange.Source.JOIN: gettext_lazy("when you joined the club"),
    ConsentChange.Source.PORTAL: gettext_lazy("in the portal"),
    ConsentChange.Source.API: gettext_lazy("through the club's shop or app"),
    ConsentChange.Source.STAFF: gettext_lazy("by the club's staff"),
    ConsentChange.Source.UNSUBSCRIBE: gettext_lazy("by the unsubscribe link in an e-mail"),
    ConsentChange.Source.GATEWAY: gettext_lazy("because your mobile operator blocks advertising to your number"),
}


def _how(change: ConsentChange) -> str:
    if change.source == ConsentChange.Source.SMS_REPLY:
        # 12 gives consent back, 11 withdraws it (vafa.engage.services.sms_reply_handle).
        return _("by your SMS reply %(reply)s") % {"reply": digits("12" if change.granted else "11")}
    return str(SOURCE_LABELS.get(change.source, change.get_source_display()))


@portal_member
def messages_view(request):
    before = cursor_param(request)
    rows, next_cursor = member_messages_received(member_id=request.member.pk, before_id=before, limit=PAGE)
    return page(request, "messages.html", {
        "rows": [{"message": m, "channel": CHANNEL_LABELS.get(m.channel, m.get_channel_display())} for m in rows],
        "next_cursor": next_cursor, "first_page": before is None,
    }, nav="messages")


def _form(member_id: int, data=None) -> ConsentForm:
    current = member_consents(member_id=member_id)
    return ConsentForm(data, initial={channel: bool(granted) for channel, granted in current.items()})


@portal_member
@require_http_methods(["GET", "POST"])
def preferences_view(request):
    member = request.member
    form = _form(member.pk, request.POST if request.method == "POST" else None)
    if request.method == "POST" and form.is_valid():
        changes = form.changes()  # only what the member changed: saving as it was records nothing
        if changes:
            member_consents_save(member_id=member.pk, consents=changes, source=ConsentChange.Source.PORTAL)
            flash.success(request, _("Your message preferences are saved."))
        else:
            flash.info(request, _("Nothing changed: your choices were already so."))
        return redirect("portal:message_preferences")
    channels = [{"field": form[channel], "channel": channel, "label": CHANNEL_LABELS.get(channel, label)}
                for channel, label in Consent.Channel.choices]
    history = [{"change": c, "channel": CHANNEL_LABELS.get(c.channel, c.get_channel_display()), "how": _how(c)}
               for c in member_consent_changes(member_id=member.pk, limit=HISTORY)]
    return page(request, "message_preferences.html", {
        "channels": channels, "history": history, "history_limit": HISTORY,
        "opt_out_mark": OPT_OUT_MARK if settings.SMS_SERVICE_LINE else "",
    }, nav="messages")


urlpatterns: list = [
    path("messages/", messages_view, name="messages"),
    path("messages/preferences/", preferences_view, name="message_preferences"),
]
