"""The room mixer: every musician's audio in, a personal binaural mix out to every listener.

One task per room mixes a block (``frame_ms``, 10 ms by default) as soon as every sending
musician's :class:`InputBuffer` holds one (not on a free-running tick, whose phase against the
arrivals added up to a whole frame), or when a musician is late by more than ``LATE_GRACE`` of a
frame (then without waiting for them). Each mix takes one block from every musician's
:class:`InputBuffer` (silence on underrun) and, for every listener,
renders the *other* musicians through that listener's own :class:`~tutti.audio.BinauralRenderer`
(their placements, head orientation and HRTF), encodes it to Opus and queues the packet on the
listener's :class:`MixTrack`, which aiortc packs into RTP and sends. Each musician's block is transformed (FFT) once per mix in
:class:`SharedInputSpectra` and every listener's renderer reads it from there: N personal mixes
of N-1 sources cost N forward transforms, not N(N-1). Rendering is cheap next to Opus (see docs/media.md), so it runs on the loop.
"""

from __future__ import annotations

import asyncio
import fractions
import logging
import math
import time
from collections import deque
from dataclasses import dataclass, field

import numpy as np
from aiortc.mediastreams import MediaStreamError, MediaStreamTrack
from av import AudioFrame, Packet

from tutti.audio import BinauralRenderer, HrtfSet, PreparedHrtf, prepare_hrtf
from tutti.audio.convolver import SlidingSpectra
from tutti.audio.renderer import input_frame_length
from tutti.audio.spectral import spectral_tables

from .stages import HOLDS, SendTimer, now

from .opusenc import OpusPacketEncoder, is_opus_frame

logger = logging.getLogger(__name__)

SAMPLE_RATE = 48000
TIME_BASE = fractions.Fraction(1, SAMPLE_RATE)
PLAYING_DBFS = -45.0  # a musician whose block RMS is above this counts as "playing"
MAX_DISTANCE = 20.0


def frame_to_mono(frame: AudioFrame) -> np.ndarray:
    """A decoded audio frame (s16 or float, packed or planar) as mono float32 in [-1, 1]."""
    if frame.sample_rate != SAMPLE_RATE:
        raise ValueError(f"expected {SAMPLE_RATE} Hz audio, got {frame.sample_rate} Hz")
    data = frame.to_ndarray()
    channels = len(frame.layout.channels)
    if frame.format.is_planar:
        samples = data.reshape(channels, -1).T
    else:
        samples = data.reshape(-1, channels)
    mono = samples.mean(axis=1, dtype=np.float32)
    if np.issubdtype(data.dtype, np.integer):
        mono /= 32768.0
    return mono


def stereo_to_frame(stereo: np.ndarray, pts: int) -> AudioFrame:
    """(samples, 2) float in [-1, 1] -> packed s16 stereo frame at 48 kHz."""
    pcm = np.clip(stereo * 32767.0, -32768, 32767).astype(np.int16).reshape(1, -1)
    frame = AudioFrame.from_ndarray(pcm, format="s16", layout="stereo")
    frame.sample_rate = SAMPLE_RATE
    frame.pts = pts
    frame.time_base = TIME_BASE
    return frame


