"""Data preparation on Apache Spark: parse -> transpose-augment -> tokenize -> split by tune ->
Parquet. Local (``local[*]``) by default; give ``--master spark://host:7077`` for a cluster.

Deterministic: the split is a hash of the tune (never of a row), every row depends only on its
source file, and the output is sorted; running twice gives the same rows. Spark's console
progress bar shows each stage; counts are logged at the end and written to ``summary.json``.
"""

from __future__ import annotations

import hashlib
import json
import logging
import os
import sys
import time
from dataclasses import asdict
from pathlib import Path

from oracle.models.vocabulary import events_to_tokens, fit_range, transpose_chord
from oracle.training.config import PrepareConfig, as_dict
from oracle.training.corpora import HOLD, SILENT, SourceFile, corpus_files, parse_source, user_midi_files

logger = logging.getLogger(__name__)

SPLITS = ("train", "validation", "test")


def spark_session(master: str = "local[*]", app: str = "tutti-prepare", partitions: int = 16):
    """One SparkSession; workers run this interpreter so they import the same oracle code."""
    os.environ.setdefault("PYSPARK_PYTHON", sys.executable)
    os.environ.setdefault("PYSPARK_DRIVER_PYTHON", sys.executable)
    from pyspark.sql import SparkSession

    return (SparkSession.builder.master(master).appName(app)
            .config("spark.ui.showConsoleProgress", "true")
            .config("spark.ui.enabled", "false")
            .config("spark.sql.shuffle.partitions", str(partitions))
            .config("spark.driver.memory", "2g")
            .config("spark.executorEnv.PYTHONPATH", str(Path(__file__).resolve().parents[2]))
            .getOrCreate())


def split_of(tune_group: str, config: PrepareConfig) -> str:
    bucket = int(hashlib.sha256(f"{config.split_salt}:{tune_group}".encode()).hexdigest(), 16) % 100
    if bucket < config.test_percent:
        return "test"
    if bucket < config.test_percent + config.validation_percent:
        return "validation"
    return "train"


def augmented_rows(piece: dict, config: PrepareConfig) -> list[dict]:
    """One row per transposition (training pieces) or the original key only (held-out pieces)."""
    split = split_of(piece["tune_group"], config)
    shifts = config.transpositions if split == "train" else (0,)
    rows = []
    for shift in shifts:
        events = [(None if p < 0 else p + shift, d) for p, d in zip(piece["pitches"], piece["durations"])]
        events, _ = fit_range(events)
        grid = [cell if cell in (HOLD, SILENT) else cell + shift for cell in piece["grid"]]
        chords = [c if c < 0 else transpose_chord(c, shift) for c in piece["beat_chords"]]
        rows.append({
            "piece_id": piece["piece_id"], "tune_group": piece["tune_group"], "corpus": piece["corpus"],
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
        StructField("piece_id", text), StructField("tune_group", text), StructField("corpus", text),
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
        slices = max(1, min(len(sources), config.partitions))
        rows = (spark.sparkContext.parallelize([asdict(s) for s in sources], slices)
                .flatMap(lambda s: parse_source(SourceFile(**s)))
                .flatMap(lambda piece: augmented_rows(piece, config)))
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
               "pieces_and_rows": counts}
    (Path(config.output) / "summary.json").write_text(json.dumps(summary, indent=2, sort_keys=True) + "\n")
    for name, (pieces, rows_) in counts.items():
        logger.info("%-28s %5d pieces %6d rows", name, pieces, rows_)
    return summary


def load_rows(data_dir: str | Path, split: str, columns: list[str] | None = None) -> list[dict]:
    """Read prepared rows of one split (pyarrow; no Spark needed for training), in stored order."""
    import pyarrow.parquet as pq

    table = pq.read_table(str(Path(data_dir) / "pieces"), columns=columns, filters=[("split", "=", split)])
    rows = table.to_pylist()
    rows.sort(key=lambda r: (r.get("piece_id", ""), r.get("transpose", 0)))
    return rows
