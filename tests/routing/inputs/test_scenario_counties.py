"""``[network] counties``: a scenario's optional county boundary file, read, checked and written."""

from __future__ import annotations

import shutil
import tomllib
from dataclasses import replace
from pathlib import Path

import pytest
import shapely

from geodata import CountyBoundary, load_counties, save_counties
from routing.core import InputError
from routing.inputs import load_scenario, write_scenario

DATA = Path(__file__).parents[2] / "data" / "small_county"


@pytest.fixture
def scenario_dir(tmp_path: Path) -> Path:
    """The small-county scenario with a two-county boundary file named by ``[network]``."""
    target = tmp_path / "sc"
    shutil.copytree(DATA, target)
    save_counties([CountyBoundary("west", shapely.box(116.14, 33.45, 116.22, 33.56), 1),
                   CountyBoundary("east", shapely.box(116.22, 33.45, 116.30, 33.56), 2)],
                  target / "counties.geojson")
    _edit(target / "scenario.toml", 'boundary = "boundary.geojson"\n',
          'boundary = "boundary.geojson"\ncounties = "counties.geojson"\n')
    return target


def _edit(path: Path, old: str, new: str) -> None:
    text = path.read_text(encoding="utf-8")
    assert old in text, old
    path.write_text(text.replace(old, new, 1), encoding="utf-8")


def test_the_counties_key_is_read_relative_to_the_scenario_file(scenario_dir: Path) -> None:
    sc = load_scenario(scenario_dir / "scenario.toml")
    assert sc.network.counties == scenario_dir / "counties.geojson"
    assert [c.name for c in load_counties(sc.network.counties)] == ["west", "east"]


def test_without_the_key_a_scenario_has_no_counties() -> None:
    assert load_scenario(DATA / "scenario.toml").network.counties is None


def test_a_missing_counties_file_is_one_line_naming_the_field(scenario_dir: Path) -> None:
    (scenario_dir / "counties.geojson").unlink()
    with pytest.raises(InputError, match=r"scenario\.toml: network\.counties: file not found: "
                                         r".*counties\.geojson$") as info:
        load_scenario(scenario_dir / "scenario.toml")
    assert "\n" not in str(info.value)


def test_a_counties_key_that_is_not_a_path(scenario_dir: Path) -> None:
    _edit(scenario_dir / "scenario.toml", 'counties = "counties.geojson"', "counties = 3")
    with pytest.raises(InputError, match=r"scenario\.toml: network\.counties: must be str"):
        load_scenario(scenario_dir / "scenario.toml")


def test_the_counties_file_survives_the_round_trip(scenario_dir: Path, tmp_path: Path) -> None:
    sc = load_scenario(scenario_dir / "scenario.toml")
    out = tmp_path / "elsewhere" / "deeper" / "scenario.toml"
    write_scenario(out, sc)
    table = tomllib.loads(out.read_text(encoding="utf-8"))["network"]
    assert table["counties"] == "../../sc/counties.geojson"
    again = load_scenario(out)
    assert again.network.counties is not None and sc.network.counties is not None
    assert again.network.counties.resolve() == sc.network.counties.resolve()
    assert replace(again, path=sc.path, network=sc.network) == sc
    # beside its counties file, the written file names it by its bare name
    write_scenario(scenario_dir / "copy.toml", sc)
    beside = tomllib.loads((scenario_dir / "copy.toml").read_text(encoding="utf-8"))
    assert beside["network"]["counties"] == "counties.geojson"


def test_a_scenario_without_counties_writes_no_key(tmp_path: Path) -> None:
    write_scenario(tmp_path / "scenario.toml", load_scenario(DATA / "scenario.toml"))
    network = tomllib.loads((tmp_path / "scenario.toml").read_text(encoding="utf-8"))["network"]
    assert "counties" not in network and "boundary" in network
