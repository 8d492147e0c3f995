"""The run report: one self-contained HTML page (figures inlined as PNG) built from the tracked
metrics, so it can be mailed, attached to a PR or opened from any git revision's checkout.

Every figure is also written as a PNG beside the page. Nothing here computes a new number: the
report only draws and tabulates what the stages wrote to metrics/.
"""
from __future__ import annotations

import base64
import csv
import datetime
import html
import io
import json
import logging
import subprocess
from pathlib import Path

import matplotlib

matplotlib.use("Agg")  # files only, no display
import matplotlib.pyplot as plt  # noqa: E402

from synthcraft.files import atomic_write_text  # noqa: E402

TRAIN_STAGES = ("train", "train_fewshot", "train_control")   # synthetic data, the few-shots, human data
COLOURS = {"corpus": "#d0d0d0", "selected": "#4c78a8", "synthetic": "#f58518", "fewshot": "#e45756"}
EVAL_COLOURS = ["#54a24b", "#b279a2", "#9d755d", "#72b7b2"]


def read_json(path: Path) -> dict | None:
    return json.loads(path.read_text(encoding="utf-8")) if path.exists() else None


def read_csv(path: Path) -> list[dict] | None:
    return list(csv.DictReader(io.StringIO(path.read_text(encoding="utf-8")))) if path.exists() else None


# --- figures: each takes the parsed metrics and returns a matplotlib Figure -----------------------


def funnel_figure(rows: list[dict]):
    fig, ax = plt.subplots(figsize=(7, 0.35 * len(rows) + 1))
    labels, counts = [r["stage"] for r in rows], [int(r["count"]) for r in rows]
    ax.barh(labels[::-1], counts[::-1], color="#4c78a8")
    for y, count in enumerate(counts[::-1]):
        ax.text(count, y, f" {count}", va="center", fontsize=8)
    ax.set_xlabel("samples remaining")
    ax.set_title("Filter funnel")
    return fig


def loss_figure(curves: dict[str, list[dict]]):
    fig, ax = plt.subplots(figsize=(7, 3.2))
    for name, rows in curves.items():
        ax.plot([int(r["step"]) for r in rows], [float(r["loss"]) for r in rows], marker="o", ms=3, label=name)
    ax.set_xlabel("optimizer step")
    ax.set_ylabel("training loss (answer tokens)")
    ax.set_title("Training loss")
    ax.legend()
    return fig


def scored_forms(report: dict) -> list[str]:
    """The forms one set was scored in (evaluate.forms), in the order eval.json lists them."""
    return list(report["position_bias"])


def accuracy_figure(set_name: str, report: dict):
    """Overall accuracy per model in every form, with 95% Wilson intervals."""
    models = list(report["models"])
    forms = scored_forms(report)
    fig, ax = plt.subplots(figsize=(7, 0.5 * len(models) * len(forms) + 1))
    y, ticks, labels = 0, [], []
    for form_index, form in enumerate(forms):
        for model in models:
            r = report["models"][model][form]
            low, high = r["ci95"]
            ax.barh(y, r["accuracy"], color=f"C{form_index}", alpha=0.8)
            ax.errorbar(r["accuracy"], y, xerr=[[r["accuracy"] - low], [high - r["accuracy"]]], fmt="none",
                        ecolor="black", capsize=3)
            ticks.append(y)
            labels.append(f"{model} · {form}")
            y += 1
        y += 0.6
    ax.axvline(0.25, color="grey", ls="--", lw=1)
    ax.text(0.25, y - 0.4, " chance", color="grey", fontsize=8)
    ax.set_yticks(ticks, labels, fontsize=8)
    ax.invert_yaxis()
    ax.set_xlabel("accuracy (95% Wilson CI)")
    ax.set_title(f"{set_name}: {report['items']} items")
    return fig


