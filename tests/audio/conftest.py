"""Shared fixtures for the spatial audio tests (KEMAR is loaded and prepared once per session)."""

from __future__ import annotations

import numpy as np
import pytest

from tutti.audio import HrtfSet, prepare_hrtf

from .audio_helpers import SAMPLE_RATE


@pytest.fixture(scope="session")
def kemar() -> HrtfSet:
    return HrtfSet.kemar()


@pytest.fixture(scope="session")
def kemar_48k(kemar):
    return prepare_hrtf(kemar, SAMPLE_RATE)


@pytest.fixture
def rng() -> np.random.Generator:
    return np.random.default_rng(20240607)
