"""``audio`` command group: HRTF and scene plots, offline rendering, SOFA export.

Mounted by the umbrella CLI (``tutti audio ...``); also runnable as
``python -m tutti.audio.cli``.
"""

from __future__ import annotations

import logging
import math
from pathlib import Path

import click

from .errors import SpatialAudioError
from .hrtf import HrtfSet

logger = logging.getLogger(__name__)

_sofa_option = click.option("--sofa", "sofa", type=click.Path(dir_okay=False, path_type=Path),
                            help="HRTF set as a SOFA (AES69) file; default: MIT KEMAR.")


def _load_hrtf(sofa: Path | None) -> HrtfSet:
    return HrtfSet.from_sofa(sofa) if sofa else HrtfSet.kemar()


class _AudioGroup(click.Group):
    """Turns the engine's own exceptions into one-line CLI errors instead of tracebacks."""

    def invoke(self, ctx: click.Context):  # noqa: ANN201 - click's signature
        try:
            return super().invoke(ctx)
        except SpatialAudioError as exc:
            raise click.ClickException(str(exc)) from exc


@click.group(name="audio", cls=_AudioGroup)
def audio() -> None:
    """Spatial audio: HRTF sets, binaural scene rendering."""


@audio.command("plot-hrtf")
@_sofa_option
@click.option("--sample-rate", default=48000, show_default=True, help="Engine rate (Hz).")
@click.option("--head-radius", type=float, help="Personalise ITDs to this head radius (m).")
@click.option("-o", "--output", type=click.Path(dir_okay=False, path_type=Path),
              default=Path("hrtf.png"), show_default=True, help="PNG file to write.")
def plot_hrtf_command(sofa: Path | None, sample_rate: int, head_radius: float | None,
                      output: Path) -> None:
    """Plot ITD and ILD against azimuth (elevation 0) of an HRTF set."""
    from .interpolation import prepare_hrtf
    from .plots import plot_hrtf

    prepared = prepare_hrtf(_load_hrtf(sofa), sample_rate, head_radius)
    click.echo(f"wrote {plot_hrtf(prepared, output)}")


@audio.command("plot-scene")
@click.argument("scene", type=click.Path(dir_okay=False, path_type=Path))
@click.option("-o", "--output", type=click.Path(dir_okay=False, path_type=Path),
              default=Path("scene.png"), show_default=True, help="PNG file to write.")
def plot_scene_command(scene: Path, output: Path) -> None:
    """Plot the source positions of a SCENE JSON file over time."""
    from .plots import plot_scene
    from .scene import Scene

    click.echo(f"wrote {plot_scene(Scene.from_file(scene), output)}")


@audio.command("render")
@click.argument("scene", type=click.Path(dir_okay=False, path_type=Path))
@click.argument("output", type=click.Path(dir_okay=False, path_type=Path))
@click.option("--block-size", default=480, show_default=True, help="Samples per block (64..960).")
def render_command(scene: Path, output: Path, block_size: int) -> None:
    """Render a SCENE JSON file to a binaural OUTPUT .wav (float) or .flac (24-bit)."""
    from .convolver import check_block_size
    from .scene import OUTPUT_FORMATS, Scene, load_stems, render_scene, write_audio

    if output.suffix.lower() not in OUTPUT_FORMATS:
        raise click.BadParameter(f"must end in {' or '.join(OUTPUT_FORMATS)}", param_hint="OUTPUT")
    check_block_size(block_size)
    parsed = Scene.from_file(scene)
    stems = load_stems(parsed)  # fail on a missing stem before drawing a progress bar
    with click.progressbar(length=-(-stems.shape[1] // block_size), label="rendering",
                           file=click.get_text_stream("stderr")) as bar:
        audio_out = render_scene(parsed, block_size, stems=stems,
                                 progress=lambda done, total: bar.update(1))
    peak, gain = write_audio(output, audio_out, parsed.sample_rate)
    note = f" (scaled by {20 * math.log10(gain):.1f} dB to fit)" if gain != 1 else ""
    click.echo(f"wrote {output}: {len(audio_out) / parsed.sample_rate:.2f} s at "
               f"{parsed.sample_rate} Hz, peak {peak:.3f}{note}")


@audio.command("export-sofa")
@click.argument("output", type=click.Path(dir_okay=False, path_type=Path))
@_sofa_option
def export_sofa_command(output: Path, sofa: Path | None) -> None:
    """Write an HRTF set (default: MIT KEMAR) to an OUTPUT .sofa file."""
    hrtf = _load_hrtf(sofa)
    click.echo(f"wrote {hrtf.to_sofa(output)} ({hrtf.n_directions} directions, "
               f"{hrtf.sample_rate:g} Hz)")
    if hrtf.attribution:
        click.echo(f"credit: {hrtf.attribution}")


if __name__ == "__main__":
    audio()
