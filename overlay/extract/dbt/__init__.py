"""dbt as task access: commands and operators (``task``), a manifest's nodes (``manifest``), a project read
from its files when there is no manifest (``files``, ``naming``), and dbt's node selection (``select``)."""
