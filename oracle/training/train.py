"""Shared training machinery: seeding, progress, curves (PNG), checkpoints, TorchDistributor, and
the dispatch behind ``tutti-train train MODEL``."""

from __future__ import annotations

import logging
import random
from dataclasses import replace
from pathlib import Path

from oracle.training.config import CHECKPOINTS, RUNS
from tutti.settings import TrainSettings

logger = logging.getLogger(__name__)
CURVES = CHECKPOINTS / "curves"


def seed_everything(seed: int) -> None:
    import numpy as np
    import torch

    random.seed(seed)
    np.random.seed(seed)
    torch.manual_seed(seed)
    torch.use_deterministic_algorithms(True)
    # One thread by default: the same bits on any core count, and no spin-waiting when the machine
    # is shared (two threads on two busy cores ran 5-10x slower than one).
    torch.set_num_threads(TrainSettings().threads)


def progress(total: int, description: str):
    from tqdm import tqdm

    return tqdm(total=total, desc=description, unit="step", dynamic_ncols=True, mininterval=2.0)


def save_curves(name: str, history: dict[str, list[tuple[int, float]]], ylabel: str = "loss",
                folder: Path = CURVES) -> Path:
    """One PNG per model, beside its bundle: every recorded series against the training step."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    folder.mkdir(parents=True, exist_ok=True)
    path = folder / f"{name}.png"
    figure, axis = plt.subplots(figsize=(6, 3.5), dpi=100)
    for label, points in history.items():
        if points:
            steps, values = zip(*points)
            axis.plot(steps, values, label=label, marker="o" if len(points) < 30 else None)
    axis.set_xlabel("step")
    axis.set_ylabel(ylabel)
    axis.set_title(name)
    axis.legend()
    axis.grid(alpha=0.3)
    figure.tight_layout()
    figure.savefig(path, metadata={"Software": None})
    plt.close(figure)
    return path


def save_training_checkpoint(name: str, model, optimizer, config, step: int) -> Path:
    """nanoGPT's resumable checkpoint (model + optimizer + config + step), kept out of the repo."""
    import torch

    from oracle.training.config import as_dict

    folder = RUNS / name
    folder.mkdir(parents=True, exist_ok=True)
    path = folder / "ckpt.pt"
    torch.save({"model": model.state_dict(), "optimizer": optimizer.state_dict(), "config": as_dict(config),
                "step": step}, path)
    return path


def run_distributed(function, processes: int, *args):
    """Run ``function(*args)`` on ``processes`` CPU processes through Spark's TorchDistributor (DDP,
    gloo). Local Spark by default; inside a cluster session it spreads over the executors."""
    from pyspark.ml.torch.distributor import TorchDistributor

    from oracle.training.prepare import spark_session

    spark = spark_session(TrainSettings().spark_master or f"local[{processes}]", app="tutti-train")
    try:
        return TorchDistributor(num_processes=processes, local_mode=True, use_gpu=False).run(function, *args)
    finally:
        spark.stop()


def train_model(model: str, data_dir: str, steps: int | None = None, distributed: int = 0,
                output: str | None = None) -> dict:
    from oracle.training import config as configs

    folder = Path(output) if output else CHECKPOINTS
    command = (f"tutti-train train {model}" + (f" --steps {steps}" if steps else "")
               + (f" --distributed {distributed}" if distributed and model.startswith("composer") else ""))
    if model == "composer-structure":
        from oracle.training.train_composer import train_structure

        return train_structure(data_dir, str(folder), command)
    if model in ("composer", "composer-baseline", "composer-transformer"):
        from oracle.training.train_composer import train_composer

        cfg = {"composer": configs.ComposerConfig(), "composer-baseline": configs.COMPOSER_BASELINE,
               "composer-transformer": configs.COMPOSER_TRANSFORMER}[model]
        cfg = replace(cfg, max_steps=steps) if steps else cfg
        name = model.replace("-", "_")
        if distributed:
            return run_distributed(train_composer, distributed, cfg, data_dir, str(folder), command, name)
        return train_composer(cfg, data_dir, str(folder), command, name)
    if distributed:
        logger.warning("--distributed is implemented for the composer only; training %s locally", model)
    if model == "improviser-rhythm":
        from oracle.training.train_improviser import train_rhythm

        return train_rhythm(data_dir, str(folder), command)
    if model == "improviser":
        from oracle.training.train_improviser import train_improviser

        cfg = configs.ImproviserConfig()
        return train_improviser(replace(cfg, max_steps=steps) if steps else cfg, data_dir, str(folder), command)
    if model == "harmonizer":
        from oracle.training.train_harmonizer import train_harmonizer

        cfg = configs.HarmonizerConfig()
        return train_harmonizer(replace(cfg, max_steps=steps) if steps else cfg, data_dir, str(folder), command)
    if model == "recommender":
        from oracle.training.train_recommender import train_recommender

        cfg = configs.RecommenderConfig()
        return train_recommender(replace(cfg, epochs=steps) if steps else cfg, str(folder), command)
    raise ValueError(model)
