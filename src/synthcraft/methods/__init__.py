"""Synthetic-data methods: one package each, holding only what that method does (how it selects
material, its prompt templates, its filters). Everything else is shared library code."""
