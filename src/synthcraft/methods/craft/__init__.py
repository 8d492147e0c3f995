"""CRAFT (Ziegler et al., 2024): retrieve corpus documents near the few-shots, rewrite each into a
task sample with a few-shot template, filter. See ../shared/papers/craft.txt."""
