"""Lets these pure helper tests run without the project's settings (`pytest -p no:django`).

The errors' messages are lazy translations, and raising one renders its message, which reads
settings. Under pytest-django the real settings are loaded and this does nothing; otherwise a
minimal configuration (no translation machinery) is enough for modules that use no ORM.
"""

import os

from django.conf import settings

if not os.environ.get("DJANGO_SETTINGS_MODULE") and not settings.configured:
    settings.configure(USE_I18N=False)
