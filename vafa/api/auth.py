from ninja.security import HttpBearer

from vafa.merchants.selectors import merchant_for_api_key


class ApiKeyAuth(HttpBearer):
    """`Authorization: Bearer <key>`; `request.auth` is then the key's merchant."""

    def authenticate(self, request, token):
        return merchant_for_api_key(token)