def subject_figure(rows: list[dict], set_name: str):
    """Accuracy per subject (the primary form) per model, with CI bars."""
    rows = [r for r in rows if r["set"] == set_name]
    subjects = list(dict.fromkeys(r["subject"] for r in rows))
    models = list(dict.fromkeys(r["model"] for r in rows))
    fig, ax = plt.subplots(figsize=(7, 0.45 * len(subjects) * len(models) + 1))
    height = 0.8 / len(models)
    for m, model in enumerate(models):
        mine = {r["subject"]: r for r in rows if r["model"] == model}
        ys = [s + m * height for s in range(len(subjects))]
        acc = [float(mine[s]["accuracy"]) for s in subjects]
        err = [[a - float(mine[s]["ci_low"]) for a, s in zip(acc, subjects)],
               [float(mine[s]["ci_high"]) - a for a, s in zip(acc, subjects)]]
        ax.barh(ys, acc, height=height, label=model, alpha=0.85)
        ax.errorbar(acc, ys, xerr=err, fmt="none", ecolor="black", capsize=2, lw=0.8)
    ax.set_yticks([s + 0.4 - height / 2 for s in range(len(subjects))],
                  [f"{s} (n={rows[[r['subject'] for r in rows].index(s)]['n']})" for s in subjects], fontsize=8)
    ax.invert_yaxis()
    ax.set_xlabel(f"accuracy, {rows[0]['form']} form (95% Wilson CI)")
    ax.set_title(f"{set_name}: by subject")
    ax.legend(fontsize=8)
    return fig


def differences_figure(set_name: str, report: dict):
    """Paired accuracy differences with bootstrap intervals: every comparison in every form."""
    rows = [(f"{name.replace('_vs_', ' − ')} · {form}", c[form]) for name, c in report["comparisons"].items()
            for form in scored_forms(report)]
    fig, ax = plt.subplots(figsize=(7, 0.32 * len(rows) + 1.2))
    for y, (_, r) in enumerate(rows):
        low, high = r["accuracy_difference_ci95"]
        d = r["accuracy_difference"]
        colour = "#54a24b" if low > 0 else "#e45756" if high < 0 else "#4c78a8"
        ax.errorbar(100 * d, y, xerr=[[100 * (d - low)], [100 * (high - d)]], fmt="o", color=colour, capsize=3)
    ax.axvline(0, color="grey", lw=1)
    ax.set_yticks(range(len(rows)), [label for label, _ in rows], fontsize=8)
    ax.invert_yaxis()
    ax.set_xlabel("accuracy difference, points (paired bootstrap 95% CI)")
    ax.set_title(f"{set_name}: paired differences")
    return fig


def bias_form(report: dict) -> str:
    """The form whose predicted letters the report shows: letter where it was scored, else the primary."""
    return "letter" if "letter" in report["position_bias"] else report["primary"]


def letters_figure(set_name: str, report: dict):
    form = bias_form(report)
    bias = report["position_bias"][form]
    series = {"answer key": bias["answer_key"], **bias["predicted"]}
    fig, ax = plt.subplots(figsize=(7, 3))
    width = 0.8 / len(series)
    letters = list(bias["answer_key"])  # the set's letters: A-D, or up to E where an item has five options
    for s, (who, shares) in enumerate(series.items()):
        ax.bar([i + s * width for i in range(len(letters))], [shares[letter] for letter in letters], width=width,
               label=who, color="black" if who == "answer key" else None, alpha=0.85)
    ax.set_xticks([i + 0.4 - width / 2 for i in range(len(letters))], letters)
    ax.set_ylabel("share of predictions")
    ax.set_title(f"{set_name}: predicted letters ({form} form) vs the answer key")
    ax.legend(fontsize=8)
    return fig


def coverage_figure(points: list[dict], coverage: dict):
    fig, ax = plt.subplots(figsize=(7, 6))
    kinds = list(dict.fromkeys(p["kind"] for p in points))
    evals = [k for k in kinds if k.startswith("eval:")]
    style = {**{k: (COLOURS.get(k, "#888888"), 6 if k == "corpus" else 16) for k in kinds},
             **{k: (EVAL_COLOURS[i % len(EVAL_COLOURS)], 8) for i, k in enumerate(evals)},
             "fewshot": (COLOURS["fewshot"], 90), "synthetic": (COLOURS["synthetic"], 22)}
    for kind in ["corpus", *evals, "selected", "synthetic", "fewshot"]:
        if kind not in kinds:
            continue
        xs = [float(p["x"]) for p in points if p["kind"] == kind]
        ys = [float(p["y"]) for p in points if p["kind"] == kind]
        colour, size = style[kind]
        ax.scatter(xs, ys, s=size, c=colour, label=f"{kind} ({len(xs)})", alpha=0.9 if kind != "corpus" else 0.5,
                   marker="*" if kind == "fewshot" else "o", edgecolors="none")
    variance = coverage.get("explained_variance_2d", [0, 0])
    ax.set_xlabel(f"PC 1 ({100 * variance[0]:.1f}% of variance)")
    ax.set_ylabel(f"PC 2 ({100 * variance[1]:.1f}% of variance)")
    ax.set_title("Embedding-space coverage (store model, 2-D PCA)")
    ax.legend(fontsize=8, markerscale=1.5)
    return fig


