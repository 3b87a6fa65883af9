"""Does the averaged generator need its BatchNorm statistics recalibrated?

``GAN.update_average`` averages every weight of the generator, BatchNorm's moving mean and
variance included, so the averaged generator normalises with averaged statistics that its own
averaged weights never produced. This script scores each shipped model that has BatchNorm in an
averaged generator (``dcgan``, ``scgan``, ``began``) twice on the same noise: as shipped, and
after :func:`aegan_tutorial.pretraining.recalibrate_batchnorm` on 10,000 draws of its prior noise
(for ``scgan``, with clusters drawn by their shares), once per recalibration seed. It prints the
FD, precision and recall of ``--samples`` samples against as many test images.

Usage::

    AEGAN_DATA_DIR=../shared/datasets/mnist python benchmarks/ema_batchnorm.py [--samples 5000] [--seeds 0 1 2]
"""

from __future__ import annotations

import argparse

import aegan_tutorial  # first: it quiets TensorFlow's start-up log
import keras
import numpy as np
from aegan_tutorial import evaluation, pretrained
from aegan_tutorial._checks import apply_in_batches
from aegan_tutorial.data import to_uint8
from aegan_tutorial.models import SelfConditionedGAN
from aegan_tutorial.pretraining import recalibrate_batchnorm


def inputs_for(model, n: int, seed: int):
    """What the averaged generator reads: prior noise, and for a self-conditioned GAN clusters by their shares."""
    noise = np.random.default_rng(seed).standard_normal((n, model.noise_dim)).astype("float32")
    if isinstance(model, SelfConditionedGAN):
        return [noise, model.clusters_for(n, seed=seed)]
    return noise


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--samples", type=int, default=5000)
    parser.add_argument("--seeds", type=int, nargs="+", default=[0, 1, 2], help="recalibration noise seeds")
    parser.add_argument("--models", nargs="+", default=["dcgan", "scgan", "began"])
    args = parser.parse_args(argv)
    reference = evaluation.classifier_features(evaluation.evaluation_images(args.samples)[0])
    for name in args.models:
        model = pretrained.load(name)
        generator = model.averaged_generator()
        kept = [keras.ops.convert_to_numpy(v) for v in generator.non_trainable_variables]
        scored = inputs_for(model, args.samples, seed=12345)          # the same scored noise for every variant

        def score() -> dict:
            images = to_uint8(apply_in_batches(generator, scored), "tanh")
            return evaluation.score_features(evaluation.classifier_features(images), reference)

        shipped = score()
        print(f"{name}: as shipped  FD {shipped['fd']:.2f}  precision {shipped['precision']:.3f}  recall {shipped['recall']:.3f}",
              flush=True)
        for seed in args.seeds:
            recalibrate_batchnorm(generator, inputs_for(model, 10_000, seed))
            s = score()
            print(f"{name}: recalibrated (seed {seed})  FD {s['fd']:.2f}  precision {s['precision']:.3f}  "
                  f"recall {s['recall']:.3f}", flush=True)
            for variable, value in zip(generator.non_trainable_variables, kept):
                variable.assign(value)


if __name__ == "__main__":
    main()
