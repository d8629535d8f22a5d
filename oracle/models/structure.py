"""Phrase structure for guided decoding, learned from the training melodies (no hand-written tunes).

Two statistics, counted over the training pieces in their own key, ship as the bundle
``composer_structure`` (``tutti-train train composer-structure``):

* **cadence**: per mode, how often each scale degree (pitch class relative to the tonic) is a
  piece's last note, and how often it occurs at all. The *cadence degrees* are those that end at
  least :data:`CADENCE_SHARE` of the pieces. In the last bar the composer's pitch logits get the
  log-ratio log P(degree | last note) - log P(degree) (a product of experts: the network's belief
  times the data's evidence that a note closes a piece); a note that would sound to the end must
  be on a cadence degree, and within the last beat only cadence degrees are drawn.
* **repetition**: per style and bar of the 4-bar phrase, how often a bar repeats the bar 1, 2, 4 or
  8 bars before it (same rhythm, same pitches relative to the bar's first note: a repeat or a
  sequence), and what share of those repeats are exact. At each bar line the composer draws "new"
  or a lag from that law; a lag whose source bar starts on its bar line is copied (fed through the
  network, which goes on from there), exactly or, with the learned odds, as a sequence starting on
  a pitch the network draws among those that keep every copied note in the key's scale (the
  degrees that make at least 1 % of the mode's notes).
* **forms**: per training tune (style, meter), its bar-level phrase form from its first full bar
  on: for each bar the earliest earlier bar it repeats (as the bar-repetition measure reads bars:
  onsets, rhythm and pitches relative to the bar's first note) and whether the repeat is exact,
  or "new". A composition draws one form of its style (and meter, when enough tunes share it)
  from these, so AABA, ABAC and their bar-level variants come as often as in the training tunes;
  a planned repeat copies the earlier bar (exact or, as planned, a sequence whose first pitch
  the network draws). Bars beyond the longest form fall back to the lag law above.
"""

from __future__ import annotations

import math

from oracle.models.vocabulary import PHRASE_BARS, STYLES, tokens_to_events

#: A degree that ends at least this share of the training pieces (of a mode) counts as a cadence.
CADENCE_SHARE = 0.05
#: A degree that makes at least this share of a mode's notes is in its scale (for sequences).
SCALE_SHARE = 0.01
#: Bar distances a repetition may look back (in order of preference when several match).
LAGS = (4, 8, 2, 1)
#: Forms are kept up to the compose job's longest request (bars).
FORM_BARS = 64
#: A (style, meter) pair needs at least this many long-enough forms to be drawn from on its own;
#: otherwise the style's forms of every meter are used.
FORM_MINIMUM = 5


