"""Ids arrive in URLs in any shape; only a plain positive integer can name a row."""

import re

from vafa.core.errors import NotFound

_ID = re.compile(r"[1-9][0-9]{0,17}")


def parse_id(raw, error: type[NotFound] = NotFound) -> int:
    text = str(raw)
    if not _ID.fullmatch(text):
        raise error(details={"id": text[:64]})
    return int(text)
