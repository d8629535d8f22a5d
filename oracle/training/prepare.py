"""Data preparation on Apache Spark: parse -> tune families -> folds -> transpose-augment ->
tokenize -> Parquet. Local (``local[*]``) by default; give ``--master spark://host:7077`` for a cluster.

Files are dealt to partitions by size, weighted by format (heaviest first, each to the lightest
partition), so one task does not get all the large multi-tune files. Parsed pieces stay cached while the driver
groups them into tune families (:mod:`oracle.training.families`: shared 8-interval n-grams,
chorale tune titles) and deals the families to folds; every row then carries its family and fold.

Deterministic: folds are a hash of the family (never of a row), families a pure function of the
pieces, and the output is sorted; running twice gives the same rows. Spark's console progress bar
shows each stage; counts are logged at the end and written to ``summary.json``.
"""

from __future__ import annotations

import json
import logging
import os
import sys
import time
from dataclasses import asdict
from pathlib import Path

from oracle.models.vocabulary import events_to_tokens, fit_range, transpose_chord
from oracle.training.config import PrepareConfig, as_dict
from oracle.training.corpora import HOLD, SILENT, SourceFile, corpus_files, parse_source, parse_cost, user_midi_files
from oracle.training.families import fold_of, split_of_fold, tune_families

logger = logging.getLogger(__name__)

SPLITS = ("train", "validation", "test")


def spark_session(master: str = "local[*]", app: str = "tutti-prepare", partitions: int = 16):
    """One SparkSession; workers run this interpreter so they import the same oracle code."""
    os.environ.setdefault("PYSPARK_PYTHON", sys.executable)
    os.environ.setdefault("PYSPARK_DRIVER_PYTHON", sys.executable)
    from pyspark.sql import SparkSession

    builder = SparkSession.builder
    if master.startswith("local"):  # a local run listens on loopback only, never the public interface
        os.environ.setdefault("SPARK_LOCAL_IP", "127.0.0.1")
        builder = builder.config("spark.driver.host", "127.0.0.1").config("spark.driver.bindAddress", "127.0.0.1")
    return (builder.master(master).appName(app)
            .config("spark.ui.showConsoleProgress", "true")
            .config("spark.ui.enabled", "false")
            .config("spark.sql.shuffle.partitions", str(partitions))
            .config("spark.driver.memory", "2g")
            .config("spark.executorEnv.PYTHONPATH", str(Path(__file__).resolve().parents[2]))
            .getOrCreate())


def balanced_slices(sources: list[SourceFile], count: int) -> list[list[SourceFile]]:
    """``count`` lists of sources with nearly equal parsing work (:func:`parse_cost`, the file size
    weighted by format): heaviest file first, each to the lightest list so far (ties to the lower
    index); deterministic."""
    slices: list[list[SourceFile]] = [[] for _ in range(count)]
    loads = [0.0] * count
    for size, source in sorted(((parse_cost(s), s) for s in sources), key=lambda item: (-item[0], item[1].path)):
        lightest = min(range(count), key=lambda i: (loads[i], i))
        slices[lightest].append(source)
        loads[lightest] += size
    return [s for s in slices if s]


def augmented_rows(piece: dict, family: str, fold: int, config: PrepareConfig) -> list[dict]:
    """One row per transposition (training pieces) or the original key only (held-out pieces)."""
    split = split_of_fold(fold)
    shifts = config.transpositions if split == "train" else (0,)
    rows = []
    for shift in shifts:
        events = [(None if p < 0 else p + shift, d) for p, d in zip(piece["pitches"], piece["durations"])]
        events, _ = fit_range(events)
        grid = [cell if cell in (HOLD, SILENT) else cell + shift for cell in piece["grid"]]
        chords = [c if c < 0 else transpose_chord(c, shift) for c in piece["beat_chords"]]
        rows.append({
            "piece_id": piece["piece_id"], "tune_family": family, "fold": fold, "corpus": piece["corpus"],
            "style": piece["style"], "split": split, "transpose": shift, "meter": piece["meter"],
            "bar_length": piece["bar_length"], "start_position": piece["start_position"],
            "tonic_pc": (piece["tonic_pc"] + shift) % 12, "mode": piece["mode"],
            "tokens": events_to_tokens(events), "grid": grid, "beat_chords": chords,
        })
    return rows


