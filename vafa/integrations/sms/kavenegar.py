"""Kavenegar (kavenegar.com) adapter, REST API v1, method `sms/send`.

Documented request (https://kavenegar.com/rest.html, "sms/send"; the official client
https://github.com/kavenegar/kavenegar-python, kavenegar.py, does the same):

    POST https://api.kavenegar.com/v1/{API-KEY}/sms/send.json
    Content-Type: application/x-www-form-urlencoded (UTF-8)
    receptor=09121234567&message=...&sender=10004346      (sender: the line; optional)
    &localid=123   (optional: our id of the message; a send with a localid already used is not
                   sent again, so a retry after a crash cannot deliver twice)

Documented answer, the same envelope for every method; the HTTP status mirrors `return.status`:

    {"return": {"status": 200, "message": "تایید شد"},
     "entries": [{"messageid": 8792343, "message": "...", "status": 1, "statustext": "در صف ارسال",
                  "sender": "10004346", "receptor": "09121234567", "date": 1356619709, "cost": 120}]}

Error statuses in `return.status`: 400 missing parameters, 401 account disabled, 402 operation
failed, 403 invalid API key, 411 invalid receptor, 412 invalid sender, 413 empty or too long
message, 414 too many receptors, 416 caller IP not allowed, 417 invalid date, 418 not enough
credit, 422 invalid characters, 409 server busy (try later), 451 too many calls, 501 a test
account may only send to its owner. Entry `status` at send time: 1 queued, 2 scheduled, 4/5 sent
to the operator, 10 delivered; 6 failed, 11 undelivered, 13 cancelled, 14 blocked by the
receptor, 100 unknown. (402 and 409 are confirmed on https://kavenegar.com/soap.html; the rest of
this table was not re-read in full here, so check it there when a code surprises you.)

Delivery reports, method `sms/status` (the official clients post it as a form, as for `send`;
a form body also keeps 500 ids out of the URL, whose length servers limit):

    POST https://api.kavenegar.com/v1/{API-KEY}/sms/status.json
    messageid=85463238,85463239      (at most 500 ids, sent within the last 48 hours)

    {"return": {"status": 200, "message": "تایید شد"},
     "entries": [{"messageid": 85463238, "status": 10, "statustext": "رسیده به گیرنده"}, ...]}

Entry statuses: 1 queued, 2 scheduled, 4/5 sent to the operator (pending); 10 delivered; 6 failed,
11 undelivered, 13 cancelled (failed); 14 blocked by the receptor's advertising opt-out; 100 an
id it does not know (every id older than 48 hours too: no verdict).
"""

from __future__ import annotations

import urllib.parse
from collections.abc import Sequence

from vafa.integrations.sms.base import (
    BLOCKED,
    DELIVERED,
    FAILED,
    PENDING,
    DeliveryReport,
    HttpGateway,
    SmsMessage,
    SmsResult,
    gateway_receptor,
    report_id,
    report_status,
)

# The gateway asks to come back later; every other refusal will be refused again.
_RETRYABLE = {409, 429, 451}
_ACCEPTED_ENTRY = {1, 2, 4, 5, 10}
# A status not listed (100, an unknown id, or a code added later) gives no verdict: pending.
_REPORTED = {1: PENDING, 2: PENDING, 4: PENDING, 5: PENDING, 10: DELIVERED, 6: FAILED, 11: FAILED, 13: FAILED,
             14: BLOCKED}


class KavenegarBackend(HttpGateway):
    name = "kavenegar"
    default_base_url = "https://api.kavenegar.com"
    deduplicates = True  # `localid`: the same one again is not sent again
    reports_batch = 500

    def send(self, message: SmsMessage) -> SmsResult:
        form = {"receptor": gateway_receptor(message.to), "message": message.text}
        if self.sender:
            form["sender"] = self.sender
        if message.key:
            form["localid"] = message.key
        http_status, payload = self._post(message, self._path("sms/send"), form=form)

        envelope = payload.get("return") if isinstance(payload, dict) else None
        if not isinstance(envelope, dict) or not isinstance(envelope.get("status"), int):
            raise self._unexpected(message, http_status)
        status = envelope["status"]
        if status != 200:
            retryable = status in _RETRYABLE or (status >= 500 and status != 501)
            raise self._error(message, f"refused: {envelope.get('message', '')}", retryable=retryable, code=status)

        entries = payload.get("entries")
        entry = entries[0] if isinstance(entries, list) and entries and isinstance(entries[0], dict) else None
        if entry is None or "messageid" not in entry:
            raise self._unexpected(message, http_status)
        if entry.get("status") not in _ACCEPTED_ENTRY:
            raise self._error(
                message, f"not sent: {entry.get('statustext', '')}", retryable=False, code=entry.get("status")
            )
        return SmsResult(message_id=str(entry["messageid"]), status="queued")

    def delivery_reports(self, gateway_ids: Sequence[str]) -> list[DeliveryReport]:
        ids = list(gateway_ids)
        if len(ids) > self.reports_batch:
            raise ValueError(f"at most {self.reports_batch} ids at once")
        if not ids:
            return []
        http_status, payload = self._ask(self._path("sms/status"), form={"messageid": ",".join(ids)})

        envelope = payload.get("return") if isinstance(payload, dict) else None
        if not isinstance(envelope, dict) or not isinstance(envelope.get("status"), int):
            raise self._report_unexpected(http_status)
        status = envelope["status"]
        if status != 200:
            retryable = status in _RETRYABLE or (status >= 500 and status != 501)
            raise self._report_error(f"refused: {envelope.get('message', '')}", retryable=retryable, code=status)
        entries = payload.get("entries")
        if not isinstance(entries, list):
            raise self._report_unexpected(http_status)
        reports = []
        for entry in entries:
            gateway_id = report_id(entry.get("messageid")) if isinstance(entry, dict) else None
            raw = report_status(entry.get("status")) if gateway_id else None
            if raw is not None:
                reports.append(DeliveryReport(gateway_id, _REPORTED.get(int(raw), PENDING), raw))
        return reports

    def _path(self, method: str) -> str:
        return f"/v1/{urllib.parse.quote(self._api_key, safe='')}/{method}.json"
