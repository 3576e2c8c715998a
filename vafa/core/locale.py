"""Which language a request is answered in.

The API follows `Accept-Language` (integrators choose per call). Pages are Persian unless the
visitor chose English with the language switch (a cookie): many Iranian phones and PCs say
"en-US" to every site, and the club is Persian first.
"""

from django.conf import settings
from django.middleware.locale import LocaleMiddleware
from django.utils import translation


class ClubLocaleMiddleware(LocaleMiddleware):
    def process_request(self, request):
        if request.path.startswith("/api/"):
            return super().process_request(request)
        chosen = request.COOKIES.get(settings.LANGUAGE_COOKIE_NAME)
        language = chosen if chosen in dict(settings.LANGUAGES) else settings.LANGUAGE_CODE
        translation.activate(language)
        request.LANGUAGE_CODE = translation.get_language()
