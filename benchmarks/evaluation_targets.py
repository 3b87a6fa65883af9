"""The evaluation targets, measured: the pretrained DCGAN against the FD floor, and a side-by-side race.

1. The pretrained DCGAN (``pretrained.load("dcgan")``): its Fréchet distance on 10,000
   samples against the first 10,000 test images, divided by the floor (10,000 training
   images against the same test images).
2. Side by side, each for the same wall-clock budget on this machine: the package's default
   DCGAN (the ``dcgan`` recipe of ``models.registry`` with its default options, as
   ``python -m aegan_tutorial train dcgan`` trains it: ``build_generator``/``build_discriminator``
   of width 32, batch 64, Adam with β1 = 0.5 at the recipe's learning rates)
   and the architecture of TensorFlow's DCGAN tutorial (generator Dense 7·7·256 → BN →
   LeakyReLU → Conv2DTranspose 128/5×5/1 → 64/5×5/2 → 1/5×5/2 tanh; discriminator Conv2D 64
   and 128, 5×5, stride 2, LeakyReLU, dropout 0.3, Dense 1; Adam 1e-4; batch 256), both
   trained by the package's ``GAN`` (the same non-saturating losses as the tutorial); and the
   package's self-conditioned DCGAN (the ``scgan`` recipe: the same networks conditioned on 100
   k-means clusters of the shipped autoencoder's codes, no labels), whose clustering counts
   inside its budget (the autoencoder was trained beforehand; its training time is printed).

The pretrained target scores both shipped unconditional models, ``dcgan`` and ``scgan``.

Usage::

    AEGAN_DATA_DIR=../shared/datasets/mnist python benchmarks/evaluation_targets.py [--seconds 180]

Prints the figures; writes both sample grids to ``--out``.
"""

from __future__ import annotations

import argparse
import time
from pathlib import Path

import aegan_tutorial  # first: it quiets TensorFlow's start-up log
import keras
from keras import layers
from aegan_tutorial import data, evaluation, models, pretrained, runs
from aegan_tutorial.models import registry
from aegan_tutorial.plots import image_grid
from aegan_tutorial.callbacks import StopAfter


def tf_tutorial_generator(noise_dim: int = 100) -> keras.Model:
    """The generator of TensorFlow's DCGAN tutorial: ``[B, 100] -> [B, 28, 28, 1]`` (tanh)."""
    noise = keras.Input((noise_dim,))
    x = layers.Dense(7 * 7 * 256, use_bias=False)(noise)
    x = layers.BatchNormalization()(x)
    x = layers.LeakyReLU()(x)
    x = layers.Reshape((7, 7, 256))(x)
    for filters, stride in ((128, 1), (64, 2)):
        x = layers.Conv2DTranspose(filters, 5, strides=stride, padding="same", use_bias=False)(x)
        x = layers.BatchNormalization()(x)
        x = layers.LeakyReLU()(x)
    image = layers.Conv2DTranspose(1, 5, strides=2, padding="same", use_bias=False, activation="tanh")(x)
    return keras.Model(noise, image, name="tf_tutorial_generator")


def tf_tutorial_discriminator() -> keras.Model:
    """The discriminator of TensorFlow's DCGAN tutorial: ``[B, 28, 28, 1] -> [B, 1]`` logits."""
    image = keras.Input(data.IMAGE_SHAPE)
    x = image
    for filters in (64, 128):
        x = layers.Conv2D(filters, 5, strides=2, padding="same")(x)
        x = layers.LeakyReLU()(x)
        x = layers.Dropout(0.3)(x)
    logit = layers.Dense(1)(layers.Flatten()(x))
    return keras.Model(image, logit, name="tf_tutorial_discriminator")


