"""The live AI accompanist: it follows tempo and chords, and a musician in the room hears it do so.

The first test runs the accompanist's listening and playing on the signal directly (no network: the
algorithms' correctness); the second runs it for real: a node (its pass checks on the test chain),
``tutti-media accompany`` with its own key and pass, and a ``tutti-media join`` musician playing a
chord progression at a known tempo, whose recording must hold the accompanist's answer. Speed
(beats until lock, reaction delay) is measured by ``bench/accompanist.py``, not asserted here.
"""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time

import numpy as np
import pytest
from eth_account import Account

from media.accompanist import Accompanist
from media.following import Chord
from media.progression import DEFAULT_CHORDS, chord_schedule, measure, progression_signal, read_answer

from .conftest import ROOT, client_result, run_client

SAMPLE_RATE = 48000


def is_subsequence(wanted: list[str], heard: list[str]) -> bool:
    remaining = iter(heard)
    return all(any(name == chord for chord in remaining) for name in wanted)


def test_follows_tempo_and_chords_of_a_signal() -> None:
    bpm, bars = 100.0, 6
    signal_ = progression_signal(bpm, DEFAULT_CHORDS, bars)
    accompanist = Accompanist(lead=0.0)
    out = []
    for start in range(0, len(signal_) - 479, 480):  # 10 ms blocks on a simulated clock
        now = (start + 480) / SAMPLE_RATE
        accompanist.hear(signal_[start:start + 480, None].repeat(2, axis=1), now)
        out.append(accompanist.render(480, now))
    summary = accompanist.summary()
    assert abs(summary["bpm"] - bpm) <= 0.03 * bpm, summary["bpm"]
    recognized = [(at, name) for at, name in summary["timeline"]["chords"] if name]
    schedule = chord_schedule(bpm, DEFAULT_CHORDS, bars)
    assert [name for _at, name in recognized] == [name for _at, name in schedule]
    for (heard_at, _), (changed_at, _) in zip(recognized, schedule):
        assert 0 <= heard_at - changed_at < 60 / bpm  # recognized within the beat it changed on
    # What it played: bass on the beat at the tempo, the pad on each new chord within a beat.
    stamps = np.array([[i * 480, (i + 1) * 480 / SAMPLE_RATE] for i in range(len(out))])
    figures = measure({"audio": np.concatenate(out)[:, None].repeat(2, axis=1), "received_at": stamps,
                       "sent_at": np.array([[0, 0.0]])}, bpm, DEFAULT_CHORDS, bars)
    assert abs(figures["tempo_heard_bpm"] - bpm) <= 0.03 * bpm, figures
    assert figures["chord_changes"] >= 4 and figures["chord_changes_missed"] == 0, figures
    assert figures["chord_delay_beats_max"] <= 1.0, figures


def test_locks_within_a_bar_and_keeps_the_beat_through_lost_packets() -> None:
    """Blocks handed over with their RTP timestamps, 3 of them (30 ms) lost after the lock: the grid
    is on the beat from the first bar and stays there (the lost audio is not taken for a shift)."""
    bpm, bars = 120.0, 4
    signal_ = progression_signal(bpm, DEFAULT_CHORDS, bars)
    accompanist = Accompanist(lead=0.0)
    lost = {420, 421, 422}  # 4.20-4.23 s: between beats 8 and 9
    base = 2**32 - 480 * 100  # the RTP clock wraps during the signal
    for index, start in enumerate(range(0, len(signal_) - 479, 480)):
        if index not in lost:
            block = signal_[start:start + 480, None].repeat(2, axis=1)
            accompanist.hear(block, (start + 480) / SAMPLE_RATE, pts=(base + start) % 2**32)
    beats = accompanist.summary()["timeline"]["beats"]
    period = 60 / bpm
    assert beats[0][0] < 4 * period + 0.02  # locked on the first bar's last beat at the latest
    assert len(beats) >= 4 * bars - 4
    for at, tempo in beats:
        assert abs(tempo - bpm) <= 0.03 * bpm, beats
        assert abs(at - round(at / period) * period) <= 0.015, beats  # on a beat of the signal
    grid = accompanist.beats
    assert abs(grid.next_beat(13.9 * period * SAMPLE_RATE) / SAMPLE_RATE - 14 * period) <= 0.01


