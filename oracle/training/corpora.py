"""Where the music comes from, and how a score becomes melody events (and, for four-part chorales,
a melody grid with the chord each beat of the lower voices spells).

Sources are music21's bundled corpora (offline): the Bach chorales (soprano melody over the
harmony of alto, tenor and bass), Ryan's Mammoth Collection (fiddle tunes), the Essen ballads
(German folk songs), and a user's own folder of MIDI files. Parsing runs inside Spark tasks, so
everything here is a plain function of one source file.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from pathlib import Path

from oracle.models.vocabulary import bar_sixteenths, best_chord

logger = logging.getLogger(__name__)

HOLD, SILENT = -2, -1  # melody grid cells that are not onsets
CORPORA = {
    # name: (style, music21 corpus composer, file-name filter)
    "chorales": ("chorale", "bach", None),
    "ryans": ("fiddle", "ryansMammoth", None),
    "essen-ballads": ("folk", "essenFolksong", "ballad"),
}


@dataclass(frozen=True)
class SourceFile:
    corpus: str
    style: str
    path: str  # relative to music21's corpus folder, or absolute for a user's file


def corpus_files(corpora: tuple[str, ...], limit_per_corpus: int | None = None) -> list[SourceFile]:
    """Source files of the named built-in corpora, in a stable order."""
    from music21 import corpus

    files: list[SourceFile] = []
    for name in corpora:
        style, composer, name_filter = CORPORA[name]
        paths = sorted(str(p) for p in corpus.getComposer(composer))
        paths = [p for p in paths if name_filter is None or Path(p).name.startswith(name_filter)]
        if limit_per_corpus:
            paths = paths[:limit_per_corpus]
        root = str(Path(corpus.getComposer(composer)[0]).parents[1])
        files += [SourceFile(name, style, str(Path(p).relative_to(root))) for p in paths]
    return files


# music21 parses ABC text about 3x slower per byte than compressed MusicXML (measured on this
# corpus: ~100 vs ~32 microseconds of CPU per file byte); other formats count byte for byte.
PARSE_COST_PER_BYTE = {".abc": 3.0}


def parse_cost(source: SourceFile) -> float:
    """Expected parsing work of a file: its size, weighted by its format's cost per byte; what
    balances Spark's partitions."""
    from music21 import common

    path = Path(source.path) if source.corpus == "user" else Path(common.getCorpusFilePath()) / source.path
    return path.stat().st_size * PARSE_COST_PER_BYTE.get(path.suffix.lower(), 1.0)


def user_midi_files(folder: str | Path) -> list[SourceFile]:
    """A user's own MIDI folder (recursively): style ``user``; the melody is the highest part."""
    folder = Path(folder)
    paths = sorted(p for p in folder.rglob("*") if p.suffix.lower() in (".mid", ".midi"))
    return [SourceFile("user", "user", str(p.resolve())) for p in paths]


def parse_source(source: SourceFile) -> list[dict]:
    """Every usable piece in one file (an ABC file may hold many tunes); pieces that fail to parse
    or hold too few notes are skipped with a log line, never fatal."""
    from music21 import converter, corpus, stream

    try:
        if source.corpus == "user":
            parsed = converter.parse(source.path)
        else:
            parsed = corpus.parse(source.path)
    except Exception as exc:  # music21 raises many types on odd files
        logger.warning("skipping %s: %s", source.path, type(exc).__name__)
        return []
    scores = list(parsed.scores) if isinstance(parsed, stream.Opus) else [parsed]
    pieces = []
    stem = source.path if source.corpus != "user" else Path(source.path).name
    for index, score in enumerate(scores):
        piece_id = f"{source.corpus}:{stem}" + (f"#{index}" if len(scores) > 1 else "")
        try:
            piece = _piece(score, source, piece_id)
        except Exception as exc:
            logger.warning("skipping %s: %s", piece_id, exc)
            continue
        if piece is not None:
            pieces.append(piece)
    return pieces


