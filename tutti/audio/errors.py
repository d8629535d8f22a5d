"""Exception types of the spatial audio engine.

Every bad input (block size, sample rate, HRTF file, scene JSON, stem file) raises a subclass of
:class:`SpatialAudioError` whose message names the offending value, so callers (the CLI, the
oracle's render job) can report it without a traceback and never render silent garbage.
"""

from __future__ import annotations


class SpatialAudioError(ValueError):
    """Base class of all errors raised by :mod:`tutti.audio`."""


class RendererConfigError(SpatialAudioError):
    """The renderer was configured or driven with an unsupported value (block size, rate, shape)."""


class HrtfError(SpatialAudioError):
    """An HRTF set could not be loaded, read from or written to SOFA."""


class SceneError(SpatialAudioError):
    """A scene description (JSON) is malformed or refers to unusable stems."""
