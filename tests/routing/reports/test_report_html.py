"""``report.html``: the headline equals the comparison rows, the convergence figure is shown (or
how to get it), the coalition bills come from the study, and every name is escaped.

The comparison is solved on the straight-road world of the strategy tests (no roads to read):
independent, consolidated (serves every village) and a relay whose trunk cannot reach its
station, so it leaves every village to the carriers' vans (a gap plan).
"""

from __future__ import annotations

import re
from collections import Counter
from dataclasses import dataclass, replace
from html import escape, unescape
from html.parser import HTMLParser

import pytest

from routing.core import Strategy, VehicleType
from routing.reports.report_html import (
    CONVERGENCE_HINT,
    DAYS_PER_YEAR,
    feeder_lines,
    fleet_rows,
    headlines,
    render_report_html,
    write_report_html,
)
from routing.research.coalition_study import Bill, BlockingCoalition
from routing.solving import SolveSettings
from routing.strategies import COLUMNS, Comparison, gap_plan, run_strategy
from tests.routing.strategies.strategy_world import COSTS, world

SETTINGS = SolveSettings(time_limit_s=1, objective="cost", solution_limit=300)
HOSTILE = "<img src=x onerror=alert(1)>"
HOSTILE_CARRIER = "A&B <script>alert(2)</script>"
#: A cost model name with mathtext and markup in it: a chart must show it as it is.
MODEL_NAME = "test $x$ <u>"


def hostile_comparison() -> Comparison:
    """Every strategy on the line world, with a hostile village and carrier name and a cost
    model named with mathtext and markup; the relay cannot reach its station."""
    scenario, geography = world()
    tiny_truck = VehicleType("truck", count=1, capacity_parcels=500, capacity_kg=2000,
                             depot="jdc", kind="truck", max_duration_s=60)
    scenario = replace(
        scenario,
        vehicle_types=tuple(tiny_truck if vt.id == "truck" else vt
                            for vt in scenario.vehicle_types),
        stops=tuple(replace(s, name=HOSTILE if s.id == "v2" else s.name, lon=116.0 + 0.01 * i,
                            lat=33.0 + 0.01 * i) for i, s in enumerate(scenario.stops)),
        carriers=tuple(replace(c, name=HOSTILE_CARRIER) if c.id == "a" else c
                       for c in scenario.carriers))
    results = {s: run_strategy(scenario, s, SETTINGS, geography=geography) for s in Strategy}
    gaps = {s: gap_plan(r, SETTINGS) for s, r in results.items()}
    return Comparison(scenario, results, (replace(COSTS, name=MODEL_NAME),), gaps)


@pytest.fixture(scope="module")
def comparison() -> Comparison:
    return hostile_comparison()


@pytest.fixture(scope="module")
def page(comparison: Comparison) -> str:
    return render_report_html(comparison)


def _cells(page: str, strategy: str) -> dict[str, str]:
    """The headline table cells of ``strategy`` under the test cost model, by key."""
    model = re.escape(escape(MODEL_NAME))
    row = re.search(rf'<tr data-strategy="{strategy}" data-cost-model="{model}">(.*?)</tr>',
                    page, re.S)
    assert row is not None, strategy
    return {key: unescape(text)
            for key, text in re.findall(r'<td[^>]* data-key="([^"]+)">(.*?)</td>', row.group(1))}


def test_headline_figures_are_the_comparison_rows_like_for_like(comparison, page):
    rows = {r["strategy"]: r for r in comparison.rows()}
    base = rows["independent"]
    heads = {h.strategy: h for h in headlines(comparison)}
    assert set(heads) == {"consolidated", "township-relay"}  # the baseline saves nothing
    for strategy, h in heads.items():
        row = rows[strategy]
        assert round(h.saving_pct, 1) == row["saving_pct"]
        assert round(h.per_parcel, 2) == row["like_for_like_per_parcel"]
        assert round(h.base_per_parcel, 2) == base["like_for_like_per_parcel"]
        parcels = int(row["parcels"]) + int(row["gap_parcels"])
        assert h.parcels == parcels == base["parcels"]
        per_parcel = float(base["like_for_like_per_parcel"]) - float(
            row["like_for_like_per_parcel"])
        assert h.saving_per_day == pytest.approx(per_parcel * parcels, abs=0.01 * parcels)
        assert h.saving_per_year == pytest.approx(DAYS_PER_YEAR * h.saving_per_day)
        cells = _cells(page, strategy)
        assert cells["saving_pct"] == f"{row['saving_pct']:.1f} %"
        assert cells["per_day"] == f"{h.saving_per_day:,.0f}"
        assert cells["per_year"] == f"{h.saving_per_year:,.0f}"
    # like for like: the relay serves nothing, the carriers' vans drive the baseline's day
    # for it, so it avoids no km but adds its own trunk's
    relay = heads["township-relay"]
    assert rows["township-relay"]["served"] == 0 and rows["township-relay"]["gap_villages"] == 3
    assert relay.km_avoided == pytest.approx(-float(rows["township-relay"]["km"]), abs=0.11)
    assert relay.saving_pct < 0 and _cells(page, "township-relay")["saving_pct"].startswith("-")
    cons = heads["consolidated"]
    assert cons.km_avoided == pytest.approx(float(base["km"]) - float(rows["consolidated"]["km"]))
    assert f"{DAYS_PER_YEAR} days" in page


