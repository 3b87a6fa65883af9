"""The GPU path, measured: training speed under each dtype policy with and without XLA, and FD under mixed precision.

For ``GAN`` (the book's DCGAN) and ``ConditionalGAN`` (the conditional GAN), each under
``float32``, ``mixed_bfloat16`` and ``mixed_float16``, compiled with and without XLA
(``jit_compile``; determinism off, as the ``full`` budget trains on a GPU): images per second
of ``fit``, timed over ``--steps`` steps after one untimed step that builds the graph. Then
the pretrained DCGAN's Fréchet distance (10,000 samples against 10,000 test images, scored
by the float32 evaluation classifier) when its generator computes in float32 and in a mixed
policy.

Usage (one GPU: under 5 minutes; on a CPU, fewer steps)::

    AEGAN_DATA_DIR=../shared/datasets/mnist python benchmarks/gpu.py [--steps 200] [--out benchmarks/out/gpu.md]

Prints the table and writes it (Markdown) to ``--out``, with the machine it ran on.
"""

from __future__ import annotations

import argparse
import time
from pathlib import Path

import aegan_tutorial  # first: it quiets TensorFlow's start-up log
import keras
import tensorflow as tf
from aegan_tutorial import data, evaluation, models, pretrained, runs, set_seed
from aegan_tutorial.reproducibility import accelerator_present

POLICIES = ("float32", "mixed_bfloat16", "mixed_float16")


def build(kind: str) -> models.GAN:
    """The book's DCGAN or conditional GAN (registry defaults), under the current policy."""
    return models.registry.build(kind, training=False)


def images_per_second(kind: str, policy: str, xla: bool, images, labels, batch_size: int, steps: int) -> float:
    """Training speed of ``kind`` under ``policy``, with or without XLA (after one untimed step)."""
    keras.config.set_dtype_policy(policy)
    try:
        set_seed(0, deterministic=False)
        gan = build(kind)
        gan.compile(*models.recommended_optimizers(), jit_compile=xla)
        x = data.scale_images(images)
        batches = tf.data.Dataset.from_tensor_slices((x, labels) if kind == "cgan" else x)
        batches = batches.repeat().batch(batch_size, drop_remainder=True).prefetch(tf.data.AUTOTUNE)
        gan.fit(batches, epochs=1, steps_per_epoch=1, verbose=0)  # traces (and compiles) the step
        start = time.perf_counter()
        gan.fit(batches, epochs=1, steps_per_epoch=steps, verbose=0)
        float(gan.d_loss_tracker.result())  # wait for the device
        return steps * batch_size / (time.perf_counter() - start)
    finally:
        keras.config.set_dtype_policy("float32")
        set_seed(0)


def pretrained_fd(policy: str, n: int) -> float:
    """FD of ``n`` samples of the pretrained DCGAN whose generator computes under ``policy``."""
    keras.config.set_dtype_policy(policy)
    try:
        gan = pretrained.load("dcgan")
        samples = data.to_uint8(gan.generate(n, seed=evaluation.EVAL_SEED), "tanh")
    finally:
        keras.config.set_dtype_policy("float32")
    return evaluation.score_samples(samples)["fd"]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--steps", type=int, default=None, help="timed steps per cell (default: 200 on a GPU, 10 on a CPU)")
    parser.add_argument("--batch-size", type=int, default=256)
    parser.add_argument("--samples", type=int, default=10_000, help="samples for the FD")
    parser.add_argument("--mixed", default="mixed_bfloat16", choices=POLICIES[1:], help="the mixed policy of the FD row")
    parser.add_argument("--out", type=Path, default=Path("benchmarks/out/gpu.md"))
    args = parser.parse_args()
    gpu = accelerator_present()
    steps = args.steps or (200 if gpu else 10)
    machine = f"{runs.hardware()}; {runs.software()}; {'GPU' if gpu else 'CPU only, no GPU'}"
    print(machine, flush=True)
    images, labels = data.load_mnist("train")
    images, labels = images[: steps * args.batch_size], labels[: steps * args.batch_size]

    lines = [f"Machine: {machine}. Batch {args.batch_size}, {steps} timed steps per cell.", "",
             "| model | policy | images/s without XLA | images/s with XLA |", "|---|---|---:|---:|"]
    start = time.perf_counter()
    for kind in ("dcgan", "cgan"):
        for policy in POLICIES:
            speeds = [images_per_second(kind, policy, xla, images, labels, args.batch_size, steps) for xla in (False, True)]
            lines.append(f"| {kind} | {policy} | {speeds[0]:,.0f} | {speeds[1]:,.0f} |")
            print(lines[-1], f"[{time.perf_counter() - start:.0f} s]", flush=True)

    lines += ["", f"| pretrained DCGAN | FD, {args.samples:,} samples vs {args.samples:,} test images |", "|---|---:|"]
    for policy in ("float32", args.mixed):
        lines.append(f"| generator in {policy} | {pretrained_fd(policy, args.samples):.4f} |")
        print(lines[-1], f"[{time.perf_counter() - start:.0f} s]", flush=True)
    args.out.parent.mkdir(parents=True, exist_ok=True)
    args.out.write_text("\n".join(lines) + "\n")
    print("\n".join(lines))
    print(f"written to {args.out} in {time.perf_counter() - start:.0f} s")


if __name__ == "__main__":
    main()
