"""Ghasedak (ghasedak.me) adapter, REST API v2, method `sms/send/simple`.

Documented request (https://ghasedak.me/docs, "ارسال ساده"; the official clients
https://github.com/ghasedakapi/ghasedak-python, ghasedakpack/ghasedakpack.py, and
https://github.com/ghasedakapi/ghasedak-php, src/GhasedakApi.php, `SendSimple`):

    POST https://api.ghasedak.me/v2/sms/send/simple
    apikey: <api key>
    Content-Type: application/x-www-form-urlencoded (UTF-8)
    message=...&receptor=09121234567&linenumber=10008566      (linenumber: optional)

Documented answer:

    {"result": {"code": 200, "message": "success"}, "items": [1234567]}

`items` holds the message ids. Any other `result.code` is a refusal (400 invalid parameters,
401 invalid API key, 402 operation failed, 406 invalid parameter values, 412 no access to the
line, 418 not enough credit, ...); 5xx codes are the gateway's own trouble.

Delivery reports, method CheckSmsStatus of Ghasedak's newer web service (the official clients
https://github.com/ghasedakapi/ghasedak_sms_python, ghasedak_sms/ghasedak.py `check_sms_status`,
and ghasedak_sms_go, both repeating `Ids` once per id; Type 1: the ids are Ghasedak's message ids):

    GET https://gw.ghasedak.me/Rest/api/v1/WebService/CheckSmsStatus?Type=1&Ids=1234567&Ids=1234568
    ApiKey: <api key>

    {"isSuccess": true, "statusCode": 200, "message": "...",
     "data": [{"messageId": "1234567", "clientReferenceId": null, "message": "...", "lineNumber": "...",
               "receptor": "09121234567", "status": 14, "price": 0, "sendDate": "..."}]}

Statuses (the clients' SendStatus): 10 sent to the provider, 11 delivered to the provider (both
still on their way), 12 blacklisted and 15 blocked (the number refuses advertising), 13 not
delivered and 16 failed, 14 delivered; of the earlier stages 1 rejected, 6 internal failure,
7 cancelled and 8 Ghasedak's own blacklist are final failures, the others (queued, sending,
paused, processing) pending. A configured `VAFA_SMS_BASE_URL` serves this method too.
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

_REPORTED = {1: FAILED, 6: FAILED, 7: FAILED, 8: FAILED, 10: PENDING, 11: PENDING, 12: BLOCKED, 13: FAILED,
             14: DELIVERED, 15: BLOCKED, 16: FAILED}
_REPORTS_PATH = "/Rest/api/v1/WebService/CheckSmsStatus"


class GhasedakBackend(HttpGateway):
    name = "ghasedak"
    default_base_url = "https://api.ghasedak.me"
    default_reports_url = "https://gw.ghasedak.me"
    reports_batch = 100  # ids in the query string: short enough for any server's URL limit

    def __init__(self, *, base_url: str = "", **kwargs):
        super().__init__(base_url=base_url, **kwargs)
        self.reports_url = base_url.rstrip("/") or self.default_reports_url

    def send(self, message: SmsMessage) -> SmsResult:
        form = {"message": message.text, "receptor": gateway_receptor(message.to)}
        if self.sender:
            form["linenumber"] = self.sender
        http_status, payload = self._post(message, "/v2/sms/send/simple", form=form, headers={"apikey": self._api_key})

        result = payload.get("result") if isinstance(payload, dict) else None
        if not isinstance(result, dict) or not isinstance(result.get("code"), int):
            raise self._unexpected(message, http_status)
        code = result["code"]
        if code != 200:
            retryable = code >= 500 or code == 429
            raise self._error(message, f"refused: {result.get('message', '')}", retryable=retryable, code=code)

        items = payload.get("items")
        if not isinstance(items, list) or not items:
            raise self._unexpected(message, http_status)
        return SmsResult(message_id=str(items[0]), status="queued")

    def delivery_reports(self, gateway_ids: Sequence[str]) -> list[DeliveryReport]:
        ids = list(gateway_ids)
        if len(ids) > self.reports_batch:
            raise ValueError(f"at most {self.reports_batch} ids at once")
        if not ids:
            return []
        query = urllib.parse.urlencode([("Type", "1"), *(("Ids", i) for i in ids)])
        http_status, payload = self._ask(f"{_REPORTS_PATH}?{query}", headers={"ApiKey": self._api_key},
                                         base_url=self.reports_url)

        if not isinstance(payload, dict) or not isinstance(payload.get("isSuccess"), bool):
            raise self._report_unexpected(http_status)
        code = report_status(payload.get("statusCode"))
        if payload["isSuccess"] is not True or http_status >= 300:
            retryable = http_status >= 500 or http_status == 429 or (code is not None and int(code) >= 500)
            raise self._report_error(f"refused: {payload.get('message', '')}", retryable=retryable,
                                     code=int(code) if code else http_status)
        data = payload.get("data")
        if not isinstance(data, list):
            raise self._report_unexpected(http_status)
        reports = []
        for item in data:
            gateway_id = report_id(item.get("messageId")) if isinstance(item, dict) else None
            raw = report_status(item.get("status")) if gateway_id else None
            if raw is not None:
                reports.append(DeliveryReport(gateway_id, _REPORTED.get(int(raw), PENDING), raw))
        return reports
