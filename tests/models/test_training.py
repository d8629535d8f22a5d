"""Training loops on tiny configs and synthetic data: the loss goes down in a few steps."""

from __future__ import annotations

import random

import torch

from oracle.models.vocabulary import events_to_tokens


def _rows(count: int = 8):
    rng = random.Random(0)
    rows = []
    for i in range(count):
        scale = [60, 62, 64, 65, 67, 69, 71, 72]
        events = [(scale[(j + i) % 8], rng.choice((2, 4))) for j in range(24)]
        rows.append({"tokens": events_to_tokens(events), "bar_length": 16, "start_position": 0, "tonic_pc": 0,
                     "mode": "major", "meter": "4/4", "style": "folk"})
    return rows


def _rows_and_offsets():
    """The synthetic rows and their cumulative token counts, as ``make_batch`` reads them."""
    rows = _rows()
    return rows, [sum(len(r["tokens"]) for r in rows[:i + 1]) for i in range(len(rows))]


def _train_composer_briefly(model, config, steps: int = 30) -> list[float]:
    """Adam on batches of the synthetic rows; the loss of each step."""
    from oracle.models.composer import next_token_loss
    from oracle.training.train_composer import make_batch

    optimizer = torch.optim.Adam(model.parameters(), lr=config.learning_rate)
    rows, cumulative = _rows_and_offsets()
    rng = random.Random(0)
    losses = []
    for _ in range(steps):
        loss = next_token_loss(model, *make_batch(rows, cumulative, rng, config))
        optimizer.zero_grad()
        loss.backward()
        optimizer.step()
        losses.append(loss.item())
    return losses


def test_composer_loss_decreases_on_a_tiny_config():
    from oracle.models.composer import ComposerLSTM
    from oracle.training.config import ComposerConfig, as_dict

    torch.manual_seed(0)
    config = ComposerConfig(embedding=16, condition_embedding=4, position_embedding=4, hidden=32, layers=1,
                            sequence_length=16, batch_size=8, learning_rate=1e-2)
    model = ComposerLSTM(**as_dict(config))
    losses = _train_composer_briefly(model, config)
    assert sum(losses[-5:]) / 5 < 0.7 * sum(losses[:5]) / 5


def test_harmonizer_learns_a_fixed_progression():
    from oracle.models.harmonizer import Harmonizer, beat_features
    from oracle.models.vocabulary import parse_chord_symbol

    torch.manual_seed(0)
    grid = [60, -2, -2, -2, 65, -2, -2, -2, 67, -2, -2, -2, 60, -2, -2, -2]
    features = beat_features(grid, 0, "major").unsqueeze(0)
    targets = torch.tensor([[parse_chord_symbol(s) for s in ("C", "F", "G", "C")]])
    model = Harmonizer(hidden=16, layers=1)
    optimizer = torch.optim.Adam(model.parameters(), lr=2e-2)
    losses = []
    for _ in range(40):
        loss = torch.nn.functional.cross_entropy(model(features)[0], targets[0])
        optimizer.zero_grad()
        loss.backward()
        optimizer.step()
        losses.append(loss.item())
    assert losses[-1] < 0.5 * losses[0]


def test_gan_steps_run_and_the_generator_output_is_one_hot():
    from oracle.models.improviser import BAR_FEATURES, CLASSES, STEPS, Discriminator, Generator, chord_features

    torch.manual_seed(0)
    generator, discriminator = Generator(noise=8, hidden=32), Discriminator(hidden=32)
    chords = chord_features([0, 0, 35, 35]).unsqueeze(0).repeat(4, 1)
    logits = generator(torch.randn(4, 8), chords, torch.zeros(4, BAR_FEATURES))
    fake = torch.nn.functional.gumbel_softmax(logits, tau=0.5, hard=True)
    assert fake.shape == (4, STEPS, CLASSES) and torch.all(fake.sum(-1) == 1)
    score, features = discriminator(fake.reshape(4, -1), chords, torch.zeros(4, BAR_FEATURES))
    score.mean().backward()
    assert all(p.grad is not None for p in generator.parameters())


def test_transformer_composer_learns_and_its_cached_steps_match_the_whole_pass():
    from oracle.models.composer import ComposerTransformer, build_composer
    from oracle.training.config import ComposerConfig, as_dict
    from oracle.training.train_composer import make_batch

    torch.manual_seed(0)
    config = ComposerConfig(architecture="transformer", embedding=16, condition_embedding=4, position_embedding=4,
                            phrase_embedding=4, hidden=32, layers=2, heads=4, sequence_length=16, batch_size=8,
                            learning_rate=1e-2, dropout=0.0)
    model = build_composer(as_dict(config))
    assert isinstance(model, ComposerTransformer)
    losses = _train_composer_briefly(model, config)
    assert sum(losses[-5:]) / 5 < 0.7 * sum(losses[:5]) / 5

    # A piece longer than the attention window, read whole and token by token through the caches
    # (as sampling reads it), gives the same logits: training, evaluation and sampling agree.
    model = model.double().eval()
    rows, cumulative = _rows_and_offsets()
    tokens, positions, conditions, phrases = make_batch(rows, cumulative, random.Random(1), config)
    row = rows[0]["tokens"][:40]
    length = len(row)
    whole, _ = model(torch.tensor([row]), positions[:1, :1].expand(1, length) * 0, conditions[:1],
                     phrases=torch.zeros(1, length, dtype=torch.long))
    with torch.no_grad():
        steps, state = [], None
        for t in range(length):
            out, state = model(torch.tensor([[row[t]]]), torch.zeros(1, 1, dtype=torch.long), conditions[:1], state,
                               phrases=torch.zeros(1, 1, dtype=torch.long))
            steps.append(out)
    assert torch.allclose(whole, torch.cat(steps, 1), atol=1e-10)
