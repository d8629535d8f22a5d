"""The symbolic vocabulary every model shares: note events, durations, keys, meters, styles, chords.

A melody is a list of ``(pitch, duration)`` events on a sixteenth-note grid (``pitch`` None for a
rest). The composition model reads them as alternating pitch and duration tokens, in a fixed pitch
range (MIDI 48..84): melodies are transposed into it before the model and keep their key as a
conditioning input (Magenta melody_rnn's fixed range, with the key given rather than erased).
"""

from __future__ import annotations

from dataclasses import dataclass

LOW_PITCH, HIGH_PITCH = 48, 84  # inclusive: C3..C6
DURATIONS = (1, 2, 3, 4, 6, 8, 12, 16)  # in sixteenth notes
PAD, BOS, EOS, REST = 0, 1, 2, 3
FIRST_PITCH_TOKEN = 4
FIRST_DURATION_TOKEN = FIRST_PITCH_TOKEN + (HIGH_PITCH - LOW_PITCH + 1)
VOCAB_SIZE = FIRST_DURATION_TOKEN + len(DURATIONS)
MAX_BAR_POSITION = 32  # position-in-bar inputs are capped here (sixteenths)
# Phrase inputs: the bar's place in a 4-bar phrase and the whole bars left before the end (capped).
PHRASE_BARS, MAX_BARS_TO_GO = 4, 8
PHRASE_STATES = PHRASE_BARS * MAX_BARS_TO_GO

METERS = ("4/4", "3/4", "2/4", "6/8", "other")
STYLES = ("chorale", "fiddle", "folk", "user")
MODES = ("major", "minor")
PITCH_CLASS_NAMES = ("C", "C#", "D", "E-", "E", "F", "F#", "G", "A-", "A", "B-", "B")
_PITCH_CLASS_ALIASES = {"D-": 1, "Db": 1, "D#": 3, "Eb": 3, "E#": 5, "Fb": 4, "Gb": 6, "G-": 6, "G#": 8,
                        "Ab": 8, "A#": 10, "Bb": 10, "Cb": 11, "C-": 11, "F-": 4, "B#": 0}

# Chord qualities as interval sets from the root (same templates as the analyze job).
CHORD_QUALITIES: tuple[tuple[str, tuple[int, ...]], ...] = (
    ("", (0, 4, 7)), ("m", (0, 3, 7)), ("dim", (0, 3, 6)), ("+", (0, 4, 8)),
    ("7", (0, 4, 7, 10)), ("maj7", (0, 4, 7, 11)), ("m7", (0, 3, 7, 10)),
)
NUM_CHORDS = 12 * len(CHORD_QUALITIES)

Event = tuple[int | None, int]  # (MIDI pitch or None for a rest, duration in sixteenths)


def meter_id(meter: str) -> int:
    return METERS.index(meter) if meter in METERS else METERS.index("other")


