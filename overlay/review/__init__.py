"""Checks before a merge: ``overlay diff`` (what a change does to the asset graph) and ``overlay lint``."""
