"""embedder_report: the embedder run as one self-contained HTML page, from its metrics and card.

    dvc repro pipelines/embedder/dvc.yaml:embedder_report
    xdg-open reports/embedder.html

Run metadata (when and at which git revision the report was written; teacher and base embedder from
the dataset card mine wrote), a one-line verdict (SciQ retrieval, the benchmark the positive
control is built for), the funnel
(brainstormed tasks, written instances with every reject reason, negatives mined or kept), the
trainings (the recipe, its two ablations, the human control), every task's main score per model, and every paired comparison per task and per task
group with its interval, and, with repeated training seeds (embedder_repeats), each score per seed with
mean +- sd and the t-tests across seeds. Tabulates what the stages wrote; computes nothing new.
"""
import html
import json
from dataclasses import dataclass
from pathlib import Path

from synthcraft.files import read_jsonl
from synthcraft.report import samples_html, seed_section, table, write_page, written
from synthcraft.runtime import setup_logging
from synthcraft.stage import parse_paths

VERDICT_TASK = "SciQRetrieval"
TRAININGS = (("trained (synthetic)", "train"), ("instructed (ablation)", "train_instructed"),
             ("unfiltered (ablation)", "train_unfiltered"), ("human control", "train_control"))
COMPARISON_HEADER = ["comparison", "Δ score (×100)", "95% CI", "p", "detectable (×100)", "items"]


@dataclass
class Paths:
    metrics: Path = Path("metrics/embedder")
    train: Path = Path("data/embedder/train.jsonl")    # the synthetic rows (mine's output)
    card: Path = Path("data/embedder/metadata.json")   # the dataset card's metadata
    html: Path = Path("reports/embedder.html")


def difference(r: dict) -> str:
    return f"{100 * r['difference']:+.2f} ({100 * r['ci95'][0]:+.2f} to {100 * r['ci95'][1]:+.2f})"


def verdict(evaluation: dict) -> str:
    task = evaluation["tasks"].get(VERDICT_TASK)
    if task is None:
        return "No SciQ retrieval score in this run: see the task table."
    c = task["comparisons"]
    return (f"{VERDICT_TASK} ({task['main_score']}, ×100): synthetic − base {difference(c['trained - base'])}; "
            f"the positive control, human pairs − base {difference(c['human - base'])}; "
            f"synthetic − human {difference(c['trained - human'])}.")


def comparison_rows(comparisons: dict[str, dict]) -> list[list]:
    return [[name, f"{100 * r['difference']:+.2f}", f"{100 * r['ci95'][0]:+.2f} to {100 * r['ci95'][1]:+.2f}",
             f"{r['p_value']:.3g}", f"{100 * r['minimum_detectable_difference']:.2f}", r.get("items") or "—"]
            for name, r in comparisons.items()]


def mining_row(mine: dict) -> list:
    """The funnel's mining step. Runs before the filter's ablation (2026-12-03) wrote no ``rows``:
    their rows were the mined and kept negatives, and the filter's rejects were not kept."""
    if "rows" not in mine:
        return ["hard negatives", mine["instances"], mine["mined"] + mine["kept_generated"],
                f"consistency filter {mine['inconsistent']}, no negative {mine['no_negative']} (kept: "
                f"{mine['mined']} mined from the store, {mine['kept_generated']} the teacher's own)"]
    return ["hard negatives", mine["instances"], mine["rows"],
            f"consistency filter {mine['inconsistent']} (the unfiltered ablation keeps them: {mine['rows_unfiltered']} "
            f"rows), no negative {mine['no_negative']}; of the unfiltered rows {mine['mined']} mined from the store, "
            f"{mine['kept_generated']} the teacher's own"]


def repeat_trainings(trainings: dict[str, dict]) -> dict[str, dict]:
    """Each training, then its repeated seeds (embedder_repeats) as '<name>, seed <n>'."""
    rows = {}
    for name, t in trainings.items():
        rows[name] = t
        rows.update({f"{name}, seed {seed}": {**t, **r} for seed, r in t.get("repeat_seeds", {}).items()})
    return rows


