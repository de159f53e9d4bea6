"""Python code as task access: a callable's database calls (``calls``), the values it is given (``values``), the
repository helpers it calls (``helpers``), database handles as data (``hooks``), SQL built from run-time values
(``partial_text``), a repository operator read by its own ``execute`` (``operator_code``), Python scripts commands run
(``scripts``), and the task readers for PythonOperator and ``@task`` (``task``)."""
