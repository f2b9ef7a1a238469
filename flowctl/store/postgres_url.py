"""Telling a PostgreSQL store's URL from a state file's path, without importing psycopg."""

from __future__ import annotations

URL_SCHEMES = ("postgresql://", "postgres://")


def is_url(text: str) -> bool:
    """Whether `text` names a PostgreSQL store rather than a state file."""
    return text.startswith(URL_SCHEMES)
