"""The HTTP API over the index (FastAPI): ``create_app(database_url)``."""

from indexer.api.main import create_app

__all__ = ["create_app"]