# --- the page ---------------------------------------------------------------------------------------


def png(fig) -> bytes:
    buffer = io.BytesIO()
    fig.savefig(buffer, format="png", dpi=110, bbox_inches="tight", metadata={"Software": None})
    plt.close(fig)
    return buffer.getvalue()


def table(header: list[str], rows: list[list]) -> str:
    head = "".join(f"<th>{html.escape(str(h))}</th>" for h in header)
    body = "".join("<tr>" + "".join(f"<td>{html.escape(str(c))}</td>" for c in row) + "</tr>" for row in rows)
    return f"<table><thead><tr>{head}</tr></thead><tbody>{body}</tbody></table>"


def fmt(value, spec: str = "", unit: str = "") -> str:
    return "—" if value is None else format(value, spec) + unit


def accounting_rows(m: dict[str, dict | None]) -> list[list]:
    """Per stage: what went in and out, tokens, rate and seconds, as far as each stage records them."""
    rows = []
    if m.get("prepare"):
        rows.append(["prepare", f"{m['prepare']['documents']:,} documents kept", "—", "—",
                     fmt(m["prepare"].get("seconds"), ".1f")])
    if m.get("embed"):
        e = m["embed"]
        rows.append(["embed", f"{e['count']:,} in store, {e['encoded']:,} encoded now", "—",
                     fmt(e.get("docs_per_s"), ".1f", " docs/s"), fmt(e.get("seconds"), ".1f")])
    if m.get("retrieve"):
        rows.append(["retrieve", f"{m['retrieve']['retrieved']} documents ({m['retrieve']['method']})", "—", "—",
                     fmt(m["retrieve"].get("seconds"), ".1f")])
    if m.get("generate"):
        g = m["generate"]
        rows.append(["generate", f"{g['completed']} of {g['requests']} requests ({g['backend']})",
                     f"{g['tokens_in']:,} in / {g['tokens_out']:,} out", fmt(g.get("samples_per_s"), ".3f", " samples/s"),
                     fmt(g.get("seconds"), ".1f")])
    if m.get("filter"):
        rows.append(["filter", f"{m['filter']['available']} of {m['filter']['retrieved']} available", "—", "—",
                     fmt(m["filter"].get("seconds"), ".1f")])
    if m.get("control"):
        c = m["control"]
        rows.append(["control", f"{c['n']} human items ({c['supervision']})", "—", "—", fmt(c.get("seconds"), ".1f")])
    for name in TRAIN_STAGES:
        if m.get(name):
            t = m[name]
            rows.append([name, f"{t['examples']} examples, {t['steps']} steps", "—",
                         fmt(t["steps"] / t["seconds"] if t.get("seconds") else None, ".2f", " steps/s"),
                         fmt(t.get("seconds"), ".1f")])
    if m.get("eval"):
        e = m["eval"]
        items = sum(s["items"] for s in e["sets"].values())
        first = next(iter(e["sets"].values()))
        models, forms = len(first["models"]), len(scored_forms(first))
        seconds = e.get("seconds")
        rows.append(["evaluate", f"{items:,} items × {models} models × {forms} forms", "—",
                     fmt(items * models / seconds if seconds else None, ".2f", " item-models/s"), fmt(seconds, ".1f")])
    if m.get("coverage"):
        rows.append(["coverage", f"{sum(m['coverage']['points'].values()):,} points", "—", "—",
                     fmt(m["coverage"].get("seconds"), ".1f")])
    return rows


CSS = """
body { font-family: system-ui, sans-serif; max-width: 980px; margin: 2em auto; color: #222; line-height: 1.45; }
h1 { margin-bottom: 0.2em; } h2 { border-bottom: 1px solid #ddd; padding-bottom: 0.2em; margin-top: 2em; }
table { border-collapse: collapse; margin: 0.8em 0; font-size: 0.9em; }
th, td { border: 1px solid #ddd; padding: 0.25em 0.6em; text-align: left; } th { background: #f4f4f4; }
img { max-width: 100%; display: block; margin: 0.8em 0; } .note { color: #555; font-size: 0.9em; }
.headline { font-size: 1.05em; background: #f6f8fa; padding: 0.6em 1em; border-left: 4px solid #4c78a8; }
.sample { font-size: 0.9em; background: #fafafa; padding: 0.4em 0.8em; border-left: 3px solid #ddd; }
"""

