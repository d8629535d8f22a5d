"""Spatial audio engine: HRTF sets and binaural rendering of moving sources.

* :class:`HrtfSet` - measured HRIRs; MIT KEMAR by default, SOFA (AES69) files in and out.
* :class:`BinauralRenderer` - real-time block API (64..960 samples), overlap-save FFT
  convolution with filters built in the frequency domain (interpolated minimum-phase spectra x
  an exact delay phase ramp), cross-faded motion.
* :class:`Scene`, :func:`render_scene`, :func:`render_scene_file` - offline rendering of a JSON
  scene (stems + positions over time) to WAV/FLAC.

Conventions (azimuth > 0 = right, elevation > 0 = up, metres, degrees) are in
:mod:`tutti.audio.geometry` and docs/spatial-audio.md.

The default HRTF is the MIT KEMAR measurement by Bill Gardner and Keith Martin, MIT Media Lab
(1994), as shipped by the slab package; credit them whenever it is used.
"""

from .errors import HrtfError, RendererConfigError, SceneError, SpatialAudioError
from .hrtf import KEMAR_ATTRIBUTION, HrtfSet, read_sofa, write_sofa
from .interpolation import PreparedHrtf, prepare_hrtf
from .renderer import BinauralRenderer
from .scene import Scene, render_scene, render_scene_file

__all__ = [
    "BinauralRenderer", "HrtfError", "HrtfSet", "KEMAR_ATTRIBUTION", "PreparedHrtf",
    "RendererConfigError", "Scene", "SceneError", "SpatialAudioError", "prepare_hrtf",
    "read_sofa", "render_scene", "render_scene_file", "write_sofa",
]
