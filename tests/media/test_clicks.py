"""The click timer the demo, the relay test and the audience bench use: every click is found in a
two-tone binaural recording at its true delay, even with one transient far louder than the clicks."""

import numpy as np

from media.clicks import click_delays_ms, tone_with_clicks

FRAME = 480


def _stamps(samples: int, start: float) -> np.ndarray:
    return np.array([[i * FRAME, start + i * FRAME / 48_000] for i in range(samples // FRAME)])


def test_every_click_found_at_its_delay_despite_a_loud_transient():
    played = tone_with_clicks(440.0, 8.0)
    other = tone_with_clicks(660.0, 8.0)
    heard = np.stack([0.7 * played + 0.5 * other, 0.4 * played + 0.6 * other], axis=1)
    heard[200_000:200_050] += 5.0  # a bang ten times louder than any click
    delays = click_delays_ms({"sent_at": _stamps(len(played), 100.0)},
                             {"audio": heard, "received_at": _stamps(len(played), 100.015)})
    assert len(delays) == 15  # 16 clicks in 8 s, the first left out (cold start)
    assert np.allclose(delays, 15.0, atol=0.05)


def test_a_silent_recording_yields_no_clicks():
    played = tone_with_clicks(440.0, 4.0)
    delays = click_delays_ms({"sent_at": _stamps(len(played), 0.0)},
                             {"audio": np.zeros((len(played), 2)), "received_at": _stamps(len(played), 0.01)})
    assert delays == []
