"""CRAFT (Ziegler et al., 2024): retrieve corpus documents near the few-shots, rewrite each into a
task sample with a few-shot template, filter (the shared funnel, ``synthcraft.funnel``).

    retrieval.py   the nearest documents per strategy (the retrieve params)
    template.py    the rewrite requests (the generate params)
"""
