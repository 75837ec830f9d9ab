"""What a visitor's first Train tab run shows: time to the first plotted point, time to 80% validation accuracy.

    IMDB_DATA=../shared/data/imdb python bench/train_tab.py                       # the tab's defaults, then the old ones
    IMDB_DATA=../shared/data/imdb python bench/train_tab.py --repeat 3 --no-baseline --write   # the tab's figures
    IMDB_DATA=../shared/data/imdb python bench/train_tab.py --start "pretrained BiLSTM"
    IMDB_DATA=../shared/data/imdb python bench/train_tab.py --reviews 8000 --epochs 1 --no-baseline   # try other settings

Drives the Train tab's handler (``TrainTab.train``) in this process, as the server does when
Train is pressed, timing from the call: the first run also reads the reviews from disk, as a
server's first visitor does. The baseline is the tab's earlier defaults (2,000 reviews, 1 epoch,
BiLSTM 32/32, batch 32, learning rate 0.003), run in the same process.
"""

from __future__ import annotations

import argparse
import json
import os
import re
import statistics
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

import app  # noqa: E402
from webapp import models  # noqa: E402
from webapp import settings as app_settings  # noqa: E402
from webapp.runs import Visitor  # noqa: E402
from webapp.settings import DEFAULTS, FROM_PRETRAINED, FROM_SCRATCH, TYPICAL_RUN_FILE  # noqa: E402
from webapp.train_tab import typical_run  # noqa: E402

README_SETTINGS = "the tab's default settings"  # how the README's sentence names them
OLD_DEFAULTS = dict(epochs=1, reviews=2000, batch_size=32, lr=3e-3, embed_dim=32, hidden_dim=32)


def measure(settings: dict, start: str) -> dict:
    """Run the handler to the end; the times at which the page would first show a point and 80% validation."""
    tab = app.app_ui.train
    visitor, first_point, reached, t0 = Visitor(), None, None, time.perf_counter()
    for update in tab.train(**settings, rnn_type="lstm", bidirectional=True, start=start, visitor=visitor):
        plot = update.get(tab.acc_plot)
        if hasattr(plot, "value") and plot.value and plot.value.get("data"):
            first_point = first_point or time.perf_counter() - t0
            valid = [row[1] for row in plot.value["data"] if row[2].endswith("validation")]
            if reached is None and valid and max(valid) >= 0.8:
                reached = time.perf_counter() - t0
    total = time.perf_counter() - t0
    run = visitor.runs[-1]
    models.run_store().forget(visitor)
    return {
        "first_point": first_point,
        "reached_80": reached,
        "best": run.best,
        "total": total,
        "speed": run.speed,
        "ended": run.ended,
    }


def spread(values: list[float | None]) -> dict | None:
    """Lowest, median and highest of the values, or None when a run never got there."""
    if any(v is None for v in values):
        return None
    return {"min": min(values), "median": statistics.median(values), "max": max(values)}


def write_typical(settings: dict, results: list[dict]) -> None:
    typical = {
        "settings": settings,
        "runs": len(results),
        "cpu_cores": os.cpu_count(),
        "train_threads": app_settings.SETTINGS.train_threads,
        "date": time.strftime("%Y-%m-%d"),
        "load_average_1min": round(os.getloadavg()[0], 1),  # other work on the machine slows the runs
        "first_point_s": spread([r["first_point"] for r in results]),
        "reached_80_s": spread([r["reached_80"] for r in results]),
        "best_valid_accuracy": spread([r["best"] for r in results]),
        "run_s": spread([r["total"] for r in results]),
    }
    TYPICAL_RUN_FILE.write_text(json.dumps(typical, indent=2) + "\n", encoding="utf-8")
    update_readme()


def update_readme() -> None:
    """The README's typical-run sentence, the one the Train tab shows (from TYPICAL_RUN_FILE)."""
    readme = ROOT / "README.md"
    text = re.sub(
        r"(<!-- typical-run [^>]*-->).*?(<!-- /typical-run -->)",
        lambda m: m.group(1) + typical_run(README_SETTINGS) + m.group(2),
        readme.read_text(encoding="utf-8"),
        flags=re.S,
    )
    readme.write_text(text, encoding="utf-8")
    print(f"wrote the README's sentence: {typical_run(README_SETTINGS)}")


def report(name: str, r: dict) -> None:
    reached = f"{r['reached_80']:.1f} s" if r["reached_80"] is not None else "never"
    print(
        f"{name}: first point {r['first_point']:.1f} s · 80% validation at {reached} · best {r['best']:.1%} · "
        f"run {r['total']:.1f} s ({r['speed']:,.0f} reviews/s, {r['ended']})",
        flush=True,
    )


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    for name, value in DEFAULTS.items():
        ap.add_argument("--" + name.replace("_", "-"), type=type(value), default=value)
    ap.add_argument("--start", default=FROM_SCRATCH, choices=[FROM_SCRATCH, FROM_PRETRAINED])
    ap.add_argument("--repeat", type=int, default=1, help="runs of the chosen settings")
    ap.add_argument(
        "--write",
        action="store_true",
        help=f"write the runs' range and median to {TYPICAL_RUN_FILE.relative_to(ROOT)} (the Train tab and README "
        "read it); needs the defaults, random weights and --repeat 3 or more",
    )
    ap.add_argument(
        "--baseline", action=argparse.BooleanOptionalAction, default=True, help="also run the earlier defaults"
    )
    ap.add_argument("--readme", action="store_true", help="only copy the figures already written into the README")
    args = ap.parse_args()
    if args.readme:
        return update_readme()
    settings = {name: getattr(args, name) for name in DEFAULTS}
    if args.write and (settings != DEFAULTS or args.start != FROM_SCRATCH or args.repeat < 3):
        ap.error("--write needs the default settings, random weights and --repeat 3 or more")
    results = []
    for i in range(args.repeat):
        results.append(measure(settings, args.start))
        report(
            f"{'defaults' if settings == DEFAULTS else 'chosen settings'} {settings}, start {args.start!r}, run {i + 1}",
            results[-1],
        )
    if args.write:
        write_typical(settings, results)
    if args.baseline:
        report(f"baseline: earlier defaults {OLD_DEFAULTS}", measure(OLD_DEFAULTS, FROM_SCRATCH))


if __name__ == "__main__":
    main()
