import json

import pytest

from synthcraft.tasks import TASK_TYPES, get_task_type, mcqa

GOOD = {"question": "Which organelle produces most of the ATP?", "options": ["Nucleus", "Mitochondrion", "Ribosome", "Golgi"], "answer": "B"}


@pytest.mark.parametrize("change, reason", [
    ({}, None),
    ({"question": None}, "missing_keys"),
    ({"question": "Why so?"}, "short_question"),
    ({"question": 42}, "wrong_type"),
    ({"options": ["a", "b", "c"]}, "options_not_4"),
    ({"options": ["a", "b", "c", ""]}, "options_not_4"),
    ({"options": ["a", "b", "c", " A "]}, "options_not_distinct"),
    ({"answer": "E"}, "bad_answer_letter"),
    ({"answer": "b"}, "bad_answer_letter"),
])
def test_mcqa_checks(change, reason):
    sample = {**GOOD, **change}
    sample = {k: v for k, v in sample.items() if v is not None}
    assert mcqa.check(sample) == reason


def test_schema_and_fewshot_json_agree():
    task = get_task_type("mcqa")
    assert task.keys == ["question", "options", "answer"]
    assert json.loads(task.answer_json({**GOOD, "id": "x", "text": "t"})) == GOOD  # schema order, no extras
    assert list(json.loads(task.answer_json(GOOD))) == task.keys
    prompt, answer = task.prompt_and_answer(GOOD)
    assert prompt.endswith("D. Golgi\nAnswer:") and answer == "B"
    # the supervision forms: the option's text in the cloze context as plain text (default), the
    # letter with its option's text in a chat turn, or the letter alone
    question = GOOD["question"]
    assert task.example(GOOD) == {"prompt": f"Question: {question}\nAnswer:", "completion": " Mitochondrion"}
    assert task.example(GOOD, "letter_text") == {"messages": task.messages(GOOD, "letter_text")}
    assert task.messages(GOOD, "letter_text")[1] == {"role": "assistant", "content": "B. Mitochondrion"}
    assert task.messages(GOOD, "letter")[1] == {"role": "assistant", "content": "B"}
    assert task.messages(GOOD, "letter")[0] == task.messages(GOOD, "letter_text")[0]   # the same prompt either way
    with pytest.raises(ValueError, match="Fix: use one of \\['cloze', 'letter_text', 'letter'\\]"):
        task.messages(GOOD, "answer")


def test_supervision_param_follows_the_task_type():
    from synthcraft.tasks import TaskParams

    assert TaskParams().supervision == "cloze"
    assert TaskParams(type="openqa").supervision == "answer"
    assert TaskParams(supervision="letter").supervision == "letter"
    with pytest.raises(ValueError, match="task.supervision='letter' is not a form of task type 'openqa'"):
        TaskParams(type="openqa", supervision="letter")
    # EmbedSDG writes multiple choice whatever task.type says
    assert TaskParams(type="openqa").supervision_for(get_task_type("mcqa")) == "cloze"
    assert TaskParams(supervision="letter").supervision_for(get_task_type("mcqa")) == "letter"


def test_other_task_types():
    assert set(TASK_TYPES) == {"mcqa", "openqa", "summarization"}
    openqa = get_task_type("openqa")
    assert openqa.check({"question": "What does the heart pump?", "answer": "Blood"}) is None
    assert openqa.check({"question": "What does the heart pump?"}) == "missing_keys"
    summ = get_task_type("summarization")
    assert summ.check({"instruction": "Summarise: " + "x " * 40, "summary": "short"}) == "short_summary"
    with pytest.raises(ValueError, match="unknown task type 'essay'"):
        get_task_type("essay")
