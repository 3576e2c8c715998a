"""The audit log page (owners and managers) and the admin's changes it records."""

from datetime import UTC, datetime
from html.parser import HTMLParser

import pytest
from django.contrib.auth import get_user_model
from django.test import Client
from django.urls import reverse

from vafa.core.audit import audit_record
from vafa.core.models import AuditEntry
from vafa.merchants.staff import staff_create
from vafa.program.catalog import reward_create
from vafa.program.models import Reward

pytestmark = pytest.mark.django_db
AUDIT = reverse("manage:audit")


def logged_in(user) -> Client:
    client = Client()
    client.force_login(user)
    return client


@pytest.fixture
def manager(db):
    return staff_create(username="maryam", password="vafa-test-pass-1", role="manager")


@pytest.fixture
def entries(manager, member_factory):
    """Three entries at known times: two by maryam on members, one by ali on a staff account."""
    sara = member_factory(phone="09121234567")
    ali = staff_create(username="ali", password="vafa-test-pass-1", role="owner")
    made = [
        audit_record(actor=manager, action="member.block", target=sara, before={"status": "active"},
                     after={"status": "blocked"}),
        audit_record(actor=manager, action="member.points_adjust", target=sara, before={"balance": 10},
                     after={"balance": 60, "points": 50, "reason": "birthday"}),
        audit_record(actor=ali, action="staff.role_change", target=manager, before={"role": "cashier"},
                     after={"role": "manager"}),
    ]
    days = [datetime(2026, 3, 21, 9, 0, tzinfo=UTC),   # 1405/01/01
            datetime(2026, 4, 20, 9, 0, tzinfo=UTC),   # 1405/01/31
            datetime(2026, 5, 1, 9, 0, tzinfo=UTC)]    # 1405/02/11
    for entry, day in zip(made, days, strict=True):
        AuditEntry.objects.filter(pk=entry.pk).update(created_at=day)
    return sara, made


def shown(response) -> list[str]:
    return [e.action for e in response.context["page"].object_list]


@pytest.mark.parametrize("role,status", [("owner", 200), ("manager", 200), ("cashier", 403), ("marketer", 403)])
def test_who_may_read_the_audit_log(db, role, status):
    user = staff_create(username=f"{role}-x", password="vafa-test-pass-1", role=role)
    assert logged_in(user).get(AUDIT).status_code == status


def test_the_last_day_there_is_can_end_the_period(manager, entries):
    response = logged_in(manager).get(AUDIT, {"until": "9999-12-31"})
    assert response.status_code == 200 and len(response.context["page"].object_list) == len(entries[1])


def test_anonymous_is_sent_to_log_in(client):
    response = client.get(AUDIT)
    assert response.status_code == 302 and response["Location"].startswith(reverse("manage:login"))


def test_newest_first_with_who_when_what_target_and_diff(manager, entries):
    sara, _ = entries
    response = logged_in(manager).get(AUDIT)
    assert shown(response) == ["staff.role_change", "member.points_adjust", "member.block"]
    html = response.content.decode()
    assert "۱۴۰۵/۰۱/۳۱ ۱۲:۳۰" in html  # 09:00 UTC is 12:30 in Tehran
    assert f'href="{reverse("manage:member", args=[sara.pk])}"' in html
    adjust = response.context["page"].object_list[1]
    assert adjust.rows == [
        {"field": "balance", "before": "10", "after": "60", "changed": True},
        {"field": "points", "before": "—", "after": "50", "changed": True},
        {"field": "reason", "before": "—", "after": "birthday", "changed": True},
    ]


def test_filters(manager, entries):
    sara, _ = entries
    client = logged_in(manager)
    assert shown(client.get(AUDIT, {"actor": "ali"})) == ["staff.role_change"]
    assert shown(client.get(AUDIT, {"action": "member.block"})) == ["member.block"]
    assert shown(client.get(AUDIT, {"action": "member."})) == ["member.points_adjust", "member.block"]
    assert shown(client.get(AUDIT, {"target_type": "members.member", "target_id": str(sara.pk)})) == [
        "member.points_adjust", "member.block"]
    assert shown(client.get(AUDIT, {"target_type": "auth.user"})) == ["staff.role_change"]
    # Jalali dates (Persian digits too) and Gregorian, both days included
    assert shown(client.get(AUDIT, {"since": "۱۴۰۵/۰۱/۰۱", "until": "1405/01/31"})) == [
        "member.points_adjust", "member.block"]
    assert shown(client.get(AUDIT, {"since": "2026-04-21"})) == ["staff.role_change"]
    response = client.get(AUDIT, {"until": "1405/02/40"})
    assert "until" in response.context["form"].errors
    assert len(shown(response)) == 3


