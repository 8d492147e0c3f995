"""Synthetic data for text embedders (Wang et al. 2024's E5 recipe, as replicated in "Synthetic data
for text embedders"): brainstorm task descriptions per length category, write (query, positive,
hard negative) instances for them, mine harder negatives from the corpus, then train the sentence
embedder contrastively and score it with mteb.

    categories.py   the four length categories, their length rules and the instance checks
    prompts.py      brainstorm and instance requests (the embedder_brainstorm / embedder_instances params)
    mining.py       hard negatives from the HDF5 store by exact top-k (the embedder_mine params)
    training.py     contrastive training of the sentence embedder (embedder_train, embedder_subset)
    tasks.py        the mteb task folders: local ones (embedder_tasks) and shipped benchmarks (embedder_benchmarks)
    evaluation.py   mteb on task folders, per-item paired bootstrap, chance and detectable size (embedder_evaluate)
    control.py      the positive control: human question -> passage pairs from SciQ (embedder_control)
    influence.py    the length-category subsets and their influence table (pipelines/embedder/influence)
    splits.py       the held-out share of the corpus no training material comes from
"""
