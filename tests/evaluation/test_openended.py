"""Open-ended sets: loading (own files and multiple-choice files turned open), the student's answers,
and the set report's paired comparisons on hand-made scores."""
import numpy as np
import pytest

from conftest import write_jsonl
from synthcraft import assets
from synthcraft.evaluation import EvalSet
from synthcraft.evaluation.answers import generate_answers
from synthcraft.evaluation.items import load_open
from synthcraft.evaluation.judge import CRITERIA
from synthcraft.evaluation.lexical import METRICS
from synthcraft.evaluation.openended import Answered, compare_answers, open_set_report


def verdict(**ratings):
    return {**{c: "Strong" for c in CRITERIA}, **ratings}


def test_load_open_reads_any_prompt_and_reference_fields(tmp_path):
    path = write_jsonl(tmp_path / "open.jsonl", [
        {"question": "Why is the sky blue?", "answer": "Rayleigh scattering."},
        {"instruction": "Summarise: cells divide.", "summary": "Cells divide.", "subject": "biology"},
        {"prompt": "Name a noble gas.", "reference": "Neon."}])
    items, skipped = load_open(str(path))
    assert [i["reference"] for i in items] == ["Rayleigh scattering.", "Cells divide.", "Neon."]
    assert items[1]["subject"] == "biology" and items[0]["subject"] == "all" and skipped == {}


def test_load_open_names_the_line_of_a_bad_row(tmp_path):
    path = write_jsonl(tmp_path / "bad.jsonl", [{"question": "Q?", "answer": "A."}, {"question": "no answer"}])
    with pytest.raises(ValueError, match=r"bad.jsonl:2: needs a prompt"):
        load_open(str(path))


def test_multiple_choice_files_become_open_qa_and_option_bound_questions_are_counted():
    items, skipped = EvalSet(assets.MMLU, ["college biology"], kind="open").load_counting_skips()
    assert items and skipped["needs_options"] > 0
    assert all("following" not in i["prompt"].lower() for i in items)
    assert all(i["subject"] == "college biology" for i in items)
    mcqa = EvalSet(assets.MMLU, ["college biology"]).load()
    assert len(items) + skipped["needs_options"] == len(mcqa)      # every item is kept or counted
    first = next(m for m in mcqa if m["question"] == items[0]["prompt"])
    assert items[0]["reference"] == first["choices"]["ABCD".index(first["answer"])]


def test_eval_set_kind_is_checked():
    with pytest.raises(ValueError, match="kind"):
        EvalSet(kind="essay")


@pytest.mark.slow
def test_generate_answers_is_greedy_ordered_and_bounded(tiny_base):
    from transformers import AutoModelForCausalLM, AutoTokenizer

    model = AutoModelForCausalLM.from_pretrained(tiny_base).eval()
    tokenizer = AutoTokenizer.from_pretrained(tiny_base)
    prompts = ["Hi", "A much longer prompt about the structure of the cell membrane and its lipids", "Why?"]
    batched = generate_answers(model, tokenizer, prompts, max_new_tokens=6, batch_size=2)
    alone = [generate_answers(model, tokenizer, [p], max_new_tokens=6, batch_size=1)[0] for p in prompts]
    assert [a["answer"] for a in batched] == [a["answer"] for a in alone]   # padding and order do not leak
    assert all(a["tokens"] <= 6 and a["finish_reason"] in ("stop", "length") for a in batched)


def answered(rouge: list[float], words: list[int], verdicts=None) -> Answered:
    items = [{"prompt": f"q{i}", "reference": "the reference answer", "subject": "all"} for i in range(len(rouge))]
    answers = [{"answer": " ".join(["w"] * n), "tokens": n, "finish_reason": "stop"} for n in words]
    return Answered(items, answers, {m: np.array(rouge, dtype=float) for m in METRICS}, verdicts)


def test_paired_comparison_of_answers():
    good = [verdict(), verdict(), verdict(), verdict(factual_accuracy="Weak")]
    bad = [verdict(factual_accuracy="Weak"), verdict(factual_accuracy="Weak"), verdict(), None]
    a = answered([0.5, 0.6, 0.7, 0.8], [10, 12, 14, 16], good)
    b = answered([0.1, 0.2, 0.3, 0.4], [5, 5, 5, 5], bad)
    out = compare_answers(a, b, resamples=500)
    assert out["rougeL"]["difference"] == pytest.approx(0.4)
    assert out["rougeL"]["ci95"] == [pytest.approx(0.4), pytest.approx(0.4)]   # constant paired difference
    assert out["answer_words"]["difference"] == pytest.approx(8.0)
    binary = out["binary_accuracy"]
    assert binary["n"] == 3 and (binary["only_first_right"], binary["only_second_right"]) == (2, 0)
    report = open_set_report({"base": b, "tuned": a}, [("tuned", "base")], 500, {"needs_options": 1}, 64)
    assert report["items"] == 4 and report["skipped"] == {"needs_options": 1}
    assert report["models"]["tuned"]["judge"]["binary_accuracy"]["correct"] == 3
    assert report["models"]["base"]["judge"]["invalid"] == 1
    assert report["models"]["tuned"]["answer_words"]["mean"] == 13.0
    assert set(report["comparisons"]) == {"tuned_vs_base"}
