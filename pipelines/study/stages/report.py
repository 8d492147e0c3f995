"""study_report: the head-to-head study's comparisons, table, forest plot and page.

    dvc repro pipelines/study/dvc.yaml:study_report
    dvc metrics diff --targets metrics/study/study.json       # what another budget or teacher moved
    xdg-open reports/study.html

From the shared evaluator's per-item scores (every arm, every training seed; synthcraft.study.analysis):
per set and form, each arm's accuracy (mean over seeds, and per seed), each arm against base, random
and human (paired bootstrap on items, McNemar, the test across seeds, the minimum detectable
difference) and the gap recovered, (arm - base) / (human - base). With each generative arm's spend
(samples and output tokens kept, samples/s, tokens/s) and each arm's training rows. Writes
metrics/study/study.json, the forest plot's rows (metrics/study/forest.csv: arm - random, primary
form), reports/study_forest.png and reports/study.html.
"""
import base64
import html
import json
import logging
import statistics
from dataclasses import dataclass
from pathlib import Path

import matplotlib

matplotlib.use("Agg")  # files only
import matplotlib.pyplot as plt  # noqa: E402

from synthcraft.evaluation import EvaluateParams  # noqa: E402
from synthcraft.files import atomic_write_text, csv_text  # noqa: E402
from synthcraft.report import png, table, write_page  # noqa: E402
from synthcraft.runtime import setup_logging  # noqa: E402
from synthcraft.stage import load_params, parse_paths, write_metrics  # noqa: E402
from synthcraft.study import ARMS, BASE, EMBEDSDG, EMBGEN, GENERATIVE, HUMAN, RANDOM, TRAINED, StudyParams  # noqa: E402
from synthcraft.study.analysis import load_correct, set_summary  # noqa: E402


@dataclass
class Paths:
    metrics: Path = Path("metrics/study")
    forest: Path = Path("metrics/study/forest.csv")
    figure: Path = Path("reports/study_forest.png")
    html: Path = Path("reports/study.html")


def spend_of(metrics: Path) -> dict:
    """Per arm: training rows, and for generative arms what the teacher spent and how fast."""
    out = {}
    for arm in TRAINED:
        train = json.loads((metrics / "train" / f"{arm}.json").read_text())
        entry = {"rows": train["examples"], "train_seconds": train["seconds"]}
        if arm in GENERATIVE:
            g = json.loads((metrics / "generate" / f"{arm}.json").read_text())
            entry.update({k: g[k] for k in ("budget_tokens", "kept_requests", "kept_tokens_out", "kept_tokens_in",
                                            "reached_budget", "samples_per_s", "tokens_out_per_s", "rows_per_1k_tokens")})
            entry["rejects"] = {k: v for k, v in g["funnel"].items() if isinstance(v, int) and k not in ("retrieved", "available")}
        if arm == EMBGEN:   # its material: pairs the teacher extracted, outside the generation budget
            x = json.loads((metrics / "embgen" / "extract.json").read_text())
            entry["material"] = {"by": "teacher", "documents": x["documents"], "pairs": x["pairs"],
                                 "tokens_out": x["requests"]["tokens_out"], "tokens_in": x["requests"]["tokens_in"]}
        if arm == EMBEDSDG:  # its material: the student's decodings of the seed pairs, outside the budget
            x = json.loads((metrics / "embedsdg" / "pairs.json").read_text())
            entry["material"] = {"by": "student", "documents": x["documents"], "pairs": x["pairs"],
                                 "usable_drafts": x["usable_drafts"], "tokens_out": x["material"]["decode_tokens_out"],
                                 "tokens_in": x["material"]["decode_tokens_in"]}
            entry["passes"], entry["with_draft_share"] = g["passes"], g["with_draft_share"]
        out[arm] = entry
    return out


def forest_rows(summary: dict, form: str) -> list[list]:
    rows = []
    for set_name, by_form in summary.items():
        for arm, r in by_form[form][f"vs_{RANDOM}"].items():
            rows.append([set_name, form, arm, r["difference"], *r["ci95"], r["mcnemar_p"]])
    return rows


def forest_figure(rows: list[list], form: str):
    sets = list(dict.fromkeys(r[0] for r in rows))
    fig, axes = plt.subplots(1, len(sets), figsize=(3.6 * len(sets), 2.6), sharey=True, squeeze=False)
    for ax, set_name in zip(axes[0], sets):
        mine = [r for r in rows if r[0] == set_name]
        ys = range(len(mine))
        diffs = [100 * r[3] for r in mine]
        ax.errorbar(diffs, ys, xerr=[[100 * (r[3] - r[4]) for r in mine], [100 * (r[5] - r[3]) for r in mine]],
                    fmt="o", color="#4c78a8", capsize=3)
        ax.axvline(0, color="#888", linewidth=0.8)
        ax.set_yticks(list(ys), [r[2] for r in mine])
        ax.set_title(set_name, fontsize=10)
        ax.set_xlabel(f"arm − random, points ({form})")
    fig.tight_layout()
    return fig


