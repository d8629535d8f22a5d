"""Data preparation on Spark: real corpus files, split by tune with no leakage, deterministic."""

from __future__ import annotations

from oracle.training.config import PrepareConfig
from oracle.training.corpora import SourceFile
from oracle.training.prepare import load_rows, prepare

SOURCES = [
    SourceFile("chorales", "chorale", "bach/bwv66.6.mxl"),
    SourceFile("chorales", "chorale", "bach/bwv1.6.mxl"),
    SourceFile("chorales", "chorale", "bach/bwv10.7.mxl"),
    SourceFile("ryans", "fiddle", "ryansMammoth/AcrobatsHornpipe.abc"),
    SourceFile("ryans", "fiddle", "ryansMammoth/7thRegimentReel.abc"),
    SourceFile("ryans", "fiddle", "ryansMammoth/42dHighlandRegimentStrathspey.abc"),
]


def _run(spark, folder):
    config = PrepareConfig(output=str(folder), transpositions=(-1, 0, 1), validation_percent=30, test_percent=30,
                           partitions=2)
    summary = prepare(config, spark=spark, sources=SOURCES)
    return summary, {split: load_rows(folder, split) for split in ("train", "validation", "test")}


def test_spark_prepare_splits_by_tune_without_leakage_and_is_deterministic(spark, tmp_path):
    summary, first = _run(spark, tmp_path / "a")
    _, second = _run(spark, tmp_path / "b")
    assert first == second  # same rows, same order, on every run

    groups = {split: {r["tune_group"] for r in rows} for split, rows in first.items()}
    pieces = {split: {r["piece_id"] for r in rows} for split, rows in first.items()}
    assert not groups["train"] & groups["validation"] and not groups["train"] & groups["test"]
    assert not groups["validation"] & groups["test"]
    assert sum(len(p) for p in pieces.values()) == len(SOURCES)  # every piece in exactly one split
    # Augmentation only for training pieces; held-out pieces stay in their own key.
    for row in first["validation"] + first["test"]:
        assert row["transpose"] == 0
    for piece in pieces["train"]:
        assert sorted(r["transpose"] for r in first["train"] if r["piece_id"] == piece) == [-1, 0, 1]
    chorale = next(r for rows in first.values() for r in rows if r["piece_id"].endswith("bwv66.6.mxl"))
    assert chorale["grid"] and len(chorale["beat_chords"]) == len(chorale["grid"]) // 4
    assert chorale["tokens"][0] == 1 and chorale["tokens"][-1] == 2  # BOS ... EOS
    assert summary["sources"] == len(SOURCES)


def test_a_users_midi_folder_becomes_pieces_of_style_user(tmp_path):
    from oracle.training.corpora import parse_source, user_midi_files
    from tests.worker.midi_samples import chorale_midi

    (tmp_path / "songs").mkdir()
    (tmp_path / "songs" / "mine.mid").write_bytes(chorale_midi("bach/bwv66.6"))
    (tmp_path / "songs" / "notes.txt").write_text("not music")
    sources = user_midi_files(tmp_path)
    assert [s.corpus for s in sources] == ["user"]
    pieces = parse_source(sources[0])
    assert len(pieces) == 1 and pieces[0]["style"] == "user" and pieces[0]["piece_id"] == "user:mine.mid"
    assert max(p for p in pieces[0]["pitches"] if p > 0) >= 69  # the soprano (highest part) is the melody