class InputBuffer:
    """A musician's decoded audio waiting for the mixer: an adaptive jitter buffer in samples.

    Reading returns silence on underrun. The target is what must be queued before reading starts
    (again): one block on a clean link; each underrun raises it by a block (up to
    ``max_target_blocks``), and ``RELAX_READS`` reads without one lower it again. Beyond
    ``max_blocks`` the oldest audio is dropped, and a surplus that stayed unread through a whole
    window beyond the target is trimmed, so neither a burst (a concealed loss arrives with the
    next packet) nor clock drift can build up latency.
    """

    TRIM_WINDOW = 50  # reads (0.5 s at 10 ms) over which a standing surplus is measured
    TRIM_MARGIN = 96  # samples (2 ms) kept beyond the target against jitter
    RELAX_READS = 500  # reads without an underrun before the target drops a block (5 s at 10 ms)

    def __init__(self, block: int, target_blocks: int = 1, max_blocks: int = 6,
                 max_target_blocks: int = 4) -> None:
        self.block = block
        self.target_blocks = target_blocks
        self.min_target_blocks = target_blocks
        self.peak_target_blocks = target_blocks
        self.max_target_blocks = max(max_target_blocks, target_blocks)
        self.limit = max(max_blocks, self.max_target_blocks + 2) * block
        self._ring = np.zeros(self.limit + 4 * 960, dtype=np.float32)
        self._fill = 0
        self._primed = False
        self.level_dbfs = -120.0
        self.underruns = 0
        self.dropped_samples = 0
        self.last_write = 0.0
        self._reads = 0
        self._clean_reads = 0
        self._window_min = 1 << 30
        # Arrival of each write (first sample's index in the stream, time): ``input`` stage.
        self._arrivals: deque[tuple[int, float]] = deque()
        self._written = 0
        self._consumed = 0
        self.last_arrival: float | None = None  # arrival of the block the last read returned

    @property
    def target(self) -> int:
        return self.target_blocks * self.block

    @property
    def ready(self) -> bool:
        """A block can be mixed now, ahead of the room's cadence, without eating into this
        sender's jitter margin: the target is queued (one block on a clean link). The mixer mixes
        early only when every sender is ready; otherwise at the block's due time it reads what is
        there. (Mixing whenever one block was queued drained a jittery sender's margin at the
        mixer's catch-up pace, so every late packet became an underrun and a gap of silence.)"""
        return self._fill >= self.target

    def write(self, samples: np.ndarray) -> None:
        samples = np.asarray(samples, dtype=np.float32)[-len(self._ring):]
        n = len(samples)
        if self._fill + n > len(self._ring):
            self._drop(self._fill + n - len(self._ring))
        self._ring[self._fill:self._fill + n] = samples
        self._fill += n
        self._arrivals.append((self._written, now()))
        self._written += n
        if len(self._arrivals) > 64:  # never read (not primed): forget what was dropped
            self._head_arrival()
        if self._fill > self.limit:
            self._drop(self._fill - self.target)
        self.last_write = time.monotonic()

    def read(self) -> np.ndarray:
        if not self._primed and self._fill >= self.target:
            self._primed = True
        if not self._primed or self._fill < self.block:
            if self._primed:  # ran dry while playing: this link needs more margin
                self.underruns += 1
                self._primed = False
                self._clean_reads = 0
                self.target_blocks = min(self.target_blocks + 1, self.max_target_blocks)
                self.peak_target_blocks = max(self.peak_target_blocks, self.target_blocks)
            self.level_dbfs = max(self.level_dbfs - 3.0, -120.0)
            self.last_arrival = None
            return np.zeros(self.block, dtype=np.float32)
        self.last_arrival = self._head_arrival()
        self._consumed += self.block
        block = self._ring[:self.block].copy()
        self._ring[:self._fill - self.block] = self._ring[self.block:self._fill]
        self._fill -= self.block
        self._clean_reads += 1
        if self._clean_reads >= self.RELAX_READS and self.target_blocks > self.min_target_blocks:
            self.target_blocks -= 1
            self._clean_reads = 0
        self._trim_standing_surplus()
        rms = float(np.sqrt(np.mean(block * block)) + 1e-9)
        self.level_dbfs = max(20 * math.log10(rms), self.level_dbfs - 3.0)  # fast up, slow down
        return block

    def _trim_standing_surplus(self) -> None:
        """Audio that sat unread through a whole window beyond the target only adds latency."""
        self._window_min = min(self._window_min, self._fill)
        self._reads += 1
        if self._reads % self.TRIM_WINDOW == 0:
            keep = (self.target_blocks - 1) * self.block + self.TRIM_MARGIN
            if self._window_min > keep:
                self._drop(self._window_min - keep)
            self._window_min = 1 << 30

    def _head_arrival(self) -> float:
        """When the oldest queued sample arrived."""
        while len(self._arrivals) > 1 and self._arrivals[1][0] <= self._consumed:
            self._arrivals.popleft()
        return self._arrivals[0][1]

    def _drop(self, count: int) -> None:
        count = min(count, self._fill)
        self._consumed += count
        self._ring[:self._fill - count] = self._ring[count:self._fill]
        self._fill -= count
        self.dropped_samples += count

    @property
    def queued(self) -> int:
        return self._fill


