"""SMS.ir adapter, the current REST API (v1), method "send bulk" with a single mobile.

Documented request (API reference https://apidocs.sms.ir/ and https://docs.sms.ir/; the SDKs
https://github.com/IPeCompany/SmsPanelV2.TypeScript and https://github.com/movahhedi/sms-ir-node,
`SendBulk`, send the same):

    POST https://api.sms.ir/v1/send/bulk
    X-API-KEY: <api key>
    Content-Type: application/json
    {"lineNumber": 30007732903879, "messageText": "...", "mobiles": ["09121234567"],
     "sendDateTime": null}

Documented answer:

    {"status": 1, "message": "موفق", "data": {"packId": "...", "messageIds": [86522023], "cost": 1.0}}

`status` 1 is success; anything else is a refusal, answered with a 4xx (10 invalid key, 11 key
disabled, 12 key limited to other IPs, 13 account disabled, 101 invalid line number, 102 not
enough credit, 103 empty text, 104 invalid mobile, ...) or, for `status` 0, a server error (5xx).
HTTP 429 means too many requests.

Delivery reports, "گزارش پیامک" (apidocs.sms.ir; the SDKs' `ReportMessage`), one message a call:

    GET https://api.sms.ir/v1/send/89545112
    X-API-KEY: <api key>

    {"status": 1, "message": "موفق",
     "data": {"messageId": 89545112, "mobile": 9120000000, "messageText": "...",
              "sendDateTime": 1628683626, "lineNumber": 30004505000017, "cost": 1.0,
              "deliveryState": 1, "deliveryDateTime": 1628683629}}

`deliveryState` is documented as a nullable byte: null while no state is known; 1 delivered to
the phone, 2 not delivered to the phone, 3 at the telecom operator, 4 did not reach the operator,
5 reached the operator, 6 failed, 7 blacklist, 8 unknown. Assumed here (the table is not in the
API reference, only in its SDKs and users' code): 7 is the operators' advertising block list
(the same «لیست سیاه» as Ghasedak's 12), so blocked; 3, 5, 8 and null give no verdict yet.
An answer other than `status` 1 with a `data` object (an id it does not know) says nothing of
that message; a refused key, 429 or a 5xx stops the batch.
"""

from __future__ import annotations

import urllib.parse
from collections.abc import Sequence

from django.core.exceptions import ImproperlyConfigured

from vafa.integrations.sms.base import (
    BLOCKED,
    DELIVERED,
    FAILED,
    PENDING,
    DeliveryReport,
    HttpGateway,
    SmsError,
    SmsMessage,
    SmsResult,
    gateway_receptor,
    report_id,
    report_status,
)

_REPORTED = {1: DELIVERED, 2: FAILED, 3: PENDING, 4: FAILED, 5: PENDING, 6: FAILED, 7: BLOCKED, 8: PENDING}
# Refusals of the key or the account: every other id would be refused too.
_KEY_REFUSED = {"10", "11", "12", "13", "14"}
_TRY_LATER = {"0", "20"}  # the gateway's own error; too many requests


class SmsIrBackend(HttpGateway):
    name = "smsir"
    default_base_url = "https://api.sms.ir"
    # One call per id: a batch small enough that a tick stays short and the rate limit far.
    reports_batch = 50

    def __init__(self, **kwargs):
        super().__init__(**kwargs)
        # The API types lineNumber as a number, and it has no default line.
        if not self.sender.isdigit():
            raise ImproperlyConfigured("VAFA_SMS_SENDER must be the SMS.ir line number (digits).")

    def send(self, message: SmsMessage) -> SmsResult:
        body = {
            "lineNumber": int(self.sender),
            "messageText": message.text,
            "mobiles": [gateway_receptor(message.to)],
            "sendDateTime": None,
        }
        headers = {"X-API-KEY": self._api_key}
        http_status, payload = self._post(message, "/v1/send/bulk", json_body=body, headers=headers)

        status = payload.get("status") if isinstance(payload, dict) else None
        if not isinstance(status, int):
            raise self._unexpected(message, http_status)
        if status != 1 or http_status >= 300:
            retryable = status == 0 or http_status >= 500 or http_status == 429
            raise self._error(message, f"refused: {payload.get('message', '')}", retryable=retryable, code=status)

        data = payload.get("data")
        ids = data.get("messageIds") if isinstance(data, dict) else None
        if not isinstance(ids, list) or not ids:
            raise self._unexpected(message, http_status)
        return SmsResult(message_id=str(ids[0]), status="queued")

    def delivery_reports(self, gateway_ids: Sequence[str]) -> list[DeliveryReport]:
        ids = list(gateway_ids)
        if len(ids) > self.reports_batch:
            raise ValueError(f"at most {self.reports_batch} ids at once")
        reports = []
        for gateway_id in ids:
            try:
                report = self._report(gateway_id)
            except SmsError:
                if not reports:
                    raise
                # What was learnt before the gateway stopped answering still counts; the rest is
                # asked again later.
                return reports
            if report is not None:
                reports.append(report)
        return reports

    def _report(self, gateway_id: str) -> DeliveryReport | None:
        path = f"/v1/send/{urllib.parse.quote(gateway_id, safe='')}"
        http_status, payload = self._ask(path, headers={"X-API-KEY": self._api_key})
        answer = payload if isinstance(payload, dict) else {}
        status = report_status(answer.get("status"))
        if http_status == 401 or status in _KEY_REFUSED:
            raise self._report_error(f"refused: {answer.get('message', '')}", retryable=False,
                                     code=int(status) if status else http_status)
        if http_status >= 500 or http_status == 429 or status in _TRY_LATER:
            raise self._report_error(f"HTTP {http_status}", retryable=True, code=int(status) if status else http_status)
        data = answer.get("data") if status == "1" and http_status < 300 else None
        if not isinstance(data, dict) or report_id(data.get("messageId")) != gateway_id:
            return None  # an id it does not know (or an answer about another message)
        state = data.get("deliveryState")
        if state is None:
            return DeliveryReport(gateway_id, PENDING, "")
        raw = report_status(state)
        if raw is None:
            return None
        return DeliveryReport(gateway_id, _REPORTED.get(state, PENDING), raw)
