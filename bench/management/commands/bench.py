"""`manage.py bench`: the performance benchmark of issue 7 (see bench/ and README)."""

import datetime as dt
import json
import time
from pathlib import Path

from django.core.management.base import BaseCommand, CommandError

from bench.loader import SCALES, SEED, LoadError, find_fixtures, load
from bench.measure import FIGURE_IDS, Bench, compare_queries, format_table, machine_info


class Command(BaseCommand):
    help = (
        "Load a busy support company (deterministic, bulk) into the database of "
        "DATABASE_URL and measure the figures B1-B8 (issues 7 and 15); prints a table and "
        "writes the results as JSON. The database must be empty (or use --reset / "
        "--skip-load)."
    )

    def add_arguments(self, parser):
        parser.add_argument("--scale", choices=sorted(SCALES), default="small")
        parser.add_argument("--output", default="bench-results.json", help="JSON file to write")
        parser.add_argument(
            "--skip-load", action="store_true", help="measure the data already loaded"
        )
        parser.add_argument(
            "--reset",
            action="store_true",
            help="empty the business tables (TRUNCATE) and the bench users before loading",
        )
        parser.add_argument("--only", default="", help="comma-separated figures, e.g. B1,B2")
        parser.add_argument("--runs", type=int, default=None, help="runs per figure (override)")
        parser.add_argument("--seed", type=int, default=SEED)
        parser.add_argument(
            "--explain",
            metavar="TEXT_FILE",
            help="write each B2 page's queries and EXPLAIN ANALYZE of its slowest ones",
        )
        parser.add_argument(
            "--compare",
            metavar="RESULTS_JSON",
            help="an earlier results file (e.g. the other scale): B2 pages whose query "
            "count differs from it miss their target",
        )

    def handle(self, *args, **options):
        only = {part.strip().upper() for part in options["only"].split(",") if part.strip()}
        unknown = only - set(FIGURE_IDS)
        if unknown:
            raise CommandError(f"Unknown figures: {', '.join(sorted(unknown))}.")
        if options["runs"] is not None and options["runs"] < 1:
            raise CommandError("--runs must be at least 1.")
        scale = SCALES[options["scale"]]
        previous = None
        if options["compare"]:  # read first: a bad file should not cost a whole run
            try:
                previous = json.loads(Path(options["compare"]).read_text())
            except (OSError, ValueError) as error:
                raise CommandError(f"Cannot read {options['compare']}: {error}") from None
        started = time.perf_counter()
        load_report = None
        if not options["skip_load"]:
            self.stdout.write(f"Loading scale {scale.name} (seed {options['seed']})...")
            try:
                load_report = load(
                    scale=scale,
                    seed=options["seed"],
                    reset=options["reset"],
                    log=self.stdout.write,
                )
            except LoadError as error:
                raise CommandError(str(error)) from None
            self.stdout.write(
                f"Loaded in {load_report.seconds:.1f} s: "
                + ", ".join(f"{k} {v:,}" for k, v in load_report.counts.items())
            )
            if load_report.delivered_differences:
                self.stderr.write(
                    f"recompute_all_delivered finds {load_report.delivered_differences} "
                    "difference(s) in the loaded data."
                )
            if load_report.invoice_integrity_problems:
                self.stderr.write(
                    f"invoices_verify finds {load_report.invoice_integrity_problems} "
                    "problem(s) in the loaded invoices' hash chain."
                )
        load_average_before = machine_info()["load_average"]
        bench = Bench(
            fixtures=find_fixtures(),
            scale=scale.name,
            runs=options["runs"],
            log=lambda message: self.stdout.write(f"  {message}"),
        )
        figures = bench.run(only or None)
        if previous is not None:
            for line in compare_queries(figures, previous):
                self.stderr.write(f"query count differs: {line}")
        results = {
            "benchmark": "Billable, issue 7",
            "scale": scale.name,
            "generated_at": dt.datetime.now(dt.UTC).isoformat(timespec="seconds"),
            "machine": {**machine_info(), "load_average_before": load_average_before},
            "load": load_report.as_dict() if load_report else None,
            "figures": [figure.as_dict() for figure in figures],
            "seconds": round(time.perf_counter() - started, 1),
        }
        self.stdout.write("")
        self.stdout.write(format_table(figures))
        if options["explain"]:
            Path(options["explain"]).write_text(bench.explain())
            self.stdout.write(f"Query plans written to {options['explain']}")
        output = Path(options["output"])
        output.write_text(json.dumps(results, indent=2, default=str) + "\n")
        self.stdout.write(f"\nResults written to {output}")
