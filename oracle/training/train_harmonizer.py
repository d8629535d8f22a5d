"""Train the chorale harmonizer: each training chorale in its own key (the model is key-relative,
so transposed copies would add nothing), target = the chord the lower voices spell on each beat."""

from __future__ import annotations

import copy
import logging
import random
import time
from pathlib import Path

from oracle.training.config import HarmonizerConfig, as_dict
from oracle.training.prepare import load_rows

logger = logging.getLogger(__name__)
PAD_BEATS = 192
COLUMNS = ["piece_id", "corpus", "meter", "bar_length", "tonic_pc", "mode", "grid", "beat_chords", "transpose"]


def chorale_examples(rows: list[dict]):
    """(features, key-relative chord targets with -100 where no chord) per chorale, original key."""
    import torch

    from oracle.models.harmonizer import beat_features
    from oracle.models.vocabulary import transpose_chord

    examples = []
    for row in rows:
        if row["corpus"] != "chorales" or not row["grid"] or row["transpose"] != 0:
            continue
        beats_per_bar = max(1, row["bar_length"] // 4)
        features = beat_features(list(row["grid"]), row["tonic_pc"], row["mode"], beats_per_bar)
        targets = torch.tensor([transpose_chord(c, -row["tonic_pc"]) if c >= 0 else -100
                                for c in row["beat_chords"][:len(features)]])
        examples.append((features, targets))
    return examples


def accuracy(model, examples) -> float:
    import torch

    model.eval()
    right = total = 0
    with torch.no_grad():
        for features, targets in examples:
            predicted = model(features.unsqueeze(0))[0].argmax(-1)
            mask = targets >= 0
            right += int((predicted[mask] == targets[mask]).sum())
            total += int(mask.sum())
    return right / max(1, total)


def train_harmonizer(config: HarmonizerConfig, data_dir: str, output: str, command: str = "") -> dict:
    import torch
    from torch import nn

    from oracle.models.bundles import save_bundle
    from oracle.models.harmonizer import Harmonizer
    from oracle.training.train import progress, save_curves, save_training_checkpoint, seed_everything

    config.check()
    seed_everything(config.seed)
    train = chorale_examples(load_rows(data_dir, "train", COLUMNS))
    validation = chorale_examples(load_rows(data_dir, "validation", COLUMNS))
    if not train:
        raise ValueError("no chorales in the prepared data")
    model = Harmonizer(**as_dict(config))
    optimizer = torch.optim.AdamW(model.parameters(), lr=config.learning_rate, weight_decay=0.01)
    rng = random.Random(config.seed)
    history = {"train loss": [], "validation accuracy": []}
    best = (-1.0, 0, None)
    started = time.perf_counter()
    bar = progress(config.max_steps, "harmonizer")
    for step in range(1, config.max_steps + 1):
        model.train()
        batch = rng.sample(train, min(config.batch_size, len(train)))
        # One fixed width: the CPU LSTM kernels are prepared per input shape, so varying widths are slow.
        features = torch.zeros(len(batch), PAD_BEATS, batch[0][0].shape[1])
        targets = torch.full((len(batch), PAD_BEATS), -100)
        for i, (f, t) in enumerate(batch):
            features[i, :min(len(f), PAD_BEATS)] = f[:PAD_BEATS]
            targets[i, :min(len(t), PAD_BEATS)] = t[:PAD_BEATS]
        logits = model(features)
        loss = nn.functional.cross_entropy(logits.reshape(-1, logits.shape[-1]), targets.reshape(-1), ignore_index=-100)
        optimizer.zero_grad(set_to_none=True)
        loss.backward()
        nn.utils.clip_grad_norm_(model.parameters(), 1.0)
        optimizer.step()
        bar.update(1)
        if step % 10 == 0:
            history["train loss"].append((step, loss.item()))
            bar.set_postfix(loss=f"{loss.item():.3f}")
        if step % config.eval_interval == 0 or step == config.max_steps:
            score = accuracy(model, validation) if validation else 0.0
            history["validation accuracy"].append((step, score))
            logger.info("step %d: validation chord accuracy %.3f", step, score)
            if score > best[0]:
                best = (score, step, copy.deepcopy(model.state_dict()))
    bar.close()
    save_training_checkpoint("harmonizer", model, optimizer, config, config.max_steps)
    save_curves("harmonizer", history, "loss / accuracy", folder=Path(output) / "curves")
    entry = save_bundle("harmonizer", {
        "kind": "harmonizer", "config": as_dict(config), "model": best[2], "step": best[1],
        "metadata": {"validation_accuracy": round(best[0], 4), "train_chorales": len(train)},
    }, Path(output), command)
    return {"bundle": entry, "seconds": time.perf_counter() - started, "validation_accuracy": best[0]}