# Marks the page as rendered once every figure has decoded, and counts script errors: the
# headless-browser test reads both attributes.
CHECK = """
var errors = 0;
window.addEventListener('error', function () { errors += 1; });
window.addEventListener('load', function () {
  document.body.setAttribute('data-errors', String(errors));
  var images = Array.prototype.slice.call(document.images);
  var ok = images.every(function (i) { return i.complete && i.naturalWidth > 0; });
  document.body.setAttribute('data-images', String(images.length));
  document.body.setAttribute('data-rendered', ok ? 'ok' : 'broken');
});
"""


def mean_cell(r: dict, scale: float = 100, spec: str = ".1f") -> str:
    return f"{scale * r['mean']:{spec}} ({scale * r['ci95'][0]:{spec}}–{scale * r['ci95'][1]:{spec}})"


def seed_section(across: dict) -> list[str]:
    """Models trained with several seeds (train.repeat_seeds): per measure the value per seed,
    mean +- sd, and the t-tests across seeds against base and the reference."""
    rows = []
    for model, measures in across.items():
        for measure, entry in measures.items():
            for other, test in ((k.removeprefix("vs_"), v) for k, v in entry.items() if k.startswith("vs_")):
                sd = test["difference_sd"]
                rows.append([model, measure, ", ".join(f"{100 * v:.1f}" for v in entry["values"]),
                             f"{100 * test['mean']:.1f} ± {100 * (test['sd'] or 0):.1f}", other,
                             f"{100 * test['difference_mean']:+.1f}" + (f" ± {100 * sd:.1f}" if sd is not None else ""),
                             test["test"], "—" if test["p"] is None else f"{test['p']:.3g}"])
    return ["<h3>Across training seeds</h3>",
            table(["model", "measure", "per seed (x100)", "mean ± sd", "against", "difference ± sd", "test", "p"], rows)]


def open_set_section(set_name: str, report: dict) -> list[str]:
    """Tables for one open-ended set: scores per model (x100, 95% CI), then paired differences."""
    out = [f"<h2>Open-ended answers: {html.escape(set_name)}</h2>",
           f'<p class="note">{report["items"]} items, answers of at most {report["max_new_tokens"]} tokens; '
           f'skipped: {html.escape(json.dumps(report["skipped"]))}. ROUGE / BLEU x100.</p>']
    rows = []
    for name, r in report["models"].items():
        judge = r.get("judge")
        binary = judge["binary_accuracy"] if judge else None
        rows.append([name, mean_cell(r["rougeL"]), mean_cell(r["rouge1"]), mean_cell(r["bleu4"]),
                     f"{r['answer_words']['mean']:.1f}", r["empty_answers"],
                     f"{100 * binary['accuracy']:.1f}% ({100 * binary['ci95'][0]:.1f}–{100 * binary['ci95'][1]:.1f})"
                     if binary and binary["n"] else "judge off"])
    out.append(table(["model", "ROUGE-L", "ROUGE-1", "BLEU-4", "words", "empty", "binary accuracy"], rows))
    rows = []
    for name, c in report["comparisons"].items():
        binary = c.get("binary_accuracy")
        rows.append([name.replace("_vs_", " vs "),
                     f"{100 * c['rougeL']['difference']:+.2f} ({100 * c['rougeL']['ci95'][0]:+.2f} to "
                     f"{100 * c['rougeL']['ci95'][1]:+.2f})",
                     f"{100 * c['bleu4']['difference']:+.2f} ({100 * c['bleu4']['ci95'][0]:+.2f} to "
                     f"{100 * c['bleu4']['ci95'][1]:+.2f})",
                     f"{c['answer_words']['difference']:+.1f}",
                     f"{100 * binary['difference']:+.1f} pts, p = {binary['mcnemar_p']:.3g}"
                     if binary and binary["difference"] is not None else "—"])
    out.append(table(["comparison", "Δ ROUGE-L", "Δ BLEU-4", "Δ words", "Δ binary accuracy"], rows))
    return out