class MixTrack(MediaStreamTrack):
    """The personal mix sent to one listener: frames are pushed by the mixer's clock.

    With an ``encoder`` (:class:`media.opusenc.OpusPacketEncoder`) the mixer encodes each block
    itself and the track yields Opus packets, which aiortc's sender only packs into RTP (no
    encoder thread hand-off, no per-packet audio level in Python); without one it yields
    :class:`AudioFrame` s (the audience's RTP sender encodes those)."""

    kind = "audio"

    def __init__(self, depth: int = 2, encoder: OpusPacketEncoder | None = None) -> None:
        super().__init__()
        self._frames: asyncio.Queue[AudioFrame | Packet] = asyncio.Queue(maxsize=depth)
        self.encoder = encoder
        self.dropped = 0
        self.timer = SendTimer()  # ``send_queue`` / ``encode_send`` stages

    def push_block(self, stereo: np.ndarray, pts: int) -> None:
        """A mixed block, (samples, 2) float: encoded here if this track has an encoder."""
        self.push(self.encoder.encode(stereo, pts) if self.encoder is not None else stereo_to_frame(stereo, pts))

    def push(self, frame: AudioFrame) -> None:
        frame.opaque = now()
        if self._frames.full():  # the sender fell behind: drop the oldest, keep latency bounded
            self._frames.get_nowait()
            self.dropped += 1
        self._frames.put_nowait(frame)

    async def recv(self) -> AudioFrame:
        if self.readyState != "live":
            raise MediaStreamError
        frame = await self._frames.get()
        self.timer.taken(frame.opaque)
        return frame


class HrtfLibrary:
    """Named HRTF choices offered to listeners, prepared once (in a thread) and shared."""

    DEFAULT = "kemar"

    def __init__(self, sample_rate: int = SAMPLE_RATE, extra_sets: dict[str, HrtfSet] | None = None):
        self.sample_rate = sample_rate
        kemar = HrtfSet.kemar()
        # (set, head radius for ITD personalisation (None keeps the measured ITDs), filter phase)
        self.choices: dict[str, tuple[HrtfSet, float | None, str]] = {
            "kemar": (kemar, None, "minimum"),
            "kemar-small-head": (kemar, 0.075, "minimum"),
            "kemar-large-head": (kemar, 0.095, "minimum"),
            "kemar-measured": (kemar, None, "measured"),  # keeps the measured excess phase
        }
        for name, hrtf_set in (extra_sets or {}).items():
            self.choices[name] = (hrtf_set, None, "minimum")
        self._prepared: dict[str, PreparedHrtf] = {}
        self._pending: dict[str, asyncio.Future] = {}
        self._block_sizes: set[int] = set()

    @property
    def names(self) -> list[str]:
        return list(self.choices)

    def prepared(self, name: str) -> PreparedHrtf | None:
        return self._prepared.get(name)

    def prepare_now(self, name: str) -> PreparedHrtf:
        if name not in self._prepared:
            hrtf_set, radius, phase = self.choices[name]
            self._prepared[name] = prepare_hrtf(hrtf_set, self.sample_rate, radius, phase=phase)
            self._build_spectral_tables()
        return self._prepared[name]

    def use_block_size(self, block_size: int) -> None:
        """Mixes of ``block_size`` samples will render these sets: build their spectral tables now."""
        self._block_sizes.add(block_size)
        self._build_spectral_tables()

    def _build_spectral_tables(self) -> None:
        # A renderer's first block would otherwise transform every direction of its set (~25 ms),
        # stalling the room's mix when the first listener joins. A shared mix uses the longest
        # frame any listener's set needs, so every set gets tables for every such length.
        lengths = {input_frame_length(hrtf, block) for hrtf in self._prepared.values() for block in self._block_sizes}
        for hrtf in list(self._prepared.values()):
            for length in lengths:
                spectral_tables(hrtf, length)

    async def prepare(self, name: str) -> PreparedHrtf:
        """Prepare ``name`` off the event loop (~1 s of CPU), once however many ask."""
        if name in self._prepared:
            return self._prepared[name]
        if name not in self._pending:
            self._pending[name] = asyncio.ensure_future(asyncio.to_thread(self.prepare_now, name))
        return await self._pending[name]