def test_the_strategy_table_holds_every_comparison_row(comparison, page):
    table = re.search(r'<table class="wide strategy-table".*?</table>', page, re.S)
    assert table is not None
    body = [[unescape(c) for c in re.findall(r"<td[^>]*>(.*?)</td>", tr)]
            for tr in re.findall(r"<tr>(.*?)</tr>", table.group(0), re.S)]
    body = [cells for cells in body if cells]
    rows = comparison.rows()
    assert [cells[0] for cells in body] == [r["strategy"] for r in rows]
    for cells, row in zip(body, rows, strict=True):
        assert cells[1] == MODEL_NAME
        assert cells[COLUMNS.index("cost")] == f"{row['cost']:,}"
        assert cells[COLUMNS.index("trips")] == f"{row['trips']:,}"
        assert cells[COLUMNS.index("feeder_vehicles")] == f"{row['feeder_vehicles']:,}"
        assert cells[-1] == ("–" if row["saving_pct"] == "" else f"{row['saving_pct']:,}")


def test_the_convergence_figure_is_shown_when_checked(comparison):
    # the "doubled" comparison stands the relay in for consolidated: its saving is known to move
    res, gaps = comparison.results, comparison.gaps
    doubled = Comparison(comparison.scenario, {Strategy.INDEPENDENT: res[Strategy.INDEPENDENT],
                                               Strategy.CONSOLIDATED: res[Strategy.TOWNSHIP_RELAY]},
                         comparison.cost_models, {Strategy.CONSOLIDATED: gaps[
                             Strategy.TOWNSHIP_RELAY]})
    checked = Comparison(comparison.scenario, {s: res[s] for s in doubled.results},
                         comparison.cost_models, {s: gaps[s] for s in doubled.results},
                         doubled=doubled)
    (row,) = [r for r in checked.convergence_rows() if r["strategy"] == "consolidated"]
    moved = float(row["moved_pts"])
    assert moved < -1  # the relay saves much less
    page = render_report_html(checked)
    assert _cells(page, "consolidated")["moved"] == f"moved {moved:+.2f} points"
    assert f"moved by at most {abs(moved):.2f} percentage points" in page
    assert "Not checked" not in page


def test_without_a_convergence_check_the_page_says_how_to_check(page):
    assert _cells(page, "consolidated")["moved"] == "not checked"
    assert "Not checked" in page and escape(CONVERGENCE_HINT) in page


def test_hostile_village_carrier_and_model_names_are_escaped_everywhere(page):
    assert "<img" not in page and "<script>alert" not in page and "<u>" not in page
    assert escape(HOSTILE) in page  # the unserved table names v2
    assert escape(HOSTILE_CARRIER) in page  # the carriers table
    unserved = re.search(r'<table class="unserved">.*?</table>', page, re.S)
    assert unserved is not None
    assert unserved.group(0).count("yes (in the gap cost)") == 3
    assert escape(HOSTILE) in unserved.group(0)
    # the charts keep the model's name as text: no mathtext, markup escaped
    charts = page.split('<section id="charts">')[1].split('<section id="map">')[0]
    assert charts.count("test $x$ &lt;u&gt;") == 2  # the cost and the CO2 chart's legends


def test_charts_are_three_inline_svgs_with_ids_unique_on_the_page(page):
    assert page.count('<svg class="chart"') == 3
    assert "<?xml" not in page and "<!DOCTYPE svg" not in page
    ids = re.findall(r'\sid="([^"]+)"', page)
    assert [i for i, n in Counter(ids).items() if n > 1] == []
    refs = re.findall(r'(?:url\(#|href="#)([^")]+)', page)
    assert refs and set(refs) <= set(ids)
    assert "http://" not in page.replace("http://www.w3.org/", "")


