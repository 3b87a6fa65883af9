"""The chapter "Stacked GANs", measured at full length over several seeds.

For each seed (:func:`aegan_tutorial.chapters.stacked_gans.experiment`): the package's ``sgan``
recipe trained in the independent stage, the same from the same state half-way on in the joint
stage, and the recipe without its entropy loss (λ_ent = 0), all for the same number of steps
around one encoder per seed; then the coarse-to-fine stack and the single-level DCGAN, each
trained for the same wall time. Every arm is scored on 5,000 samples against 5,000 test images
(FD, precision, recall; class accuracy for the labelled stacks), and the stacks on how much
their images change with the bottom noise alone and how well their Q-heads recover the noise.

It writes ``aegan_tutorial/results/stacked_gans.json``, which the chapter loads.

Usage (the recorded command; about 35 minutes on 2 CPU cores)::

    AEGAN_DATA_DIR=../shared/datasets/mnist python benchmarks/stacked_gans.py --seeds 0 1 2
"""

from __future__ import annotations

import argparse
import shlex
import sys
import time

import numpy as np

import aegan_tutorial  # first: it quiets TensorFlow's start-up log
from aegan_tutorial import results, runs
from aegan_tutorial.chapters import stacked_gans
from aegan_tutorial.data import load_mnist
from aegan_tutorial.evaluation import classifier_features


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--seeds", type=int, nargs="+", default=[0, 1, 2])
    parser.add_argument("--epochs", type=int, default=6, help="epochs of each stack arm")
    parser.add_argument("--joint-epochs", type=int, default=3, help="of those, epochs in the joint stage")
    parser.add_argument("--race-seconds", type=float, default=150.0, help="wall time of the coarse-to-fine and DCGAN arms")
    parser.add_argument("--samples", type=int, default=5000, help="samples scored per arm")
    parser.add_argument("--name", default="stacked_gans", help="results file name")
    parser.add_argument("--folder", default=None, help="where to write it (default: the package's results)")
    args = parser.parse_args(argv)

    train, labels = load_mnist("train")
    test, test_labels = load_mnist("test")
    held_out = np.stack([test[np.flatnonzero(test_labels == digit)[0]] for digit in range(10)])
    reference = classifier_features(test[: args.samples])
    start = time.perf_counter()
    measured = stacked_gans.experiment(train, labels, held_out, reference, args.seeds, args.epochs, args.joint_epochs,
                                       args.race_seconds, args.samples, progress=lambda line: print(line, flush=True))
    seconds = time.perf_counter() - start
    settings = dict(epochs=args.epochs, joint_epochs=args.joint_epochs, race_seconds=args.race_seconds,
                    samples=args.samples, batch_size=stacked_gans.BATCH_SIZE, held_out="the first test image of each digit")
    command = "python benchmarks/stacked_gans.py " + shlex.join(argv if argv is not None else sys.argv[1:])
    file = results.write(args.name, measured, command.strip(), args.seeds, settings, runs.describe_data(len(train)),
                         seconds, args.folder)
    print(f"wrote {file} after {seconds:.0f} s")


if __name__ == "__main__":
    main()