def _piece(score, source: SourceFile, piece_id: str) -> dict | None:
    from music21 import meter

    parts = list(score.parts) or [score]
    if source.corpus == "chorales":
        parts = _satb(parts)
        if parts is None:
            return None  # not a four-part chorale (instrumental movements, other settings)
    time_signature = score.recurse().getElementsByClass(meter.TimeSignature).first()
    meter_text = time_signature.ratioString if time_signature is not None else "4/4"
    bar_length = bar_sixteenths(meter_text)
    if source.corpus == "user":
        melody_part = max(parts, key=lambda p: _mean_pitch(p))
    else:
        melody_part = parts[0]
    notes = _onsets(melody_part)
    if len(notes) < 8:
        return None
    shift = _pickup_shift(melody_part, bar_length)
    events, start = _events(notes, shift, bar_length)
    key = score.analyze("key")
    piece = {
        "piece_id": piece_id,
        "corpus": source.corpus,
        "style": source.style,
        "meter": meter_text,
        "bar_length": bar_length,
        "start_position": start,
        "tonic_pc": int(key.tonic.pitchClass),
        "mode": key.mode if key.mode in ("major", "minor") else "major",
        "pitches": [p if p is not None else -1 for p, _ in events],
        "durations": [d for _, d in events],
        "grid": [],
        "beat_chords": [],
    }
    if source.corpus == "chorales":
        piece["grid"] = _grid(notes, shift)
        piece["beat_chords"] = _beat_chords(parts[1:], shift, len(piece["grid"]))
    return piece


def _satb(parts):
    """Soprano, alto, tenor, bass by name (some chorales add instrumental parts), else 4 parts."""
    named = {}
    for part in parts:
        for voice in ("Soprano", "Alto", "Tenor", "Bass"):
            if voice.lower() in (part.partName or "").lower() and voice not in named:
                named[voice] = part
    if len(named) == 4:
        return [named[v] for v in ("Soprano", "Alto", "Tenor", "Bass")]
    return parts if len(parts) == 4 else None


def _mean_pitch(part) -> float:
    pitches = [max(p.midi for p in n.pitches) for n in part.recurse().notes]
    return sum(pitches) / len(pitches) if pitches else 0.0


def _onsets(part) -> list[tuple[int, int, int]]:
    """(onset, end, pitch) in sixteenths, monophonic: the highest note at each onset, cut at the
    next onset. Grace notes are dropped; triplets round to the grid."""
    raw = {}
    for element in part.flatten().notes:
        if element.duration.isGrace or element.quarterLength == 0:
            continue
        onset = round(float(element.offset) * 4)
        end = max(onset + 1, round(float(element.offset + element.quarterLength) * 4))
        pitch = max(p.midi for p in element.pitches)
        if onset not in raw or pitch > raw[onset][1]:
            raw[onset] = (end, pitch)
    onsets = sorted(raw)
    notes = []
    for i, onset in enumerate(onsets):
        end, pitch = raw[onset]
        if i + 1 < len(onsets):
            end = min(end, onsets[i + 1])
        notes.append((onset, end, pitch))
    return notes


def _pickup_shift(part, bar_length: int) -> int:
    """Sixteenths missing from an incomplete first bar (an anacrusis), so bar lines fall right."""
    measures = list(part.getElementsByClass("Measure"))
    if not measures:
        return 0
    first = measures[0]
    length = round(float(first.duration.quarterLength) * 4)
    return bar_length - length if 0 < length < bar_length else 0


def _events(notes, shift: int, bar_length: int):
    events = []
    for i, (onset, end, pitch) in enumerate(notes):
        events.append((pitch, end - onset))
        if i + 1 < len(notes) and notes[i + 1][0] > end:
            events.append((None, notes[i + 1][0] - end))
    start = (notes[0][0] + shift) % bar_length
    return events, start


def _grid(notes, shift: int) -> list[int]:
    """One cell per sixteenth from the first bar line: an onset's MIDI pitch, HOLD, or SILENT."""
    length = notes[-1][1] + shift
    length += (-length) % 16
    grid = [SILENT] * length
    for onset, end, pitch in notes:
        grid[onset + shift] = pitch
        for step in range(onset + shift + 1, end + shift):
            grid[step] = HOLD
    return grid


def _beat_chords(lower_parts, shift: int, grid_length: int) -> list[int]:
    """The chord the lower voices spell on each quarter-note beat (template match of their
    duration-weighted pitch classes, the bass counted 1.5 times); -1 where they are silent."""
    beats = grid_length // 4
    profiles = [[0.0] * 12 for _ in range(beats)]
    for voice_index, part in enumerate(lower_parts):
        weight = 1.5 if voice_index == len(lower_parts) - 1 else 1.0
        for element in part.flatten().notes:
            start = float(element.offset) * 4 + shift
            end = start + float(element.quarterLength) * 4
            while start < end - 1e-9:
                beat = int(start // 4)
                boundary = (beat + 1) * 4
                if beat >= beats:
                    break
                for p in element.pitches:
                    profiles[beat][p.pitchClass] += weight * (min(end, boundary) - start)
                start = boundary
    return [best_chord(profile) if sum(profile) > 0 else -1 for profile in profiles]
