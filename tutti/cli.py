"""``tutti``: the umbrella command for off-chain tools (on-chain actions are `ape run` scripts)."""

from __future__ import annotations

import logging

import click

from tutti import __version__
from tutti.ipfs_cli import ipfs
from tutti.logs import logging_options


@click.group(context_settings={"help_option_names": ["-h", "--help"]})
@click.version_option(__version__, prog_name="tutti")
@logging_options(base=logging.WARNING)
def main() -> None:
    """Tutti off-chain tools: IPFS content, spatial audio."""


main.add_command(ipfs)


def _add_audio() -> None:
    # The audio engine needs the `audio` extra (numpy, scipy, slab); without it `tutti` still works.
    try:
        from tutti.audio.cli import audio
    except ImportError:
        return
    main.add_command(audio)


_add_audio()
