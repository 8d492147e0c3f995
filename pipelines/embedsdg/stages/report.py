"""embedsdg_report: the EmbedSDG run as one self-contained HTML page, from its metrics and dataset card.

    dvc repro pipelines/embedsdg/dvc.yaml:embedsdg_report
    xdg-open reports/embedsdg.html

Run metadata (git revision, date, teacher, student, arm size), a one-line verdict, the funnel
(cells and seed pairs, decoded drafts, each arm's filter), a few training rows per arm, accuracy
per model on all / sparse / dense items with intervals, every paired comparison, and the
density-accuracy correlation. Computes nothing new: it tabulates what the stages wrote.
"""
import html
import json
from dataclasses import dataclass
from pathlib import Path

from synthcraft.files import read_jsonl
from synthcraft.report import (DIFFERENCE_HEADER, difference_phrase, difference_rows, samples_html, table,
                               write_page, written)
from synthcraft.runtime import setup_logging
from synthcraft.stage import parse_paths

GROUPS = ("all", "sparse", "dense")   # as embedsdg_evaluate names them


@dataclass
class Paths:
    metrics: Path = Path("metrics/embedsdg")
    arms: Path = Path("data/embedsdg/arms")   # the arms' rows and the dataset card (metadata.json)
    html: Path = Path("reports/embedsdg.html")


def verdict(comparisons: dict) -> str:
    """The method against the paper's baseline, the positive control against the student, and the
    method against the control, each with its paired interval."""
    wanted = ("embedsdg_vs_random_seeds", "human_vs_student", "embedsdg_vs_human")
    return "On every evaluation item: " + "; ".join(difference_phrase(name, comparisons[name]["all"]) for name in wanted if name in comparisons) + "."


def accuracy_cell(r: dict) -> str:
    low, high = r["ci95"]
    return f"{100 * r['accuracy']:.1f} ({100 * low:.1f}–{100 * high:.1f})"


def run(params, paths: Paths) -> dict:
    evaluation = json.loads((paths.metrics / "evaluate.json").read_text())
    regions = json.loads((paths.metrics / "regions.json").read_text())
    decode = json.loads((paths.metrics / "decode.json").read_text())
    correlation = json.loads((paths.metrics / "correlation.json").read_text())
    card = json.loads((paths.arms / "metadata.json").read_text())
    # the card's configs are the arms plus the filter's rejects (rejected.jsonl, each row with its reason)
    configs = {name: c for name, c in card["configs"].items() if name in evaluation["arm_sizes"]}
    rejected = {name: c for name, c in card["configs"].items() if name not in configs}
    counts = evaluation["split_counts"]
    parts = ["<h1>EmbedSDG run report</h1>",
             f'<p class="headline">{html.escape(verdict(evaluation["comparisons"]))}</p>',
             "<h2>Run</h2>",
             table(["", ""], [["report written", written()],
                              ["teacher", card["teacher"]], ["student", card["student"]],
                              ["examples per equal-count arm", card["accounting"]["examples_per_arm"]],
                              ["primary form", evaluation["primary"]], ["source", f"{card['source']} ({card['license']})"]]),
             "<h2>Funnel</h2>",
             table(["seed pool", "occupied cells", "candidate (sparse) cells", "seed pairs", "wanted"],
                   [[regions["pool"], f"{regions['occupied_cells']} of {regions['cells']}", regions["candidate_cells"],
                     regions["embedsdg_pairs"], regions.get("embedsdg_pairs_wanted", regions["embedsdg_pairs"])]]),
             table(["decoded arm", "pairs", "usable drafts", "in-cell rate", "degenerate"],
                   [[arm, d["pairs"], d["usable"], d["in_cell_rate"], ", ".join(f"{k} {v}" for k, v in d["degenerate"].items())]
                    for arm, d in decode.items() if isinstance(d, dict) and "pairs" in d]),
             table(["arm", "rows", "requests", "available after the filter", "tokens spent", "rejects"],
                   [[name, c["rows"], c.get("funnel", {}).get("retrieved", "—"), c.get("funnel", {}).get("available", "—"),
                     f"{card['accounting']['tokens_spent'].get(name, 0):,}", rejects(c.get("funnel"))]
                    for name, c in configs.items()]),
             *[f"<p>{html.escape(name)}: {c['rows']:,} rows with their reasons in {html.escape(str(paths.arms / c['path']))}</p>"
               for name, c in rejected.items()],
             "<h2>Training rows (first three per arm)</h2>",
             samples_html({name: read_jsonl(paths.arms / c["path"]) for name, c in configs.items()}),
             "<h2>Accuracy</h2>",
             table(["model", *[f"{g} ({evaluation['items'] if g == 'all' else counts[g]} items)" for g in GROUPS],
                    "mean log-prob of the correct option"],
                   [[name, *[accuracy_cell(m[g]) for g in GROUPS], f"{m['mean_correct_logprob']:.3f}"]
                    for name, m in evaluation["models"].items()])]
    for group in GROUPS:
        parts += [f"<h2>Paired differences: {group}</h2>", table(DIFFERENCE_HEADER, difference_rows(evaluation["comparisons"], group))]
    parts += ["<h2>Density and accuracy (per region)</h2>",
              table(["y", "regions", "Pearson r (95% CI)", "p", "Spearman"],
                    [[y, c["regions"], f"{c['pearson']:+.2f} ({c['pearson_ci95'][0]:+.2f} to {c['pearson_ci95'][1]:+.2f})",
                      f"{c['pearson_p']:.2g}", f"{c['spearman']:+.2f}"]
                     for y, c in ((y, correlation[y]) for y in ("accuracy", "mean_logprob"))])]
    return write_page(paths.html, "synthcraft report: EmbedSDG", parts)


def rejects(funnel: dict | None) -> str:
    """The filter's reject counts that are not zero; the controls have no filter."""
    if not funnel:
        return "no filter (real items)"
    # funnel.FUNNEL's reject keys, spelled out: importing synthcraft.funnel pulls the filters and
    # task types into this stage's deps, so any change to them would re-run the report
    dropped = ("skipped_too_long", "generation_errors", "excessive_length", "format_errors", "exact_duplicates",
               "similar_to_fewshots", "similar_to_samples")
    return ", ".join(f"{key} {funnel[key]}" for key in dropped if funnel.get(key))


def main() -> None:
    setup_logging()
    run(None, parse_paths(Paths, __doc__))


if __name__ == "__main__":
    main()
