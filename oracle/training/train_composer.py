"""Train the composition LSTM: random windows of training pieces, the whole validation pieces
evaluated every ``eval_interval`` steps, the best validation step kept as the bundle."""

from __future__ import annotations

import copy
import logging
import math
import os
import random
import time
from pathlib import Path

from oracle.training.config import ComposerConfig, as_dict
from oracle.training.prepare import load_rows

logger = logging.getLogger(__name__)
COLUMNS = ["piece_id", "style", "meter", "bar_length", "start_position", "tonic_pc", "mode", "tokens", "transpose"]


def make_batch(rows, cumulative, rng: random.Random, config: ComposerConfig):
    import torch

    from oracle.models.composer import row_conditioning
    from oracle.models.vocabulary import PAD, bar_positions, phrase_positions

    width = config.sequence_length + 1
    tokens, positions, phrases, conditions = [], [], [], []
    for row in rng.choices(rows, cum_weights=cumulative, k=config.batch_size):
        sequence = list(row["tokens"])
        where = bar_positions(sequence, row["bar_length"], row["start_position"])
        phrase = phrase_positions(sequence, row["bar_length"], row["start_position"])
        start = rng.randrange(max(1, len(sequence) - width + 1))
        window = sequence[start:start + width]
        padding = width - len(window)
        tokens.append(window + [PAD] * padding)
        positions.append(where[start:start + width] + [0] * padding)
        phrases.append(phrase[start:start + width] + [0] * padding)
        conditions.append(row_conditioning(row).ids)
    return torch.tensor(tokens), torch.tensor(positions), torch.tensor(conditions), torch.tensor(phrases)


def train_composer(config: ComposerConfig, data_dir: str, output: str, command: str = "",
                   name: str = "composer") -> dict:
    """Train and save the bundle ``name`` ("composer", "composer_baseline" for the first
    generation's architecture, ``phrase_embedding`` 0, or "composer_transformer")."""
    import torch
    import torch.distributed as dist
    from torch import nn

    from oracle.models.bundles import save_bundle
    from oracle.models.composer import build_composer, next_token_loss, sequence_nll
    from oracle.models.vocabulary import PAD
    from oracle.training.train import progress, save_curves, save_training_checkpoint, seed_everything

    config.check()
    distributed = int(os.environ.get("WORLD_SIZE", "1")) > 1  # set by torchrun under TorchDistributor
    rank = 0
    if distributed:
        logging.basicConfig(level=logging.INFO, format="%(asctime)s %(levelname)s %(name)s: %(message)s")
        dist.init_process_group("gloo")
        rank = dist.get_rank()
        torch.set_num_threads(1)
    seed_everything(config.seed)
    train_rows = load_rows(data_dir, "train", COLUMNS)
    validation_rows = load_rows(data_dir, "validation", COLUMNS)
    if not train_rows or not validation_rows:
        raise ValueError(f"no prepared training/validation rows in {data_dir}; run `tutti-train prepare`")
    cumulative, total = [], 0
    for row in train_rows:
        total += len(row["tokens"])
        cumulative.append(total)
    model = build_composer(as_dict(config))
    trained = nn.parallel.DistributedDataParallel(model) if distributed else model
    optimizer = torch.optim.AdamW(model.parameters(), lr=config.learning_rate, weight_decay=0.01)
    warmup = max(1, min(50, config.max_steps // 10))
    schedule = torch.optim.lr_scheduler.LambdaLR(optimizer, lambda step: min(1.0, (step + 1) / warmup) * (
        0.1 + 0.45 * (1 + math.cos(math.pi * min(1.0, step / config.max_steps)))))
    rng = random.Random(config.seed + rank)
    history = {"train loss": [], "validation loss": []}
    best = (math.inf, 0, None)
    started = time.perf_counter()
    tokens_seen = 0
    bar = progress(config.max_steps, name) if rank == 0 else None
    for step in range(1, config.max_steps + 1):
        model.train()
        tokens, positions, conditions, phrases = make_batch(train_rows, cumulative, rng, config)
        loss = next_token_loss(trained, tokens, positions, conditions, phrases)
        optimizer.zero_grad(set_to_none=True)
        loss.backward()
        nn.utils.clip_grad_norm_(model.parameters(), 1.0)
        optimizer.step()
        schedule.step()
        tokens_seen += int((tokens[:, 1:] != PAD).sum())
        if bar:
            bar.update(1)
            bar.set_postfix(loss=f"{loss.item():.3f}")
        if step % 10 == 0:
            history["train loss"].append((step, loss.item()))
        if rank == 0 and (step % config.eval_interval == 0 or step == config.max_steps):
            nll, count = sequence_nll(model, validation_rows)
            history["validation loss"].append((step, nll / count))
            logger.info("step %d: validation loss %.4f (perplexity %.2f)", step, nll / count, math.exp(nll / count))
            if nll / count < best[0]:
                best = (nll / count, step, copy.deepcopy(model.state_dict()))
    seconds = time.perf_counter() - started
    if bar:
        bar.close()
    result = {}
    if rank == 0:
        save_training_checkpoint(name, model, optimizer, config, config.max_steps)
        save_curves(name, history, "cross-entropy (nats/token)", folder=Path(output) / "curves")
        entry = save_bundle(name, {
            "kind": "composer", "config": as_dict(config), "model": best[2], "step": best[1],
            "metadata": {"validation_loss": round(best[0], 4), "train_rows": len(train_rows),
                         "validation_rows": len(validation_rows)},  # no timings: the bytes must reproduce
        }, Path(output), command)
        result = {"bundle": entry, "best_step": best[1], "validation_loss": best[0],
                  "tokens_per_second": tokens_seen / seconds, "seconds": seconds}
        logger.info(name + ": best validation loss %.4f at step %d; %.0f tokens/s", best[0], best[1],
                    tokens_seen / seconds)
    if distributed:
        dist.destroy_process_group()
    return result


def train_structure(data_dir: str, output: str, command: str = "") -> dict:
    """Count the phrase-structure statistics of the training pieces (cadence degrees, bar repeats)
    into the bundle ``composer_structure`` that guides the composer's decoding."""
    from oracle.models.bundles import save_bundle
    from oracle.models.structure import learn_structure

    rows = load_rows(data_dir, "train", COLUMNS)
    if not rows:
        raise ValueError(f"no prepared training rows in {data_dir}; run `tutti-train prepare`")
    structure = learn_structure(rows)
    entry = save_bundle("composer_structure", {"kind": "composer_structure", "structure": structure, "step": 0,
                                               "metadata": {"train_pieces": structure["pieces"]}},
                        Path(output), command)
    logger.info("composer_structure: %d training pieces counted", structure["pieces"])
    return {"bundle": entry, "structure": structure}
