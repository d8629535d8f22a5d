"""Named, self-checking configurations (dataclasses), one per stage, as in nanoGPT's ``config/``
and Magenta's named configs. Defaults are the shipped models' settings: small, minutes on 2 CPUs."""

from __future__ import annotations

from dataclasses import asdict, dataclass
from pathlib import Path

PROJECT = Path(__file__).resolve().parents[2]
DEFAULT_DATA = PROJECT / ".cache" / "prepared"
CHECKPOINTS = PROJECT / "oracle" / "models" / "checkpoints"
RUNS = PROJECT / ".cache" / "runs"


class ConfigError(ValueError):
    pass


@dataclass(frozen=True)
class PrepareConfig:
    corpora: tuple[str, ...] = ("chorales", "ryans", "essen-ballads")
    user_midi_dir: str | None = None
    limit_per_corpus: int | None = None
    # Training pieces appear once per transposition; held-out pieces only in their own key.
    transpositions: tuple[int, ...] = (-3, -2, -1, 0, 1, 2, 3)
    # Tune families are dealt to folds; fold 0 is the test split, fold 1 validation, the rest train.
    folds: int = 10
    split_salt: str = "tutti-families/1"
    master: str = "local[*]"
    partitions: int = 16
    output: str = str(DEFAULT_DATA)

    def check(self) -> "PrepareConfig":
        if 0 not in self.transpositions:
            raise ConfigError("transpositions must include 0 (the original key)")
        if self.folds < 3:
            raise ConfigError("folds must be at least 3 (test, validation and training)")
        return self


@dataclass(frozen=True)
class ComposerConfig:
    embedding: int = 64
    condition_embedding: int = 16
    position_embedding: int = 16
    hidden: int = 128
    layers: int = 2
    dropout: float = 0.2
    sequence_length: int = 128
    batch_size: int = 64
    learning_rate: float = 4e-3
    max_steps: int = 1500
    eval_interval: int = 250
    eval_batches: int = 20
    seed: int = 1337
    # Bar-in-phrase and bars-to-go inputs (0 = the first generation's composer, the baseline).
    phrase_embedding: int = 16
    # "lstm" or "transformer" (ComposerTransformer: relative-position self-attention, ``heads`` heads,
    # each token seeing the ``sequence_length`` tokens up to itself).
    architecture: str = "lstm"
    heads: int = 4

    def check(self) -> "ComposerConfig":
        if self.architecture not in ("lstm", "transformer"):
            raise ConfigError("composer architecture must be lstm or transformer")
        if self.architecture == "transformer" and self.hidden % self.heads:
            raise ConfigError("transformer width must be a multiple of its heads")
        if self.hidden < 8 or self.layers < 1 or self.sequence_length < 8:
            raise ConfigError("composer model too small to be meaningful")
        return self


#: The first composer's architecture, trained on the same data as the baseline row of the report.
COMPOSER_BASELINE = ComposerConfig(phrase_embedding=0)

#: The small Transformer composer: the phrase-aware LSTM's inputs, 2 pre-norm blocks of width 128.
#: Half the LSTM's batch and 800 steps: a step costs about 3x an LSTM step on one shared core.
COMPOSER_TRANSFORMER = ComposerConfig(architecture="transformer", hidden=128, layers=2, heads=4, dropout=0.1,
                                      learning_rate=2e-3, batch_size=32, max_steps=800, eval_interval=200)


@dataclass(frozen=True)
class ImproviserConfig:
    """MidiNet-style conditional GAN over one 4/4 bar (16 sixteenths) of melody; the chord of each
    beat conditions both networks. Pitches MIDI 57..84 plus rest and hold per step."""

    noise: int = 64
    hidden: int = 256
    batch_size: int = 64
    learning_rate: float = 2e-4
    max_steps: int = 6000
    eval_interval: int = 500
    feature_matching: float = 1.0
    gumbel_temperature: float = 0.5
    seed: int = 1337

    def check(self) -> "ImproviserConfig":
        if self.noise < 1 or self.hidden < 8:
            raise ConfigError("improviser too small")
        return self


@dataclass(frozen=True)
class HarmonizerConfig:
    """A bidirectional LSTM over beats: melody pitch classes (key-relative) in, chord out."""

    hidden: int = 128
    layers: int = 2
    dropout: float = 0.2
    batch_size: int = 16
    learning_rate: float = 3e-3
    max_steps: int = 1000
    eval_interval: int = 100
    seed: int = 1337

    def check(self) -> "HarmonizerConfig":
        if self.hidden < 8:
            raise ConfigError("harmonizer too small")
        return self


@dataclass(frozen=True)
class RecommenderConfig:
    """Implicit-feedback matrix factorisation (BPR) on a SIMULATED listening population."""

    users: int = 2000
    works_per_style: int = 40
    listens_per_user: int = 40
    factors: int = 16
    epochs: int = 15
    learning_rate: float = 0.05
    regularization: float = 1e-4
    held_out_per_user: int = 5
    seed: int = 1337

    def check(self) -> "RecommenderConfig":
        if self.held_out_per_user >= self.listens_per_user:
            raise ConfigError("hold out fewer listens than each user has")
        return self


def as_dict(config) -> dict:
    return {k: list(v) if isinstance(v, tuple) else v for k, v in asdict(config).items()}


def from_dict(cls, values: dict):
    fields = cls.__dataclass_fields__
    return cls(**{k: tuple(v) if isinstance(v, list) else v for k, v in values.items() if k in fields}).check()


