"""Database helpers shared by the services."""

from django.db import connection


def is_postgres() -> bool:
    return connection.vendor == "postgresql"
