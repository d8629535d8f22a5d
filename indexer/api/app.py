"""The app uvicorn imports (``indexer.api.app:app``), configured from ``TUTTI_INDEXER_*``."""

from indexer.api.main import create_app
from indexer.config import IndexerSettings

app = create_app(IndexerSettings().database_url)
