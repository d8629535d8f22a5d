"""Benchmark of the generative models: generation latency for 16 bars per job kind, training
throughput per model, and Spark data-preparation time on 1 and 2 cores.

    python bench/generation.py [--spark-files N] [--repeats 3]   # Spark: the full corpus unless N is given

Prints a table and writes ``oracle/models/checkpoints/benchmark.json``, then re-renders
``docs/models.md`` with the figures.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import random
import statistics
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))


def timed(function, repeats: int) -> float:
    durations = []
    for _ in range(repeats):
        started = time.perf_counter()
        function()
        durations.append(time.perf_counter() - started)
    return statistics.median(durations)


def generation_latency(repeats: int) -> dict:
    from oracle.jobs import JobContext, kind_named
    from oracle.models.midi import melody_track, write_midi

    scale = [60, 62, 64, 65, 67, 65, 64, 62]
    melody = write_midi([melody_track([(scale[i % 8], 4) for i in range(64)])], bpm=100)  # 16 bars of 4/4
    cases = {
        "compose (16 bars)": ("compose", b"", {"bars": 16}),
        "improvise (16 bars)": ("improvise", b"", {"chords": ["C", "Am", "F", "G"] * 4}),
        "accompany (16 bars)": ("accompany", melody, {"style": "pop"}),
    }
    # Jobs run single-threaded (oracle.models.inference.deterministic).
    figures = sampling_peers(repeats)
    return figures | {f"{name}, job latency": f"{timed(lambda: kind_named(k).run(JobContext(1, 7, data, p)), repeats) * 1000:.0f} ms"
            for name, (k, data, p) in cases.items()}


def sampling_peers(repeats: int) -> dict:
    """The served composer's 16 bars measured in the same run as their peers: float32 inference (the
    first jobs' path), float64 (now, CPU-independent), float64 with the structure guide (the job)."""
    import torch

    from oracle.models.bundles import load_bundle
    from oracle.models.composer import Composer, sample
    from oracle.models.inference import Sampler, load_model
    from oracle.models.vocabulary import Conditioning

    torch.set_num_threads(1)
    model, _ = load_model("composer", Composer)
    single = model.float()
    double = load_model("composer", Composer)[0]
    structure = load_bundle("composer_structure")["structure"]
    conditioning = Conditioning(0, "major", "4/4", "folk")
    cases = {"float32": (single, None), "float64": (double, None), "float64 + structure guide": (double, structure)}
    return {f"compose network, 16 bars, {name}": f"{timed(lambda m=m, s=s: sample(m, conditioning, 16, sampler=Sampler(7, 'bench'), structure=s), repeats) * 1000:.0f} ms"
            for name, (m, s) in cases.items()}


def training_throughput() -> dict:
    import torch

    from oracle.models.composer import build_composer
    from oracle.models.harmonizer import Harmonizer
    from oracle.models.improviser import BAR_FEATURES, CHORD_FEATURES, Discriminator, Generator
    from oracle.training.config import COMPOSER_TRANSFORMER, ComposerConfig, HarmonizerConfig, ImproviserConfig, as_dict

    torch.manual_seed(0)
    threads = int(os.environ.get("TUTTI_TRAIN_THREADS", "1"))  # as training runs (see oracle.training.train)
    torch.set_num_threads(threads)
    figures = {}
    for label, config in (("composer", ComposerConfig()), ("Transformer composer", COMPOSER_TRANSFORMER)):
        model = build_composer(as_dict(config))
        optimizer = torch.optim.AdamW(model.parameters())
        tokens = torch.randint(4, 49, (config.batch_size, config.sequence_length + 1))
        positions, conditions = torch.zeros_like(tokens), torch.zeros(config.batch_size, 3, dtype=torch.long)

        def composer_step(model=model, optimizer=optimizer, tokens=tokens, positions=positions, conditions=conditions):
            logits, _ = model(tokens[:, :-1], positions[:, :-1], conditions, phrases=positions[:, :-1])
            loss = torch.nn.functional.cross_entropy(logits.reshape(-1, logits.shape[-1]), tokens[:, 1:].reshape(-1))
            optimizer.zero_grad()
            loss.backward()
            optimizer.step()

        composer_step()  # the CPU kernels are prepared on the first call of a shape
        seconds = timed(composer_step, 5)
        figures[f"{label} training ({threads} thread)"] = f"{config.batch_size * config.sequence_length / seconds:,.0f} tokens/s"

    gan = ImproviserConfig()
    generator, discriminator = Generator(**as_dict(gan)), Discriminator(**as_dict(gan))
    g_opt, d_opt = torch.optim.Adam(generator.parameters()), torch.optim.Adam(discriminator.parameters())
    chords, previous = torch.rand(gan.batch_size, CHORD_FEATURES), torch.zeros(gan.batch_size, BAR_FEATURES)

    def gan_step():
        fake = torch.nn.functional.gumbel_softmax(generator(torch.randn(gan.batch_size, gan.noise), chords, previous),
                                                  hard=True).reshape(gan.batch_size, -1)
        d_loss = discriminator(fake.detach(), chords, previous)[0].mean()
        d_opt.zero_grad(); d_loss.backward(); d_opt.step()  # noqa: E702
        g_loss = -discriminator(fake, chords, previous)[0].mean()
        g_opt.zero_grad(); g_loss.backward(); g_opt.step()  # noqa: E702

    gan_step()
    figures[f"improviser (GAN) training ({threads} thread)"] = f"{gan.batch_size / timed(gan_step, 10):,.0f} bars/s"

    harmonizer_config = HarmonizerConfig()
    harmonizer = Harmonizer(**as_dict(harmonizer_config))
    h_opt = torch.optim.AdamW(harmonizer.parameters())
    features = torch.rand(harmonizer_config.batch_size, 192, 30)
    targets = torch.randint(0, 84, (harmonizer_config.batch_size, 192))

    def harmonizer_step():
        loss = torch.nn.functional.cross_entropy(harmonizer(features).reshape(-1, 84), targets.reshape(-1))
        h_opt.zero_grad(); loss.backward(); h_opt.step()  # noqa: E702

    harmonizer_step()
    figures[f"harmonizer training ({threads} thread)"] = f"{harmonizer_config.batch_size * 192 / timed(harmonizer_step, 3):,.0f} beats/s"
    return figures


