"""The syntax all of ruralroute's input files share: TOML read with one-line errors naming the
file, and times of day written as ``"HH:MM"``."""

from __future__ import annotations

import tomllib
from pathlib import Path
from typing import Any

from routing.core import InputError, ModelError

#: The latest time of day a file may give: the next day's midnight (``"48:00"``).
LATEST_CLOCK_S = 48 * 3600


def read_toml(path: str | Path, *, what: str) -> tuple[Path, dict[str, Any]]:
    """The path and parsed content of a TOML file; ``what`` names the kind of file in errors
    (``"scenario"``, ``"cost model"``, ``"sweep"``)."""
    file = Path(path)
    if not file.is_file():
        raise InputError(file, "file", f"{what} file not found")
    try:
        return file, tomllib.loads(file.read_text(encoding="utf-8"))
    except tomllib.TOMLDecodeError as exc:
        raise InputError(file, "syntax", f"not valid TOML ({exc})") from None
    except UnicodeDecodeError:
        raise InputError(file, "file", "is not UTF-8 text; save it as UTF-8") from None


def parse_clock(file: Path, field_name: str, text: str, default: int) -> int:
    """``"HH:MM"`` -> seconds since midnight (up to ``"48:00"``: the next day's hours);
    ``default`` for an empty text."""
    if not text:
        return default
    try:
        hours, minutes = (int(part) for part in text.split(":"))
    except ValueError:
        raise InputError(file, field_name, f"must be a time like \"08:30\", got {text!r}") from None
    if not (0 <= hours <= 48 and 0 <= minutes < 60):
        raise InputError(file, field_name, f"is not a time of day: {text!r}")
    return hours * 3600 + minutes * 60


def format_clock(seconds: int, field_name: str) -> str:
    """Seconds since midnight -> ``"HH:MM"``, the text :func:`parse_clock` reads back; a time
    that is not a whole minute within two days is a :class:`ModelError` naming the field."""
    if not 0 <= seconds <= LATEST_CLOCK_S or seconds % 60:
        raise ModelError(f"{field_name}: {seconds} s is not a whole minute between 00:00 and "
                         f"48:00, so no \"HH:MM\" time of day can say it")
    return f"{seconds // 3600:02d}:{seconds // 60 % 60:02d}"