@dataclass
class Placement:
    azimuth: float  # degrees, > 0 to the listener's right
    distance: float = 1.5  # metres


@dataclass
class ListenerMix:
    """One listener's view of the room: where they put the others, their head, their HRTF."""

    listener_id: str
    track: MixTrack
    hrtf: PreparedHrtf
    hrtf_name: str = HrtfLibrary.DEFAULT
    placements: dict[str, Placement] = field(default_factory=dict)
    head_yaw: float = 0.0
    head_pitch: float = 0.0
    _renderer: BinauralRenderer | None = None
    _sources: tuple[str, ...] = ()
    _dirty: bool = True
    _pts: int = 0

    def place(self, source_id: str, azimuth: float, distance: float) -> None:
        if not (math.isfinite(azimuth) and math.isfinite(distance)):
            raise ValueError("azimuth and distance must be finite numbers")
        if not 0.2 <= distance <= MAX_DISTANCE:
            raise ValueError(f"distance must be 0.2..{MAX_DISTANCE} m")
        self.placements[source_id] = Placement(float(azimuth), float(distance))
        self._dirty = True

    def turn_head(self, yaw: float, pitch: float = 0.0) -> None:
        if not (math.isfinite(yaw) and math.isfinite(pitch)) or abs(pitch) > 90:
            raise ValueError("yaw must be finite and pitch within -90..90 degrees")
        self.head_yaw, self.head_pitch = float(yaw), float(pitch)
        if self._renderer is not None:
            self._renderer.set_listener(yaw=self.head_yaw, pitch=self.head_pitch)

    def use_hrtf(self, name: str, prepared: PreparedHrtf) -> None:
        self.hrtf, self.hrtf_name = prepared, name
        self._renderer = None  # rebuilt on the next block with the new filters

    def render(self, blocks: dict[str, np.ndarray], block_size: int,
               shared: SharedInputSpectra | None = None) -> np.ndarray:
        """This listener's mix of the others' ``blocks``; with ``shared``, from the spectra the
        room transformed once for every listener (else each source is transformed here)."""
        sources = tuple(sid for sid in blocks if sid != self.listener_id)
        if not sources:
            self._renderer, self._sources = None, ()
            return np.zeros((block_size, 2), dtype=np.float32)
        if self._renderer is None or sources != self._sources:
            self._renderer = BinauralRenderer(len(sources), SAMPLE_RATE, block_size, hrtf=self.hrtf)
            self._renderer.set_listener(yaw=self.head_yaw, pitch=self.head_pitch)
            self._sources, self._dirty = sources, True
        if self._dirty:
            for index, sid in enumerate(sources):
                if sid not in self.placements:  # newcomers spread over the front half
                    self.placements[sid] = Placement(default_azimuth(index, len(sources)))
            positions = [self.placements[sid] for sid in sources]
            self._renderer.set_sources(azimuth=[p.azimuth for p in positions],
                                       distance=[p.distance for p in positions])
            self._dirty = False
        if shared is not None:
            return self._renderer.process_spectra(shared.spectra_of(sources))
        return self._renderer.process(np.stack([blocks[sid] for sid in sources]))

    def emit(self, stereo: np.ndarray) -> None:
        self.track.push_block(stereo, self._pts)
        self._pts += len(stereo)


class SharedInputSpectra:
    """Every musician's recent input spectra (overlap-save, newest first), one forward FFT per
    musician per block, read by all the listeners' renderers. Rows follow the musicians by id, so
    one joining or leaving keeps the others' history."""

    def __init__(self, block_size: int) -> None:
        self.block_size = block_size
        self.ids: tuple[str, ...] = ()
        self._rows: dict[str, int] = {}
        self._line = SlidingSpectra(0, block_size, 2 * block_size)

    def push(self, blocks: dict[str, np.ndarray], frame_length: int) -> None:
        """Transform this block of every musician, frames of at least ``frame_length`` samples."""
        ids = tuple(blocks)
        if ids != self.ids or frame_length > self._line.frame_length:
            self._reshape(ids, max(frame_length, self._line.frame_length))
        if ids:
            self._line.push(np.stack([blocks[sid] for sid in ids]))

    def spectra_of(self, sources: tuple[str, ...]) -> np.ndarray:
        """(1, len(sources), N // 2 + 1) spectra of ``sources`` in that order."""
        return self._line.spectra[:, [self._rows[sid] for sid in sources]]

    def _reshape(self, ids: tuple[str, ...], frame_length: int) -> None:
        line = SlidingSpectra(len(ids), self.block_size, frame_length)
        old_length = self._line.frame_length
        for row, sid in enumerate(ids):
            if sid in self._rows:
                line._frame[row, -old_length:] = self._line._frame[self._rows[sid]]
        self.ids, self._rows, self._line = ids, {sid: row for row, sid in enumerate(ids)}, line


