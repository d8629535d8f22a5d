"""Data preparation on Spark: real corpus files, split by tune family with no leakage, deterministic,
partitions balanced by file size."""

from __future__ import annotations

from oracle.training.config import PrepareConfig
from oracle.training.corpora import SourceFile
from oracle.training.families import interval_ngrams, tune_families
from oracle.training.prepare import balanced_slices, load_rows, prepare

SOURCES = [
    SourceFile("chorales", "chorale", "bach/bwv66.6.mxl"),
    SourceFile("chorales", "chorale", "bach/bwv1.6.mxl"),
    SourceFile("chorales", "chorale", "bach/bwv10.7.mxl"),
    SourceFile("ryans", "fiddle", "ryansMammoth/AcrobatsHornpipe.abc"),
    SourceFile("ryans", "fiddle", "ryansMammoth/7thRegimentReel.abc"),
    SourceFile("ryans", "fiddle", "ryansMammoth/42dHighlandRegimentStrathspey.abc"),
]


def _run(spark, folder):
    config = PrepareConfig(output=str(folder), transpositions=(-1, 0, 1), folds=3, partitions=2)
    summary = prepare(config, spark=spark, sources=SOURCES)
    return summary, {split: load_rows(folder, split) for split in ("train", "validation", "test")}


def test_spark_prepare_splits_by_tune_family_without_leakage_and_is_deterministic(spark, tmp_path):
    summary, first = _run(spark, tmp_path / "a")
    _, second = _run(spark, tmp_path / "b")
    assert first == second  # same rows, same order, on every run

    assert {r["fold"] for rows in first.values() for r in rows} == {0, 1, 2}
    assert {(r["split"], r["fold"]) for rows in first.values() for r in rows} == {("test", 0), ("validation", 1),
                                                                                    ("train", 2)}
    groups = {split: {r["tune_family"] for r in rows} for split, rows in first.items()}
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


def test_variants_of_a_tune_and_chorales_of_one_title_form_one_family():
    tune = [60, 62, 64, 65, 67, 69, 71, 72, 71, 69, 67, 65, 64, 62, 60, 62, 64, 67, 64, 60]
    variant = [67] + [p + 7 for p in tune[:10]] + [-1] + [p + 7 for p in tune[10:]] + [74, 72]  # transposed, a rest, new notes
    other = [60, 67, 65, 72, 70, 62, 74, 63, 61, 66, 59, 57, 71, 60, 55, 64, 66, 68, 70, 72]
    assert len(interval_ngrams(tune) & interval_ngrams(variant)) >= len(interval_ngrams(tune)) / 2
    families = tune_families(
        {"essen:a#1": tune, "essen:b#7": variant, "essen:c#2": other,
         "chorales:bach/bwv120.6.mxl": other[::-1], "chorales:bach/bwv328.mxl": tune[::-1][:12] + other[:9]},
        titles={"120.6": "herr gott dich loben wir", "328": "herr gott dich loben wir"})
    assert families["essen:a#1"] == families["essen:b#7"] == "essen:a#1"
    assert families["essen:c#2"] == "essen:c#2"
    assert families["chorales:bach/bwv120.6.mxl"] == families["chorales:bach/bwv328.mxl"] == "chorales:bach/bwv120.6.mxl"


def test_partitions_are_balanced_by_file_size_not_contiguous():
    from oracle.training.corpora import parse_cost

    slices = balanced_slices(SOURCES, 2)
    loads = sorted(sum(parse_cost(s) for s in part) for part in slices)
    largest = max(parse_cost(s) for s in SOURCES)
    assert sorted(s.path for part in slices for s in part) == sorted(s.path for s in SOURCES)
    assert loads[1] - loads[0] <= largest  # greedy largest-first: off by at most one file
    contiguous = [sum(parse_cost(s) for s in SOURCES[:3]), sum(parse_cost(s) for s in SOURCES[3:])]
    assert loads[1] - loads[0] < abs(contiguous[0] - contiguous[1]) / 2