def schema():
    from pyspark.sql.types import ArrayType, IntegerType, StringType, StructField, StructType

    text, number, numbers = StringType(), IntegerType(), ArrayType(IntegerType())
    return StructType([
        StructField("piece_id", text), StructField("tune_family", text), StructField("fold", number),
        StructField("corpus", text),
        StructField("style", text), StructField("split", text), StructField("transpose", number),
        StructField("meter", text), StructField("bar_length", number), StructField("start_position", number),
        StructField("tonic_pc", number), StructField("mode", text), StructField("tokens", numbers),
        StructField("grid", numbers), StructField("beat_chords", numbers),
    ])


def sources_for(config: PrepareConfig) -> list[SourceFile]:
    sources = corpus_files(config.corpora, config.limit_per_corpus) if config.corpora else []
    if config.user_midi_dir:
        sources += user_midi_files(config.user_midi_dir)
    if not sources:
        raise ValueError("no source files: name a corpus or a MIDI folder")
    return sources


def prepare(config: PrepareConfig, spark=None, sources: list[SourceFile] | None = None) -> dict:
    """Run the pipeline; returns (and writes) a summary of rows per split and corpus."""
    config.check()
    sources = sources if sources is not None else sources_for(config)
    own_session = spark is None
    spark = spark or spark_session(config.master, partitions=config.partitions)
    started = time.perf_counter()
    logger.info("preparing %d source files on %s", len(sources), spark.sparkContext.master)
    try:
        slices = balanced_slices(sources, max(1, min(len(sources), config.partitions)))
        pieces = (spark.sparkContext.parallelize([[asdict(s) for s in part] for part in slices], len(slices))
                  .flatMap(lambda part: [piece for s in part for piece in parse_source(SourceFile(**s))])
                  .cache())
        melodies = dict(pieces.map(lambda piece: (piece["piece_id"], piece["pitches"])).collect())
        families = tune_families(melodies)
        placement = spark.sparkContext.broadcast(
            {piece: (family, fold_of(family, config.split_salt, config.folds)) for piece, family in families.items()})
        rows = pieces.flatMap(lambda piece: augmented_rows(piece, *placement.value[piece["piece_id"]], config))
        frame = spark.createDataFrame(rows, schema())
        output = Path(config.output)
        (frame.repartition(1).sortWithinPartitions("split", "piece_id", "transpose")
         .write.mode("overwrite").parquet(str(output / "pieces")))
        written = spark.read.parquet(str(output / "pieces"))
        from pyspark.sql import functions as F

        counts = {f"{r['split']}/{r['corpus']}": [r["pieces"], r["rows"]] for r in
                  written.groupBy("split", "corpus")
                  .agg(F.countDistinct("piece_id").alias("pieces"), F.count("*").alias("rows"))
                  .orderBy("split", "corpus").collect()}
    finally:
        if own_session:
            spark.stop()
    summary = {"config": as_dict(config), "sources": len(sources), "seconds": round(time.perf_counter() - started, 1),
               "pieces_and_rows": counts, "pieces": len(families), "tune_families": len(set(families.values()))}
    (Path(config.output) / "summary.json").write_text(json.dumps(summary, indent=2, sort_keys=True) + "\n")
    for name, (pieces, rows_) in counts.items():
        logger.info("%-28s %5d pieces %6d rows", name, pieces, rows_)
    return summary


class PreparedDataMissing(FileNotFoundError):
    """Training or evaluation looked for prepared pieces where ``prepare`` has not written any."""


def load_rows(data_dir: str | Path, split: str, columns: list[str] | None = None) -> list[dict]:
    """Read prepared rows of one split (pyarrow; no Spark needed for training), in stored order."""
    import pyarrow.parquet as pq

    pieces = Path(data_dir) / "pieces"
    if not pieces.exists():
        raise PreparedDataMissing(f"no prepared pieces in {data_dir}: run `tutti-train prepare` first "
                                  "(or give --data the folder it wrote)")
    table = pq.read_table(str(pieces), columns=columns, filters=[("split", "=", split)])
    rows = table.to_pylist()
    rows.sort(key=lambda r: (r.get("piece_id", ""), r.get("transpose", 0)))
    return rows