def test_lead_is_the_least_round_trip_and_a_frame_each_way() -> None:
    accompanist = Accompanist(auto_lead=True, frame=0.010)
    for round_trip in (0.0061, 0.0023, 0.0150):
        accompanist.round_trip(round_trip)
    assert accompanist.lead == pytest.approx(0.0223)
    assert Accompanist(lead=0.05).lead == 0.05  # a lead given by hand stays


def test_chord_names_are_checked() -> None:
    assert Chord.parse("F#m").pitch_classes == (6, 9, 1)
    assert Chord.parse("Db").name == "C#"
    with pytest.raises(ValueError, match="unknown chord 'H'"):
        Chord.parse("H")


def test_accompanist_joins_with_its_pass_and_a_musician_hears_it_follow(node, grant, tmp_path) -> None:
    bpm, bars = 120.0, 8
    accompanist_key, musician_key = Account.create(), Account.create()
    signal_ = progression_signal(bpm, DEFAULT_CHORDS, bars)
    np.save(tmp_path / "progression.npy", signal_)

    # Its own key holds its own pass (a refusal without one is the node's, tested for every client).
    grant(accompanist_key)
    grant(musician_key)
    accompanist = subprocess.Popen([sys.executable, "-m", "media.cli", "--log-level", "WARNING", "accompany", "--url",
                                    node.url, "--room", str(node.room), "--seconds", "300"], cwd=ROOT,
                                   env={**os.environ, "TUTTI_MEDIA_KEY": accompanist_key.key.hex()},
                                   stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    try:
        deadline = time.monotonic() + 90  # a client process starts slowly on a loaded machine
        while accompanist_key.address not in json.dumps(node.stats()["musicians"]):
            assert accompanist.poll() is None and time.monotonic() < deadline, accompanist.stderr.read()[-3000:]
            time.sleep(0.2)
        seconds = len(signal_) / SAMPLE_RATE
        musician = client_result(run_client(node, musician_key, send=str(tmp_path / "progression.npy"),
                                            seconds=seconds, record=tmp_path / "musician.npz"), timeout=180)
        assert musician["ended"] is None, musician
    finally:
        accompanist.send_signal(signal.SIGTERM)  # leaves the room and prints its summary
    summary = client_result(accompanist, timeout=30)
    assert summary["ended"] == "stopped", summary
    # Its lead was measured: the least ping round trip through the node, plus a 10 ms frame each way.
    assert summary["round_trip_ms_min"] is not None, summary["lead_ms"]
    assert summary["lead_ms"] == pytest.approx(summary["round_trip_ms_min"] + 20, abs=0.15)

    # It followed the tempo (its beats over the second half of the progression) ...
    started = next(at for at, name in summary["timeline"]["chords"] if name)  # the musician's first chord
    tempi = [bpm_ for at, bpm_ in summary["timeline"]["beats"] if started + seconds / 2 <= at <= started + seconds]
    assert tempi and abs(np.median(tempi) - bpm) <= 0.03 * bpm, tempi
    # ... recognized the chords in their order ...
    heard = [name for _at, name in summary["timeline"]["chords"] if name]
    assert is_subsequence(list(DEFAULT_CHORDS) * 2, heard), heard
    # ... and the musician heard it play them: its bass at the tempo, its pad on each of the chords.
    recording = dict(np.load(tmp_path / "musician.npz"))
    figures = measure(recording, bpm, DEFAULT_CHORDS, bars)
    assert figures["first_note_beat"] is not None, figures
    assert abs(figures["tempo_heard_bpm"] - bpm) <= 0.03 * bpm, figures
    played = set(read_answer(recording["audio"], recording["received_at"]).chords)
    assert set(DEFAULT_CHORDS) <= played, played
    # How fast it locks and reacts (and under what load) is bench/accompanist.py's to report.
