from synthcraft.methods.embgen.human import USER_TURN, human_rows


def docs(*lengths):
    return [{"doc_id": f"d{k}", "title": f"T{k}", "text": " ".join(["w"] * n), "heldout": "never trained on"}
            for k, n in enumerate(lengths)]


def words(text: str) -> int:
    return len(text.split())


def test_rows_are_the_documents_training_text_in_corpus_order():
    rows, stats = human_rows(docs(3, 4), words, budget_tokens=100)
    assert [row["messages"][0]["content"] for row in rows] == [USER_TURN.format(title="T0"), USER_TURN.format(title="T1")]
    assert [row["messages"][1]["content"] for row in rows] == ["w w w", "w w w w"]
    assert [row["doc_ids"] for row in rows] == [["d0"], ["d1"]] and [row["order"] for row in rows] == [0, 1]
    assert all("never" not in m["content"] for row in rows for m in row["messages"])   # the held-out sentence
    assert stats == {"documents": 2, "documents_left_out": 0, "budget_tokens": 100, "kept_tokens_out": 7}


def test_the_budget_stops_before_the_document_that_would_pass_it_and_counts_the_rest():
    rows, stats = human_rows(docs(3, 4, 1), words, budget_tokens=6)
    assert [row["id"] for row in rows] == ["d0"]
    assert stats["documents_left_out"] == 2 and stats["kept_tokens_out"] == 3 <= stats["budget_tokens"]
