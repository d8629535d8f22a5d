"""``tutti-train``: prepare data on Spark, train each model, evaluate, benchmark.

    tutti-train prepare [--master local[*]|spark://host:7077] [--midi-dir DIR]
    tutti-train train composer|composer-baseline|composer-transformer|composer-structure|improviser|improviser-rhythm|harmonizer|recommender [--steps N] [--distributed N]
    tutti-train evaluate            # writes docs/models.md
"""

from __future__ import annotations

import click

from oracle.training.config import DEFAULT_DATA
from tutti.logs import logging_options


@click.group()
@logging_options()
def main() -> None:
    """Data preparation, training and evaluation of Tutti's generative models."""


@main.command()
@click.option("--master", default="local[*]", show_default=True, help="Spark master URL (local[N] or spark://...).")
@click.option("--corpus", "corpora", multiple=True, help="Built-in corpora (default: chorales, ryans, essen-ballads).")
@click.option("--no-corpora", is_flag=True, help="Only the --midi-dir files.")
@click.option("--midi-dir", type=click.Path(exists=True, file_okay=False), help="Your own MIDI folder (style 'user').")
@click.option("--limit", type=int, help="At most this many files per corpus (quick runs).")
@click.option("--partitions", default=16, show_default=True)
@click.option("--output", default=str(DEFAULT_DATA), show_default=True, type=click.Path(file_okay=False))
def prepare(master, corpora, no_corpora, midi_dir, limit, partitions, output):
    """Parse, transpose-augment, tokenize, split by tune and write Parquet (on Spark)."""
    from oracle.training.config import PrepareConfig
    from oracle.training.prepare import prepare as run

    defaults = PrepareConfig()
    config = PrepareConfig(corpora=() if no_corpora else (tuple(corpora) or defaults.corpora),
                           user_midi_dir=midi_dir, limit_per_corpus=limit, master=master,
                           partitions=partitions, output=output)
    summary = run(config)
    click.echo(f"prepared {summary['sources']} files in {summary['seconds']} s -> {output}")


@main.command()
@click.argument("model", type=click.Choice(["composer", "composer-baseline", "composer-transformer", "composer-structure",
                                          "improviser", "improviser-rhythm", "harmonizer", "recommender"]))
@click.option("--data", default=str(DEFAULT_DATA), show_default=True, type=click.Path(file_okay=False))
@click.option("--steps", type=int, help="Override the config's max_steps / epochs.")
@click.option("--distributed", type=int, default=0, help="Train on N processes through Spark's TorchDistributor.")
@click.option("--output", type=click.Path(file_okay=False), help="Bundle folder (default: the shipped checkpoints).")
def train(model, data, steps, distributed, output):
    """Train one model and write its bundle, curves (PNG) and manifest entry."""
    from oracle.training import train as training
    from oracle.training.prepare import PreparedDataMissing

    try:
        training.train_model(model, data_dir=data, steps=steps, distributed=distributed, output=output)
    except PreparedDataMissing as exc:
        raise click.ClickException(str(exc)) from exc


@main.command()
@click.option("--data", default=str(DEFAULT_DATA), show_default=True, type=click.Path(file_okay=False))
@click.option("--report", default=None, help="Report path (default docs/models.md).")
def evaluate(data, report):
    """Evaluate every shipped model on held-out pieces against its baseline; write the report."""
    from oracle.training.evaluate import evaluate_all
    from oracle.training.prepare import PreparedDataMissing

    try:
        evaluate_all(data_dir=data, report_path=report)
    except PreparedDataMissing as exc:
        raise click.ClickException(str(exc)) from exc


if __name__ == "__main__":
    main()
