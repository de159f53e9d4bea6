"""overlay's HTTP API (FastAPI): served by ``overlay serve`` and mounted inside Airflow by the plugin."""

from overlay.api.app import create_app

__all__ = ["create_app"]
