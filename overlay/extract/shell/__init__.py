"""Shell commands as task access: a bash reader (``words``), the database clients and dbt calls in a command
(``clients``), programs known to touch no table (``programs``), and the task readers for BashOperator/SSH
(``bash_task``) and containers (``container_task``)."""
