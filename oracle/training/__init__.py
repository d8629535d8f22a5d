"""Data preparation (Apache Spark), training, evaluation and benchmarks for :mod:`oracle.models`.

``tutti-train prepare`` -> Parquet under ``data/prepared``; ``tutti-train train composer|improviser|
harmonizer|recommender`` -> bundles in ``oracle/models/checkpoints``; ``tutti-train evaluate`` ->
``docs/models.md``. Each stage is its own module, as in nanoGPT and Magenta's melody_rnn.
"""
