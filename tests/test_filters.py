import random

from rapidfuzz import fuzz
from rapidfuzz.utils import default_process

from synthcraft.filters import NearDuplicateIndex, extract_json, near_duplicate_pairs
from synthcraft.funnel import filter_samples
from synthcraft.tasks import mcqa

SHOTS = [{"id": "shot-1", "text": "t", "question": "Which chamber of the human heart pumps oxygenated blood into the aorta?",
          "options": ["Right atrium", "Right ventricle", "Left atrium", "Left ventricle"], "answer": "D"}]


def record(i, text, finish="stop"):
    return {"id": f"r{i:03d}", "doc_id": f"d{i}", "text": text, "finish_reason": finish, "error": None}


def sample_json(question, options=("Alpha one", "Beta two", "Gamma three", "Delta four"), answer="A"):
    import json

    return json.dumps({"question": question, "options": list(options), "answer": answer})


def test_extract_json_from_bare_fenced_and_chatty_text():
    assert extract_json('{"a": 1}') == {"a": 1}
    assert extract_json('Sure! ```json\n{"a": 2}\n``` hope it helps') == {"a": 2}
    assert extract_json('Here it is: {"a": {"b": 3}} and more {"c": 4}') == {"a": {"b": 3}}
    assert extract_json("no json {here") is None
    assert extract_json("[1, 2]") is None


def test_every_reason_is_counted_and_nothing_is_lost():
    records = [
        record(0, sample_json("Which gas do plants release during photosynthesis?")),            # kept
        record(1, "", "skipped_too_long"),
        record(2, "", "error"),
        record(3, '{"question": "cut off', "length"),
        record(4, "I cannot answer that."),                                                     # no_json
        record(5, '{"question": "Which gas do plants need?", "options": ["a", "b"]}'),        # missing_keys
        record(6, sample_json("Why?")),                                                        # short_question
        record(7, sample_json("Which one is the right answer here?", ("a", "b", "c"))),        # options_not_4
        record(8, sample_json("Which one is the right answer here?", ("a", "a", "c", "d"))),   # not distinct
        record(9, sample_json("Which one is the right answer here?", answer="F")),             # bad letter
        record(10, sample_json("Which gas do plants release during photosynthesis?")),         # exact duplicate
        record(11, sample_json("Which chamber of the heart pumps oxygenated blood into the aorta?",
                               ("Right atrium", "Right ventricle", "Left atrium", "Left ventricle"))),  # ~few-shot
        record(12, sample_json("Which gas do plants release during photosynthesis in leaves?")),  # near-dup of 0
        record(13, sample_json("What is the powerhouse of the eukaryotic cell called?",
                               ("Nucleus", "Mitochondrion", "Ribosome", "Vacuole"), "B")),     # kept
    ]
    kept, rejected, report = filter_samples(records, mcqa.TASK, SHOTS)
    funnel = report.to_json()
    assert [s["id"] for s in kept] == ["r000", "r013"]
    assert funnel["format_error_reasons"] == {"bad_answer_letter": 1, "missing_keys": 1, "no_json": 1,
                                              "options_not_4": 1, "options_not_distinct": 1, "short_question": 1}
    assert (funnel["skipped_too_long"], funnel["generation_errors"], funnel["excessive_length"],
            funnel["exact_duplicates"], funnel["similar_to_fewshots"], funnel["similar_to_samples"]) == (1, 1, 1, 1, 1, 1)
    assert funnel["retrieved"] == len(records) == len(kept) + len(rejected)
    assert {r["id"]: r["detail"] for r in rejected}["r012"] == "r000"
    assert kept[0] == {"id": "r000", "doc_id": "d0", "question": "Which gas do plants release during photosynthesis?",
                       "options": ["Alpha one", "Beta two", "Gamma three", "Delta four"], "answer": "A"}


def test_empty_input_gives_an_empty_report():
    kept, rejected, report = filter_samples([], mcqa.TASK, SHOTS)
    assert kept == [] and rejected == [] and report.to_json()["available"] == 0


def random_samples(n, seed=0):
    rng = random.Random(seed)
    vocab = [f"w{i}" for i in range(400)]
    samples = []
    for _ in range(n):
        if samples and rng.random() < 0.3:
            words = rng.choice(samples).split()
            words[rng.randrange(len(words))] = rng.choice(vocab)
            if rng.random() < 0.5:
                del words[rng.randrange(len(words))]
        else:
            words = rng.choices(vocab, k=rng.randint(6, 25))
        samples.append(" ".join(words))
    return samples


def test_lsh_pairs_match_exhaustive_search():
    texts = random_samples(600)
    exhaustive = {(i, j) for i in range(len(texts)) for j in range(i + 1, len(texts))
                  if fuzz.token_set_ratio(texts[i], texts[j], processor=default_process) >= 85}
    found = near_duplicate_pairs(texts)
    assert exhaustive and found <= exhaustive  # every reported pair is confirmed
    assert len(found) / len(exhaustive) >= 0.99


def test_index_keeps_the_first_of_a_family():
    index = NearDuplicateIndex()
    assert index.add_unless_duplicate("a", "the cell membrane controls what enters the cell") is None
    assert index.add_unless_duplicate("b", "The cell membrane controls what enters the cell!") == "a"
    assert index.add_unless_duplicate("c", "jupiter is the largest planet") is None
