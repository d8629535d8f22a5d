"""MIDI out, byte for byte under our control (a small Standard MIDI File writer, so every operator
writes the same bytes), and a melody in (music21 reads the file; the highest part is the melody)."""

from __future__ import annotations

import io
import struct
from dataclasses import dataclass, field

TICKS_PER_SIXTEENTH = 120  # 480 per quarter note
DRUM_CHANNEL = 9


@dataclass
class Track:
    name: str
    program: int = 0  # General MIDI program (ignored on the drum channel)
    channel: int = 0
    notes: list[tuple[int, int, int, int]] = field(default_factory=list)  # (start, length, pitch, velocity) in 16ths


def _variable_length(value: int) -> bytes:
    out = [value & 0x7F]
    value >>= 7
    while value:
        out.append((value & 0x7F) | 0x80)
        value >>= 7
    return bytes(reversed(out))


def _chunk(kind: bytes, body: bytes) -> bytes:
    return kind + struct.pack(">I", len(body)) + body


def _track_bytes(events: list[tuple[int, int, bytes]]) -> bytes:
    """events: (tick, order, data); sorted so note-offs precede note-ons at the same tick."""
    body, now = b"", 0
    for tick, _, data in sorted(events, key=lambda e: (e[0], e[1], e[2])):
        body += _variable_length(tick - now) + data
        now = tick
    return _chunk(b"MTrk", body + b"\x00\xff\x2f\x00")


def write_midi(tracks: list[Track], *, bpm: float = 120.0, meter: str = "4/4", key_fifths: int | None = None,
               minor: bool = False) -> bytes:
    numerator, denominator = (int(x) for x in meter.split("/"))
    microseconds = round(60_000_000 / bpm)
    conductor = [
        (0, 0, b"\xff\x58\x04" + bytes([numerator, denominator.bit_length() - 1, 24, 8])),
        (0, 1, b"\xff\x51\x03" + microseconds.to_bytes(3, "big")),
    ]
    if key_fifths is not None:
        conductor.append((0, 2, b"\xff\x59\x02" + struct.pack(">bB", key_fifths, 1 if minor else 0)))
    chunks = [_track_bytes(conductor)]
    for track in tracks:
        name = track.name.encode()
        events = [(0, 0, b"\xff\x03" + _variable_length(len(name)) + name)]
        if track.channel != DRUM_CHANNEL:
            events.append((0, 1, bytes([0xC0 | track.channel, track.program & 0x7F])))
        for start, length, pitch, velocity in track.notes:
            if length <= 0:
                continue
            on, off = start * TICKS_PER_SIXTEENTH, (start + length) * TICKS_PER_SIXTEENTH
            events.append((on, 3, bytes([0x90 | track.channel, pitch & 0x7F, velocity & 0x7F])))
            events.append((off, 2, bytes([0x80 | track.channel, pitch & 0x7F, 0])))
        chunks.append(_track_bytes(events))
    header = _chunk(b"MThd", struct.pack(">HHH", 1, len(chunks), TICKS_PER_SIXTEENTH * 4))
    return header + b"".join(chunks)


def melody_track(events, name: str = "melody", program: int = 0, start: int = 0, velocity: int = 90) -> Track:
    notes, now = [], start
    for pitch, duration in events:
        if pitch is not None:
            notes.append((now, duration, pitch, velocity))
        now += duration
    return Track(name, program, 0, notes)


KEY_FIFTHS = {0: 0, 7: 1, 2: 2, 9: 3, 4: 4, 11: 5, 6: 6, 1: -5, 8: -4, 3: -3, 10: -2, 5: -1}


def key_signature(tonic_pc: int, mode: str) -> int:
    major_tonic = (tonic_pc + 3) % 12 if mode == "minor" else tonic_pc
    return KEY_FIFTHS[major_tonic]


@dataclass(frozen=True)
class MelodyInput:
    events: list
    meter: str
    bpm: float
    tonic_pc: int
    mode: str
    start_position: int


def read_melody(midi: bytes) -> MelodyInput:
    """The melody of a MIDI file (its highest part), its meter, tempo and key. Raises ValueError
    when the bytes are not MIDI or hold no notes (jobs turn that into JobInputError)."""
    from music21 import converter, meter, tempo

    from oracle.models.vocabulary import bar_sixteenths
    from oracle.training.corpora import _events, _mean_pitch, _onsets

    if not midi.startswith(b"MThd"):
        raise ValueError("the input is not a MIDI file")
    try:
        score = converter.parse(io.BytesIO(midi).getvalue(), format="midi")
    except Exception as exc:
        raise ValueError(f"the input is not a readable MIDI file ({type(exc).__name__})") from None
    parts = list(score.parts) or [score]
    part = max(parts, key=_mean_pitch)
    notes = _onsets(part)
    if not notes:
        raise ValueError("the MIDI file contains no notes")
    signature = score.recurse().getElementsByClass(meter.TimeSignature).first()
    meter_text = signature.ratioString if signature is not None else "4/4"
    marks = score.recurse().getElementsByClass(tempo.MetronomeMark)
    bpm = float(marks.first().getQuarterBPM()) if marks.first() is not None else 120.0
    key = score.analyze("key")
    events, start = _events(notes, 0, bar_sixteenths(meter_text))
    return MelodyInput(events, meter_text, bpm, int(key.tonic.pitchClass),
                       key.mode if key.mode in ("major", "minor") else "major", start)
