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
"""

from __future__ import annotations

from django.core.exceptions import ImproperlyConfigured

from vafa.integrations.sms.base import HttpGateway, SmsMessage, SmsResult, gateway_receptor


class SmsIrBackend(HttpGateway):
    name = "smsir"
    default_base_url = "https://api.sms.ir"

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