def test_pages_of_fifty(manager, member_factory):
    sara = member_factory()
    for n in range(55):
        audit_record(actor=manager, action="member.block", target=sara, after={"n": n})
    client = logged_in(manager)
    first = client.get(AUDIT)
    assert len(first.context["page"].object_list) == 50
    assert first.context["page"].object_list[0].after == {"n": 54}
    second = client.get(AUDIT, {"page": 2, "action": "member.block"})
    assert [e.after["n"] for e in second.context["page"].object_list] == [4, 3, 2, 1, 0]


def test_member_actions_from_the_member_page_appear_in_the_log(manager, member_factory):
    sara = member_factory()
    client = logged_in(manager)
    client.post(reverse("manage:member-adjust", args=[sara.pk]),
                {"direction": "add", "points": "40", "reason": "apology", "token": "a" * 32})
    entry = client.get(AUDIT).context["page"].object_list[0]
    assert (entry.actor_name, entry.action, entry.before, entry.after) == (
        "maryam", "member.points_adjust", {"balance": 0},
        {"balance": 40, "points": 40, "reason": "apology", "token": "a" * 32})


# --- changes made in the Django admin ----------------------------------------------------------


class _FormFields(HTMLParser):
    """The values an admin change form would send as it stands (inputs, selects, textareas)."""

    def __init__(self):
        super().__init__()
        self.data: dict[str, list[str]] = {}
        self._select = self._textarea = None

    def handle_starttag(self, tag, attrs):
        a = dict(attrs)
        name = a.get("name")
        if tag == "input" and name and a.get("type") not in ("submit", "button", "file"):
            if a.get("type") in ("checkbox", "radio") and "checked" not in a:
                return
            self.data.setdefault(name, []).append(a.get("value") or ("on" if a.get("type") == "checkbox" else ""))
        elif tag == "select" and name:
            self._select = name
            self.data.setdefault(name, [])
        elif tag == "option" and self._select and "selected" in a:
            self.data[self._select].append(a.get("value", ""))
        elif tag == "textarea" and name:
            self._textarea = name
            self.data[name] = [""]

    def handle_endtag(self, tag):
        if tag == "select":
            self._select = None
        elif tag == "textarea":
            self._textarea = None

    def handle_data(self, data):
        if self._textarea:
            self.data[self._textarea][0] += data


def admin_form(client, url) -> dict:
    response = client.get(url)
    assert response.status_code == 200
    parser = _FormFields()
    parser.feed(response.content.decode())
    return {k: v if len(v) != 1 else v[0] for k, v in parser.data.items() if v != []}


def test_changing_a_reward_in_the_admin_writes_an_entry_with_before_and_after(db):
    admin = get_user_model().objects.create_superuser(username="root", password="vafa-test-pass-1")
    reward = reward_create(name="Free tea", kind="non_material", cost_points=100)
    client = logged_in(admin)
    url = reverse("admin:program_reward_change", args=[reward.pk])
    data = admin_form(client, url)
    data["cost_points"] = "150"
    data["_save"] = "Save"
    response = client.post(url, data)
    assert response.status_code == 302, response.context["adminform"].form.errors if response.context else ""
    assert Reward.objects.get(pk=reward.pk).cost_points == 150
    entry = AuditEntry.objects.get(action="admin.change", target_type="program.reward")
    assert (entry.actor_id, entry.actor_name, entry.target_id) == (admin.pk, "root", str(reward.pk))
    assert entry.before["cost_points"] == 100 and entry.after["cost_points"] == 150
    assert "name" not in entry.after  # only what changed
    # and the back-office's audit page shows it to an owner
    page = client.get(AUDIT, {"action": "admin."})
    assert [e.action for e in page.context["page"].object_list] == ["admin.change"]
    assert {"field": "cost_points", "before": "100", "after": "150", "changed": True} in \
        page.context["page"].object_list[0].rows


def test_adding_in_the_admin_is_recorded_as_admin_add(db):
    admin = get_user_model().objects.create_superuser(username="root", password="vafa-test-pass-1")
    client = logged_in(admin)
    url = reverse("admin:program_reward_add")
    data = admin_form(client, url)
    data.update({"name": "Movie ticket", "kind": "non_material", "cost_points": "300", "_save": "Save"})
    response = client.post(url, data)
    assert response.status_code == 302, response.context["adminform"].form.errors if response.context else ""
    entry = AuditEntry.objects.get(action="admin.add", target_type="program.reward")
    assert entry.before is None
    assert (entry.after["name"], entry.after["cost_points"]) == ("Movie ticket", 300)