def points(value: float | None) -> str:
    return "—" if value is None else f"{100 * value:+.1f}"


def table_rows(summary: dict, form: str) -> list[list]:
    rows = []
    for arm in ARMS:
        row = [arm]
        for set_name, by_form in summary.items():
            s = by_form[form]
            seeds = s["accuracy"][arm]["per_seed"]
            row.append(f"{100 * s['accuracy'][arm]['mean']:.1f}" + (f" (sd {100 * statistics.stdev(seeds):.1f})" if len(seeds) > 1 else ""))
            versus = s[f"vs_{RANDOM}"].get(arm)
            row.append("—" if versus is None else f"{points(versus['difference'])} ({points(versus['ci95'][0])}, "
                                                  f"{points(versus['ci95'][1])})")
            gap = s["gap_recovered"].get(arm)
            row.append("—" if not gap or gap["value"] is None else
                       f"{gap['value']:.2f} ({gap['ci95'][0]:.2f}, {gap['ci95'][1]:.2f})")
        rows.append(row)
    return rows


def run(params, paths: Paths) -> dict:
    p = params.study_evaluate
    correct = load_correct(paths.metrics / "eval_items.csv", p.forms)
    summary = {set_name: {form: set_summary(by_form[form], list(ARMS), RANDOM, p.bootstrap_resamples)
                          for form in p.forms}
               for set_name, by_form in correct.items()}
    spend = spend_of(paths.metrics)
    # The study can tell methods apart only where human data clearly beats base (issue 27's check).
    separates = {s: summary[s][p.primary][f"vs_{BASE}"][HUMAN]["ci95"][0] > 0 for s in summary}
    metrics = {"primary": p.primary, "budget_tokens": params.study.budget_tokens, "control_separates": separates,
               "spend": spend, "sets": summary}
    write_metrics(paths.metrics / "study.json", metrics)
    rows = forest_rows(summary, p.primary)
    atomic_write_text(paths.forest, csv_text(["set", "form", "arm", "difference", "ci_low", "ci_high", "mcnemar_p"], rows))
    figure = png(forest_figure(rows, p.primary))
    paths.figure.parent.mkdir(parents=True, exist_ok=True)
    paths.figure.write_bytes(figure)
    header = ["arm"] + [f"{s}: {h}" for s in summary for h in ("accuracy %", "− random (95% CI)", "gap recovered")]
    spend_rows = [[arm, e["rows"], e.get("kept_requests", "—"), f"{e['kept_tokens_out']:,}" if "kept_tokens_out" in e else "—",
                   e.get("samples_per_s", "—"), e.get("tokens_out_per_s", "—"),
                   f"{e['material']['tokens_out']:,}" if "material" in e else "—", e["train_seconds"]]
                  for arm, e in spend.items()]
    write_page(paths.html, "synthcraft study", [
        "<h1>Head-to-head study</h1>",
        f"<p>Every arm trains the same student with the same recipe over the same seeds; generative arms spend "
        f"{params.study.budget_tokens:,} teacher output tokens each. Form: {html.escape(p.primary)}. Human data "
        f"clearly beats base on: {html.escape(', '.join(s for s, ok in separates.items() if ok) or 'no set')}.</p>",
        table(header, table_rows(summary, p.primary)),
        f'<img alt="forest plot" src="data:image/png;base64,{base64.b64encode(figure).decode()}">',
        "<h2>Spend</h2>",
        table(["arm", "training rows", "requests kept", "output tokens kept", "samples/s", "tokens/s",
               "material tokens (outside the budget)", "training s (seed 0)"], spend_rows),
        "<p>Material tokens: what was written before generation, outside the budget: EmbGen's "
        "entity-description pairs (by the teacher), EmbedSDG's decoded interpolations (by the student).</p>"])
    logging.info("study: %s", {s: {arm: r["difference"] for arm, r in summary[s][p.primary][f"vs_{RANDOM}"].items()}
                               for s in summary})
    return metrics


def main() -> None:
    setup_logging()
    run(load_params(study=StudyParams, study_evaluate=(EvaluateParams, "evaluate")), parse_paths(Paths, __doc__))


if __name__ == "__main__":
    main()
