"""The positive control: the corpus's own training text as training data, no teacher.

Every arm is scored on facts of the documents' training text (items.py, "seen"). Training on that
text itself is data known to teach those facts, so the arm shows whether the closed-book test can
see a gain at this size: a null for EmbGen means something only beside a gain here.

Each document becomes one chat example, its title in the user turn (a fixed request where it has
none) and its training text (never the held-out sentence) as the assistant's reply, in corpus order
until the next document would pass the token budget the generating arms spend
(``embgen_generate.budget_tokens``), counted in the student's tokens of the replies. The user turn
is not the open items' question ("what do you know about ..."), so the open answers are not trained
word for word.
"""
from __future__ import annotations

from typing import Callable

CONTROL = "human"   # the arm's name: trained (embgen_train@human) and scored beside the generating arms
USER_TURN = "Write an encyclopedia paragraph about {title}."
UNTITLED_TURN = "Write a paragraph of a science textbook."   # SciQ passages (sciq.py) have no title


def user_turn(doc: dict) -> str:
    return USER_TURN.format(title=doc["title"]) if doc.get("title") else UNTITLED_TURN


def human_rows(docs: list[dict], count_tokens: Callable[[str], int], budget_tokens: int) -> tuple[list[dict], dict]:
    """Training rows (chat ``messages`` with ``id``, ``order``, ``doc_ids``) and their counts."""
    rows, spent = [], 0
    for doc in docs:
        tokens = count_tokens(doc["text"])
        if spent + tokens > budget_tokens:
            break
        spent += tokens
        rows.append({"messages": [{"role": "user", "content": user_turn(doc)},
                                  {"role": "assistant", "content": doc["text"]}],
                     "id": doc["doc_id"], "order": len(rows), "doc_ids": [doc["doc_id"]]})
    return rows, {"documents": len(rows), "documents_left_out": len(docs) - len(rows),
                  "budget_tokens": budget_tokens, "kept_tokens_out": spent}
