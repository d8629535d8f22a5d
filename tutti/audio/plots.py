"""Figures: an HRTF set's ITD/ILD against azimuth, a scene's source positions over time."""

from __future__ import annotations

from pathlib import Path

import numpy as np

from .geometry import directions_to_vectors, woodworth_itd
from .interpolation import PreparedHrtf
from .scene import Scene


def _pyplot():
    import matplotlib

    matplotlib.use("Agg")  # files only; never needs a display
    import matplotlib.pyplot as plt

    return plt


def horizontal_itd_ild(hrtf: PreparedHrtf, step: float = 2.0
                       ) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Interpolated ITD (s, > 0 = right ear leads) and ILD (dB, > 0 = right louder) at elevation 0."""
    azimuth = np.arange(-180.0, 180.0 + step / 2, step)
    filters, delays, _ = hrtf.interpolate(directions_to_vectors(azimuth, np.zeros_like(azimuth)))
    itd = (delays[:, 0] - delays[:, 1]) / hrtf.sample_rate
    energy = np.sum(filters.astype(np.float64) ** 2, axis=-1)
    return azimuth, itd, 10 * np.log10(energy[:, 1] / energy[:, 0])


def plot_hrtf(hrtf: PreparedHrtf, path: str | Path) -> Path:
    """Write a PNG of ITD and ILD against azimuth (elevation 0) with Woodworth's model."""
    plt = _pyplot()
    azimuth, itd, ild = horizontal_itd_ild(hrtf)
    model = woodworth_itd(azimuth, 0.0, hrtf.head_radius)
    figure, (itd_axes, ild_axes) = plt.subplots(2, 1, figsize=(8, 6), sharex=True)
    itd_axes.plot(azimuth, itd * 1e3, label="HRTF (onset delays)")
    itd_axes.plot(azimuth, model * 1e3, "--", label=f"Woodworth, r = {hrtf.head_radius * 100:.1f} cm")
    itd_axes.set_ylabel("ITD (ms), > 0: right ear leads")
    itd_axes.legend(loc="upper left")
    ild_axes.plot(azimuth, ild, color="tab:red")
    ild_axes.set_ylabel("ILD (dB), > 0: right louder")
    ild_axes.set_xlabel("azimuth (deg), > 0: right")
    for axes in (itd_axes, ild_axes):
        axes.grid(True, alpha=0.3)
        axes.axhline(0, color="black", linewidth=0.5)
    ild_axes.set_xticks(np.arange(-180, 181, 45))
    figure.suptitle(f"{hrtf.source.name} at {hrtf.sample_rate} Hz, elevation 0")
    figure.tight_layout()
    figure.savefig(path, dpi=100)
    plt.close(figure)
    return Path(path)


def plot_scene(scene: Scene, path: str | Path, points: int = 400) -> Path:
    """Write a PNG of each source's azimuth, elevation and distance (and head yaw) over time."""
    plt = _pyplot()
    end = scene.duration or max(
        max(s.positions.times[-1] for s in scene.sources), scene.orientation.times[-1], 1.0)
    times = np.linspace(0.0, end, points)
    figure, axes = plt.subplots(3, 1, figsize=(8, 7), sharex=True)
    for source in scene.sources:
        values = source.positions.at(times)
        azimuth = (values[:, 0] + 180.0) % 360.0 - 180.0
        # Break the line where the azimuth wraps so it is not drawn across the plot.
        azimuth[np.flatnonzero(np.abs(np.diff(azimuth)) > 180) + 1] = np.nan
        line, = axes[0].plot(times, azimuth, label=source.name)
        axes[1].plot(times, values[:, 1], color=line.get_color())
        axes[2].plot(times, values[:, 2], color=line.get_color())
    yaw = scene.orientation.at(times)[:, 0]
    if np.any(yaw != 0):
        axes[0].plot(times, (yaw + 180.0) % 360.0 - 180.0, "k--", label="head yaw")
    axes[0].set_ylabel("azimuth (deg, > 0 right)")
    axes[0].set_ylim(-180, 180)
    axes[0].set_yticks(np.arange(-180, 181, 90))
    axes[1].set_ylabel("elevation (deg)")
    axes[2].set_ylabel("distance (m)")
    axes[2].set_xlabel("time (s)")
    axes[0].legend(loc="upper right", fontsize="small")
    for ax in axes:
        ax.grid(True, alpha=0.3)
    figure.suptitle("scene source positions (world frame)")
    figure.tight_layout()
    figure.savefig(path, dpi=100)
    plt.close(figure)
    return Path(path)