def bar_shapes(events, bar_length: int, start: int) -> dict[int, tuple]:
    """Bar index -> the bar's notes and rests as (offset in bar, pitch, duration), for the bars
    whose first event starts on the bar line (the only ones a copy can reproduce exactly)."""
    bars: dict[int, list] = {}
    now = start
    for pitch, duration in events:
        bars.setdefault(now // bar_length, []).append((now % bar_length, pitch, duration))
        now += duration
    return {index: tuple(notes) for index, notes in bars.items()
            if notes[0][0] == 0 and any(p is not None for _, p, _ in notes)}


def bar_onsets(events, bar_length: int, start: int) -> dict[int, list]:
    """Bar index -> the (offset in bar, pitch, duration) of every event starting in that bar."""
    bars: dict[int, list] = {}
    now = start
    for pitch, duration in events:
        bars.setdefault(now // bar_length, []).append((now % bar_length, pitch, duration))
        now += duration
    return bars


def pitched_shape(notes) -> tuple | None:
    """What the bar-repetition measure compares: the bar's pitched onsets, their offsets, lengths
    and pitches relative to its first pitch (None for a silent bar)."""
    pitched = [(at, p, d) for at, p, d in notes if p is not None]
    if not pitched:
        return None
    return tuple((at, p - pitched[0][1], d) for at, p, d in pitched)


def bar_form(events, bar_length: int, start: int) -> tuple[list[int], list[bool]]:
    """A tune's form from its first full bar: for each bar the index of the earliest earlier bar
    with the same :func:`pitched_shape` (-1 if none) and whether that repeat is exact (same pitches)."""
    bars = bar_onsets(events, bar_length, start)
    total = start + sum(d for _, d in events)
    first = 0 if start % bar_length == 0 else start // bar_length + 1
    count = min(FORM_BARS, max(0, -(-total // bar_length) - first))
    sources, exact, seen = [], [], {}
    for index in range(count):
        notes = bars.get(first + index, [])
        shape = pitched_shape(notes)
        source = seen.get(shape, -1) if shape is not None else -1
        sources.append(source)
        exact.append(source >= 0 and [p for _, p, _ in notes if p is not None]
                     == [p for _, p, _ in bars[first + source] if p is not None])
        if shape is not None:
            seen.setdefault(shape, index)
    return sources, exact


def learn_structure(rows) -> dict:
    """The statistics above from prepared rows (``tokens``, ``tonic_pc``, ``mode``, ``style``,
    ``bar_length``, ``start_position``; transposed copies are skipped)."""
    finals = {mode: [0] * 12 for mode in ("major", "minor")}
    degrees = {mode: [0] * 12 for mode in ("major", "minor")}
    repeats = {style: [[0] * (len(LAGS) + 1) for _ in range(PHRASE_BARS)] for style in STYLES}
    exact = [0, 0]  # repeats that are exact, all repeats
    forms = []
    pieces = 0
    for row in rows:
        if row.get("transpose", 0) != 0:
            continue
        events = tokens_to_events(list(row["tokens"]))
        pitches = [p for p, _ in events if p is not None]
        if not pitches:
            continue
        pieces += 1
        for pitch in pitches:
            degrees[row["mode"]][(pitch - row["tonic_pc"]) % 12] += 1
        finals[row["mode"]][(pitches[-1] - row["tonic_pc"]) % 12] += 1
        sources, exact_repeats = bar_form(events, row["bar_length"], row["start_position"])
        if sources:
            forms.append({"style": row["style"], "meter": row.get("meter", ""), "sources": sources,
                          "exact": exact_repeats})
        shapes = bar_shapes(events, row["bar_length"], row["start_position"])
        relative = {index: relative_shape(shape) for index, shape in shapes.items()}
        for index in sorted(shapes):
            if index == 0:
                continue
            lag = next((i for i, lag in enumerate(LAGS) if relative.get(index - lag) == relative[index]), None)
            repeats[row["style"]][index % PHRASE_BARS][0 if lag is None else lag + 1] += 1
            if lag is not None:
                exact[0] += shapes[index - LAGS[lag]] == shapes[index]
                exact[1] += 1
    return {"pieces": pieces, "final_degrees": finals, "degrees": degrees, "repeats": repeats, "lags": list(LAGS),
            "exact_repeats": exact[0], "repeats_total": exact[1], "forms": forms}


def relative_shape(shape: tuple) -> tuple:
    """A bar's notes with pitches relative to its first pitch (as the bar-repetition measure reads them)."""
    first = next(p for _, p, _ in shape if p is not None)
    return tuple((at, None if p is None else p - first, d) for at, p, d in shape)


class StructureGuide:
    """The decisions :func:`oracle.models.composer.sample` takes from a learned structure."""

    def __init__(self, structure: dict, tonic_pc: int, mode: str, style: str, meter: str = ""):
        finals, every = structure["final_degrees"][mode], structure["degrees"][mode]
        total_finals, total = max(1, sum(finals)), max(1, sum(every))
        self.tonic_pc = tonic_pc
        self.scale = frozenset(d for d in range(12) if every[d] / total >= SCALE_SHARE)
        self.exact_share = (structure.get("exact_repeats", 1) + 1) / (structure.get("repeats_total", 1) + 2)
        self.cadence_degrees = frozenset(d for d in range(12) if finals[d] / total_finals >= CADENCE_SHARE)
        # add-one smoothing keeps unseen degrees possible (but unlikely) before the last beat
        self.cadence_bias = [math.log((finals[d] + 1) / (total_finals + 12)) - math.log((every[d] + 1) / (total + 12))
                             for d in range(12)]
        self.lags = list(structure["lags"])
        repeats = structure["repeats"].get(style)
        if not repeats or not any(map(any, repeats)):  # a style with no training tunes: all styles pooled
            repeats = [[sum(c) for c in zip(*(s[bar] for s in structure["repeats"].values()))]
                       for bar in range(PHRASE_BARS)]
        self.repeats = repeats
        self.forms = structure.get("forms", [])
        self.style, self.meter = style, meter

    def plan(self, rng, bars: int) -> "FormPlan | None":
        """A form for ``bars`` bars drawn (with ``rng``, a seeded :class:`random.Random`) from the
        training tunes of this style and meter (this style's of any meter, then every style's, when
        fewer than :data:`FORM_MINIMUM`), each tune as likely as the next whatever its length, as the
        real tunes are read; the bars past a shorter tune's end are left to the lag law. None for a
        structure without forms."""
        if not self.forms or bars < 1:
            return None
        pools = ([f for f in self.forms if f["style"] == self.style and f["meter"] == self.meter],
                 [f for f in self.forms if f["style"] == self.style], self.forms)
        fitting = next((pool for pool in pools if len(pool) >= FORM_MINIMUM), self.forms)
        form = fitting[rng.randrange(len(fitting))]
        return FormPlan(form["sources"][:bars], form["exact"][:bars], bars)

    def is_cadence(self, pitch: int | None) -> bool:
        return pitch is not None and (pitch - self.tonic_pc) % 12 in self.cadence_degrees

    def in_scale(self, pitch: int | None) -> bool:
        return pitch is None or (pitch - self.tonic_pc) % 12 in self.scale

    def degree_bias(self, pitch: int | None) -> float:
        return 0.0 if pitch is None else self.cadence_bias[(pitch - self.tonic_pc) % 12]

    def repeat_logits(self, bar_in_phrase: int) -> list[float]:
        """Log-probabilities of [new bar, lag LAGS[0], ...] (add-one smoothed counts)."""
        counts = self.repeats[bar_in_phrase]
        total = sum(counts) + len(counts)
        return [math.log((c + 1) / total) for c in counts]


class FormPlan:
    """One drawn form: ``sources[k]`` is the plan bar that bar ``k`` repeats (-1: a new bar; bars
    past the form's end are left to the lag law), ``exact[k]`` whether the repeat keeps its pitches.
    A planned repeat is carried out when both bars start on their bar lines (most do); forcing every
    planned bar line clean was tried and bent the note lengths away from the real tunes'."""

    def __init__(self, sources: list[int], exact: list[bool], bars: int):
        self.sources, self.exact, self.bars = list(sources), list(exact), bars

    def source(self, bar: int) -> int | None:
        """The bar ``bar`` repeats, -1 for a new bar, None past the form (the lag law decides)."""
        return self.sources[bar] if 0 <= bar < len(self.sources) else None
