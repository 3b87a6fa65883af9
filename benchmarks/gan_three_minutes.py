"""How good is the default GAN after a few minutes on this machine's CPU?

Trains the package's default DCGAN (``build_generator``, ``build_discriminator``,
``GAN.compile()`` with its recommended optimizers) for a fixed wall-clock budget, then
measures its samples with a small digit classifier trained here on the same data:

* recognised: the share of samples the classifier labels with probability >= 0.9
  (printed for real test digits and for noise too, as the two ends of the scale);
* classes: how many of the 10 digits appear among the recognised samples, and the
  entropy of their histogram divided by log 10 (1.0 = all digits equally often).

Usage::

    AEGAN_DATA_DIR=../shared/datasets/mnist python benchmarks/gan_three_minutes.py [--seconds 180]

Prints a table and writes a sample grid (PNG) to ``--out``.
"""

from __future__ import annotations

import argparse
import os
import platform
import time
from pathlib import Path

import numpy as np

import aegan_tutorial
from aegan_tutorial import data, models
from aegan_tutorial.plots import image_grid
from aegan_tutorial.training import StopAfter


def recognition(classifier, images01: np.ndarray) -> dict:
    """Share recognised at p >= 0.9, digits covered, normalised class entropy."""
    import keras

    probs = keras.ops.convert_to_numpy(keras.ops.softmax(classifier.predict(images01, verbose=0, batch_size=500)))
    confident = probs.max(axis=1) >= 0.9
    counts = np.bincount(probs.argmax(axis=1)[confident], minlength=10)
    p = counts / max(1, counts.sum())
    entropy = float(-(p[p > 0] * np.log(p[p > 0])).sum() / np.log(10))
    return {"recognised": float(confident.mean()), "digits": int((counts > 0).sum()), "entropy": entropy}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--seconds", type=float, default=180.0, help="GAN training budget (wall clock)")
    parser.add_argument("--batch-size", type=int, default=64)
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--samples", type=int, default=2000)
    parser.add_argument("--filters", type=int, default=32, help="width of generator and discriminator")
    parser.add_argument("--d-lr", type=float, default=None, help="discriminator learning rate (default: recommended)")
    parser.add_argument("--g-lr", type=float, default=None, help="generator learning rate (default: recommended)")
    parser.add_argument("--policy", default="float32", choices=["float32", "mixed_float16", "mixed_bfloat16"],
                        help="Keras dtype policy of the GAN (mixed precision on a GPU)")
    parser.add_argument("--jit-compile", action="store_true", help="compile the train step with XLA")
    parser.add_argument("--out", type=Path, default=Path("benchmarks/out"))
    args = parser.parse_args()
    import keras

    aegan_tutorial.set_seed(args.seed, deterministic=not args.jit_compile)  # Keras declines XLA under determinism
    train_images, train_labels = data.load_mnist("train")
    test_images, test_labels = data.load_mnist("test")

    start = time.perf_counter()
    classifier = models.build_classifier()
    classifier.compile("adam", keras.losses.SparseCategoricalCrossentropy(from_logits=True), metrics=["accuracy"])
    classifier.fit(data.make_dataset(train_images, train_labels, scale="sigmoid", seed=args.seed), epochs=3, verbose=0)
    _, accuracy = classifier.evaluate(data.make_dataset(test_images, test_labels, scale="sigmoid", shuffle=False), verbose=0)
    classifier_seconds = time.perf_counter() - start

    keras.mixed_precision.set_global_policy(args.policy)
    gan = models.GAN(models.build_generator(filters=args.filters), models.build_discriminator(filters=args.filters),
                     noise_dim=100, seed=args.seed)
    d_opt, g_opt = models.recommended_optimizers()
    if args.d_lr:
        d_opt.learning_rate = args.d_lr
    if args.g_lr:
        g_opt.learning_rate = args.g_lr
    gan.compile(d_optimizer=d_opt, g_optimizer=g_opt, jit_compile=args.jit_compile)
    clock = StopAfter(args.seconds)
    dataset = data.make_dataset(train_images, batch_size=args.batch_size, seed=args.seed, drop_remainder=True)
    history = gan.fit(dataset, epochs=10_000, callbacks=[clock], verbose=0)
    images_per_second = clock.steps * args.batch_size / clock.elapsed

    samples = (gan.generate(args.samples, seed=args.seed) + 1.0) / 2.0
    real = data.scale_images(test_images[: args.samples], "sigmoid")
    noise = np.random.default_rng(args.seed).uniform(size=real.shape).astype(np.float32)
    rows = {"GAN samples": recognition(classifier, samples), "real test digits": recognition(classifier, real),
            "uniform noise": recognition(classifier, noise)}

    args.out.mkdir(parents=True, exist_ok=True)
    grid = args.out / "gan_three_minutes.png"
    image_grid(samples[:64], ncols=8, title=f"default GAN after {clock.elapsed:.0f} s on CPU").savefig(grid, dpi=80)

    print(f"machine: {platform.processor() or platform.machine()}, {os.cpu_count()} CPU cores, "
          f"TensorFlow {__import__('tensorflow').__version__}")
    print(f"classifier: {accuracy:.4f} test accuracy after 3 epochs ({classifier_seconds:.0f} s)")
    print(f"GAN: filters {args.filters}, learning rates D {float(d_opt.learning_rate):g}, G {float(g_opt.learning_rate):g}, "
          f"policy {args.policy}, XLA {gan.jit_compile}, devices {[d.device_type for d in __import__('tensorflow').config.list_logical_devices()]}")
    print(f"GAN: {clock.steps} steps of {args.batch_size} in {clock.elapsed:.1f} s = {images_per_second:.0f} images/s "
          f"({len(history.history['d_loss'])} epochs started over {len(train_images)} images); "
          f"last epoch d_loss {history.history['d_loss'][-1]:.3f}, g_loss {history.history['g_loss'][-1]:.3f}")
    print(f"{'':18} {'recognised':>10} {'digits':>7} {'entropy':>8}")
    for name, r in rows.items():
        print(f"{name:18} {r['recognised']:10.3f} {r['digits']:7d} {r['entropy']:8.3f}")
    print(f"sample grid: {grid}")


if __name__ == "__main__":
    main()
