"""EmbGen (arXiv 2605.19394): break a corpus
into entity-description pairs, find its structure in the pairs' embeddings, and have a teacher write
question-answer pairs from pairs drawn by that structure, under a fixed token budget.

    corpus.py      a corpus sampled across topic clusters, each document split into training text
                   and a held-out sentence; heterogeneity of a set of embeddings (embgen_corpus)
    extraction.py  entity-description pairs per document, with grounding and counted rejects (embgen_extract)
    structure.py   UMAP, KMeans / HDBSCAN, the k-nearest-neighbour proximity graph (embgen_structure)
    keywords.py    c-TF-IDF keywords and typical entities per cluster -> cluster system prompts
    samplers.py    proximity, intra-cluster and inter-cluster draws (embgen_sampling)
    prompts.py     the QA-writing prompts: EmbGen's per sampler and the one-document baseline's
    budget.py      generation that stops at a token budget, the same for every arm (embgen_generate)
    items.py       the closed-book test and the open questions, from held-out sentences only
    evaluation.py  METEOR and the comparisons embgen_evaluate reports
"""

# The arms that generate and train (pipelines/embgen/dvc.yaml's `arms` var must match: a test checks);
# embgen_evaluate adds no_aug, the student without synthetic data.
ARMS = ("embgen", "one_doc")
