"""The app uvicorn imports (``indexer.api.app:app``), configured from ``TUTTI_INDEXER_*``."""

from indexer.api.main import create_app
from indexer.config import IndexerSettings

_settings = IndexerSettings()
app = create_app(_settings.database_url, cors_origins=[o.strip() for o in _settings.cors_origins.split(",") if o.strip()],
                 tune_gc=True)
