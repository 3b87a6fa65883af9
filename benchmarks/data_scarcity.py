"""The chapter "Cost, data and speed": a GAN on too little data, with and without differentiable augmentation.

For each seed and each training-set size (500, 2,000 and all 19,690 images of the subset; the
seed draws the smaller sets): the book's DCGAN recipe trained for the same number of steps,
once as it is and once with DiffAugment (colour, translation, cutout) in front of its
discriminator (:func:`aegan_tutorial.chapters.cost_data_speed.scarcity_experiment`). Every
800 steps it records the discriminator's accuracy on its training images and on 1,000 held-out
test digits, the FD of 1,000 samples and how close those samples sit to the training images
(:func:`~aegan_tutorial.chapters.cost_data_speed.copying_ratio`); at the end, FD, precision and recall of 5,000
samples against 5,000 test images.

It writes ``aegan_tutorial/results/data_scarcity.json``, which the chapter loads.

Usage (the recorded command; about 60 minutes on 2 CPU cores)::

    AEGAN_DATA_DIR=../shared/datasets/mnist python benchmarks/data_scarcity.py --seeds 0 1 2
"""

from __future__ import annotations

import argparse
import shlex
import sys
import time

import aegan_tutorial  # first: it quiets TensorFlow's start-up log
from aegan_tutorial import results, runs
from aegan_tutorial.chapters import cost_data_speed
from aegan_tutorial.data import load_mnist
from aegan_tutorial.evaluation import classifier_features


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--seeds", type=int, nargs="+", default=[0, 1, 2])
    parser.add_argument("--sizes", type=int, nargs="+", default=list(cost_data_speed.SIZES))
    parser.add_argument("--steps", type=int, default=4000, help="training steps of every arm")
    parser.add_argument("--check-every", type=int, default=800, help="steps between the checks")
    parser.add_argument("--samples", type=int, default=5000, help="samples scored per arm at the end")
    parser.add_argument("--name", default="data_scarcity", help="results file name")
    parser.add_argument("--folder", default=None, help="where to write it (default: the package's results)")
    args = parser.parse_args(argv)

    train, _ = load_mnist("train")
    test, _ = load_mnist("test")
    held_out = test[args.samples: args.samples + 1000]  # not among the FD's reference images
    reference = classifier_features(test[: args.samples])
    start = time.perf_counter()
    measured = cost_data_speed.scarcity_experiment(
        train, held_out, reference, args.seeds, args.sizes, args.steps, args.check_every, args.samples,
        progress=lambda line: print(line, flush=True))
    seconds = time.perf_counter() - start
    settings = dict(sizes=args.sizes, steps=args.steps, check_every=args.check_every, samples=args.samples,
                    check_samples=1000, batch_size=cost_data_speed.BATCH_SIZE,
                    recipe="dcgan (registry defaults, with its weight average)",
                    augmentation="DiffAugment: color, translation 1/8, cutout 1/2",
                    held_out=f"test images {args.samples}..{args.samples + 999}")
    command = "python benchmarks/data_scarcity.py " + shlex.join(argv if argv is not None else sys.argv[1:])
    file = results.write(args.name, measured, command.strip(), args.seeds, settings, runs.describe_data(len(train)),
                         seconds, args.folder)
    print(f"wrote {file} after {seconds:.0f} s")


if __name__ == "__main__":
    main()