def build(metrics_dir: Path, figures_dir: Path) -> str:
    """The report's HTML; every figure is also written to ``figures_dir`` as a PNG."""
    names = ("prepare", "embed", "retrieve", "generate", "filter", "control", *TRAIN_STAGES, "eval", "coverage")
    m = {name: read_json(metrics_dir / f"{name}.json") for name in names}
    figures_dir.mkdir(parents=True, exist_ok=True)
    parts: list[str] = []

    def figure(name: str, fig, alt: str) -> None:
        data = png(fig)
        (figures_dir / f"{name}.png").write_bytes(data)
        parts.append(f'<img alt="{html.escape(alt)}" src="data:image/png;base64,{base64.b64encode(data).decode()}">')

    evaluation = m["eval"]
    task = (evaluation or m["filter"] or {}).get("task", "?")
    parts.append(f"<h1>synthcraft run report: {html.escape(task)}</h1>")
    if evaluation:
        primary = evaluation["primary"]
        lines = []
        for set_name, report in evaluation["sets"].items():
            for name, c in report["comparisons"].items():
                r = c[primary]
                low, high = r["accuracy_difference_ci95"]
                lines.append(f"{set_name}: {name.replace('_vs_', ' vs ')} {100 * r['accuracy_difference']:+.1f} pts "
                             f"({100 * low:+.1f} to {100 * high:+.1f}), McNemar p = {r['mcnemar_p']:.3g}, "
                             f"detectable ≈ {100 * r['minimum_detectable_difference']:.1f} pts")
        parts.append(f'<p class="headline">Primary form: <b>{html.escape(primary)}</b><br>'
                     + "<br>".join(html.escape(line) for line in lines) + "</p>")

    parts.append("<h2>Work per stage</h2>")
    parts.append(table(["stage", "result", "tokens", "rate", "seconds"], accounting_rows(m)))

    funnel = read_csv(metrics_dir / "filter_funnel.csv")
    if funnel:
        parts.append("<h2>Filter funnel</h2>")
        figure("filter_funnel", funnel_figure(funnel), "filter funnel")
    curves = {name: rows for name in TRAIN_STAGES
              if (rows := read_csv(metrics_dir / f"{name}_loss.csv"))}
    if curves:
        parts.append("<h2>Training</h2>")
        figure("loss", loss_figure(curves), "training loss curves")

    if evaluation:
        subjects = read_csv(metrics_dir / "eval_by_subject.csv") or []
        for set_name, report in evaluation["sets"].items():
            parts.append(f"<h2>Evaluation: {html.escape(set_name)}</h2>")
            figure(f"accuracy_{set_name}", accuracy_figure(set_name, report), f"accuracy on {set_name}")
            if any(r["set"] == set_name for r in subjects):
                figure(f"subjects_{set_name}", subject_figure(subjects, set_name), f"accuracy by subject on {set_name}")
            figure(f"differences_{set_name}", differences_figure(set_name, report), f"paired differences on {set_name}")
            rows = [[name.replace("_vs_", " vs "), form, f"{100 * r['accuracy_difference']:+.1f}",
                     f"{100 * r['accuracy_difference_ci95'][0]:+.1f} to {100 * r['accuracy_difference_ci95'][1]:+.1f}",
                     f"{r['only_first_right']} / {r['only_second_right']}", f"{r['mcnemar_p']:.3g}",
                     f"{100 * r['minimum_detectable_difference']:.1f}",
                     f"{r['logprob_difference']:+.3f} ({r['logprob_difference_ci95'][0]:+.3f} to "
                     f"{r['logprob_difference_ci95'][1]:+.3f})"]
                    for name, c in report["comparisons"].items() for form, r in c.items()]
            parts.append(table(["comparison", "form", "Δ accuracy (pts)", "95% CI", "discordant", "McNemar p",
                                "detectable (pts)", "Δ mean log P(correct)"], rows))
            if report.get("across_seeds"):
                parts.extend(seed_section(report["across_seeds"]))
            figure(f"letters_{set_name}", letters_figure(set_name, report), f"predicted letters on {set_name}")
            bias = report["position_bias"][bias_form(report)]
            parts.append(f'<p class="note">Always answering {bias["majority_letter"]} (the key\'s most common '
                         f'letter) scores {100 * bias["majority_accuracy"]:.1f}%.</p>')
            if report.get("contamination"):
                parts.append(table(["model", "5-gram weighted Jaccard", "shared 5-grams"],
                                   [[n, c["weighted_jaccard"], c["shared_ngrams"]]
                                    for n, c in report["contamination"].items()]))

        for set_name, report in (evaluation.get("open_sets") or {}).items():
            parts.extend(open_set_section(set_name, report))
            if report.get("across_seeds"):
                parts.extend(seed_section(report["across_seeds"]))

    points = read_csv(metrics_dir / "coverage_points.csv")
    if m["coverage"] and points:
        parts.append("<h2>Embedding-space coverage</h2>")
        figure("coverage", coverage_figure(points, m["coverage"]), "embedding-space coverage map")
        parts.append(table(["evaluation set", "items", "nearest synthetic closer than nearest few-shot",
                            "mean cosine to nearest synthetic", "mean cosine to nearest few-shot"],
                           [[name, r["items"], f"{100 * (r['share_closer_to_synthetic'] or 0):.1f}%",
                             r["mean_nearest_synthetic"], r["mean_nearest_fewshot"]]
                            for name, r in m["coverage"]["sets"].items()]))

    return page(f"synthcraft report: {task}", parts)


