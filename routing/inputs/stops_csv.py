"""The CSV files a scenario names: village stops (``villages.csv``) and township stations
(``townships.csv``), each read into validated objects and written back in the same layout.

Every reading error names the file, the line and the column.
"""

from __future__ import annotations

import csv
import math
from collections.abc import Callable, Iterable, Mapping, Sequence
from pathlib import Path
from typing import TypeVar

from routing.core import Depot, InputError, ModelError, Stop
from routing.inputs.files import LATEST_CLOCK_S, format_clock, parse_clock

#: Characters ruralroute uses inside derived ids (``t123#2`` for a split load, ``v1@leg``).
RESERVED_ID_CHARACTERS = ("#", "@")

STOP_COLUMNS = ("id", "name", "name_en", "lon", "lat", "parcels", "weight_kg", "produce_kg",
                "open", "close")
_REQUIRED_STOP_COLUMNS = ("id", "lon", "lat", "parcels", "weight_kg")
CARRIER_PREFIX = "parcels_"

#: The columns of a stations file (``name_en`` is optional and only written).
STATION_COLUMNS = ("id", "name", "name_en", "lon", "lat")

_T = TypeVar("_T")


def build(file: Path, where: str, factory: Callable[..., _T], **kwargs: object) -> _T:
    """Construct a domain object, turning its validation error into one naming the file."""
    try:
        return factory(**kwargs)
    except ModelError as exc:
        raise InputError(file, where, str(exc)) from None


def parse_number(file: Path, field_name: str, text: str | None, *, whole: bool) -> float:
    """A CSV cell as a finite number (a whole one if ``whole``); errors name the cell."""
    if text is None or text.strip() == "":
        raise InputError(file, field_name, "is empty; fill in a value")
    try:
        value = float(text)
    except ValueError:
        raise InputError(file, field_name, f"is not a number: {text!r}") from None
    if not math.isfinite(value):
        raise InputError(file, field_name, f"is not a finite number: {text!r}")
    if whole and value != int(value):
        raise InputError(file, field_name, f"must be a whole number, got {text!r}")
    return value


def read_csv(path: Path) -> tuple[tuple[str, ...], list[dict[str, str]]]:
    """The header and rows of a UTF-8 CSV file; a row with more values than the header is an
    error, not silently cut."""
    try:
        with path.open(encoding="utf-8-sig", newline="") as fh:
            reader = csv.DictReader(fh)
            header = tuple(reader.fieldnames or ())
            rows = list(reader)
    except FileNotFoundError:
        raise InputError(path, "file", "file not found") from None
    except UnicodeDecodeError:
        raise InputError(path, "file", "is not UTF-8 text; save the CSV as UTF-8") from None
    for line, row in enumerate(rows, start=2):
        if None in row:
            raise InputError(path, f"line {line}", f"has more values than the header's "
                             f"{len(header)} columns")
    return header, rows


def _check_header(path: Path, header: Sequence[str]) -> list[str]:
    """The header's ``parcels_<carrier>`` columns, once every other column is a known one."""
    missing = [c for c in _REQUIRED_STOP_COLUMNS if c not in header]
    if missing:
        raise InputError(path, missing[0], "column is missing from the header row")
    carriers = [c for c in header if c.startswith(CARRIER_PREFIX)]
    unknown = [c for c in header if c not in STOP_COLUMNS and c not in carriers]
    if unknown:
        raise InputError(path, unknown[0],
                         f"unknown column (known: {', '.join(STOP_COLUMNS)}, parcels_<carrier>)")
    return carriers


def _read_stop(path: Path, line: int, row: dict[str, str], carriers: Sequence[str]) -> Stop:
    where = f"line {line}"
    for col in ("lon", "lat"):
        if not (row.get(col) or "").strip():
            raise InputError(path, f"{where} {col}",
                             f"stop {row.get('id', '?')!r} has no coordinates; fill in {col}")

    def num(col: str) -> float:
        return parse_number(path, f"{where} {col}", row[col], whole=col not in ("lon", "lat"))

    split = {c[len(CARRIER_PREFIX):]: int(num(c)) for c in carriers if (row[c] or "").strip()}
    return build(
        path, where, Stop, id=(row["id"] or "").strip(), name=row.get("name") or "",
        name_en=row.get("name_en") or "", lon=num("lon"), lat=num("lat"),
        parcels=int(num("parcels")), weight_kg=int(num("weight_kg")),
        produce_kg=int(num("produce_kg")) if (row.get("produce_kg") or "").strip() else 0,
        open_s=parse_clock(path, f"{where} open", row.get("open") or "", 0),
        close_s=parse_clock(path, f"{where} close", row.get("close") or "", LATEST_CLOCK_S),
        parcels_by_carrier=split,
    )


