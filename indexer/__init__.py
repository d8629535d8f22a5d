"""Tutti's indexer: follows the contracts' events into SQLite or PostgreSQL and serves them over HTTP.

``indexer.ingest`` follows the chain (reorg-safe, resumable), ``indexer.handlers`` maps each event to
rows, ``indexer.schema`` holds the tables, ``indexer.api`` the FastAPI app, ``indexer.cli`` the
``tutti-indexer`` command. See docs/indexer.md.
"""
