"""Generative models served by the oracle's ``compose``, ``improvise`` and ``accompany`` jobs.

One file per model (``composer``, ``ngram``, ``improviser``, ``harmonizer``, ``recommender``),
the shared symbolic vocabulary in ``vocabulary``, deterministic MIDI in and out in ``midi``,
and the shipped bundles (checkpoint + config + metadata, sha256 = attested model id) in
``bundles`` / ``checkpoints/``. Training and data preparation live in :mod:`oracle.training`.
"""
