"""One command, every model against its baseline on held-out pieces: ``tutti-train evaluate``.

Numbers go to ``oracle/models/checkpoints/evaluation.json``; the report (``docs/models.md``) is
rendered from that file and the benchmark's ``benchmark.json``. All sampling here is seeded, so the
report is reproducible for a given set of bundles.
"""

from __future__ import annotations

import json
import logging
import math
import random
from collections import Counter
from pathlib import Path

from oracle.models.inference import Sampler
from oracle.training import metrics as m
from oracle.training.config import CHECKPOINTS, PROJECT
from oracle.training.prepare import PreparedDataMissing, load_rows

logger = logging.getLogger(__name__)
EVALUATION = CHECKPOINTS / "evaluation.json"
BENCHMARK = CHECKPOINTS / "benchmark.json"
REPORT = PROJECT / "docs" / "models.md"
GENERATED_PIECES = 60
BARS = 16


def _spread(rows: list, count: int) -> list:
    step = max(1, len(rows) // count)
    return rows[::step][:count]


def _first_bars(events, bars_sixteenths: int):
    out, now = [], 0
    for pitch, duration in events:
        if now >= bars_sixteenths:
            break
        out.append((pitch, min(duration, bars_sixteenths - now)))
        now += duration
    return out


def _histogram_scores(generated: list[tuple[list, int]], real: list[tuple[list, int]]) -> dict:
    def pooled(items):
        pcs, ints, durs = Counter(), Counter(), Counter()
        for events, tonic in items:
            a, b, c = m.melody_histograms(events, tonic)
            pcs.update(a), ints.update(b), durs.update(c)
        return pcs, ints, durs

    g, r = pooled(generated), pooled(real)
    return {"pitch_class_overlap": m.overlap(g[0], r[0], m.PITCH_BINS),
            "interval_overlap": m.overlap(g[1], r[1], m.INTERVAL_BINS),
            "duration_overlap": m.overlap(g[2], r[2], m.DURATION_BINS)}


#: Composer bundles compared (whichever exist): the served one, the other second-generation
#: candidates, and the first LSTM as the baseline.
COMPOSERS = ("composer", "composer_transformer", "composer_lstm", "composer_baseline")


def composer_label(name: str, config: dict) -> str:
    if config.get("architecture") == "transformer":
        label = "Transformer, relative attention"
    elif config.get("phrase_embedding"):
        label = "phrase-aware LSTM"
    else:
        label = "first LSTM (baseline)"
    return label + (" (served)" if name == "composer" else "")


def _trivial_bleu(chosen: list[dict], references) -> dict:
    """BLEU of melodies no one would call music, as the floor BLEU must be read against: one
    repeated tonic, and a random walk by scale steps (seeded) over the real pieces' note counts."""
    from oracle.models.vocabulary import tokens_to_events

    rng = random.Random(4321)
    repeated, walks = [], []
    for row in chosen:
        notes = sum(1 for p, _ in _first_bars(tokens_to_events(row["tokens"]), BARS * row["bar_length"]) if p is not None)
        scale = sorted(m.SCALES[row["mode"]])
        degree, walk = 7 * 3, []
        for _ in range(notes):
            degree = max(0, min(7 * 6, degree + rng.choice((-1, 1))))
            octave, step = divmod(degree, 7)
            walk.append(12 * octave + scale[step * len(scale) // 7])
        repeated.append([0] * max(0, notes - 1))
        walks.append([b - a for a, b in zip(walk, walk[1:])])
    return {"repeated_tonic": m.bleu(repeated, references), "scale_step_walk": m.bleu(walks, references)}


def evaluate_composer(data_dir: str) -> dict:
    import torch

    from oracle.models.bundles import BundleError, load_bundle
    from oracle.models.composer import build_composer, end_nll, row_conditioning, sample, sequence_nll
    from oracle.models.ngram import NGramModel
    from oracle.models.vocabulary import EOS, tokens_to_events

    columns = ["piece_id", "corpus", "style", "meter", "bar_length", "start_position", "tonic_pc", "mode", "tokens",
               "transpose"]
    train, validation, test = (load_rows(data_dir, s, columns) for s in ("train", "validation", "test"))
    torch.set_num_threads(1)
    models, labels, training = {}, {}, {}
    for name in COMPOSERS:
        try:
            bundle = load_bundle(name)
        except BundleError:
            continue
        models[name] = build_composer(bundle["config"])
        models[name].load_state_dict(bundle["model"])
        labels[name] = composer_label(name, bundle["config"])
        training[name] = {key: bundle["config"].get(key) for key in ("layers", "hidden", "heads", "batch_size", "max_steps")}
        training[name]["best_step"] = bundle["step"]
    try:
        structure = load_bundle("composer_structure")["structure"]
    except BundleError:
        structure = None
    # The n-gram order is chosen on validation, as the LSTM's best step was.
    best_order, best_val = 2, math.inf
    for order in (2, 3, 4, 5, 6):
        candidate = NGramModel(order).fit(r["tokens"] for r in train)
        nll, n = candidate.nll(r["tokens"] for r in validation)
        if nll / n < best_val:
            best_order, best_val, ngram = order, nll / n, candidate
    ngram_nll, ngram_count = ngram.nll(r["tokens"] for r in test)
    ngram_end = sum(-math.log(ngram.probability(tuple(r["tokens"][-best_order:-1]), EOS)) for r in test) / len(test)

    chosen = _spread(test, GENERATED_PIECES)
    rng = random.Random(1234)
    guided = [f"{name}_guided" for name in models if structure and name == "composer"]
    items = {name: [] for name in (*models, *guided, "ngram", "real")}
    layouts = {name: [] for name in items}  # (bar length, start) of each item, for bar repetition
    for name in (*models, *guided):
        sampler = Sampler(1234, "evaluate/compose")
        model = models[name.removesuffix("_guided")]
        for row in chosen:
            piece = sample(model, row_conditioning(row), BARS, sampler=sampler,
                           structure=structure if name in guided else None)
            items[name].append((piece, row["tonic_pc"]))
            layouts[name].append((row["bar_length"], 0))
    for row in chosen:
        budget = BARS * row["bar_length"]
        tokens = ngram.sample(8 * BARS * 2, rng)
        items["ngram"].append((_first_bars(tokens_to_events(tokens), budget), row["tonic_pc"]))
        layouts["ngram"].append((row["bar_length"], 0))
        items["real"].append((_first_bars(tokens_to_events(row["tokens"]), budget), row["tonic_pc"]))
        layouts["real"].append((row["bar_length"], row["start_position"]))
    validation_items = [(_first_bars(tokens_to_events(r["tokens"]), BARS * r["bar_length"]), r["tonic_pc"])
                        for r in _spread(validation, GENERATED_PIECES)]
    validation_layouts = [(r["bar_length"], r["start_position"]) for r in _spread(validation, GENERATED_PIECES)]
    references = [m.intervals_of(tokens_to_events(r["tokens"])) for r in test]
    train_grams = set()
    for row in train:
        if row["transpose"] == 0:
            train_grams.update(m.ngrams(m.intervals_of(tokens_to_events(row["tokens"])), 8))

    def scores(generated, layout, endings):
        sequences = [m.intervals_of(e) for e, _ in generated]
        repeats = [m.bar_repetition(e, bar_length, start) for (e, _), (bar_length, start) in zip(generated, layout)]
        return {**_histogram_scores(generated, items["real"]),
                "bleu4": m.bleu(sequences, references),
                "verbatim_8gram_match": m.verbatim_match_rate(sequences, train_grams),
                "distinct_4gram": m.distinct_ratio([[p for p, _ in e if p is not None] for e, _ in generated]),
                "bar_repetition": sum(r for r, _ in repeats) / max(1, sum(c for _, c in repeats)),
                "bar_repetition_interval": m.bootstrap_ratio_interval(repeats, random.Random(77)),
                "ends_on_tonic": sum(m.ends_on_tonic(e, tonic) for e, tonic in endings) / max(1, len(endings))}

    whole_real = [(tokens_to_events(r["tokens"]), r["tonic_pc"]) for r in chosen]
    results = {
        "test_pieces": len(test), "ngram_order": best_order, "generated_pieces": len(chosen),
        "ngram": {"nll": ngram_nll / ngram_count, "perplexity": math.exp(ngram_nll / ngram_count),
                  "end_nll": ngram_end, **scores(items["ngram"], layouts["ngram"], items["ngram"])},
        "real_validation": scores(validation_items, validation_layouts,
                                  [(tokens_to_events(r["tokens"]), r["tonic_pc"]) for r in _spread(validation, GENERATED_PIECES)]),
        "real_test_whole": {"ends_on_tonic": sum(m.ends_on_tonic(e, t) for e, t in whole_real) / max(1, len(whole_real))},
        "real_test": scores(items["real"], layouts["real"], whole_real),
        "bleu_trivial": _trivial_bleu(chosen, references),
        "labels": labels, "training": training,
    }
    for name in guided:
        results[name] = scores(items[name], layouts[name], items[name])
    for name, model in models.items():
        nll, count = sequence_nll(model, test)
        results["test_tokens"] = count
        results[name] = {"nll": nll / count, "perplexity": math.exp(nll / count), "end_nll": end_nll(model, test),
                         **scores(items[name], layouts[name], items[name])}
    return results


def evaluate_improviser(data_dir: str) -> dict:
    from oracle.models.bundles import BundleError, load_bundle
    from oracle.models.improviser import LOW, HIGH, Generator, improvise, improvise_stepwise
    from oracle.models.vocabulary import chord_pitch_classes
    from oracle.training.train_improviser import COLUMNS, bar_examples

    test = [r for r in load_rows(data_dir, "test", COLUMNS) if r["corpus"] == "chorales" and r["meter"] == "4/4"]
    bundle = load_bundle("improviser")
    try:
        rhythm_bundle = load_bundle("improviser_rhythm")
    except BundleError:  # before the rhythm bundle: the counts the GAN's bundle carries, at temperature 1
        rhythm_bundle = {"rhythm": bundle.get("rhythm"), "temperature": 1.0}
    generator = Generator(**bundle["config"])
    generator.load_state_dict(bundle["model"])
    generator = generator.double()  # as the job runs it
    sampler = Sampler(99, "evaluate/improvise")
    stepwise_sampler = Sampler(99, "evaluate/improvise-stepwise")
    untempered_sampler = Sampler(99, "evaluate/improvise-untempered")
    rng = random.Random(99)

    def chord_tone_ratio(events, beat_chords):
        hits = total = 0
        now = 0
        for pitch, duration in events:
            beat = now // 4
            if pitch is not None and beat < len(beat_chords) and beat_chords[beat] >= 0:
                total += 1
                hits += pitch % 12 in chord_pitch_classes(beat_chords[beat])
            now += duration
        return hits, total

    names = ("gan", "gan_untempered", "gan_stepwise", "real", "random_chord_tone")
    results = {name: {"hits": 0, "notes": 0, "melodies": [], "in_key": 0, "pitched": 0, "durations": Counter()}
               for name in names}
    items = {name: [] for name in results}
    for row in test:
        examples = bar_examples([row])
        if not examples:
            continue
        chords = list(row["beat_chords"])
        chords = [c if c >= 0 else (chords[i - 1] if i else -1) for i, c in enumerate(chords)]
        from oracle.models.improviser import classes_to_events, grid_to_classes

        real = classes_to_events(grid_to_classes(list(row["grid"])))
        gan = improvise(generator, chords, sampler=sampler, rhythm=rhythm_bundle["rhythm"],
                        rhythm_temperature=rhythm_bundle["temperature"])
        untempered = improvise(generator, chords, sampler=untempered_sampler, rhythm=rhythm_bundle["rhythm"])
        stepwise = improvise_stepwise(generator, chords, sampler=stepwise_sampler)
        baseline = []
        now = 0
        for pitch, duration in real:  # real rhythm, a random chord tone in the soprano range per note
            beat = min(now // 4, len(chords) - 1)
            if pitch is None or chords[beat] < 0:
                baseline.append((pitch, duration))
            else:
                options = [p for p in range(LOW + 3, HIGH - 5) if p % 12 in chord_pitch_classes(chords[beat])]
                baseline.append((rng.choice(options), duration))
            now += duration
        for name, events in (("gan", gan), ("gan_untempered", untempered), ("gan_stepwise", stepwise), ("real", real),
                             ("random_chord_tone", baseline)):
            hits, total = chord_tone_ratio(events, chords)
            in_key, pitched = m.in_key_ratio(events, row["tonic_pc"], row["mode"])
            results[name]["in_key"] += in_key
            results[name]["pitched"] += pitched
            results[name]["durations"].update(d for p, d in events if p is not None)
            results[name]["hits"] += hits
            results[name]["notes"] += total
            results[name]["melodies"].append([p for p, _ in events if p is not None])
            items[name].append((events, row["tonic_pc"]))
    summary = {"test_chorales": len(items["real"]), "rhythm_temperature": rhythm_bundle["temperature"],
               "rhythm_sweep": rhythm_bundle.get("metadata", {}).get("sweep", {})}
    for name, data in results.items():
        summary[name] = {"chord_tone_ratio": data["hits"] / max(1, data["notes"]),
                         "in_key_ratio": data["in_key"] / max(1, data["pitched"]),
                         "duration_entropy": m.duration_entropy(data["durations"]),
                         "distinct_4gram": m.distinct_ratio(data["melodies"]),
                         **_histogram_scores(items[name], items["real"])}
    return summary


def evaluate_harmonizer(data_dir: str) -> dict:
    import torch

    from oracle.models.bundles import load_bundle
    from oracle.models.harmonizer import Harmonizer
    from oracle.models.vocabulary import chord_symbol
    from oracle.training.train_harmonizer import COLUMNS, accuracy, chorale_examples

    train = chorale_examples(load_rows(data_dir, "train", COLUMNS))
    test = chorale_examples(load_rows(data_dir, "test", COLUMNS))
    bundle = load_bundle("harmonizer")
    model = Harmonizer(**bundle["config"])
    model.load_state_dict(bundle["model"])
    frequencies = Counter(int(t) for _, targets in train for t in targets if t >= 0)
    most_frequent = frequencies.most_common(1)[0][0]
    right = total = 0
    for _, targets in test:
        mask = targets >= 0
        right += int((targets[mask] == most_frequent).sum())
        total += int(mask.sum())
    from oracle.models.vocabulary import chord_pitch_classes

    root_right = root_total = 0
    strong = {"model": 0, "bach": 0, "beats": 0}  # melody notes on beats 1 and 3 that are chord tones
    model.eval()
    with torch.no_grad():
        for features, targets in test:
            predicted = model(features.unsqueeze(0))[0].argmax(-1)
            mask = targets >= 0
            root_right += int(((predicted[mask] // 7) == (targets[mask] // 7)).sum())
            root_total += int(mask.sum())
            for beat in range(len(targets)):
                on_beat = features[beat, 12:24].nonzero()
                if targets[beat] < 0 or len(on_beat) == 0 or not (features[beat, 24] or features[beat, 26]):
                    continue
                pitch_class = int(on_beat[0])
                strong["beats"] += 1
                strong["model"] += pitch_class in chord_pitch_classes(int(predicted[beat]))
                strong["bach"] += pitch_class in chord_pitch_classes(int(targets[beat]))
    return {"test_chorales": len(test), "test_beats": total, "model_accuracy": accuracy(model, test),
            "model_root_accuracy": root_right / max(1, root_total),
            "strong_beat_chord_tones": {"model": strong["model"] / max(1, strong["beats"]),
                                        "bach": strong["bach"] / max(1, strong["beats"]), "beats": strong["beats"]},
            "most_frequent_chord": chord_symbol(most_frequent) + " (in C)", "baseline_accuracy": right / max(1, total)}


def evaluate_recommender() -> dict:
    import numpy as np

    from oracle.models.bundles import load_bundle
    from oracle.models.recommender import ARRANGEMENT_STYLES, rank_works, simulate_population, style_scores
    from oracle.training.config import RecommenderConfig, from_dict
    from oracle.training.train_recommender import split_population

    bundle = load_bundle("recommender")
    config = from_dict(RecommenderConfig, bundle["config"])
    population = simulate_population(config.users, config.works_per_style, config.listens_per_user, config.seed)
    train, test = split_population(population, config.held_out_per_user)
    items, bias = bundle["item_factors"].double().numpy(), bundle["item_bias"].double().numpy()
    # Users' own factors are not shipped: every user is folded in from their history, as a job does.
    from oracle.models.recommender import fold_in

    popularity = Counter(i for history in train for i in history)
    popular = sorted(range(len(items)), key=lambda i: (-popularity[i], i))
    k = 10
    totals = {"bpr": [0.0, 0.0], "popularity": [0.0, 0.0]}
    style_right = {"bpr": 0, "popularity": 0, "history_majority": 0}
    popular_style = Counter(int(population.work_styles[i]) for h in train for i in h).most_common(1)[0][0]
    for user, (history, held) in enumerate(zip(train, test)):
        relevant = set(held)
        ranked = rank_works(items, bias, fold_in(items, history), exclude=history)
        ranked_popular = [i for i in popular if i not in set(history)]
        for name, order in (("bpr", ranked), ("popularity", ranked_popular)):
            totals[name][0] += m.recall_at_k(order, relevant, k)
            totals[name][1] += m.ndcg_at_k(order, relevant, k)
        scores = style_scores(items, bias, population.work_styles, history)
        style_right["bpr"] += int(np.argmax(scores)) == population.favourite_styles[user]
        style_right["popularity"] += popular_style == population.favourite_styles[user]
        heard = Counter(int(population.work_styles[i]) for i in history)
        majority = min(heard, key=lambda s: (-heard[s], s))
        style_right["history_majority"] += majority == population.favourite_styles[user]
    users = len(train)
    return {"label": bundle["label"], "users": users, "works": len(items), "k": k,
            **{name: {"recall_at_k": v[0] / users, "ndcg_at_k": v[1] / users,
                      "favourite_style_accuracy": style_right[name] / users} for name, v in totals.items()},
            "history_majority_style_accuracy": style_right["history_majority"] / users,
            "styles": list(ARRANGEMENT_STYLES)}


def evaluate_soprano(data_dir: str) -> dict:
    """Soprano pitch bits per note on the chorales (10-fold CV of the n-grams, the composer on the
    test fold) and the leak check of the split."""
    from oracle.models.composer import Composer
    from oracle.models.inference import load_model
    from oracle.training.config import PrepareConfig
    from oracle.training.families import TEST_FOLD
    from oracle.training.soprano import composer_bits, cross_validate, first_split, leaks

    columns = ["piece_id", "corpus", "fold", "transpose", "tonic_pc", "mode", "meter", "style", "bar_length",
               "start_position", "tokens"]
    rows = {split: [r for r in load_rows(data_dir, split, columns) if r["transpose"] == 0]
            for split in ("train", "validation", "test")}
    chorales = [r for split_rows in rows.values() for r in split_rows if r["corpus"] == "chorales"]
    results = cross_validate(chorales, shifts=PrepareConfig().transpositions)
    from oracle.models.bundles import BundleError

    for name in COMPOSERS:
        try:
            model, _ = load_model(name, Composer)
        except BundleError:
            continue
        bits, notes = composer_bits(model, [r for r in chorales if r["fold"] == TEST_FOLD])
        results[name] = {"test_fold_bits_per_note": bits / max(1, notes)}
    results["leak_check"] = {split: leaks(rows["train"], rows[split]) for split in ("validation", "test")}
    everything = [r for split_rows in rows.values() for r in split_rows]
    results["leak_check"]["first_split_test"] = leaks([r for r in everything if first_split(r) == "train"],
                                                      [r for r in everything if first_split(r) == "test"])
    return results


def evaluate_key_finding(data_dir: str) -> dict:
    """Key of a bare chorale melody vs the key music21 finds in the full four-part chorale: music21
    on the melody alone (what the accompany job used to do), the profile alone, and the profile
    with the cadence bonus (its weight chosen on validation chorales)."""
    from music21 import note, stream

    from oracle.models.keyfinding import CADENCE_BONUS, melody_key
    from oracle.models.vocabulary import tokens_to_events

    def chorales(split):
        return [r for r in load_rows(data_dir, split, ["corpus", "transpose", "tonic_pc", "mode", "tokens"])
                if r["corpus"] == "chorales" and r["transpose"] == 0]

    def music21_key(events):
        melody = stream.Stream()
        for pitch, duration in events:
            melody.append(note.Note(pitch, quarterLength=duration / 4) if pitch is not None
                          else note.Rest(quarterLength=duration / 4))
        key = melody.analyze("key")
        return int(key.tonic.pitchClass), key.mode

    def accuracy(rows, finder):
        return sum(finder(tokens_to_events(list(r["tokens"]))) == (r["tonic_pc"], r["mode"]) for r in rows) / max(1, len(rows))

    validation, test = chorales("validation"), chorales("test")
    sweep = {str(bonus): accuracy(validation, lambda e, b=bonus: melody_key(e, b)) for bonus in (0.0, 0.1, 0.2, 0.3, 0.5)}
    return {"validation_chorales": len(validation), "test_chorales": len(test), "validation_sweep": sweep,
            "cadence_bonus": CADENCE_BONUS,
            "test": {"music21_melody_only": accuracy(test, music21_key),
                     "profile_only": accuracy(test, lambda e: melody_key(e, 0.0)),
                     "profile_and_cadence": accuracy(test, melody_key)}}


def evaluate_all(data_dir: str, report_path: str | None = None) -> dict:
    results = {}
    for name, function in (("soprano", lambda: evaluate_soprano(data_dir)),
                           ("composer", lambda: evaluate_composer(data_dir)),
                           ("improviser", lambda: evaluate_improviser(data_dir)),
                           ("harmonizer", lambda: evaluate_harmonizer(data_dir)),
                           ("key_finding", lambda: evaluate_key_finding(data_dir)),
                           ("recommender", evaluate_recommender)):
        try:
            logger.info("evaluating %s", name)
            results[name] = function()
        except PreparedDataMissing:  # no model can be read: keep the last evaluation and report as they are
            raise
        except Exception as exc:  # a missing bundle should not hide the other models' numbers
            logger.exception("evaluating %s failed", name)
            results[name] = {"error": f"{type(exc).__name__}: {exc}"}
    EVALUATION.write_text(json.dumps(results, indent=2, sort_keys=True) + "\n")
    from oracle.training.report import write_report

    write_report(Path(report_path) if report_path else REPORT)
    return results