def reasons(counts: dict) -> str:
    return ", ".join(f"{reason} {n}" for reason, n in sorted(counts.items(), key=lambda kv: -kv[1])) or "—"


def run(params, paths: Paths) -> dict:
    m = {name: json.loads((paths.metrics / f"{name}.json").read_text())
         for name in ("brainstorm", "instances", "mine", "control", "train", "train_control", "evaluate")}
    trainings = {label: json.loads((paths.metrics / f"{name}.json").read_text()) for label, name in TRAININGS
                 if (paths.metrics / f"{name}.json").exists()}   # an ablation dropped from dvc.yaml has none
    card = json.loads(paths.card.read_text()) if paths.card.exists() else {}
    evaluation = m["evaluate"]
    models = evaluation["models"]
    parts = ["<h1>Embedder run report</h1>",
             f'<p class="headline">{html.escape(verdict(evaluation))}</p>',
             "<h2>Run</h2>",
             table(["", ""], [["report written", written()],
                              ["teacher", card.get("teacher", "—")], ["base embedder", card.get("student", "—")],
                              ["source", f"{card['source']} ({card['license']})" if card else "—"]]),
             "<h2>Funnel</h2>",
             table(["step", "requests", "kept", "rejected, by reason"],
                   [["brainstormed tasks", m["brainstorm"]["requests"], m["brainstorm"]["tasks"],
                     reasons(m["brainstorm"]["rejected"])],
                    ["written instances", m["instances"]["requests"], m["instances"]["instances"],
                     reasons(m["instances"]["rejected"])],
                    mining_row(m["mine"]),
                    ["human control pairs", m["control"]["usable_questions"], m["control"]["rows"],
                     reasons(m["control"]["left_out"])]]),
             "<h2>Training</h2>",
             table(["model", "rows", "task instruction", "steps", "loss first → last", "seconds"],
                   [[name, t["rows"], {True: "yes", False: "no"}.get(t.get("instruction"), "—"), t["steps"],
                     f"{t['loss_first']:.3f} → {t['loss_last']:.3f}", t["seconds"]]
                    for name, t in repeat_trainings(trainings).items()])]
    if paths.train.exists():
        parts += ["<h2>Training rows (first three)</h2>", samples_html({"synthetic": read_jsonl(paths.train)})]
    parts += ["<h2>Scores per task (main score ×100)</h2>",
              table(["task", "type", "score", *models],
                    [[name, t["type"], t["main_score"], *[f"{100 * t[model]:.2f}" for model in models]]
                     for name, t in evaluation["tasks"].items()])]
    if evaluation.get("at_chance"):
        parts.append(f'<p class="note">At chance for every model, so left out of the means: '
                     f'{html.escape(", ".join(evaluation["at_chance"]))}.</p>')
    for group, g in evaluation["mean"].items():
        parts += [f"<h2>Paired differences: mean over {group} tasks</h2>",
                  f'<p class="note">{html.escape(", ".join(g["tasks"]))}</p>',
                  table(COMPARISON_HEADER, comparison_rows(g["comparisons"]))]
    if evaluation.get("across_seeds"):
        parts += ["<h2>Repeated training seeds</h2>",
                  '<p class="note">The paired comparisons above use each model\'s first seed; here every seed\'s '
                  'score (×100), and t-tests across seeds.</p>', *seed_section(evaluation["across_seeds"])]
    parts.append("<h2>Paired differences per task</h2>")
    for name, t in evaluation["tasks"].items():
        parts += [f"<h3>{html.escape(name)}</h3>", table(COMPARISON_HEADER, comparison_rows(t["comparisons"]))]
    return write_page(paths.html, "synthcraft report: embedders", parts)


def main() -> None:
    setup_logging()
    run(None, parse_paths(Paths, __doc__))


if __name__ == "__main__":
    main()
