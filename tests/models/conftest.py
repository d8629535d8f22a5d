"""One local[1] SparkSession for the whole test session (Spark start-up costs seconds)."""

from __future__ import annotations

import pytest


@pytest.fixture(scope="session")
def spark():
    from oracle.training.prepare import spark_session

    session = spark_session("local[1]", app="tutti-tests", partitions=2)
    session.sparkContext.setLogLevel("ERROR")
    yield session
    session.stop()
