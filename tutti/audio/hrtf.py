"""HRTF sets: the bundled MIT KEMAR measurements, SOFA (AES69) files in and out.

An :class:`HrtfSet` holds measured head-related impulse responses exactly as measured (no
resampling, no processing) so that it round-trips through SOFA unchanged; the renderer prepares
its own resampled, minimum-phase copy (see :mod:`tutti.audio.interpolation`).

The default set is the MIT KEMAR "normal pinna" measurement by Bill Gardner and Keith Martin
(MIT Media Lab, 1994; "HRTF Measurements of a KEMAR Dummy-Head Microphone", MIT Media Lab
Perceptual Computing Technical Report #280), which the `slab` package (MIT licence,
Schoenwiesner et al.) ships in ``slab/data/mit_kemar_normal_pinna.bz2``. The authors ask that
the data be credited to them and to the MIT Media Lab whenever it is used.
"""

from __future__ import annotations

import bz2
import functools
import importlib.util
import logging
import pickle
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

from .errors import HrtfError
from .geometry import directions_to_vectors, wrap_azimuth

logger = logging.getLogger(__name__)

KEMAR_ATTRIBUTION = (
    "MIT KEMAR HRTF (normal pinna): Bill Gardner and Keith Martin, MIT Media Lab, 1994 "
    "(Perceptual Computing Technical Report #280), as distributed with the slab package."
)
_KEMAR_RESOURCE = "data/mit_kemar_normal_pinna.bz2"


@dataclass(frozen=True, eq=False)  # identity hash: prepared copies are cached per set
class HrtfSet:
    """Measured head-related impulse responses.

    Attributes:
        impulse_responses: array (n_directions, 2, n_taps); ear 0 = left, ear 1 = right.
        directions: array (n_directions, 3) of azimuth (deg, positive = right), elevation (deg)
            and distance (m) of each measurement, in the conventions of :mod:`.geometry`.
        sample_rate: sampling rate of the impulse responses in Hz.
        name: short label used in logs and plots.
        attribution: credit line that must accompany any use of the data.
    """

    impulse_responses: np.ndarray
    directions: np.ndarray
    sample_rate: float
    name: str = "custom"
    attribution: str = ""
    _vectors: np.ndarray = field(init=False, repr=False, compare=False)

    def __post_init__(self) -> None:
        irs = np.asarray(self.impulse_responses, dtype=np.float64)
        directions = np.asarray(self.directions, dtype=np.float64)
        if irs.ndim != 3 or irs.shape[1] != 2 or irs.shape[2] < 8:
            raise HrtfError(f"impulse responses must have shape (directions, 2 ears, taps >= 8), "
                            f"got {irs.shape}")
        if directions.shape != (irs.shape[0], 3):
            raise HrtfError(f"directions must have shape ({irs.shape[0]}, 3), got {directions.shape}")
        if irs.shape[0] < 4:
            raise HrtfError(f"an HRTF set needs at least 4 directions to interpolate, got {irs.shape[0]}")
        if not np.all(np.isfinite(irs)) or not np.all(np.isfinite(directions)):
            raise HrtfError("HRTF set contains NaN or infinite values")
        if not 8000 <= float(self.sample_rate) <= 384000:
            raise HrtfError(f"implausible HRTF sampling rate {self.sample_rate!r} Hz")
        directions = directions.copy()
        directions[:, 0] = wrap_azimuth(directions[:, 0])
        object.__setattr__(self, "impulse_responses", irs)
        object.__setattr__(self, "directions", directions)
        object.__setattr__(self, "sample_rate", float(self.sample_rate))
        object.__setattr__(self, "_vectors", directions_to_vectors(directions[:, 0], directions[:, 1]))

    @property
    def n_directions(self) -> int:
        return self.impulse_responses.shape[0]

    @property
    def vectors(self) -> np.ndarray:
        """Unit vectors (n_directions, 3) of the measurement directions (head frame)."""
        return self._vectors

    def nearest_index(self, azimuth: float, elevation: float) -> int:
        """Index of the measured direction closest (by angle) to the given one."""
        return int(np.argmax(self._vectors @ directions_to_vectors(azimuth, elevation)))

    @classmethod
    def kemar(cls) -> "HrtfSet":
        """The bundled MIT KEMAR set (710 directions, elevation -40..90 deg, 1.4 m, 44.1 kHz)."""
        return _load_kemar()

    @classmethod
    def from_sofa(cls, path: str | Path) -> "HrtfSet":
        """Read an HRTF set from a SOFA file (see :func:`read_sofa`)."""
        return read_sofa(path)

    def to_sofa(self, path: str | Path) -> Path:
        """Write this set to a SOFA file (see :func:`write_sofa`)."""
        return write_sofa(self, path)


class _SlabStub:
    """Stands in for slab's classes so the KEMAR pickle loads without importing slab.

    Importing slab pulls in sounddevice, which needs the PortAudio system library; we only need
    the arrays inside the pickle.
    """

    def __setstate__(self, state: dict) -> None:
        self.__dict__.update(state)


class _KemarUnpickler(pickle.Unpickler):
    """Unpickler that only admits numpy internals and slab's containers (no arbitrary code)."""

    _ALLOWED_MODULES = ("numpy", "builtins", "copyreg", "collections")

    def find_class(self, module: str, name: str):  # noqa: ANN201 - pickle protocol
        if module.startswith("slab"):
            return type(name, (_SlabStub,), {})
        if module.split(".")[0] in self._ALLOWED_MODULES:
            return super().find_class(module, name)
        raise pickle.UnpicklingError(f"refusing to load {module}.{name} from the KEMAR data file")


