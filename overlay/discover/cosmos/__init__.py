"""astronomer-cosmos: ``DbtDag``/``DbtTaskGroup`` calls read statically into the tasks Cosmos builds at parse time.

``calls`` is what the static interpreter asks, ``project`` reads the dbt project's graph (its manifest, else its
files), ``render`` names the tasks as Cosmos does. Nothing of Cosmos is imported or run.
"""
