"""lm-evaluation-harness on the same items agrees with synthcraft's scorer
(src/synthcraft/evaluation/harness.py); runs where the `crosscheck` extra is installed."""
import json

import pytest
import yaml

from conftest import SMOLLM2_GGUF, has_module
from synthcraft import assets
from synthcraft.evaluation.harness import TASKS, agreement, write_tasks
from synthcraft.evaluation.items import CRAFT_BIO_TOPICS, LETTERS, load_mcqa
from synthcraft.evaluation.scoring import FORMS


def mixed_counts(items: list[dict]) -> list[dict]:
    """The items with 4, 3, 2 and 5 options in turn (wrong options dropped, or one borrowed from
    the next item), the answer letter following its option: ARC / PIQA-like option counts."""
    out = []
    for i, item in enumerate(items):
        correct = item["choices"][LETTERS.index(item["answer"])]
        wrong = [c for c in item["choices"] if c != correct]
        kept = {0: wrong, 1: wrong[:2], 2: wrong[:1], 3: wrong + [items[(i + 1) % len(items)]["choices"][0]]}[i % 4]
        choices = kept[:]
        choices.insert(i % (len(kept) + 1), correct)
        out.append({**item, "choices": choices, "answer": LETTERS[choices.index(correct)]})
    return out


def test_task_definitions_mirror_both_forms(tmp_path):
    items = load_mcqa(assets.MMLU, ["anatomy"], limit=3)
    write_tasks(items, tmp_path)
    letter = yaml.safe_load((tmp_path / f"{TASKS['letter']}.yaml").read_text())
    cloze = yaml.safe_load((tmp_path / f"{TASKS['cloze']}.yaml").read_text())
    assert letter["doc_to_choice"] == "letters" and cloze["target_delimiter"] == " "
    assert [m["metric"] for m in cloze["metric_list"]] == ["acc", "acc_norm"]
    rows = [json.loads(line) for line in (tmp_path / "items.jsonl").read_text().splitlines()]
    assert rows[0]["cloze_context"] == f"Question: {items[0]['question']}\nAnswer:"
    assert rows[0]["letter_user"].endswith("\nAnswer:") and "\nA. " in rows[0]["letter_user"]
    assert [r["gold"] for r in rows] == ["ABCD".index(i["answer"]) for i in items]
    write_tasks(mixed_counts(items), tmp_path)
    rows = [json.loads(line) for line in (tmp_path / "items.jsonl").read_text().splitlines()]
    assert [r["letters"] for r in rows] == [list("ABCD"), list("ABC"), list("AB")]


@pytest.mark.slow
@pytest.mark.skipif(not has_module("lm_eval"), reason="lm-eval is not installed (pip install -e '.[crosscheck]')")
def test_lm_eval_agrees_within_half_a_point(smollm2_tokenizer):
    """On items with 2 to 5 options: each is scored over its own by both scorers."""
    from synthcraft.models import load_causal_lm

    items = mixed_counts(load_mcqa(assets.MMLU, CRAFT_BIO_TOPICS, limit=80))
    assert {len(i["choices"]) for i in items} == {2, 3, 4, 5}
    report = agreement(load_causal_lm(SMOLLM2_GGUF).eval(), smollm2_tokenizer, items, batch_size=16)
    assert report["items"] == 80
    for form in FORMS:
        assert abs(report[form]["difference_points"]) <= 0.5, report
        assert report[form]["items_picked_differently"] <= 1, report
