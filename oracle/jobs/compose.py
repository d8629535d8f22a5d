"""``compose``: a melody from the served composer network (bundle ``composer``), from nothing or
continuing the input MIDI, decoded with the learned phrase structure of ``composer_structure``
(a cadence in the last bar, bars repeated as often as in the training tunes).

Parameters (all optional): ``key`` ("D minor"; default: the input's key, else C major), ``meter``
("4/4", "3/4", "2/4", "6/8"; default: the input's, else 4/4), ``style`` (chorale | fiddle | folk |
user), ``bars`` (1..64, default 16), ``temperature`` (0.1..2.0, default 1.0), ``top_k`` (0 = off,
..48), ``tempo`` (30..240 BPM). Output: ``composition.mid`` (the input melody, if any, then the new
bars) and ``composition.json``. Same job seed -> same bytes.
"""

from __future__ import annotations

import json
from dataclasses import dataclass

from oracle.jobs.base import JobContext, JobInputError, JobResult, job_kind
from oracle.models.bundles import model_id

STYLE_PROGRAMS = {"chorale": 19, "fiddle": 40, "folk": 73, "user": 0}  # organ, violin, flute, piano
METERS = ("4/4", "3/4", "2/4", "6/8")
PARAMETERS = {"key", "meter", "style", "bars", "temperature", "top_k", "tempo"}


def check_number(params: dict, name: str, default, low, high, integer: bool = False):
    value = params.get(name, default)
    kinds = (int,) if integer else (int, float)
    if isinstance(value, bool) or not isinstance(value, kinds) or not low <= value <= high:
        raise JobInputError(f"{name} must be {'an integer' if integer else 'a number'} from {low} to {high}")
    return value


def check_unknown(params: dict, allowed: set, kind: str) -> None:
    unknown = set(params) - allowed
    if unknown:
        raise JobInputError(f"unknown {kind} parameters: {', '.join(sorted(unknown))}")


def read_input_melody(input_bytes: bytes):
    from oracle.models.midi import read_melody

    if not input_bytes:
        return None
    try:
        return read_melody(input_bytes)
    except ValueError as exc:
        raise JobInputError(str(exc)) from None


@dataclass(frozen=True)
class ComposeParams:
    key: tuple[int, str] | None
    meter: str | None
    style: str
    bars: int
    temperature: float
    top_k: int
    tempo: float | None

    @classmethod
    def parse(cls, params: dict) -> "ComposeParams":
        from oracle.models.vocabulary import STYLES, parse_key

        check_unknown(params, PARAMETERS, "compose")
        key = None
        if "key" in params:
            try:
                key = parse_key(str(params["key"]))
            except ValueError:
                raise JobInputError("key must look like 'C major', 'F# minor' or 'Bbm'") from None
        meter = params.get("meter")
        if meter is not None and meter not in METERS:
            raise JobInputError(f"meter must be one of {', '.join(METERS)}")
        style = params.get("style", "folk")
        if style not in STYLES:
            raise JobInputError(f"style must be one of {', '.join(STYLES)}")
        return cls(key, meter, style, check_number(params, "bars", 16, 1, 64, integer=True),
                   float(check_number(params, "temperature", 1.0, 0.1, 2.0)),
                   check_number(params, "top_k", 0, 0, 48, integer=True),
                   float(check_number(params, "tempo", 110, 30, 240)) if "tempo" in params else None)


class ComposeJob:
    name = "compose"
    model_id = model_id("composer", "composer_structure")

    def run(self, context: JobContext) -> JobResult:
        from oracle.models.bundles import load_bundle
        from oracle.models.composer import Composer, sample
        from oracle.models.inference import deterministic, load_model
        from oracle.models.midi import key_signature, melody_track, write_midi
        from oracle.models.vocabulary import Conditioning, fit_range

        params = ComposeParams.parse(context.params)
        primer = read_input_melody(context.input_bytes)
        tonic, mode = params.key or ((primer.tonic_pc, primer.mode) if primer else (0, "major"))
        meter = params.meter or (primer.meter if primer and primer.meter in METERS else "4/4")
        bpm = params.tempo or (primer.bpm if primer else 110.0)
        conditioning = Conditioning(tonic, mode, meter, params.style)
        primer_events, shift = fit_range(primer.events) if primer else ([], 0)
        # The model reads at most the last 256 events; its bar position starts where they start.
        dropped = primer_events[:-256]
        primer_events = primer_events[-256:]
        start = (primer.start_position + sum(d for _, d in dropped)) if primer else 0

        model, bundle = load_model("composer", Composer)
        structure_bundle = load_bundle("composer_structure")
        structure = structure_bundle["structure"]
        with deterministic(context.seed, "compose") as sampler:
            new = sample(model, conditioning, params.bars, sampler=sampler, primer=primer_events,
                         start_position=start, temperature=params.temperature, top_k=params.top_k,
                         structure=structure)
        # Back to the input's register (Magenta's "transpose back after").
        new = [(p - shift if p is not None else None, d) for p, d in new]
        original = primer.events if primer else []
        lead_in = primer.start_position if primer else 0  # keep the input's bar lines
        everything = original + new
        midi = write_midi([melody_track(everything, program=STYLE_PROGRAMS[params.style], start=lead_in)],
                          bpm=bpm, meter=meter, key_fifths=key_signature(tonic, mode), minor=mode == "minor")
        summary = {
            "key": f"{tonic} {mode}", "meter": meter, "style": params.style, "bars": params.bars,
            "tempo_bpm": bpm, "continued_input": primer is not None,
            "new_events": [[p, d] for p, d in new], "model_sha256": bundle["sha256"],
            "structure_sha256": structure_bundle["sha256"],
        }
        return JobResult(
            files={"composition.mid": midi, "composition.json": json.dumps(summary, sort_keys=True).encode() + b"\n"},
            metrics={"new_notes": sum(1 for p, _ in new if p is not None), "bars": params.bars},
        )


job_kind(ComposeJob())
