"""`manage.py bench`: runs at small scale and writes the figures as JSON."""

import json

import pytest
from django.core.management import CommandError, call_command

from bench.measure import Figure, compare_queries, percentile, summarize

pytestmark = pytest.mark.django_db

FIGURE_KEYS = {"id", "what", "status", "median_ms", "p95_ms", "runs", "target", "met", "note"}


def test_bench_small_writes_every_figure(tmp_path):
    output = tmp_path / "bench-results.json"
    explain = tmp_path / "explain.txt"
    call_command(
        "bench", "--scale", "small", "--runs", "2", "--output", output, "--explain", explain
    )
    results = json.loads(output.read_text())
    assert {"scale", "machine", "load", "figures"} <= set(results)
    assert results["scale"] == "small"
    assert results["machine"]["cores"] >= 1
    assert results["machine"]["postgresql"]  # a version, or "sqlite"
    assert results["load"]["counts"]["entries"] == 1000
    figures = {figure["id"]: figure for figure in results["figures"]}
    for figure in figures.values():
        assert set(figure) >= FIGURE_KEYS, figure["id"]
        assert figure["status"] in {"ok", "n/a", "error"}
    expected = {"B1.hot", "B1.cold", "B4", "B5", "B6", "B7"}
    expected |= {f"B2.{page}" for page in ("ticket_form", "order_form", "my_week")}
    expected |= {f"B2.{page}" for page in ("all_timesheets", "invoice_list", "project_list")}
    expected |= {"B2.team_overview", "B3.team_overview"}
    expected |= {f"B3.{page}" for page in ("ticket_form", "order_form", "invoice_list")}
    assert expected <= set(figures)
    assert figures["B1.hot"]["runs"] == 2
    assert figures["B1.hot"]["details"]["entries_on_line"] == 20
    assert figures["B5"]["details"]["differences"] == 0
    assert figures["B4"]["details"]["totals_identical"] is True
    assert figures["B7"]["status"] == "n/a"
    assert {"B8.post", "B8.pdf", "B8.check"} <= set(figures)
    assert figures["B8.check"]["details"]["fatal"] == 0, figures["B8.check"]["details"]
    assert figures["B2.team_overview"]["status"] == "ok"
    assert "week=" in figures["B2.team_overview"]["details"]["url"]
    plans = explain.read_text()
    for page in ("ticket_form", "order_form", "invoice_list"):
        if figures[f"B2.{page}"]["status"] == "ok":
            assert f"=== {page}: {figures[f'B2.{page}']['details']['queries']} queries" in plans


def test_bench_measures_only_the_figures_asked_for(tmp_path):
    output = tmp_path / "out.json"
    call_command("bench", "--only", "B5", "--runs", "1", "--output", str(output))
    figures = json.loads(output.read_text())["figures"]
    assert [figure["id"] for figure in figures] == ["B5"]
    # --skip-load measures what is there: the same data again.
    call_command("bench", "--skip-load", "--only", "b5", "--runs", "1", "--output", str(output))
    assert json.loads(output.read_text())["load"] is None


def test_bench_refuses_unknown_figures():
    with pytest.raises(CommandError, match="B9"):
        call_command("bench", "--only", "B1,B9")


def test_bench_on_an_empty_database_with_skip_load_reports_na(tmp_path):
    output = tmp_path / "out.json"
    call_command("bench", "--skip-load", "--only", "B1,B6", "--output", str(output))
    figures = json.loads(output.read_text())["figures"]
    assert [figure["status"] for figure in figures] == ["n/a", "n/a"]


def test_p95_is_the_nearest_rank():
    samples = [float(n) for n in range(1, 51)]
    assert percentile(samples, 95) == 48.0
    assert summarize(samples) == (25.5, 48.0)
    assert summarize([]) == (None, None)


def test_a_page_whose_query_count_changes_with_the_scale_misses_its_target():
    page = Figure("B2.order_form", "Order form", details={"queries": 12})
    steady = Figure("B2.invoice_list", "Invoice list", details={"queries": 7})
    steady.met = True
    previous = {
        "scale": "small",
        "figures": [
            {"id": "B2.order_form", "details": {"queries": 9}},
            {"id": "B2.invoice_list", "details": {"queries": 7}},
        ],
    }
    assert compare_queries([page, steady], previous) == ["B2.order_form: 12 here, 9 at small"]
    assert page.met is False
    assert steady.met is True
    assert steady.details["queries_at_small"] == 7


def test_bench_refuses_an_unreadable_comparison_file_before_measuring(tmp_path):
    with pytest.raises(CommandError, match="Cannot read"):
        call_command("bench", "--compare", str(tmp_path / "missing.json"))
