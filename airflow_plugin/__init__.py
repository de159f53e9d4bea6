"""overlay inside Airflow 3: the API under /overlay, a UI link, a listener recording materializations,
and an opt-in cluster policy. Found by Airflow through the ``airflow.plugins`` entry point."""
