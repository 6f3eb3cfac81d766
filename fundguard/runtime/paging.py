"""Page tokens: opaque to callers, a keyset cursor underneath (stable under inserts)."""

from __future__ import annotations

import base64
from collections.abc import Mapping, Sequence
from typing import Any

from fundguard.runtime.errors import FieldViolation, InvalidArgument

DEFAULT_PAGE = 100
MAX_PAGE = 1000


def page_size(requested: int) -> int:
    if requested < 0:
        raise InvalidArgument([FieldViolation("page_size", "must not be negative")])
    return min(requested or DEFAULT_PAGE, MAX_PAGE)


def page_after(token: str) -> str:
    """The last key the previous page ended at; empty for the first page."""
    if not token:
        return ""
    try:
        return base64.urlsafe_b64decode(token.encode()).decode()
    except (ValueError, UnicodeDecodeError) as exc:
        raise InvalidArgument([FieldViolation("page_token", "not a token this service issued")]) from exc


def page_offset(token: str) -> int:
    """A numeric cursor (an offset or a sequence number) from a token; 0 for the first page.
    A token that decodes but is not a non-negative integer was not issued by us either."""
    after = page_after(token)
    if not after:
        return 0
    if not (after.isascii() and after.isdigit()):
        raise InvalidArgument([FieldViolation("page_token", "not a token this service issued")])
    return int(after)


def next_token(rows: Sequence[Mapping[str, Any]], size: int, key: str) -> str:
    """A token for the next page when ``rows`` (fetched as size + 1) holds more than a page."""
    if len(rows) <= size:
        return ""
    return base64.urlsafe_b64encode(str(rows[size - 1][key]).encode()).decode()
