"""``analyze``: a MIDI file in; its key, tempo, meter and chord progression out (music21).

Chords are found per measure by template matching on the duration-weighted pitch-class profile
(major, minor, diminished, augmented triads and dominant / major / minor sevenths), which is
deterministic and robust to passing notes; music21 names them and gives their Roman numerals in
the detected key.
"""

from __future__ import annotations

import io
import json
import logging
from dataclasses import dataclass
from fractions import Fraction

from eth_utils import keccak

from oracle.jobs.base import JobContext, JobInputError, JobResult, job_kind

logger = logging.getLogger(__name__)

# Interval sets from the root, and the suffix music21's chord symbols use.
CHORD_TEMPLATES: dict[str, tuple[int, ...]] = {
    "": (0, 4, 7),
    "m": (0, 3, 7),
    "dim": (0, 3, 6),
    "+": (0, 4, 8),
    "7": (0, 4, 7, 10),
    "maj7": (0, 4, 7, 11),
    "m7": (0, 3, 7, 10),
}
PITCH_NAMES = ("C", "C#", "D", "E-", "E", "F", "F#", "G", "A-", "A", "B-", "B")
# A chord tone missing costs less than a foreign tone present; sevenths must earn their extra tone.
MISSING_TONE_PENALTY = 0.6
FOREIGN_WEIGHT_PENALTY = 1.0
SEVENTH_PENALTY = 0.15


@dataclass(frozen=True)
class AnalyzeParams:
    """``max_measures`` limits the progression's length (default 512); ``window_beats`` finds one
    chord per that many quarter notes instead of one per measure (chorales change every beat)."""

    max_measures: int = 512
    window_beats: Fraction | None = None

    @classmethod
    def parse(cls, params: dict) -> "AnalyzeParams":
        unknown = set(params) - {"max_measures", "window_beats"}
        if unknown:
            raise JobInputError(f"unknown analyze parameters: {', '.join(sorted(unknown))}")
        max_measures = params.get("max_measures", 512)
        if not isinstance(max_measures, int) or not 1 <= max_measures <= 10_000:
            raise JobInputError("max_measures must be an integer from 1 to 10000")
        window = params.get("window_beats")
        if window is not None and (not isinstance(window, (int, float)) or not 0.25 <= window <= 16):
            raise JobInputError("window_beats must be a number of quarter notes from 0.25 to 16")
        return cls(max_measures, Fraction(window).limit_denominator(16) if window is not None else None)


class AnalyzeJob:
    name = "analyze"
    model_id = keccak(text="tutti.analyze/1 music21==10.5.1 chord-templates/1")

    def run(self, context: JobContext) -> JobResult:
        params = AnalyzeParams.parse(context.params)
        analysis = analyze_midi(context.input_bytes, params.max_measures, params.window_beats)
        body = json.dumps(analysis, indent=2, sort_keys=True).encode() + b"\n"
        return JobResult(files={"analysis.json": body}, metrics={"measures": len(analysis["chords"])})


job_kind(AnalyzeJob())


def analyze_midi(midi: bytes, max_measures: int = 512, window_beats: Fraction | None = None) -> dict:
    """Key, tempo, meter and chords (one per measure, or per ``window_beats`` quarter notes)."""
    from music21 import converter, meter, tempo

    try:
        score = converter.parse(io.BytesIO(midi).getvalue(), format="midi")
    except Exception as exc:  # music21 raises many types on malformed files
        raise JobInputError(f"the input is not a readable MIDI file ({type(exc).__name__})") from None
    notes = list(score.recurse().notes)
    if not notes:
        raise JobInputError("the MIDI file contains no notes")

    key = score.analyze("key")
    time_signature = score.recurse().getElementsByClass(meter.TimeSignature).first()
    marks = score.recurse().getElementsByClass(tempo.MetronomeMark)
    bpm = marks.first().getQuarterBPM() if marks.first() is not None else 120.0
    meter_text = time_signature.ratioString if time_signature is not None else "4/4"
    measure_length = Fraction(time_signature.barDuration.quarterLength) if time_signature else Fraction(4)

    return {
        "key": {
            "tonic": key.tonic.name,
            "mode": key.mode,
            "name": f"{key.tonic.name} {key.mode}",
            "confidence": round(float(key.correlationCoefficient), 4),
        },
        "tempo_bpm": round(float(bpm), 3),
        "meter": meter_text,
        "chords": _chords_by_window(score, key, measure_length, window_beats or measure_length, max_measures),
    }


def _chords_by_window(score, key, measure_length: Fraction, window: Fraction, max_measures: int) -> list[dict]:
    from music21 import chord, pitch, roman

    limit = max_measures * measure_length
    profiles: dict[int, list[float]] = {}
    for element in score.flatten().notes:
        start = Fraction(element.offset)
        end = min(start + Fraction(element.quarterLength), limit)
        pitches = element.pitches
        # Spread each note's duration over the windows it sounds in.
        while start < end:
            index = int(start // window)
            boundary = (index + 1) * window
            weight = float(min(end, boundary) - start)
            profile = profiles.setdefault(index, [0.0] * 12)
            for p in pitches:
                profile[p.pitchClass] += weight
            start = boundary

    progression = []
    for index in sorted(profiles):
        root, quality = _best_chord(profiles[index])
        # Root position (root lowest), so the Roman numeral names the function, not a voicing.
        named = chord.Chord([pitch.Pitch(midi=48 + root + interval) for interval in CHORD_TEMPLATES[quality]])
        figure = roman.romanNumeralFromChord(named, key).figure
        offset = index * window
        progression.append({
            "measure": int(offset // measure_length) + 1,
            "beat": float(offset % measure_length) + 1,
            "symbol": PITCH_NAMES[root] + quality,
            "roman": figure,
        })
    return progression


def _best_chord(profile: list[float]) -> tuple[int, str]:
    total = sum(profile) or 1.0
    weights = [w / total for w in profile]
    best = (float("-inf"), 0, "")
    for quality, intervals in CHORD_TEMPLATES.items():
        for root in range(12):
            tones = {(root + i) % 12 for i in intervals}
            inside = sum(weights[pc] for pc in tones)
            missing = sum(1 for pc in tones if weights[pc] == 0)
            score = (inside - FOREIGN_WEIGHT_PENALTY * (1 - inside) - MISSING_TONE_PENALTY * missing / len(tones)
                     - (SEVENTH_PENALTY if len(tones) == 4 else 0.0))
            # Ties resolve to the earlier template and lower root: deterministic across operators.
            if score > best[0] + 1e-12:
                best = (score, root, quality)
    return best[1], best[2]