def page(title: str, parts: list[str]) -> str:
    """One self-contained HTML page of ``parts`` (HTML), with the report style and load check."""
    return ("<!DOCTYPE html>\n<html lang=\"en\"><head><meta charset=\"utf-8\">"
            f"<title>{html.escape(title)}</title><style>{CSS}</style></head>\n<body>\n"
            + "\n".join(parts) + f"\n<script>{CHECK}</script>\n</body></html>\n")


# --- pieces of the method pipelines' reports (pipelines/<method>/stages/report.py) ----------------


def write_page(path: Path, title: str, parts: list[str]) -> dict:
    """A method's report stage's last step: the page written atomically, and the stage's result."""
    atomic_write_text(path, page(title, parts))
    logging.getLogger(__name__).info("wrote %s", path)
    return {"html": str(path)}


def difference_phrase(name: str, r: dict) -> str:
    """A paired comparison as a verdict reads it: "a − b +1.2 points (-0.3 to +2.7)"."""
    low, high = r["accuracy_difference_ci95"]
    return (f"{name.replace('_vs_', ' − ')} {100 * r['accuracy_difference']:+.1f} points "
            f"({100 * low:+.1f} to {100 * high:+.1f})")


def difference_rows(comparisons: dict[str, dict], group: str) -> list[list]:
    """One row per paired comparison in ``group``: difference, CI, discordant items, McNemar, MDD."""
    rows = []
    for name, by_group in comparisons.items():
        r = by_group.get(group)
        if r:
            low, high = r["accuracy_difference_ci95"]
            rows.append([name.replace("_vs_", " − "), f"{100 * r['accuracy_difference']:+.1f}",
                         f"{100 * low:+.1f} to {100 * high:+.1f}", f"{r['only_first_right']} / {r['only_second_right']}",
                         f"{r['mcnemar_p']:.3g}", f"{100 * r['minimum_detectable_difference']:.1f}"])
    return rows


DIFFERENCE_HEADER = ["comparison", "Δ accuracy (pts)", "95% CI", "discordant items", "McNemar p", "detectable (pts)"]


def samples_html(samples: dict[str, list[dict]], limit: int = 3) -> str:
    """The first ``limit`` training rows of each arm, as their chat turns, prompt / completion, or
    (other rows: an embedder's query / positive / negative) each text field by name."""
    out = []
    for arm, rows in samples.items():
        out.append(f"<h3>{html.escape(arm)}</h3>")
        for row in rows[:limit]:
            if "messages" in row:
                turns = row["messages"]
            elif "prompt" in row:
                turns = [{"role": "prompt", "content": row["prompt"]}, {"role": "completion", "content": row["completion"]}]
            else:
                turns = [{"role": key, "content": value} for key, value in row.items() if isinstance(value, str)]
            out.append('<p class="sample">' + "<br>".join(f"<b>{html.escape(t['role'])}</b>: {html.escape(t['content'])}"
                                                          for t in turns) + "</p>")
    return "\n".join(out)


def written() -> str:
    """"<today> at git revision <git describe --always --dirty>" ("unknown" outside git): when and
    from which code a run report was written.

    For the run reports only, which are leaves: the same stamp in a dataset would change its bytes
    on every re-run and make DVC re-run everything downstream of it (see cards.py)."""
    try:
        revision = subprocess.run(["git", "describe", "--always", "--dirty"], capture_output=True, text=True,
                                  check=True).stdout.strip()
    except (OSError, subprocess.CalledProcessError):
        revision = "unknown"
    return f"{datetime.date.today().isoformat()} at git revision {revision}"
