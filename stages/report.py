"""report: one self-contained HTML page of the run, from the tracked metrics (and a PNG per figure).

    dvc repro report
    xdg-open reports/report.html

Filter funnel, loss curves, accuracy per set, model, form and subject with CI bars, paired
differences, position bias, contamination, work per stage (tokens, rates, seconds) and the
embedding-space coverage map. Draws only what the stages recorded in metrics/.
"""
import logging
from dataclasses import dataclass
from pathlib import Path

from synthcraft.files import atomic_write_text
from synthcraft.report import build
from synthcraft.runtime import setup_logging
from synthcraft.stage import parse_paths


@dataclass
class Paths:
    metrics: Path = Path("metrics")
    html: Path = Path("reports/report.html")
    figures: Path = Path("reports/figures")


def run(params, paths: Paths) -> dict:
    page = build(paths.metrics, paths.figures)
    atomic_write_text(paths.html, page)
    figures = sorted(p.name for p in paths.figures.glob("*.png"))
    logging.info("wrote %s (%d kB, %d figures)", paths.html, len(page) // 1024, len(figures))
    return {"html": str(paths.html), "figures": figures}


def main() -> None:
    setup_logging()
    run(None, parse_paths(Paths, __doc__))


if __name__ == "__main__":
    main()