def _kemar_path() -> Path:
    spec = importlib.util.find_spec("slab")  # locates the package without executing it
    if spec is None or not spec.submodule_search_locations:
        raise HrtfError("the default KEMAR HRTF needs the 'slab' package: pip install 'tutti[audio]'")
    path = Path(next(iter(spec.submodule_search_locations))) / _KEMAR_RESOURCE
    if not path.is_file():
        raise HrtfError(f"KEMAR data file not found at {path}")
    return path


@functools.lru_cache(maxsize=1)
def _load_kemar() -> HrtfSet:
    path = _kemar_path()
    with bz2.open(path, "rb") as stream:
        data = _KemarUnpickler(stream).load()
    # slab stores one (taps, 2) filter per direction and SOFA-style (counter-clockwise) azimuths.
    irs = np.stack([np.asarray(f.data, dtype=np.float64).T for f in data.data])
    sources = np.asarray(data.sources, dtype=np.float64)
    directions = np.column_stack([-sources[:, 0], sources[:, 1], sources[:, 2]])
    logger.debug("loaded KEMAR HRTF from %s: %d directions, %d taps", path, *irs.shape[::2])
    return HrtfSet(irs, directions, float(data.samplerate), name="MIT KEMAR",
                   attribution=KEMAR_ATTRIBUTION)


def read_sofa(path: str | Path) -> HrtfSet:
    """Read a SimpleFreeFieldHRIR-style SOFA file (two receivers, FIR data) into an HrtfSet.

    Source positions may be spherical (degrees, counter-clockwise azimuth as AES69 defines) or
    cartesian (metres, x forward, y left, z up); both are converted to the conventions of
    :mod:`.geometry`.
    """
    import sofar  # heavy import (netCDF4); only needed here

    path = Path(path)
    if not path.is_file():
        raise HrtfError(f"SOFA file not found: {path}")
    try:
        sofa = sofar.read_sofa(str(path), verify=False, verbose=False)
    except Exception as exc:  # sofar/netCDF raise many unrelated types for a bad file
        raise HrtfError(f"cannot read SOFA file {path}: {exc}") from exc
    if getattr(sofa, "GLOBAL_DataType", "FIR") != "FIR":
        raise HrtfError(f"{path}: only FIR SOFA data is supported, got {sofa.GLOBAL_DataType!r}")
    irs = np.asarray(sofa.Data_IR, dtype=np.float64)
    if irs.ndim != 3 or irs.shape[1] != 2:
        raise HrtfError(f"{path}: expected Data_IR of shape (measurements, 2 receivers, taps), "
                        f"got {irs.shape}")
    rate = np.atleast_1d(np.asarray(sofa.Data_SamplingRate, dtype=np.float64))
    if rate.size != 1:
        raise HrtfError(f"{path}: varying sampling rates are not supported")
    positions = np.asarray(sofa.SourcePosition, dtype=np.float64)
    if positions.ndim == 1:
        positions = np.broadcast_to(positions, (irs.shape[0], 3))
    position_type = str(getattr(sofa, "SourcePosition_Type", "spherical")).lower()
    if position_type == "cartesian":
        distance = np.linalg.norm(positions, axis=1)
        azimuth_ccw = np.rad2deg(np.arctan2(positions[:, 1], positions[:, 0]))
        elevation = np.rad2deg(np.arctan2(positions[:, 2], np.hypot(positions[:, 0], positions[:, 1])))
    elif position_type == "spherical":
        azimuth_ccw, elevation, distance = positions.T
    else:
        raise HrtfError(f"{path}: unsupported SourcePosition_Type {position_type!r}")
    directions = np.column_stack([-azimuth_ccw, elevation, distance])
    title = str(getattr(sofa, "GLOBAL_Title", "") or path.stem)
    attribution = str(getattr(sofa, "GLOBAL_References", "") or "") or "; ".join(
        str(value) for key in ("GLOBAL_Organization", "GLOBAL_License")
        if (value := getattr(sofa, key, "")))
    logger.info("read SOFA HRTF %s: %d directions, %d taps, %g Hz", path, irs.shape[0],
                irs.shape[2], rate[0])
    return HrtfSet(irs, directions, float(rate[0]), name=title, attribution=attribution)


def write_sofa(hrtf: HrtfSet, path: str | Path) -> Path:
    """Write an HRTF set as a SimpleFreeFieldHRIR SOFA file (spherical positions, AES69 azimuth)."""
    import sofar

    path = Path(path)
    if path.suffix.lower() != ".sofa":
        raise HrtfError(f"SOFA output file must end in .sofa, got {path.name}")
    sofa = sofar.Sofa("SimpleFreeFieldHRIR")
    sofa.Data_IR = hrtf.impulse_responses
    sofa.Data_SamplingRate = hrtf.sample_rate
    sofa.SourcePosition = np.column_stack([-hrtf.directions[:, 0], hrtf.directions[:, 1],
                                           hrtf.directions[:, 2]])
    sofa.SourcePosition_Type = "spherical"
    sofa.SourcePosition_Units = "degree, degree, metre"
    sofa.GLOBAL_Title = hrtf.name
    sofa.GLOBAL_ApplicationName = "tutti.audio"
    if hrtf.attribution:
        sofa.GLOBAL_References = hrtf.attribution
        sofa.GLOBAL_License = f"Free to use with credit to: {hrtf.attribution}"
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        sofar.write_sofa(str(path), sofa, compression=4)
    except Exception as exc:
        raise HrtfError(f"cannot write SOFA file {path}: {exc}") from exc
    logger.info("wrote SOFA HRTF %s (%d directions)", path, hrtf.n_directions)
    return path
