"""Read the TOML files ruralroute's inputs are written in, with one-line errors naming the file."""

from __future__ import annotations

import tomllib
from pathlib import Path
from typing import Any

from routing.core import InputError


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
