"""Embedding-based SDG (Jayaraman et al. 2025): find the
sparse regions of the student's own embedding space, pick seed pairs across them, interpolate the
pair in the student's input-embedding space, let the student decode the interpolation, and let a
teacher turn seeds + decoding into a new example. Random seeds (the paper's baseline) and random
pairs (an ablation) get the same budget.

    pool.py         seed pool D and a disjoint evaluation set from MMLU (the embedsdg_pool params)
    embedding.py    attention-weighted token-embedding matrices, eq. 2-5 (embedsdg_embed)
    reduce.py       dim_red: PCA, TruncatedSVD, t-SNE (with an out-of-sample placement)
    grid.py         the grid, sparse candidate cells, opposite-side seed pairs (embedsdg_regions)
    decoding.py     decoding an interpolated matrix with the student via inputs_embeds (embedsdg_decode)
    prompts.py      the copy prompt P_d and the teacher prompts P_g / P_b (embedsdg_generate)
    arms.py         equal-count and equal-token training sets per arm (embedsdg_filter)
    correlation.py  density-accuracy correlation over regions (embedsdg_correlation)
"""
