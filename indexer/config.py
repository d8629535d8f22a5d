"""The indexer's settings: ``TUTTI_INDEXER_*`` environment variables (or ``.env``), overridable by CLI
options. The model is part of Tutti's one settings model (:mod:`tutti.settings`); re-exported here."""

from tutti.settings import IndexerSettings, default_database_url

__all__ = ["IndexerSettings", "default_database_url"]
