"""A region solved by parts end to end: the two-county fixture with a seat in each county, its
villages clustered by county boundary, and the joined plan checked and written by the CLI."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from click.testing import CliRunner

from cli import main
from routing.builder import build_region_scenario
from routing.core import Why
from routing.inputs import load_scenario
from routing.pipeline import settings_for
from routing.solving import clusters
from routing.strategies import run_strategy

TWO = Path(__file__).resolve().parents[2] / "data" / "two_counties.osm"
#: A seat for 乙县 in its north-east corner: 乙一 (116.12 E) lies nearer 甲县's seat than it.
YI_SEAT = ('  <node id="190" lat="33.0800" lon="116.1800"><tag k="place" v="city"/>'
           '<tag k="name" v="乙县"/></node>\n')


@pytest.fixture(scope="module")
def region(tmp_path_factory: pytest.TempPathFactory) -> Path:
    folder = tmp_path_factory.mktemp("region")
    text = TWO.read_text(encoding="utf-8")
    anchor = next(line for line in text.splitlines(keepends=True) if 'id="122"' in line)
    osm = folder / "three_seats.osm"
    osm.write_text(text.replace(anchor, anchor + YI_SEAT, 1), encoding="utf-8")
    return build_region_scenario(osm, folder / "scenario", name="three",
                                 title="Three seats").scenario


def test_clusters_follow_the_county_boundary(region: Path) -> None:
    sc = load_scenario(region)
    result = run_strategy(sc, "consolidated",
                          settings_for(sc, time_limit_s=1, decompose=True, jobs=1))
    county = result.geography.county_of
    (leg,) = result.legs
    regions = {i: county[i] for i in [*leg.problem.index] if i in county}
    found = clusters(leg.problem, regions=regions)
    assert len(found) >= 2
    yi_hub = next(c for c in found if county.get(c.depot) == "乙县")
    yi_villages = {s.id for s in sc.stops if county.get(s.id) == "乙县"}
    assert yi_villages <= set(yi_hub.stops)  # 乙一 too, though 甲县's seat is nearer
    for c in found:
        if c is not yi_hub:
            assert not yi_villages & set(c.stops)
    assert any(n.startswith(f"decomposed: {len(found)} clusters") for n in leg.plan.notes)
    assert not leg.check.violations


def test_solve_decompose_writes_a_checked_plan_serving_every_village_with_a_road(
        region: Path, tmp_path: Path) -> None:
    out = tmp_path / "out"
    done = CliRunner().invoke(main, ["solve", str(region), "--out", str(out), "--time-limit",
                                     "2", "--decompose", "--jobs", "2"])
    assert done.exit_code == 0, done.output
    plan = json.loads((out / "plan.json").read_text(encoding="utf-8"))
    (leg,) = plan["legs"]
    assert any(n.startswith("decomposed: ") for n in leg["notes"])
    served = {s for r in plan["routes"] for s in r["stops"]}
    # 外村 lies 8 km east of the last road: no road reaches it, whatever the plan
    assert [(u["stop"], u["why"]) for u in plan["unserved"]] == [("v121", str(Why.NO_ROAD))]
    assert served == {s.id for s in load_scenario(region).stops} - {"v121"}
    assert plan["settings"]["decompose"] is True


def test_no_decompose_solves_the_region_as_one_problem(region: Path, tmp_path: Path) -> None:
    out = tmp_path / "out"
    done = CliRunner().invoke(main, ["solve", str(region), "--out", str(out), "--time-limit",
                                     "1", "--no-decompose"])
    assert done.exit_code == 0, done.output
    plan = json.loads((out / "plan.json").read_text(encoding="utf-8"))
    assert not any("decomposed" in n for leg in plan["legs"] for n in leg["notes"])
