"""overlay: an asset-oriented overlay for Apache Airflow.

The code follows the data:
discover DAGs (overlay.discover) -> extract each task's SQL (overlay.extract) ->
parse lineage (overlay.lineage) -> resolve tasks to assets (overlay.resolve) ->
build the graph (overlay.graph) -> store the catalog (overlay.catalog) -> serve (overlay.cli, API, plugin).
"""

__version__ = "0.1.0"
