"""``analyze``: a MIDI file in; its key, tempo, meter and chord progression out (music21).

Chords are found per measure by template matching on the duration-weighted pitch-class profile
(major, minor, diminished, augmented triads and dominant / major / minor sevenths), which is
deterministic and robust to passing notes. Each root is spelled as the detected key spells it
(C# in F# minor, not D-; E# for its leading tone, not F), music21 places it on the key's scale,
and the Roman numeral follows from that degree and the template's quality, as textbooks write
them: in F# minor C# major is V and C#7 is V7 (a chord built from unspelled MIDI numbers read
"bi+#54"), E major is VII, E# diminished viio, D major VI.
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
# Each template's Roman-numeral case (upper for a major third) and figure suffix.
TEMPLATE_FIGURES: dict[str, tuple[bool, str]] = {
    "": (True, ""), "m": (False, ""), "dim": (False, "o"), "+": (True, "+"),
    "7": (True, "7"), "maj7": (True, "maj7"), "m7": (False, "7"),
}
NUMERALS = ("I", "II", "III", "IV", "V", "VI", "VII")
# Position on the line of fifths (F -1, C 0, G 1 ... B 5) of each letter with no accidental.
LETTER_FIFTHS = {"F": -1, "C": 0, "G": 1, "D": 2, "A": 3, "E": 4, "B": 5}
# Where a key's chord roots centre on the line of fifths, relative to the tonic: a major key leans
# flat (its borrowed bVI, bVII, bIII), a minor key sharp (its raised sixth and leading tone).
KEY_CENTRE = {"major": 1.5, "minor": 0.5}
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
    model_id = keccak(text="tutti.analyze/2 music21==10.5.1 chord-templates/1 spelled-roots/1")

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
        root_name = spell_root(root, key.tonic.name, key.mode)
        offset = index * window
        progression.append({
            "measure": int(offset // measure_length) + 1,
            "beat": float(offset % measure_length) + 1,
            "symbol": root_name + quality,
            "roman": roman_figure(root_name, quality, key),
        })
    return progression


def roman_figure(root_name: str, quality: str, key) -> str:
    """The Roman numeral of a root-position chord on the spelled root in music21's ``key``: the
    accidental is relative to the key's scale (natural minor in minor), except that a chord on a
    minor key's leading tone is written vii / VII without one, as textbooks do."""
    from music21 import pitch

    degree, accidental = key.getScaleDegreeAndAccidentalFromPitch(pitch.Pitch(root_name))
    alter = int(accidental.alter) if accidental is not None else 0
    if key.mode == "minor" and degree == 7 and alter == 1:
        alter = 0
    upper, suffix = TEMPLATE_FIGURES[quality]
    numeral = NUMERALS[degree - 1] if upper else NUMERALS[degree - 1].lower()
    return ("#" * alter if alter > 0 else "b" * -alter) + numeral + suffix


def fifths_position(name: str) -> int:
    """A pitch name's place on the line of fifths ("C" 0, "F#" 6, "B-" -2)."""
    return LETTER_FIFTHS[name[0]] + 7 * (name.count("#") - name.count("-"))


def spell_root(pitch_class: int, tonic: str, mode: str) -> str:
    """The spelling (music21 names, at most one accidental) of ``pitch_class`` nearest the key's
    centre on the line of fifths; ties go to the flat side, so every operator agrees."""
    centre = fifths_position(tonic) + KEY_CENTRE.get(mode, 1.0)
    candidates = [letter + accidental for letter in LETTER_FIFTHS for accidental in ("", "#", "-")
                  if (7 * fifths_position(letter + accidental)) % 12 == pitch_class]
    return min(candidates, key=lambda name: (abs(fifths_position(name) - centre), fifths_position(name)))


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