def race(name: str, gan: models.GAN, batch_size: int, seconds: float, seed: int, out: Path) -> dict:
    """Train ``gan`` for ``seconds`` of wall time (its clustering included, if any); return its speed and scores."""
    images, _ = data.load_mnist("train")
    start = time.perf_counter()
    if isinstance(gan, models.SelfConditionedGAN):
        gan.fit_clusters(images, pretrained.load("autoencoder").encoder, seed=seed)
    clustering = time.perf_counter() - start
    clock = StopAfter(seconds - clustering)
    dataset = data.make_dataset(images, batch_size=batch_size, seed=seed, drop_remainder=True)
    gan.fit(dataset, epochs=100_000, callbacks=[clock], verbose=0)
    scores = evaluation.score_samples(data.to_uint8(gan.generate(10_000, seed=evaluation.EVAL_SEED), "tanh"))
    samples = data.to_uint8(gan.generate(64, seed=runs.SAMPLE_SEED), "tanh")
    image_grid(samples, ncols=8, title=f"{name}, {clock.elapsed:.0f} s").savefig(out / f"{name}.png", dpi=80)
    return {"steps": clock.steps, "seconds": clock.elapsed + clustering, "clustering_s": clustering,
            "images_per_s": clock.steps * batch_size / clock.elapsed,
            "params": gan.generator.count_params() + gan.discriminator.count_params(), **scores}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--seconds", type=float, default=180.0, help="training budget of each side (wall clock)")
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--only", choices=["pretrained", "race"], help="measure one target only")
    parser.add_argument("--out", type=Path, default=Path("benchmarks/out"))
    args = parser.parse_args()
    args.out.mkdir(parents=True, exist_ok=True)
    print(f"machine: {runs.hardware()}; {runs.software()}")

    start = time.perf_counter()
    reference = evaluation.reference_points(10_000)
    print(f"FD reference points (10,000 images each): floor {reference['floor']:.4f} (train vs test), "
          f"ceiling {reference['ceiling']:.2f} (uniform noise vs test)  [{time.perf_counter() - start:.0f} s]")
    if args.only != "race":
        pretrained_target(reference)
    if args.only != "pretrained":
        race_target(reference, args)


def pretrained_target(reference: dict) -> None:
    for name in ("dcgan", "scgan"):
        pretrained_one(name, reference)


def pretrained_one(name: str, reference: dict) -> None:
    model = pretrained.load(name)
    ours = evaluation.evaluate_model(model, "generator", 10_000)  # generate draws from the averaged generator
    info = pretrained.entry(name)
    print(f"pretrained {name} ({info['epochs']} epochs, {info['wall_seconds']:.0f} s on {info['hardware']}): "
          f"FD {ours['fd']:.4f} = {ours['fd'] / reference['floor']:.2f}x the floor (target <= 8x); "
          f"precision {ours['precision']:.3f}, recall {ours['recall']:.3f} (target >= 0.7)")
    if model.ema_decay is not None:  # the same run's generator as trained, without the average
        noise = keras.random.normal((10_000, model.noise_dim), seed=evaluation.EVAL_SEED)
        inputs = noise
        if isinstance(model, models.SelfConditionedGAN):   # the same clusters as the averaged samples
            inputs = [noise, model.clusters_for(10_000, evaluation.EVAL_SEED)]
        raw = evaluation.score_samples(data.to_uint8(model.generator.predict(inputs, batch_size=1000, verbose=0), "tanh"))
        print(f"  the same run without the average of its weights: FD {raw['fd']:.4f} = "
              f"{raw['fd'] / reference['floor']:.2f}x the floor; precision {raw['precision']:.3f}, recall {raw['recall']:.3f}")


def race_target(reference: dict, args) -> None:
    results = {}
    for name in ("package_dcgan", "package_scgan", "tf_tutorial_dcgan"):
        aegan_tutorial.set_seed(args.seed)
        if name.startswith("package_"):
            recipe = name.removeprefix("package_")
            gan = registry.build(recipe, seed=args.seed)   # compiled with the recipe's optimizers
            batch_size = registry.get(recipe).batch_size
        else:
            gan = models.GAN(tf_tutorial_generator(), tf_tutorial_discriminator(), noise_dim=100, seed=args.seed)
            gan.compile(keras.optimizers.Adam(1e-4), keras.optimizers.Adam(1e-4))
            batch_size = 256
        results[name] = race(name, gan, batch_size, args.seconds, args.seed, args.out)

    print(f"\nside by side, {args.seconds:.0f} s of training each, FD on 10,000 samples (floor {reference['floor']:.4f}):")
    print(f"{'':20} {'params':>9} {'steps':>6} {'images/s':>9} {'FD':>9} {'x floor':>8} {'precision':>9} {'recall':>7}")
    for name, r in results.items():
        print(f"{name:20} {r['params']:9,d} {r['steps']:6d} {r['images_per_s']:9.0f} {r['fd']:9.3f} "
              f"{r['fd'] / reference['floor']:8.1f} {r['precision']:9.3f} {r['recall']:7.3f}")
    for name in ("package_dcgan", "package_scgan"):
        ratio = results[name]["fd"] / results["tf_tutorial_dcgan"]["fd"]
        print(f"{name} FD / tutorial FD = {ratio:.3f} (target <= 0.10)")
    print(f"package_scgan spent {results['package_scgan']['clustering_s']:.1f} s of its budget clustering; its encoder "
          f"is the shipped autoencoder's ({pretrained.entry('autoencoder')['wall_seconds']:.0f} s of training, "
          f"not counted); grids in {args.out}")


if __name__ == "__main__":
    main()
