"""Train the collaborative-filtering recommender on the SIMULATED listening population (the
indexer does not yet record plays); hold out each user's last listens for evaluation."""

from __future__ import annotations

import logging
import time
from pathlib import Path

from oracle.training.config import RecommenderConfig, as_dict

logger = logging.getLogger(__name__)


def split_population(population, held_out: int):
    train = [listens[:-held_out] for listens in population.listens]
    test = [listens[-held_out:] for listens in population.listens]
    return train, test


def train_recommender(config: RecommenderConfig, output: str, command: str = "") -> dict:
    import torch

    from oracle.models.bundles import save_bundle
    from oracle.models.recommender import ARRANGEMENT_STYLES, SIMULATED, BPRModel, simulate_population
    from oracle.training.train import progress, save_curves

    config.check()
    started = time.perf_counter()
    population = simulate_population(config.users, config.works_per_style, config.listens_per_user, config.seed)
    train, _ = split_population(population, config.held_out_per_user)
    model = BPRModel(config.users, len(population.work_styles), config.factors, config.seed)
    history = {"BPR loss": []}
    bar = progress(config.epochs, "recommender")

    def record(epoch, loss):
        history["BPR loss"].append((epoch, loss))
        bar.update(1)
        bar.set_postfix(loss=f"{loss:.3f}")

    model.fit(train, config.epochs, config.learning_rate, config.regularization, config.seed, record)
    bar.close()
    save_curves("recommender", history, "BPR loss (per pair)", folder=Path(output) / "curves")
    payload = {
        "kind": "recommender", "config": as_dict(config), "step": config.epochs, "label": SIMULATED,
        "styles": list(ARRANGEMENT_STYLES),
        "item_factors": torch.tensor(model.item_factors, dtype=torch.float32),
        "item_bias": torch.tensor(model.item_bias, dtype=torch.float32),
        "work_styles": torch.tensor(population.work_styles),
        "metadata": {"data": SIMULATED, "users": config.users, "works": len(population.work_styles)},
    }
    entry = save_bundle("recommender", payload, Path(output), command)
    logger.info("recommender trained on %s in %.1f s", SIMULATED, time.perf_counter() - started)
    return {"bundle": entry, "seconds": time.perf_counter() - started}
