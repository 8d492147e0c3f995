"""What characterises each cluster, for its system prompt: c-TF-IDF keywords and typical entities.

c-TF-IDF (class-based TF-IDF, as in BERTopic) treats each cluster's text as one document: a word's
weight in cluster c is tf(c) * log(1 + A / f), with tf its share of c's words, f its count over
all clusters and A the mean number of words per cluster -- frequent in this cluster, rare elsewhere.
Typical entities are the ones nearest the cluster's centroid in embedding space.
"""
from __future__ import annotations

import numpy as np


def ctfidf_keywords(texts_by_cluster: dict[int, list[str]], top: int) -> dict[int, list[str]]:
    from sklearn.feature_extraction.text import CountVectorizer

    clusters = sorted(texts_by_cluster)
    docs = [" ".join(texts_by_cluster[c]) for c in clusters]
    vectorizer = CountVectorizer(stop_words="english", token_pattern=r"(?u)\b[^\W\d_]{3,}\b", lowercase=True)
    counts = vectorizer.fit_transform(docs).toarray().astype(float)
    words = vectorizer.get_feature_names_out()
    tf = counts / np.maximum(counts.sum(axis=1, keepdims=True), 1)
    weights = tf * np.log(1 + counts.sum(axis=1).mean() / np.maximum(counts.sum(axis=0), 1))
    out = {}
    for row, c in enumerate(clusters):
        best = np.argsort(-weights[row], kind="stable")[:top]
        out[c] = [str(words[i]) for i in best if weights[row, i] > 0]
    return out


def typical_entities(vectors: np.ndarray, labels: np.ndarray, entities: list[str], top: int) -> dict[int, list[str]]:
    """Per cluster, up to ``top`` distinct entity names nearest its centroid (cosine)."""
    v = vectors / np.linalg.norm(vectors, axis=1, keepdims=True)
    out = {}
    for c in sorted(set(labels.tolist()) - {-1}):
        members = np.flatnonzero(labels == c)
        centroid = v[members].mean(axis=0)
        names, seen = [], set()
        for i in members[np.argsort(-(v[members] @ centroid), kind="stable")]:
            if entities[i].casefold() not in seen:
                seen.add(entities[i].casefold())
                names.append(entities[i])
            if len(names) == top:
                break
        out[c] = names
    return out
