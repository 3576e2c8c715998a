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
"""

from __future__ import annotations

from vafa.integrations.sms.base import HttpGateway, SmsMessage, SmsResult, gateway_receptor


class GhasedakBackend(HttpGateway):
    name = "ghasedak"
    default_base_url = "https://api.ghasedak.me"

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