class _Srcdoc(HTMLParser):
    def __init__(self) -> None:
        super().__init__()
        self.srcdoc: list[str | None] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        if tag == "iframe":
            self.srcdoc.append(dict(attrs).get("srcdoc"))


def test_the_map_page_is_inlined_whole_in_an_iframe_srcdoc(comparison, tmp_path):
    map_html = ('<!DOCTYPE html><html><head><script>var s = "</div>" + \'&amp;\';</script>'
                '</head><body><div class="folium-map">大许 & "quoted"</div></body></html>')
    path = write_report_html(tmp_path / "out" / "report.html", comparison, map_html=map_html)
    parser = _Srcdoc()
    parser.feed(path.read_text(encoding="utf-8"))
    assert parser.srcdoc == [map_html]
    assert "No map was drawn" not in path.read_text(encoding="utf-8")


@dataclass(frozen=True)
class Study:
    allocations: tuple[Bill, ...]
    blocking: tuple[BlockingCoalition, ...]


def test_carriers_bills_and_stability_come_from_the_study(comparison):
    study = Study(
        allocations=(Bill(MODEL_NAME, "shapley", "a", 60.0, 80.0, 25.0, True),
                     Bill(MODEL_NAME, "shapley", "b", 40.0, 50.0, 20.0, True),
                     Bill(MODEL_NAME, "parcels", "a", 75.0, 80.0, 6.25, False),
                     Bill(MODEL_NAME, "parcels", "b", 25.0, 50.0, 50.0, True)),
        blocking=(BlockingCoalition(MODEL_NAME, "parcels", ("a",), 12.0),))
    page = render_report_html(comparison, study=study)
    section = page.split('<section id="coalitions">')[1].split("</section>")[0]
    rows = [[unescape(c) for c in re.findall(r"<td[^>]*>(.*?)</td>", tr, re.S)]
            for tr in re.findall(r"<tr>(.*?)</tr>", section, re.S)]
    rows = [r for r in rows if r]
    assert rows == [["shapley", HOSTILE_CARRIER, "60", "80", "20", "25.0", "yes"],
                    ["shapley", "B", "40", "50", "10", "20.0", "yes"],
                    ["parcels", HOSTILE_CARRIER, "75", "80", "5", "6.2", "no"],
                    ["parcels", "B", "25", "50", "25", "50.0", "yes"]]
    lines = [unescape(li) for li in re.findall(r"<li>(.*?)</li>", section, re.S)]
    assert lines[0].startswith("shapley: in the core")
    assert lines[1] == f"parcels: not in the core: {HOSTILE_CARRIER} would pay 12 less on its own"
    assert "<script>alert" not in section


def test_feeders_and_each_fleets_trips_are_stated(comparison, page):
    """The carriers' vans feeding the hub are routed legs: the page says how many vehicles,
    trips and km, strategy by strategy, and the fleet table counts vehicles and trips."""
    for strategy, result in comparison.results.items():
        feeders = result.feeder_legs
        if not feeders:
            assert f"{strategy}: " not in "".join(feeder_lines(comparison))
            continue
        vehicles = sum(len(leg.plan.days()) for leg in feeders)
        trips = sum(len(leg.plan.routes) for leg in feeders)
        km = sum(leg.plan.distance_m for leg in feeders) / 1000
        line = next(x for x in feeder_lines(comparison) if x.startswith(f"{strategy}: "))
        assert f"{vehicles} vehicle" in line and f"{trips} trip" in line
        assert f"{km:,.1f} km" in line and escape(line) in page
    assert any(r.feeder_legs for r in comparison.results.values())
    cons = comparison.results[Strategy.CONSOLIDATED]
    rows = [r for r in fleet_rows(comparison) if r["strategy"] == "consolidated"]
    assert {r["echelon"] for r in rows} == {"delivery", "feeder"}
    for row in rows:
        legs = [leg for leg in cons.legs if leg.echelon == row["echelon"]]
        days = [d for leg in legs for d in leg.plan.days() if d.vehicle_type == row["vehicle"]]
        trips = [r for leg in legs for r in leg.plan.routes if r.vehicle_type == row["vehicle"]]
        assert (row["used"], row["trips"]) == (str(len(days)), str(len(trips))), row
    assert "priced as direct round trips" not in page


def test_without_a_study_there_is_no_bills_section(page):
    assert 'id="coalitions"' not in page
