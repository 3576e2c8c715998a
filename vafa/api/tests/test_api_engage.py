"""The engagement API (DESIGN "Messages, segments, campaigns and automations"): shapes, paging,
the CSV, and every refusal changing nothing: keys without `engage`, partners, unknown ids, bad
bodies, unknown placeholders, a campaign that has started."""

import json
from datetime import timedelta

import pytest
from django.utils import timezone

from vafa.api.tests.test_api_errors import ApiClient
from vafa.api.tests.test_api_scopes import assert_error
from vafa.core.tests.fixtures import db_state
from vafa.engage.models import Automation, Campaign, Message, Segment
from vafa.engage.tests.conftest import sent_lines, work
from vafa.members.models import MemberTag, Tag
from vafa.merchants.services import api_key_create, merchant_create

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("sms_file")]

ENGAGE = (Segment, Campaign, Automation, Message, Tag, MemberTag)


@pytest.fixture
def fans(member_factory):
    return [member_factory(consents={"sms": True}) for _ in range(5)]


@pytest.fixture
def segment(api, fans):
    response = api.post("/segments", {"name": "SMS fans", "conditions": {"consent": "sms"}})
    assert response.status_code == 201, response.content
    return response.json()


def test_segments_create_count_list_and_page(api, fans, segment):
    assert {k: segment[k] for k in ("code", "name", "conditions", "members_count")} == {
        "code": "sms-fans", "name": "SMS fans", "conditions": {"consent": "sms"}, "members_count": 5}
    assert api.post("/segments/count", {"conditions": {"members": [fans[0].pk, fans[1].pk]}}).json() == {
        "members_count": 2}
    assert [s["id"] for s in api.get("/segments").json()] == [segment["id"]]
    first = api.get(f"/segments/{segment['id']}/members?limit=2").json()
    assert [m["id"] for m in first["items"]] == [fans[0].pk, fans[1].pk]
    assert first["next_cursor"] == str(fans[1].pk)
    assert set(first["items"][0]) == {"id", "phone", "first_name", "last_name", "kind"}
    rest = api.get(f"/segments/{segment['id']}/members?limit=3&cursor={first['next_cursor']}").json()
    assert [m["id"] for m in rest["items"]] == [f.pk for f in fans[2:]] and rest["next_cursor"] is None
    patched = api.patch(f"/segments/{segment['id']}", {"conditions": {"members": [fans[4].pk]}}).json()
    assert patched["members_count"] == 1


def test_segment_members_as_csv(api, fans, segment):
    response = api.get(f"/segments/{segment['id']}/members.csv")
    assert response.status_code == 200 and response["Content-Type"] == "text/csv; charset=utf-8"
    assert response["Content-Disposition"] == 'attachment; filename="segment-sms-fans.csv"'
    text = b"".join(response.streaming_content).decode("utf-8")
    lines = text.splitlines()
    assert lines[0] == "\ufeffid,phone,first_name,last_name,kind"
    assert lines[1] == f"{fans[0].pk},{fans[0].phone},سارا,محمدی,person"
    assert len(lines) == 6


def test_a_campaign_through_the_api_sends_once(api, fans, segment, sms_file):
    body = {"name": "Yalda", "channel": "sms", "segment_id": segment["id"], "text": "سلام {first_name}",
            "holdout_percent": 20}
    created = api.post("/campaigns", body)
    assert created.status_code == 201, created.content
    c = created.json()
    assert {k: c[k] for k in ("status", "audience", "holdout", "parts_per_message", "estimated_cost_rial",
                              "sent", "lift")} == {"status": "draft", "audience": 5, "holdout": 1,
                                                   "parts_per_message": 1, "estimated_cost_rial": 4 * 1_500,
                                                   "sent": 0, "lift": None}
    preview = api.get(f"/campaigns/{c['id']}/preview?member_id={fans[2].pk}").json()
    assert (preview["member_id"], preview["text"], preview["missing"]) == (fans[2].pk, "سلام سارا\nلغو۱۱", [])
    scheduled = api.post(f"/campaigns/{c['id']}/schedule", {}, headers={"Idempotency-Key": "s-1"})
    assert scheduled.json()["status"] == "scheduled"
    again = api.post(f"/campaigns/{c['id']}/schedule", {}, headers={"Idempotency-Key": "s-1"})
    assert again.json() == scheduled.json()
    now = (timezone.now() + timedelta(days=1)).replace(hour=8, minute=0)  # 11:30 Tehran, inside the window
    for minute in range(3):
        work(now + timedelta(minutes=minute))
    final = api.get(f"/campaigns/{c['id']}").json()
    assert {k: final[k] for k in ("status", "audience", "holdout", "sent", "failed", "skipped")} == {
        "status": "sent", "audience": 5, "holdout": 1, "sent": 4, "failed": 0, "skipped": {}}
    assert final["lift"]["contacted"]["members"] == 4 and final["lift"]["held_out"]["members"] == 1
    assert len(sent_lines(sms_file)) == 4
    messaged = Message.objects.filter(campaign_id=c["id"]).first()
    items = api.get(f"/members/{messaged.member_id}/messages").json()["items"]
    assert [(m["status"], m["campaign_id"], m["text"]) for m in items] == [("sent", c["id"], "سلام سارا\nلغو۱۱")]
    assert assert_error(api.post(f"/campaigns/{c['id']}/cancel"), 409, "campaign_not_editable") == {"status": "sent"}


