"""Cost model files: read a cost model TOML file, or one of those shipped by name.

Errors name the file and the field (:class:`~routing.core.errors.InputError`); the cost model
itself and how it prices a day are :mod:`routing.core.costs`.
"""

from __future__ import annotations

from pathlib import Path

from routing.core import CostModel, InputError, ModelError, Rates
from routing.inputs.files import read_toml

#: The cost models shipped with ruralroute, with the sources of their figures beside them.
COST_MODELS_DIR = Path(__file__).resolve().parents[2] / "scenarios" / "costs"


def shipped_cost_models() -> list[str]:
    """Names of the cost models that ship with ruralroute (``diesel``, ``electric``, ...)."""
    return sorted(p.stem for p in COST_MODELS_DIR.glob("*.toml"))


def resolve_cost_model(reference: str | Path, *, base: Path | None = None) -> Path:
    """The file a cost model reference names: a shipped model's name such as ``"diesel"``, or
    a path to a TOML file (relative to ``base`` when given)."""
    text = str(reference)
    if "/" not in text and "\\" not in text and not text.endswith(".toml"):
        return COST_MODELS_DIR / f"{text}.toml"
    path = Path(text)
    return path if path.is_absolute() or base is None else base / path


def load_cost_model(path: str | Path) -> CostModel:
    """Read a cost model TOML file, or a shipped one by name; errors name the file and field."""
    path = resolve_cost_model(path)
    if not path.is_file():
        shipped = ", ".join(shipped_cost_models())
        raise InputError(path, "file", f"cost model file not found (shipped models: {shipped})")
    path, data = read_toml(path, what="cost model")
    known = {"name", "description", "currency", "transfer_per_parcel", "per_stop",
             "carbon_price_per_t", "rates"}
    unknown = sorted(set(data) - known)
    if unknown:
        raise InputError(path, unknown[0], f"unknown field (known: {', '.join(sorted(known))})")
    if not isinstance(data.get("rates", {}), dict):
        raise InputError(path, "rates", "must be tables such as [rates.van]")
    rates = {}
    for kind, table in (data.get("rates") or {}).items():
        fields = {"fixed_per_day", "per_km", "per_hour", "co2_g_per_km"}
        if not isinstance(table, dict):
            raise InputError(path, f"rates.{kind}", "must be a table")
        missing = sorted(fields - set(table))
        extra = sorted(set(table) - fields)
        if missing or extra:
            what = f"missing {missing[0]}" if missing else f"unknown field {extra[0]}"
            raise InputError(path, f"rates.{kind}", f"{what} (fields: {', '.join(sorted(fields))})")
        try:
            rates[kind] = Rates(**{k: float(v) for k, v in table.items()})
        except (ModelError, TypeError, ValueError) as exc:
            raise InputError(path, f"rates.{kind}", str(exc)) from None
    try:
        return CostModel(
            name=str(data.get("name", path.stem)), rates=rates,
            description=str(data.get("description", "")), currency=str(data.get("currency", "CNY")),
            transfer_per_parcel=float(data.get("transfer_per_parcel", 0.0)),
            per_stop=float(data.get("per_stop", 0.0)),
            carbon_price_per_t=float(data.get("carbon_price_per_t", 0.0)), source=path)
    except (ModelError, TypeError, ValueError) as exc:
        raise InputError(path, "rates" if "rates" in str(exc) else "values", str(exc)) from None