def default_azimuth(index: int, count: int) -> float:
    """Spread ``count`` sources over -60..60 degrees (a single one straight ahead)."""
    return 0.0 if count == 1 else -60.0 + 120.0 * index / (count - 1)


@dataclass
class MixerStats:
    ticks: int = 0
    late_ticks: int = 0  # ticks that started more than one block late
    waited_out: int = 0  # mixes that went ahead without a late musician
    # Of the inputs that have left: underruns and the largest target their buffers adapted to.
    left_underruns: int = 0
    left_max_target_blocks: int = 0
    frames_in: int = 0  # decoded frames written by the musicians (one per received packet)
    mixes_out: int = 0  # personal mixes handed to the listeners' senders (one packet each)
    cost_ms: deque = field(default_factory=lambda: deque(maxlen=2000))

    def summary(self) -> dict:
        costs = np.asarray(self.cost_ms) if self.cost_ms else np.zeros(1)
        return {"ticks": self.ticks, "late_ticks": self.late_ticks, "waited_out": self.waited_out,
                "left_inputs_underruns": self.left_underruns, "left_inputs_max_target_blocks": self.left_max_target_blocks,
                "frames_in": self.frames_in, "mixes_out": self.mixes_out,
                "tick_cost_ms_p50": round(float(np.percentile(costs, 50)), 4),
                "tick_cost_ms_p99": round(float(np.percentile(costs, 99)), 4),
                "tick_cost_ms_max": round(float(costs.max()), 4)}


