"""The operator registry as data (``rules``, ``registry``) and the readers of operator arguments: SQL operators
(``sql``), tables named by arguments (``transfers``), BigQuery job configurations (``bigquery``, ``bqnames``)."""