def read_stops_csv(path: Path) -> tuple[Stop, ...]:
    """Read village service points from a CSV file (UTF-8, header row).

    Columns: ``id, lon, lat, parcels, weight_kg`` are required; ``name, name_en, produce_kg,
    open, close`` are optional; any ``parcels_<carrier>`` columns split the parcels by carrier.
    """
    header, rows = read_csv(path)
    carriers = _check_header(path, header)
    stops = [_read_stop(path, line, row, carriers) for line, row in enumerate(rows, start=2)]
    ids = [s.id for s in stops]
    dupes = sorted({i for i in ids if ids.count(i) > 1})
    if dupes:
        raise InputError(path, "id", f"stop ids must be unique, repeated: {', '.join(dupes)}")
    reserved = [s.id for s in stops if set(s.id) & set(RESERVED_ID_CHARACTERS)]
    if reserved:
        raise InputError(path, "id", f"stop id {reserved[0]!r} uses a reserved character "
                         f"({' '.join(RESERVED_ID_CHARACTERS)}); rename it")
    if not stops:
        raise InputError(path, "rows", "no stops; add at least one village")
    return tuple(stops)


def write_stops_csv(path: Path, stops: Iterable[Stop], *,
                    carriers: Sequence[str] | None = None) -> Path:
    """Write stops in the layout :func:`read_stops_csv` reads back: coordinates to 7 decimals
    (~1 cm), ``open``/``close`` only when some stop has a time window, and one
    ``parcels_<carrier>`` column per carrier (by default those the stops split their parcels
    among, in first-seen order; an empty cell where a stop has no figure for a carrier)."""
    stops = list(stops)
    if carriers is None:
        carriers = list(dict.fromkeys(c for s in stops for c in s.parcels_by_carrier))
    windows = any(s.open_s != 0 or s.close_s != LATEST_CLOCK_S for s in stops)
    columns = ["id", "name", "name_en", "lon", "lat", "parcels", "weight_kg", "produce_kg"]
    columns += ["open", "close"] if windows else []
    columns += [f"{CARRIER_PREFIX}{c}" for c in carriers]
    with path.open("w", encoding="utf-8", newline="") as fh:
        writer = csv.writer(fh)
        writer.writerow(columns)
        for s in stops:
            row: list[str | int] = [s.id, s.name, s.name_en, f"{s.lon:.7f}", f"{s.lat:.7f}",
                                    s.parcels, s.weight_kg, s.produce_kg]
            if windows:
                row += [format_clock(s.open_s, f"stop {s.id}.open_s"),
                        format_clock(s.close_s, f"stop {s.id}.close_s")]
            row += [s.parcels_by_carrier.get(c, "") for c in carriers]
            writer.writerow(row)
    return path


def read_stations_csv(path: Path) -> tuple[Depot, ...]:
    """Township stations: a CSV with ``id, name, lon, lat`` (``name_en`` is allowed, unread)."""
    _, rows = read_csv(path)
    stations = []
    for line, row in enumerate(rows, start=2):
        stations.append(build(
            path, f"line {line}", Depot, id=(row.get("id") or "").strip(),
            name=row.get("name") or "",
            lon=parse_number(path, f"line {line} lon", row.get("lon", ""), whole=False),
            lat=parse_number(path, f"line {line} lat", row.get("lat", ""), whole=False)))
    return tuple(stations)


def write_stations_csv(path: Path, stations: Iterable[Depot], *,
                       names_en: Mapping[str, str] | None = None) -> Path:
    """Write stations in the layout :func:`read_stations_csv` reads back, with their English
    names (by station id, for people reading the file) where given."""
    names_en = names_en or {}
    with path.open("w", encoding="utf-8", newline="") as fh:
        writer = csv.writer(fh, lineterminator="\n")
        writer.writerow(STATION_COLUMNS)
        for s in stations:
            writer.writerow([s.id, s.name, names_en.get(s.id, ""), f"{s.lon:.7f}",
                             f"{s.lat:.7f}"])
    return path
