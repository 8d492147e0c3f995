"""The corpus EmbGen works on: documents drawn from several topic clusters of the shared store, each
split into the text every arm may learn from and a held-out last sentence that only evaluation sees.

Why sample by topic: the paper's claim is about heterogeneous corpora, and ``embgen_corpus.topics`` is
the knob -- 1 gives a single-topic corpus, 8 a mixed one -- with the heterogeneity measured per run
(mean pairwise cosine distance of the documents' embeddings).
"""
from __future__ import annotations

import re
from dataclasses import dataclass

import numpy as np

# A sentence ends at . ! or ? followed by space and a capital letter or digit (keeps "U.S. state"
# and "c. 1850" mostly whole; an imperfect split only moves text between training and held-out).
SENTENCE_END = re.compile(r"(?<=[.!?])\s+(?=[A-Z0-9\"'(])")


@dataclass
class EmbgenCorpusParams:
    """The ``embgen_corpus:`` section."""
    topics: int = 8              # topic clusters documents are drawn from (1 = a homogeneous corpus)
    docs_per_topic: int = 12
    store_clusters: int = 40     # KMeans clusters over the whole store; `topics` of them are drawn
    min_sentences: int = 3       # at least two sentences to learn from and one held out
    seed: int = 0

    def __post_init__(self):
        if not 1 <= self.topics <= self.store_clusters:
            raise ValueError(f"topics={self.topics} must be between 1 and store_clusters={self.store_clusters}")
        if self.min_sentences < 2:
            raise ValueError("min_sentences must be at least 2 (one to learn from, one held out)")


def sentences(text: str) -> list[str]:
    return [s.strip() for s in SENTENCE_END.split(text.strip()) if s.strip()]


def split_document(text: str) -> tuple[str, str]:
    """(training text, held-out last sentence)."""
    parts = sentences(text)
    return " ".join(parts[:-1]), parts[-1]


def choose_documents(vectors: np.ndarray, eligible: np.ndarray, p: EmbgenCorpusParams) -> tuple[list[int], list[int]]:
    """Row indices of the chosen documents and the topic (store cluster) of each: KMeans over every
    row, ``topics`` clusters drawn at random among those with ``docs_per_topic`` eligible rows, and
    that many eligible rows drawn at random from each."""
    from sklearn.cluster import KMeans

    labels = KMeans(n_clusters=p.store_clusters, n_init=3, random_state=p.seed).fit_predict(vectors)
    rng = np.random.default_rng(p.seed)
    big_enough = [c for c in range(p.store_clusters) if (eligible & (labels == c)).sum() >= p.docs_per_topic]
    if len(big_enough) < p.topics:
        raise ValueError(f"only {len(big_enough)} store clusters hold {p.docs_per_topic} eligible documents, "
                         f"{p.topics} wanted. Fix: lower embgen_corpus.topics or embgen_corpus.docs_per_topic")
    rows, topics = [], []
    for c in sorted(rng.choice(big_enough, size=p.topics, replace=False)):
        members = np.flatnonzero(eligible & (labels == c))
        rows += sorted(rng.choice(members, size=p.docs_per_topic, replace=False).tolist())
        topics += [int(c)] * p.docs_per_topic
    return rows, topics


def heterogeneity(vectors: np.ndarray) -> dict:
    """Mean pairwise cosine distance (0: identical texts, ~1: unrelated) of L2-normalised rows."""
    v = vectors / np.linalg.norm(vectors, axis=1, keepdims=True)
    n = len(v)
    if n < 2:
        return {"mean_pairwise_cosine_distance": None, "n": n}
    sims = v @ v.T
    mean_sim = (sims.sum() - np.trace(sims)) / (n * (n - 1))
    return {"mean_pairwise_cosine_distance": round(float(1 - mean_sim), 4), "n": n}
