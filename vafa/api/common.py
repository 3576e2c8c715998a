"""What every router shares: the error answers each endpoint documents, and the
`Idempotency-Key` header."""

import re

from ninja import Header, Schema

from vafa.api import schemas as s
from vafa.core.errors import ValidationFailed

WRITE_ERRORS = {code: s.ErrorOut for code in (400, 401, 403, 404, 409, 422, 429)}
READ_ERRORS = {code: s.ErrorOut for code in (401, 403, 404, 422, 429)}
CALC_ERRORS = {code: s.ErrorOut for code in (400, 401, 403, 404, 409, 422, 429)}
# Documents the header in OpenAPI; `run_write` reads it from the request.
IdempotencyKey = Header(None, alias="Idempotency-Key", description="Retries with the same key replay the answer.")


class Page(Schema):
    limit: int = 50
    cursor: str | None = None


def page_cursor(query: Page, *, most: int = 200) -> int | None:
    """The id the page starts after (or before), from `cursor`; None: the first page."""
    if not 1 <= query.limit <= most:
        raise ValidationFailed(details={"limit": f"from 1 to {most}"})
    if query.cursor is None:
        return None
    if not re.fullmatch(r"[1-9][0-9]{0,17}", query.cursor):
        raise ValidationFailed(details={"cursor": "invalid"})
    return int(query.cursor)
