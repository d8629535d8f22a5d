"""Coordinate conventions and rotations.

Conventions (used everywhere in :mod:`tutti.audio`, documented in docs/spatial-audio.md):

* **azimuth** in degrees, 0 = straight ahead, **positive = to the listener's right**
  (clockwise seen from above, like a compass bearing), wrapped to (-180, 180].
  SOFA/AES69 files count azimuth the other way (counter-clockwise); :mod:`tutti.audio.hrtf`
  converts at the file boundary, nowhere else.
* **elevation** in degrees, 0 = ear level, +90 = above the head, -90 = below.
* **distance** in metres from the centre of the head.
* **head orientation** (yaw, pitch, roll) in degrees, applied in that order (intrinsic z-y'-x''):
  yaw > 0 turns the nose to the right (towards positive azimuth), pitch > 0 lifts the nose,
  roll > 0 lowers the right ear.

Internally directions are unit vectors in a right-handed head frame: x forward, y left, z up
(the SOFA frame), so that the triangulation and rotations are plain linear algebra.
"""

from __future__ import annotations

import numpy as np

SPEED_OF_SOUND = 343.0  # m/s at 20 degrees C


def wrap_azimuth(azimuth: np.ndarray | float) -> np.ndarray:
    """Wrap azimuths (degrees) into (-180, 180]."""
    wrapped = np.mod(np.asarray(azimuth, dtype=np.float64) + 180.0, 360.0) - 180.0
    return np.where(wrapped == -180.0, 180.0, wrapped)


def directions_to_vectors(azimuth: np.ndarray | float, elevation: np.ndarray | float) -> np.ndarray:
    """Unit vectors (..., 3) in the head frame for azimuths/elevations in degrees."""
    az, el = np.broadcast_arrays(np.deg2rad(np.asarray(azimuth, dtype=np.float64)),
                                 np.deg2rad(np.asarray(elevation, dtype=np.float64)))
    cos_el = np.cos(el)
    # Positive azimuth is to the right, i.e. towards -y in the x-forward, y-left frame.
    return np.stack([cos_el * np.cos(az), -cos_el * np.sin(az), np.sin(el)], axis=-1)


def vectors_to_directions(vectors: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Azimuth and elevation (degrees) of vectors (..., 3); zero vectors map to straight ahead."""
    vectors = np.asarray(vectors, dtype=np.float64)
    x, y, z = vectors[..., 0], vectors[..., 1], vectors[..., 2]
    azimuth = np.rad2deg(np.arctan2(-y, x))
    elevation = np.rad2deg(np.arctan2(z, np.hypot(x, y)))
    return wrap_azimuth(azimuth), elevation


def head_rotation_matrix(yaw: float, pitch: float, roll: float) -> np.ndarray:
    """Matrix whose columns are the head's forward, left and up axes in world coordinates."""
    # Yaw to the right is a negative rotation about +z; pitch up is a negative rotation about +y
    # (which points left); roll lowering the right ear is a positive rotation about +x.
    cy, sy = np.cos(np.deg2rad(-yaw)), np.sin(np.deg2rad(-yaw))
    cp, sp = np.cos(np.deg2rad(-pitch)), np.sin(np.deg2rad(-pitch))
    cr, sr = np.cos(np.deg2rad(roll)), np.sin(np.deg2rad(roll))
    rot_z = np.array([[cy, -sy, 0.0], [sy, cy, 0.0], [0.0, 0.0, 1.0]])
    rot_y = np.array([[cp, 0.0, sp], [0.0, 1.0, 0.0], [-sp, 0.0, cp]])
    rot_x = np.array([[1.0, 0.0, 0.0], [0.0, cr, -sr], [0.0, sr, cr]])
    return rot_z @ rot_y @ rot_x


def world_to_head(vectors: np.ndarray, yaw: float, pitch: float, roll: float) -> np.ndarray:
    """Express world-frame direction vectors (..., 3) in the frame of a rotated head."""
    rotation = head_rotation_matrix(yaw, pitch, roll)
    # The inverse of a rotation is its transpose; row vectors times R give R^T v.
    return np.asarray(vectors, dtype=np.float64) @ rotation


def woodworth_itd(azimuth: np.ndarray | float, elevation: np.ndarray | float,
                  head_radius: float) -> np.ndarray:
    """Interaural time difference in seconds (positive = right ear leads) by Woodworth's model.

    ITD = r / c * (theta + sin(theta)), theta = lateral angle (arcsin of the interaural component).
    """
    lateral = np.arcsin(np.clip(-directions_to_vectors(azimuth, elevation)[..., 1], -1.0, 1.0))
    return head_radius / SPEED_OF_SOUND * (lateral + np.sin(lateral))
