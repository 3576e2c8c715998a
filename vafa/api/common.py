"""What every router shares: the error answers each endpoint documents, and the
`Idempotency-Key` header."""

from ninja import Header

from vafa.api import schemas as s

WRITE_ERRORS = {code: s.ErrorOut for code in (400, 401, 403, 404, 409, 422, 429)}
READ_ERRORS = {code: s.ErrorOut for code in (401, 403, 404, 422, 429)}
CALC_ERRORS = {code: s.ErrorOut for code in (400, 401, 403, 404, 409, 422, 429)}
# Documents the header in OpenAPI; `run_write` reads it from the request.
IdempotencyKey = Header(None, alias="Idempotency-Key", description="Retries with the same key replay the answer.")
