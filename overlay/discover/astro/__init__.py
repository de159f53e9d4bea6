"""The Astro SDK (``from astro import sql as aql``): tasks whose tables are ``Table`` objects, read statically.

``tables`` holds the pure part (a ``Table(...)`` as a record, Astro's default schemas), ``calls`` what the static
interpreter does with the SDK's decorators and functions. Extraction reads the tasks with
``overlay/extract/operators/astro.py``.
"""