def bar_sixteenths(meter: str) -> int:
    numerator, denominator = (int(x) for x in meter.split("/"))
    return max(1, numerator * 16 // denominator)


def key_id(tonic_pc: int, mode: str) -> int:
    return (tonic_pc % 12) * 2 + MODES.index(mode)


def parse_pitch_class(name: str) -> int:
    name = name.strip()
    if name in PITCH_CLASS_NAMES:
        return PITCH_CLASS_NAMES.index(name)
    if name in _PITCH_CLASS_ALIASES:
        return _PITCH_CLASS_ALIASES[name]
    if name[:1].upper() + name[1:] != name:
        return parse_pitch_class(name[:1].upper() + name[1:])
    raise ValueError(f"unknown pitch class {name!r}")


def parse_key(text: str) -> tuple[int, str]:
    """'C major', 'f# minor', 'A' (major), 'am' (minor) -> (tonic pitch class, mode)."""
    parts = text.strip().split()
    if len(parts) == 2 and parts[1].lower() in MODES:
        return parse_pitch_class(parts[0]), parts[1].lower()
    if len(parts) == 1 and parts[0].endswith("m") and len(parts[0]) > 1:
        return parse_pitch_class(parts[0][:-1]), "minor"
    if len(parts) == 1:
        return parse_pitch_class(parts[0]), "major"
    raise ValueError(f"unknown key {text!r}")


# -- chords --------------------------------------------------------------------------------

def chord_id(root_pc: int, quality: str) -> int:
    names = [name for name, _ in CHORD_QUALITIES]
    return (root_pc % 12) * len(CHORD_QUALITIES) + names.index(quality)


def chord_root_quality(chord: int) -> tuple[int, str, tuple[int, ...]]:
    root, index = divmod(chord, len(CHORD_QUALITIES))
    name, intervals = CHORD_QUALITIES[index]
    return root, name, intervals


def chord_pitch_classes(chord: int) -> frozenset[int]:
    root, _, intervals = chord_root_quality(chord)
    return frozenset((root + i) % 12 for i in intervals)


def chord_symbol(chord: int) -> str:
    root, name, _ = chord_root_quality(chord)
    return PITCH_CLASS_NAMES[root] + name


def parse_chord_symbol(symbol: str) -> int:
    """'C', 'Am', 'F#m7', 'Bbmaj7', 'Bdim', 'G7', 'Caug' / 'C+' -> chord id."""
    symbol = symbol.strip()
    if len(symbol) >= 2 and symbol[1] in "#b-":
        root_text, rest = symbol[:2], symbol[2:]
    else:
        root_text, rest = symbol[:1], symbol[1:]
    rest = {"min": "m", "aug": "+", "M7": "maj7", "min7": "m7", "-": "m", "°": "dim", "o": "dim"}.get(rest, rest)
    names = [name for name, _ in CHORD_QUALITIES]
    if rest not in names:
        raise ValueError(f"unknown chord {symbol!r}")
    return chord_id(parse_pitch_class(root_text), rest)


def transpose_chord(chord: int, semitones: int) -> int:
    root, index = divmod(chord, len(CHORD_QUALITIES))
    return ((root + semitones) % 12) * len(CHORD_QUALITIES) + index


def best_chord(profile: list[float]) -> int:
    """The chord template that best explains a duration-weighted pitch-class profile (the analyze
    job's scoring); ties go to the earlier template and lower root, so every operator agrees."""
    from oracle.jobs.analyze import _best_chord

    root, quality = _best_chord(profile)
    return chord_id(root, quality)


# -- melody events <-> tokens ---------------------------------------------------------------

def quantize_duration(sixteenths: int) -> list[int]:
    """Split a length into representable durations (greedy, longest first)."""
    parts = []
    remaining = sixteenths
    while remaining > 0:
        step = max(d for d in DURATIONS if d <= remaining)
        parts.append(step)
        remaining -= step
    return parts


def fit_range(events: list[Event]) -> tuple[list[Event], int]:
    """Shift by octaves so the melody lies inside the model's range (notes still outside are
    folded in by octaves). Returns the events and the shift applied, to be undone after."""
    pitches = [p for p, _ in events if p is not None]
    if not pitches:
        return events, 0
    # The octave shift that keeps the most notes in range, the smallest such shift on ties.
    shift = min(range(-48, 49, 12),
                key=lambda s: (-sum(LOW_PITCH <= p + s <= HIGH_PITCH for p in pitches), abs(s), s))
    return [(_fold(p + shift) if p is not None else None, d) for p, d in events], shift


def _fold(pitch: int) -> int:
    while pitch > HIGH_PITCH:
        pitch -= 12
    while pitch < LOW_PITCH:
        pitch += 12
    return pitch


def events_to_tokens(events: list[Event], *, bos: bool = True, eos: bool = True) -> list[int]:
    tokens = [BOS] if bos else []
    for pitch, duration in events:
        for part_index, part in enumerate(quantize_duration(duration)):
            # A long note continues as rests after its first representable part.
            if pitch is None or part_index > 0:
                tokens.append(REST)
            else:
                tokens.append(FIRST_PITCH_TOKEN + _fold(pitch) - LOW_PITCH)
            tokens.append(FIRST_DURATION_TOKEN + DURATIONS.index(part))
    if eos:
        tokens.append(EOS)
    return tokens


def tokens_to_events(tokens: list[int]) -> list[Event]:
    events: list[Event] = []
    pending: int | None | str = "none"
    for token in tokens:
        if token in (PAD, BOS):
            continue
        if token == EOS:
            break
        if is_pitch_token(token):
            pending = None if token == REST else LOW_PITCH + token - FIRST_PITCH_TOKEN
        elif is_duration_token(token) and pending != "none":
            events.append((pending, DURATIONS[token - FIRST_DURATION_TOKEN]))  # type: ignore[arg-type]
            pending = "none"
    return events


def is_pitch_token(token: int) -> bool:
    return token == REST or FIRST_PITCH_TOKEN <= token < FIRST_DURATION_TOKEN


def is_duration_token(token: int) -> bool:
    return FIRST_DURATION_TOKEN <= token < VOCAB_SIZE


def bar_positions(tokens: list[int], bar_length: int, start_position: int = 0) -> list[int]:
    """For each token, where in the bar (in sixteenths, capped) the music stands before it: the
    model's sense of meter, computed the same way in training and sampling."""
    positions = []
    now = start_position
    for token in tokens:
        positions.append(min(now % bar_length, MAX_BAR_POSITION - 1))
        if is_duration_token(token):
            now += DURATIONS[token - FIRST_DURATION_TOKEN]
    return positions


def phrase_state(now: int, bar_length: int, end: int) -> int:
    """Where the music stands in its phrase and piece at time ``now`` (sixteenths from the first bar
    line) of a piece ending at ``end``: (bars to go, capped) x 4 + bar in its 4-bar phrase. Known
    when composing (the job is asked for a number of bars), so the model can plan a cadence."""
    bars_to_go = min(max(0, (end - 1 - now) // bar_length), MAX_BARS_TO_GO - 1)
    return bars_to_go * PHRASE_BARS + (now // bar_length) % PHRASE_BARS


def phrase_positions(tokens: list[int], bar_length: int, start_position: int = 0) -> list[int]:
    """:func:`phrase_state` before each token of a whole piece (its end is where its tokens end)."""
    end = start_position + sum(DURATIONS[t - FIRST_DURATION_TOKEN] for t in tokens if is_duration_token(t))
    states = []
    now = start_position
    for token in tokens:
        states.append(phrase_state(now, bar_length, end))
        if is_duration_token(token):
            now += DURATIONS[token - FIRST_DURATION_TOKEN]
    return states


@dataclass(frozen=True)
class Conditioning:
    """What the composition model is told about the piece: key, meter and corpus style."""

    tonic_pc: int
    mode: str
    meter: str
    style: str

    @property
    def ids(self) -> tuple[int, int, int]:
        return key_id(self.tonic_pc, self.mode), meter_id(self.meter), STYLES.index(self.style)

    @property
    def bar_length(self) -> int:
        return bar_sixteenths(self.meter)
