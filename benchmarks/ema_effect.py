"""The average of the generator's weights, measured: FD of the trained and of the averaged generator, same run.

Trains the book's DCGAN (``registry.build("dcgan")``, options by ``--set``; ``ema_decay`` 0.999
unless set) on the training
images for ``--seconds`` of wall time and, after every ``--every`` epochs, scores ``--samples``
samples of the generator as trained (θ) and of its exponential moving average (θ̄) against as
many held-out test images (:func:`aegan_tutorial.evaluation.score_samples`). Both come from
the same weights of the same run, so the difference is the average's alone.

Usage::

    AEGAN_DATA_DIR=../shared/datasets/mnist python benchmarks/ema_effect.py --seconds 300 --set filters=32
"""

from __future__ import annotations

import argparse
import json
import time

import aegan_tutorial  # first: it quiets TensorFlow's start-up log
import keras
from aegan_tutorial import data, evaluation, runs
from aegan_tutorial.callbacks import StopAfter
from aegan_tutorial.models import registry


def score(generator: keras.Model, n: int) -> dict:
    """FD, precision and recall of ``n`` samples of ``generator`` (fixed evaluation noise)."""
    noise = keras.random.normal((n, generator.input_shape[-1]), seed=evaluation.EVAL_SEED)
    samples = data.to_uint8(generator.predict(noise, batch_size=1000, verbose=0), "tanh")
    return evaluation.score_samples(samples)  # against n held-out test images


class Watch(keras.callbacks.Callback):
    """Every ``every`` epochs: the scores of θ and θ̄, and the training seconds so far (scoring excluded)."""

    def __init__(self, every: int, n: int):
        super().__init__()
        self.every, self.n, self.rows = every, n, []
        self.start, self.scoring = time.perf_counter(), 0.0

    def on_epoch_end(self, epoch, logs=None):
        if (epoch + 1) % self.every:
            return
        began = time.perf_counter()
        seconds = began - self.start - self.scoring
        raw = score(self.model.generator, self.n)
        avg = score(self.model.averaged_generator(), self.n)
        self.scoring += time.perf_counter() - began
        self.rows.append({"epoch": epoch + 1, "seconds": seconds, "trained": raw, "averaged": avg})
        print(f"epoch {epoch + 1:3d} {seconds:6.0f} s | trained FD {raw['fd']:7.2f} P {raw['precision']:.3f} "
              f"R {raw['recall']:.3f} | averaged FD {avg['fd']:7.2f} P {avg['precision']:.3f} R {avg['recall']:.3f}",
              flush=True)

    def on_train_end(self, logs=None):
        self.training_seconds = time.perf_counter() - self.start - self.scoring


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--seconds", type=float, default=300.0, help="wall time, scoring included")
    parser.add_argument("--every", type=int, default=2, help="score after every N epochs")
    parser.add_argument("--samples", type=int, default=5000, help="samples scored (and held-out test images)")
    parser.add_argument("--batch-size", type=int, default=64)
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--set", action="append", default=[], metavar="KEY=VALUE", help="a builder option, JSON value")
    parser.add_argument("--json", help="also write the rows to this file")
    args = parser.parse_args()
    config = {"ema_decay": 0.999, **{k: json.loads(v) for k, v in (s.split("=", 1) for s in args.set)}}
    print(f"machine: {runs.hardware()}; {runs.software()}; config {config}; batch {args.batch_size}; seed {args.seed}")

    aegan_tutorial.set_seed(args.seed)
    gan = registry.build("dcgan", config, seed=args.seed)
    images, _ = data.load_mnist("train")
    dataset = data.make_dataset(images, batch_size=args.batch_size, seed=args.seed, drop_remainder=True)
    reference = evaluation.reference_points(args.samples)
    watch = Watch(args.every, args.samples)
    clock = StopAfter(args.seconds)
    gan.fit(dataset, epochs=100_000, callbacks=[clock, watch], verbose=0)
    training = watch.training_seconds  # the --seconds budget counts the scoring too; this does not
    print(f"{clock.steps} steps in {training:.0f} s of training ({clock.steps * args.batch_size / training:.0f} images/s); "
          f"FD floor at {args.samples:,}: {reference['floor']:.3f}")
    if args.json:
        with open(args.json, "w") as f:
            json.dump({"config": config, "batch_size": args.batch_size, "seed": args.seed, "rows": watch.rows}, f, indent=1)


if __name__ == "__main__":
    main()
