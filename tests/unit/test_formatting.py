"""The one number formatter and the one byte formatter, in each spelling their callers use."""

from __future__ import annotations

import math

import pytest

from mlgate.formatting import as_number, format_bytes, format_number


def test_as_number_reads_numbers_and_encoded_values() -> None:
    assert as_number(1) == 1.0 and as_number(0.5) == 0.5
    assert math.isnan(as_number("NaN") or 0.0)
    assert as_number("Infinity") == math.inf and as_number("-Infinity") == -math.inf
    assert as_number(None) is None and as_number(True) is None and as_number("x") is None


@pytest.mark.parametrize(
    ("value", "kw", "text"),
    [
        (0.905, {}, "0.905"),
        (1 / 3, {}, "0.333333"),
        (None, {}, "—"),
        ("NaN", {}, "NaN"),
        (math.inf, {}, "∞"),
        ("-Infinity", {}, "-∞"),
        # rule messages in result.json
        (None, {"missing": "none", "infinity": "Infinity"}, "none"),
        (-math.inf, {"missing": "none", "infinity": "Infinity"}, "-Infinity"),
        # the trainer's log line
        (0.9, {"style": "fixed", "digits": 4, "infinity": "inf"}, "0.9000"),
        (math.inf, {"style": "fixed", "digits": 4, "infinity": "inf"}, "inf"),
        (math.nan, {"style": "fixed", "digits": 4}, "NaN"),
        # the report
        (2.0, {"style": "compact", "digits": 4}, "2"),
        (0.123456, {"style": "compact", "digits": 4}, "0.1235"),
        (1e-7, {"style": "compact", "digits": 4}, "1.000e-07"),
        (0.5, {"digits": 4}, "0.5"),
    ],
)
def test_format_number(value: object, kw: dict, text: str) -> None:
    assert format_number(value, **kw) == text


def test_format_number_rejects_an_unknown_style() -> None:
    with pytest.raises(ValueError, match="unknown number style"):
        format_number(1.0, style="pretty")


def test_format_bytes() -> None:
    assert [format_bytes(n) for n in (0, 1023, 1024, 1536 * 1024, 5 * 1024**4)] == [
        "0 B", "1023 B", "1.0 KiB", "1.5 MiB", "5120.0 GiB"
    ]
    assert format_bytes(None) == "—" and format_bytes(True) == "—"
    assert format_bytes("12", missing="?") == "?"
