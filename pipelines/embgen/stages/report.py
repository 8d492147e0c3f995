"""embgen_report: the EmbGen run as one self-contained HTML page, from its metrics and dataset card.

    dvc repro pipelines/embgen/dvc.yaml:embgen_report
    xdg-open reports/embgen.html

Run metadata (git revision, date, teacher, student, budget), a one-line verdict, the funnel
(extraction, then each arm's generation), a few training rows per arm, and the closed-book results
with intervals: accuracy per model on the test (seen) and the no-leak control (heldout), and every
paired comparison (first training seed), then, with repeated seeds, each model's accuracy per
seed and the t-tests across seeds. Computes nothing new: it tabulates what the stages wrote.
"""
import html
import json
from dataclasses import dataclass
from pathlib import Path

from synthcraft.files import read_jsonl
from synthcraft.report import (DIFFERENCE_HEADER, difference_phrase, difference_rows, samples_html, seed_section,
                               table, write_page, written)
from synthcraft.runtime import setup_logging
from synthcraft.stage import parse_paths

@dataclass
class Paths:
    metrics: Path = Path("metrics/embgen")
    train: Path = Path("data/embgen/train")     # the arms' rows and the dataset card (metadata.json)
    html: Path = Path("reports/embgen.html")


def verdict(comparisons: dict) -> str:
    def say(name: str) -> str:
        return difference_phrase(name, comparisons[name]["seen"])
    return (f"On facts of the training text (seen items): {say('embgen_vs_one_doc')} at equal budget; "
            f"the positive control {say('human_vs_no_aug')}; {say('embgen_vs_no_aug')}.")


def run(params, paths: Paths) -> dict:
    evaluation = json.loads((paths.metrics / "evaluate.json").read_text())
    extract = json.loads((paths.metrics / "extract.json").read_text())
    card = json.loads((paths.train / "metadata.json").read_text())
    closed = evaluation["closed_book"]
    groups = (closed["test"], closed["no_leak_control"])   # as embgen_evaluate names them
    parts = ["<h1>EmbGen run report</h1>",
             f'<p class="headline">{html.escape(verdict(closed["comparisons"]))}</p>',
             "<h2>Run</h2>",
             table(["", ""], [["report written", written()],
                              ["teacher", card["teacher"]], ["student", card["student"]],
                              ["budget per arm", f"{card['params']['embgen_generate']['budget_tokens']:,} output tokens"],
                              ["primary form", evaluation["primary"]], ["source", f"{card['source']} ({card['license']})"]]),
             "<h2>Funnel</h2>",
             table(["extraction", "documents", "pairs proposed", "kept", "grounding rate", "rejects"],
                   [["entity-description pairs", extract["documents"], extract["proposed_pairs"], extract["pairs"],
                     extract["grounding_rate"], ", ".join(f"{k} {v}" for k, v in extract["rejects"].items())]]),
             table(["arm", "rows", "requests kept", "tokens kept", "rejects / left out"],
                   [[name, c["rows"], c.get("kept_requests", "—"), f"{c['kept_tokens_out']:,}",
                     ", ".join(f"{k} {v}" for k, v in c.get("qa_rejects", {}).items())
                     or f"{c.get('documents_left_out', 0)} documents over the budget"]
                    for name, c in card["configs"].items()]),
             "<h2>Training rows (first three per arm)</h2>",
             samples_html({name: read_jsonl(paths.train / c["path"]) for name, c in card["configs"].items()}),
             "<h2>Closed-book accuracy</h2>",
             table(["model", *[f"{g} ({closed['by_kind'][g]} items)" for g in groups]],
                   [[name, *[f"{100 * closed['models'][name]['by_kind'][g]['accuracy']:.1f} "
                             f"({100 * closed['models'][name]['by_kind'][g]['ci95'][0]:.1f}–"
                             f"{100 * closed['models'][name]['by_kind'][g]['ci95'][1]:.1f})" for g in groups]]
                    for name in closed["models"]])]
    for group in groups:
        parts += [f"<h2>Paired differences: {group}</h2>", table(DIFFERENCE_HEADER, difference_rows(closed["comparisons"], group))]
    if "across_seeds" in closed:   # embgen_train.repeat_seeds: every trained model's seeds, per group
        parts += seed_section(closed["across_seeds"])
    return write_page(paths.html, "synthcraft report: EmbGen", parts)


def main() -> None:
    setup_logging()
    run(None, parse_paths(Paths, __doc__))


if __name__ == "__main__":
    main()
