"""Back-office import and export: an upload runs as a job of its own with its progress and its file
of refused rows; bad files are refused with the reason and leave nothing; the worker starts again
a job whose process was cut off."""

import datetime as dt

import pytest
from django.conf import settings
from django.core.files.uploadedfile import SimpleUploadedFile
from django.core.management import call_command
from django.test import Client
from django.utils import timezone

from vafa.members.models import Member
from vafa.merchants.staff_accounts import staff_create
from vafa.portability import background
from vafa.portability.models import ExportJob, ImportJob

pytestmark = pytest.mark.django_db
MEMBERS_CSV = ("phone,external_ref,first_name\n09121234567,C1,علی\n۰۹۱۲۱۱۱۱۱۱۱,C2,سارا\n12345,C3,بد\n").encode()


@pytest.fixture
def spawned(monkeypatch):
    """The job's process, run here and now instead of in the background."""
    started = []

    def run(kind, job_id):
        started.append((kind, job_id))
        call_command("run_data_job", kind, str(job_id))

    monkeypatch.setattr(background, "_spawn", run)
    return started


def _client(role):
    client = Client()
    client.force_login(staff_create(username=f"{role}-d", password="long-enough-pass-1", role=role))
    return client


def _upload(client, content=MEMBERS_CSV, name="members.csv", **extra):
    body = {"kind": "members", "file": SimpleUploadedFile(name, content), "merchant": extra.pop("merchant"),
            "points": "on", **extra}
    return client.post("/manage/data/imports/", body)


def test_an_upload_is_imported_in_its_own_job_with_the_refused_rows_to_download(merchant, spawned):
    manager = _client("manager")

    answer = _upload(manager, merchant=merchant.pk)

    assert answer.status_code == 302
    job = ImportJob.objects.get()
    assert spawned == [("import", job.pk)]
    assert (job.status, job.imported, job.unchanged, job.failed, job.created_by.username) == (
        "done", 2, 0, 1, "manager-d")
    assert sorted(Member.objects.values_list("external_ref", flat=True)) == ["C1", "C2"]
    page = manager.get("/manage/data/").content.decode()
    assert f'id="import-{job.pk}"' in page and 'data-status="done"' in page
    assert "data-testid=\"exports\"" not in page  # exports are the owner's
    errors = manager.get(f"/manage/data/imports/{job.pk}/errors.csv")
    assert errors.status_code == 200
    lines = b"".join(errors.streaming_content).decode("utf-8-sig").splitlines()
    assert lines[0] == "line,error,field,message,phone,external_ref,first_name"
    assert lines[1].startswith("4,invalid_phone,,")


def test_a_check_only_upload_imports_nothing_and_shows_what_it_found(merchant, spawned):
    _upload(_client("owner"), merchant=merchant.pk, check_only="on")

    job = ImportJob.objects.get()
    assert (job.status, job.imported, job.failed, job.options) == ("done", 2, 1, {"dry_run": True,
                                                                                   "no_points": False})
    assert Member.objects.count() == 0


@pytest.mark.parametrize(("name", "content", "says"), [
    ("members.pdf", MEMBERS_CSV, "Only .csv"),
    ("members.csv", b"first_name\nx\n", "phone"),
    ("members.csv", "phone\n0912".encode("utf-16"), "UTF-8"),
])
def test_a_file_that_cannot_be_imported_is_refused_with_the_reason(merchant, spawned, name, content, says):
    client = _client("owner")
    client.cookies[settings.LANGUAGE_COOKIE_NAME] = "en"  # the reasons are checked in English
    answer = _upload(client, content=content, name=name, merchant=merchant.pk)

    assert answer.status_code == 422
    assert says in answer.content.decode().replace("&quot;", '"')
    assert ImportJob.objects.count() == 0
    assert spawned == []
    assert Member.objects.count() == 0


def test_the_progress_row_polls_while_the_job_runs(merchant):
    job = ImportJob.objects.create(kind="members", file_name="big.csv", path="/nonexistent", sha256="x" * 64,
                                   merchant=merchant, status="running", lines_total=1001, lines_done=251)
    row = _client("manager").get(f"/manage/data/imports/{job.pk}/").content.decode()

    assert 'hx-trigger="every 2s"' in row
    assert '<progress max="1001" value="250"' in row


def test_the_worker_starts_again_a_job_whose_process_stopped_touching_it(merchant, monkeypatch):
    started = []
    monkeypatch.setattr(background, "_spawn", lambda kind, job_id: started.append((kind, job_id)))
    now = timezone.now()
    fresh = ImportJob.objects.create(kind="members", file_name="a.csv", path="/a", sha256="a" * 64, merchant=merchant,
                                     status="running", heartbeat_at=now - dt.timedelta(seconds=30))
    cut_off = ImportJob.objects.create(kind="members", file_name="b.csv", path="/b", sha256="b" * 64,
                                       merchant=merchant, status="running", heartbeat_at=now - dt.timedelta(minutes=5))
    ImportJob.objects.create(kind="members", file_name="c.csv", path="/c", sha256="c" * 64, merchant=merchant,
                             status="done", heartbeat_at=now - dt.timedelta(hours=5))

    assert background.data_jobs_resume(now) == 1
    assert background.data_jobs_resume(now) == 0  # started once, whichever worker asks again
    assert started == [("import", cut_off.pk)]
    assert ImportJob.objects.get(pk=fresh.pk).status == "running"


def test_an_export_is_the_owners_and_downloads_only_when_ready(merchant, monkeypatch):
    monkeypatch.setattr(background, "_spawn", lambda kind, job_id: None)
    owner = _client("owner")

    assert owner.post("/manage/data/exports/").status_code == 302
    job = ExportJob.objects.get()
    assert owner.get(f"/manage/data/exports/{job.pk}/download").status_code == 404
    assert _client("manager").post("/manage/data/exports/").status_code == 403
    assert ExportJob.objects.count() == 1