def spark_times(files: int) -> dict:
    """local[1] vs local[2] on the whole corpus (all three built-in corpora, with their large
    multi-tune Essen files), or on ``files`` files per corpus when given."""
    from oracle.training.config import PrepareConfig
    from oracle.training.prepare import prepare, sources_for

    figures = {}
    config = PrepareConfig(limit_per_corpus=files or None)
    sources = sources_for(config)
    with tempfile.TemporaryDirectory() as folder:  # warm-up: JVM, music21's parse cache, imports
        prepare(PrepareConfig(corpora=config.corpora, master="local[1]", output=folder), sources=sources[:4])
    seconds = {}
    for cores in (1, 2):
        with tempfile.TemporaryDirectory() as folder:
            run = PrepareConfig(corpora=config.corpora, limit_per_corpus=config.limit_per_corpus,
                                master=f"local[{cores}]", output=folder)
            started = time.perf_counter()
            prepare(run, sources=sources)
            seconds[cores] = time.perf_counter() - started
            figures[f"Spark prepare, {len(sources)} files, local[{cores}]"] = f"{seconds[cores]:.1f} s"
    figures["Spark speed-up, local[2] over local[1] (goal >= 1.8x)"] = f"{seconds[1] / seconds[2]:.2f}x"
    return figures


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--spark-files", type=int, default=0,
                        help="files per corpus for the Spark timing (default 0: the whole corpus)")
    parser.add_argument("--repeats", type=int, default=3)
    parser.add_argument("--skip-spark", action="store_true")
    args = parser.parse_args()
    random.seed(0)
    figures = {"load average before the run (1, 5, 15 min)": ", ".join(f"{v:.1f}" for v in os.getloadavg())}
    figures.update(generation_latency(args.repeats))
    figures.update(training_throughput())
    from oracle.training.config import CHECKPOINTS

    if not args.skip_spark:
        figures.update(spark_times(args.spark_files))
    elif (CHECKPOINTS / "benchmark.json").exists():  # keep the last Spark figures, saying they are old
        earlier = json.loads((CHECKPOINTS / "benchmark.json").read_text()).get("figures", {})
        figures.update({(k if "not re-measured" in k else f"{k} (earlier run, not re-measured)"): v
                        for k, v in earlier.items() if k.startswith("Spark")})
    width = max(len(k) for k in figures)
    for key, value in figures.items():
        print(f"{key:<{width}}  {value}")
    from oracle.training.report import write_report
    from oracle.training.evaluate import REPORT

    command = "python bench/generation.py " + " ".join(sys.argv[1:])
    machine = f"{platform.machine()}, {os.cpu_count()} cores, Python {platform.python_version()}, torch CPU"
    (CHECKPOINTS / "benchmark.json").write_text(json.dumps(
        {"command": command.strip(), "machine": machine, "figures": figures}, indent=2) + "\n")
    write_report(REPORT)


if __name__ == "__main__":
    main()
