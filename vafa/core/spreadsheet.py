"""Cells of a CSV that staff open in a spreadsheet program: a text a member wrote (a name) that
begins like a formula (=, +, -, @, a tab or a carriage return) is kept as text by a leading
apostrophe, so opening the file never runs it (CSV injection, OWASP)."""

_FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")


def cell(value):
    if isinstance(value, str) and value.startswith(_FORMULA_STARTS):
        return "'" + value
    return value
