"""Synthetic data for text embedders (Wang et al. 2024's E5 recipe, as replicated by the paper in
../shared/papers/synthetic-data-for-embedders.txt): brainstorm task descriptions per length
category, write (query, positive, hard negative) instances for them, mine harder negatives from the
corpus, then train the sentence embedder contrastively (``synthcraft.embedder_training``) and score
it with mteb (``synthcraft.embedding_eval``).

    categories.py   the four length categories, their length rules and the instance checks
    prompts.py      brainstorm and instance requests (the e5_brainstorm / e5_instances params)
    mining.py       hard negatives from the HDF5 store by exact top-k (the e5_mine params)
"""
