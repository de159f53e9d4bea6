"""Airflow templates rendered without a run: the stand-in context (``standins``), the bounded Jinja sandbox
(``sandbox``), rendering (``render``), and SQL argument values turned into rendered sources (``sources``)."""