def test_automations_create_list_pause(api):
    created = api.post("/automations", {"name": "Birthday", "trigger": {"type": "birthday"}, "channel": "sms",
                                        "text": "تولدت مبارک {first_name}"})
    assert created.status_code == 201, created.content
    a = created.json()
    assert (a["status"], a["trigger"], a["messages"]) == ("live", {"type": "birthday"}, 0)
    assert api.patch(f"/automations/{a['id']}", {"status": "paused"}).json()["status"] == "paused"
    assert [x["id"] for x in api.get("/automations").json()] == [a["id"]]


def test_staff_tags(api, client, fans):
    member = fans[0]
    assert api.post(f"/members/{member.pk}/tags", {"tags": ["VIP", "شکایت داشت"]}).json() == {
        "tags": ["vip", "شکایت-داشت"]}
    assert api.get(f"/members/{member.pk}/tags").json() == {"tags": ["vip", "شکایت-داشت"]}
    assert client.delete(f"/api/v1/members/{member.pk}/tags/vip", headers=api.headers).json() == {
        "tags": ["شکایت-داشت"]}
    assert api.post("/segments/count", {"conditions": {"tags": ["شکایت-داشت"]}}).json() == {"members_count": 1}


ENGAGE_CALLS = [
    ("get", "/segments", None), ("post", "/segments", {"name": "x"}), ("post", "/segments/count", {}),
    ("get", "/segments/S", None), ("get", "/segments/S/members", None), ("get", "/segments/S/members.csv", None),
    ("patch", "/segments/S", {"name": "y"}), ("get", "/campaigns", None),
    ("post", "/campaigns", {"name": "x", "channel": "sms", "segment_id": "S", "text": "x"}),
    ("get", "/automations", None), ("post", "/automations", {"name": "x", "trigger": {"type": "birthday"},
                                                            "channel": "sms", "text": "x"}),
    ("get", "/members/M/messages", None), ("get", "/members/M/tags", None), ("post", "/members/M/tags",
                                                                            {"tags": ["x"]}),
    ("delete", "/members/M/tags/x", None),
]


def _call(client, method, path, body, segment_id, member_id):
    path = path.replace("S", str(segment_id)).replace("M", str(member_id))
    body = {k: (segment_id if v == "S" else v) for k, v in (body or {}).items()}
    return client.client.generic(method.upper(), f"/api/v1{path}", data=json.dumps(body),
                                 content_type="application/json", headers=client.headers)


@pytest.mark.parametrize(("method", "path", "body"), ENGAGE_CALLS)
def test_keys_without_engage_and_partners_are_forbidden_and_change_nothing(merchant, fans, segment, method, path,
                                                                           body):
    own = ApiClient(api_key_create(merchant=merchant, scopes=["members:read", "members:write", "purchases"])[1])
    partner = ApiClient(api_key_create(merchant=merchant_create(name="Partner"))[1])  # all a partner may hold
    before = db_state(*ENGAGE)
    for client in (own, partner, ApiClient(None)):
        response = _call(client, method, path, body, segment["id"], fans[0].pk)
        assert response.status_code in (401, 403), (client.headers, response.content)
    assert db_state(*ENGAGE) == before


@pytest.mark.parametrize(("path"), ["/segments/999", "/segments/abc/members", "/campaigns/999",
                                    "/campaigns/x/preview", "/automations/999999999999999999999",
                                    "/members/999/messages"])
def test_unknown_ids_are_404(api, path):
    response = api.get(path)
    assert response.status_code == 404
    assert response.json()["error"]["code"].endswith("_not_found")


@pytest.mark.parametrize(("path", "body", "status", "code"), [
    ("/segments", {"name": "x", "conditions": {"rfm": {"r": [0]}}}, 422, "validation_error"),
    ("/segments", {"name": "x", "conditions": "all"}, 422, "validation_error"),
    ("/segments", {"name": "SMS fans"}, 409, "segment_exists"),
    ("/segments/count", {"conditions": {"members": list(range(1, 10_002))}}, 422, "validation_error"),
    ("/campaigns", {"name": "x", "channel": "sms", "segment_id": 999, "text": "x"}, 404, "segment_not_found"),
    ("/campaigns", {"name": "x", "channel": "fax", "segment_id": "S", "text": "x"}, 422, "validation_error"),
    ("/campaigns", {"name": "x", "channel": "sms", "segment_id": "S", "text": "{nope}"}, 422,
     "unknown_placeholder"),
    ("/campaigns", {"name": "x", "channel": "sms", "segment_id": "S", "text": "x", "holdout_percent": 51}, 422,
     "validation_error"),
    ("/campaigns", {"name": "x", "channel": "sms", "segment_id": "S", "text": "x", "reward_id": 999}, 404,
     "reward_not_found"),
    ("/campaigns", {"name": "x", "channel": "sms", "segment_id": "S", "text": "x" * 1001}, 422,
     "validation_error"),
    ("/automations", {"name": "x", "trigger": {"type": "inactive"}, "channel": "sms", "text": "x"}, 422,
     "validation_error"),
    ("/automations", {"name": "x", "trigger": {"type": "birthday"}, "channel": "email", "text": "x"}, 422,
     "validation_error"),
])
def test_bad_bodies_are_refused_and_change_nothing(api, segment, path, body, status, code):
    body = {k: (segment["id"] if v == "S" else v) for k, v in body.items()}
    before = db_state(*ENGAGE)
    assert_error(api.post(path, body), status, code)
    assert db_state(*ENGAGE) == before


def test_bad_paging_is_refused(api, segment, fans):
    for query in ("limit=0", "limit=1001", "cursor=-1", "cursor=abc", "cursor=1e5"):
        assert_error(api.get(f"/segments/{segment['id']}/members?{query}"), 422, "validation_error")
    assert_error(api.get(f"/members/{fans[0].pk}/messages?limit=201"), 422, "validation_error")