class RoomMixer:
    """The room's mixing task: one block from every musician, one personal mix per listener."""

    LATE_GRACE = 0.5  # of a frame: how long past its due time a mix waits for a late musician
    MIN_SPACING = 0.5  # of a frame: the least time between two mixes

    def __init__(self, block_size: int, hrtfs: HrtfLibrary, input_target_blocks: int = 1,
                 share_transforms: bool = True, encode_mixes: bool = True) -> None:
        self.block_size = block_size
        # Encode every personal mix in the mixing task (one batch per block, no per-packet thread
        # hand-off), when the block is an Opus frame length; else aiortc encodes frames.
        self.encode_mixes = encode_mixes and is_opus_frame(block_size)
        # False: every listener's renderer transforms every source itself (the old path, kept to
        # show the shared one gives the same mixes, and to measure what sharing saves).
        self.shared = SharedInputSpectra(block_size) if share_transforms else None
        self.hrtfs = hrtfs
        hrtfs.use_block_size(block_size)
        self.input_target_blocks = input_target_blocks
        self.inputs: dict[str, InputBuffer] = {}
        self.listeners: dict[str, ListenerMix] = {}
        self.stats = MixerStats()
        self._task: asyncio.Task | None = None
        self._waiter: asyncio.Future | None = None  # the mixing task's sleep, woken early by write()

    def add_input(self, source_id: str) -> InputBuffer:
        buffer = InputBuffer(self.block_size, self.input_target_blocks)
        self.inputs[source_id] = buffer
        return buffer

    def write(self, source_id: str, samples: np.ndarray) -> None:
        """A musician's decoded audio arrived: queue it and wake the mixing task."""
        buffer = self.inputs.get(source_id)
        if buffer is None:
            return
        was_ready = buffer.ready
        buffer.write(samples)
        self.stats.frames_in += 1
        # Wake the mixing task only when this block completes the set (not for every packet of
        # every musician: with N musicians that was N wake-ups, each a task switch, per block).
        if not was_ready and buffer.ready and self.all_arrived():
            self._wake()

    def _wake(self) -> None:
        waiter = self._waiter
        if waiter is not None and not waiter.done():
            waiter.set_result(None)

    def add_listener(self, listener_id: str) -> ListenerMix:
        track = MixTrack(encoder=OpusPacketEncoder(self.block_size) if self.encode_mixes else None)
        mix = ListenerMix(listener_id, track, self.hrtfs.prepare_now(HrtfLibrary.DEFAULT))
        self.listeners[listener_id] = mix
        return mix

    def remove(self, participant_id: str) -> None:
        buffer = self.inputs.pop(participant_id, None)
        if buffer is not None:
            self.stats.left_underruns += buffer.underruns
            self.stats.left_max_target_blocks = max(self.stats.left_max_target_blocks, buffer.peak_target_blocks)
        mix = self.listeners.pop(participant_id, None)
        if mix is not None:
            mix.track.stop()

    def tick(self) -> None:
        blocks = {sid: buffer.read() for sid, buffer in self.inputs.items()}
        started = now()
        arrivals = [b.last_arrival for b in self.inputs.values() if b.last_arrival is not None]
        for arrival in arrivals:
            HOLDS.add("input", (started - arrival) * 1e3)
        if arrivals:  # how long the first block mixed waited for the last (0 for one sender)
            HOLDS.add("mixer_wait", (max(arrivals) - min(arrivals)) * 1e3)
        listeners = list(self.listeners.values())
        if self.shared is not None and listeners:
            self.shared.push(blocks, max(input_frame_length(mix.hrtf, self.block_size)
                                         for mix in listeners))
        for mix in listeners:
            mix.emit(mix.render(blocks, self.block_size, self.shared))
        self.stats.mixes_out += len(listeners)

    def _live_inputs(self) -> list[InputBuffer]:
        """Musicians who are sending (one silent for 200 ms, e.g. muted or gone, is not waited for)."""
        recent = time.monotonic() - 0.2
        return [b for b in self.inputs.values() if b.last_write > recent]

    def all_arrived(self) -> bool:
        """Every musician who is sending has a block queued (and someone is sending)."""
        live = self._live_inputs()
        return bool(live) and all(b.ready for b in live)

    def start(self) -> None:
        if self._task is None:
            self._task = asyncio.ensure_future(self._run())

    async def stop(self) -> None:
        if self._task is not None:
            self._task.cancel()
            try:
                await self._task
            except asyncio.CancelledError:
                pass
            self._task = None

    async def _run(self) -> None:
        """Mix as soon as the inputs of a block have arrived. A late musician is waited for up
        to ``LATE_GRACE`` of a frame past the block's due time, then the block is mixed without
        them; with nobody sending, blocks follow the node's clock. Back-to-back mixes (a burst
        arriving) are spaced by at least ``MIN_SPACING`` of a frame, so a queue drains smoothly."""
        loop = asyncio.get_running_loop()
        period = self.block_size / SAMPLE_RATE
        last = loop.time()  # when the previous block was (nominally) mixed
        while True:
            while True:
                now = loop.time()
                arrived = self.all_arrived()
                if arrived and now >= last + self.MIN_SPACING * period:
                    last = now
                    break
                live = bool(self._live_inputs())
                deadline = last + period * ((1 + self.LATE_GRACE) if live else 1.0)
                if now >= deadline:
                    self.stats.waited_out += live
                    last += period  # keep the cadence: the next block is due a frame later
                    if last < now - period:  # fell behind (CPU starved): skip ahead, don't burst
                        self.stats.late_ticks += 1
                        last = now
                    break
                wake = last + self.MIN_SPACING * period if arrived else deadline
                # A bare future and a timer (asyncio.wait_for made a task per wait)
                self._waiter = loop.create_future()
                timer = loop.call_later(max(wake - now, 0.0), self._wake)
                try:
                    await self._waiter
                finally:
                    timer.cancel()
                    self._waiter = None
            started = time.perf_counter()
            try:
                self.tick()
            except Exception:  # a bug in one tick must not silence the room for good
                logger.exception("mixer tick failed")
            self.stats.cost_ms.append((time.perf_counter() - started) * 1e3)
            if self.listeners:  # a tick with nobody to mix for is not a stage of anyone's audio
                HOLDS.add("mix", self.stats.cost_ms[-1])
            self.stats.ticks += 1
            await asyncio.sleep(0)  # let aiortc's tasks run between back-to-back mixes
