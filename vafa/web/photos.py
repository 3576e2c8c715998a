"""Uploaded contest photos: what the pages accept while a form arrives, and how a photo is
answered to someone allowed to see it (never through a static route: see vafa.engage.contests)."""

from __future__ import annotations

from django.core.files.uploadhandler import FileUploadHandler, SkipFile
from django.http import FileResponse

from vafa.engage.inputs import CONTEST_PHOTO_MAX_BYTES

EXTENSIONS = {"image/jpeg": "jpg", "image/png": "png", "image/webp": "webp"}


class PhotoSizeLimit(FileUploadHandler):
    """First of a request's upload handlers: a file larger than the limit is dropped as it
    arrives, so no more than the limit ever reaches memory or a temporary file; the request is
    marked (`request.photo_too_large`) for the view to say so."""

    def receive_data_chunk(self, raw_data, start):
        if start + len(raw_data) > CONTEST_PHOTO_MAX_BYTES:
            self.request.photo_too_large = True
            raise SkipFile
        return raw_data

    def file_complete(self, file_size):
        return None  # the handlers after this one keep the file


def limit_uploads(request) -> None:
    """Put the size limit first; call before anything reads the request's form."""
    request.photo_too_large = False
    request.upload_handlers.insert(0, PhotoSizeLimit(request))


def photo_response(entry, file) -> FileResponse:
    """The photo (Vafa's own re-encoded copy) with its checked type, for this person only."""
    response = FileResponse(file, content_type=entry.photo_type)
    response["Content-Disposition"] = f'inline; filename="entry-{entry.pk}.{EXTENSIONS.get(entry.photo_type, "bin")}"'
    response["Cache-Control"] = "private, no-store"
    response["Content-Security-Policy"] = "default-src 'none'; sandbox"
    return response
