"""Page tokens: a token that decodes but was not issued by us is a bad argument, not a crash."""

from __future__ import annotations

import base64

import pytest

from fundguard.runtime.errors import InvalidArgument
from fundguard.runtime.paging import next_token, page_offset


def _token(text: str) -> str:
    return base64.urlsafe_b64encode(text.encode()).decode()


def test_a_numeric_cursor_round_trips() -> None:
    rows = [{"i": n} for n in range(6)]
    assert page_offset(next_token(rows, 5, "i")) == 4
    assert page_offset("") == 0


@pytest.mark.parametrize("text", ["abc", "-3", "1.5", " 7", "٣"])  # the last is an Arabic-Indic digit
def test_a_token_that_decodes_to_something_else_names_page_token(text: str) -> None:
    with pytest.raises(InvalidArgument) as caught:
        page_offset(_token(text))
    assert [v.field for v in caught.value.violations] == ["page_token"]
