"""Train the improvisation GAN on bars of Bach chorale sopranos over the chords their lower voices
spell (4/4 chorales, every training transposition)."""

from __future__ import annotations

import logging
import random
import time
from pathlib import Path

from oracle.training.config import ImproviserConfig, as_dict
from oracle.training.prepare import load_rows

logger = logging.getLogger(__name__)


def bar_examples(rows: list[dict]):
    """(bar classes, beat chords, previous bar classes or None) for every 4/4 chorale bar with harmony."""
    from oracle.models.improviser import grid_to_classes

    examples = []
    for row in rows:
        if row["corpus"] != "chorales" or row["meter"] != "4/4" or not row["grid"]:
            continue
        grid, chords = list(row["grid"]), list(row["beat_chords"])
        previous = None
        for bar in range(len(grid) // 16):
            cells = grid[16 * bar:16 * bar + 16]
            bar_chords = chords[4 * bar:4 * bar + 4]
            classes = grid_to_classes(cells)
            if len(bar_chords) == 4 and all(c >= 0 for c in bar_chords) and any(c >= 0 for c in cells):
                examples.append((classes, bar_chords, previous))
            previous = classes
    return examples


def tensors(examples):
    import torch

    from oracle.models.improviser import BAR_FEATURES, chord_features, one_hot_bar

    bars = torch.stack([one_hot_bar(c) for c, _, _ in examples])
    chords = torch.stack([chord_features(ch) for _, ch, _ in examples])
    previous = torch.stack([one_hot_bar(p) if p is not None else torch.zeros(BAR_FEATURES) for _, _, p in examples])
    return bars, chords, previous


COLUMNS = ["piece_id", "corpus", "meter", "grid", "beat_chords", "transpose", "tonic_pc", "mode"]


def train_improviser(config: ImproviserConfig, data_dir: str, output: str, command: str = "") -> dict:
    import torch
    from torch import nn

    from oracle.models.bundles import save_bundle
    from oracle.models.improviser import Discriminator, Generator, classes_to_events, grid_to_classes, rhythm_counts
    from oracle.training.train import progress, save_curves, save_training_checkpoint, seed_everything

    config.check()
    seed_everything(config.seed)
    rows = load_rows(data_dir, "train", COLUMNS)
    examples = bar_examples(rows)
    # The rhythm model: event bigrams of the same 4/4 chorale sopranos (rhythm is key-free, so the
    # original key only).
    rhythm = rhythm_counts(classes_to_events(grid_to_classes(list(r["grid"]))) for r in rows
                           if r["corpus"] == "chorales" and r["meter"] == "4/4" and r["grid"] and r["transpose"] == 0)
    if not examples:
        raise ValueError("no chorale bars in the prepared data; include the chorales corpus")
    bars, chords, previous = tensors(examples)
    logger.info("improviser: %d training bars", len(examples))
    generator, discriminator = Generator(**as_dict(config)), Discriminator(**as_dict(config))
    g_optimizer = torch.optim.Adam(generator.parameters(), lr=config.learning_rate, betas=(0.5, 0.999))
    d_optimizer = torch.optim.Adam(discriminator.parameters(), lr=config.learning_rate, betas=(0.5, 0.999))
    bce = nn.BCEWithLogitsLoss()
    rng = random.Random(config.seed)
    history = {"discriminator": [], "generator (adversarial)": [], "feature matching": []}
    started = time.perf_counter()
    bar = progress(config.max_steps, "improviser")
    for step in range(1, config.max_steps + 1):
        index = torch.tensor(rng.sample(range(len(examples)), config.batch_size))
        real, condition, before = bars[index], chords[index], previous[index]
        z = torch.randn(config.batch_size, config.noise)
        logits = generator(z, condition, before)
        fake = nn.functional.gumbel_softmax(logits, tau=config.gumbel_temperature, hard=True).reshape(len(index), -1)

        real_score, real_features = discriminator(real, condition, before)
        fake_score, _ = discriminator(fake.detach(), condition, before)
        d_loss = bce(real_score, torch.full_like(real_score, 0.9)) + bce(fake_score, torch.zeros_like(fake_score))
        d_optimizer.zero_grad(set_to_none=True)
        d_loss.backward()
        d_optimizer.step()

        fake_score, fake_features = discriminator(fake, condition, before)
        adversarial = bce(fake_score, torch.ones_like(fake_score))
        matching = ((real_features.detach().mean(0) - fake_features.mean(0)) ** 2).mean()
        g_loss = adversarial + config.feature_matching * matching
        g_optimizer.zero_grad(set_to_none=True)
        g_loss.backward()
        g_optimizer.step()
        bar.update(1)
        if step % 25 == 0:
            history["discriminator"].append((step, d_loss.item()))
            history["generator (adversarial)"].append((step, adversarial.item()))
            history["feature matching"].append((step, matching.item()))
            bar.set_postfix(d=f"{d_loss.item():.3f}", g=f"{adversarial.item():.3f}")
    bar.close()
    seconds = time.perf_counter() - started
    save_training_checkpoint("improviser", generator, g_optimizer, config, config.max_steps)
    save_curves("improviser", history, "loss", folder=Path(output) / "curves")
    entry = save_bundle("improviser", {
        "kind": "improviser", "config": as_dict(config), "model": generator.state_dict(), "rhythm": rhythm,
        "step": config.max_steps,
        "metadata": {"train_bars": len(examples)},  # no timings: the bytes must reproduce
    }, Path(output), command)
    return {"bundle": entry, "seconds": seconds, "bars_per_second": config.max_steps * config.batch_size / seconds}


#: Rhythm temperatures tried on the validation chorales (1 = the counted bigram as it is).
RHYTHM_TEMPERATURES = (0.4, 0.5, 0.6, 0.7, 0.8, 0.9, 1.0)


def chorale_rhythms(rows: list[dict]) -> list[list[tuple[int | None, int]]]:
    """The 4/4 chorale sopranos (original key) as (pitch, sixteenths) events from their bar grid."""
    from oracle.models.improviser import classes_to_events, grid_to_classes

    return [classes_to_events(grid_to_classes(list(r["grid"]))) for r in rows
            if r["corpus"] == "chorales" and r["meter"] == "4/4" and r["grid"] and r["transpose"] == 0]


def rhythm_sweep(counts, melodies, temperatures=RHYTHM_TEMPERATURES, seed: int = 1337) -> dict[str, dict]:
    """For each temperature: rhythms as long as each of ``melodies`` drawn from ``counts`` (seeded),
    and their pooled note lengths' overlap with the melodies' and entropy (bits); under "real", the
    melodies' own entropy."""
    from collections import Counter

    from oracle.models.improviser import sample_rhythm
    from oracle.models.inference import Sampler
    from oracle.training import metrics as m

    real = Counter(d for events in melodies for p, d in events if p is not None)
    sweep = {"real": {"duration_overlap": 1.0, "duration_entropy": m.duration_entropy(real)}}
    for temperature in temperatures:
        sampler = Sampler(seed, f"rhythm-sweep/{temperature}")
        drawn = Counter(length for events in melodies
                        for rest, length in sample_rhythm(counts, sum(d for _, d in events), sampler=sampler,
                                                          temperature=temperature) if not rest)
        sweep[str(temperature)] = {"duration_overlap": m.overlap(drawn, real, m.DURATION_BINS),
                                   "duration_entropy": m.duration_entropy(drawn)}
    return sweep


def closest_temperature(sweep: dict[str, dict]) -> str:
    """The swept temperature whose note-length entropy is nearest the real melodies' (ties: the higher)."""
    target = sweep["real"]["duration_entropy"]
    return min((t for t in sweep if t != "real"),
               key=lambda t: (round(abs(sweep[t]["duration_entropy"] - target), 6), -float(t)))


def train_rhythm(data_dir: str, output: str, command: str = "") -> dict:
    """The improviser's rhythm model, ``improviser_rhythm``: event bigrams given the bar position,
    counted over the training chorale sopranos (rhythm is key-free: original keys only), and the
    sampling temperature whose rhythms' note-length entropy comes closest to the validation
    sopranos' (drawn at temperature 1, the bigram's rhythms are more varied than the real ones)."""
    from oracle.models.bundles import save_bundle
    from oracle.models.improviser import rhythm_counts

    train = chorale_rhythms(load_rows(data_dir, "train", COLUMNS))
    validation = chorale_rhythms(load_rows(data_dir, "validation", COLUMNS))
    if not train or not validation:
        raise ValueError("no 4/4 chorale sopranos in the prepared training/validation rows; include the chorales")
    counts = rhythm_counts(train)
    sweep = rhythm_sweep(counts, validation)
    chosen = closest_temperature(sweep)
    target = sweep["real"]["duration_entropy"]
    entry = save_bundle("improviser_rhythm", {
        "kind": "improviser_rhythm", "rhythm": counts, "temperature": float(chosen), "step": 0,
        "metadata": {"train_melodies": len(train), "validation_melodies": len(validation), "sweep": sweep},
    }, Path(output), command)
    logger.info("improviser_rhythm: temperature %s chosen on %d validation chorales (entropy %.3f, real %.3f)",
                chosen, len(validation), sweep[chosen]["duration_entropy"], target)
    return {"bundle": entry, "temperature": float(chosen), "sweep": sweep}
