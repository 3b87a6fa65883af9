"""The chapter "Stacked GANs", measured at full length over several seeds.

For each seed (:func:`aegan_tutorial.chapters.stacked_gans.experiment`): the package's ``sgan``
recipe trained in the independent stage, the same from the same state half-way on in the joint
stage, and the recipe without its entropy loss (λ_ent = 0), all for the same number of steps
around one encoder per seed; then the coarse-to-fine stack and the single-level DCGAN, each
trained for the same wall time. Every arm is scored on 5,000 samples against 5,000 test images
(FD, precision, recall; class accuracy for the labelled stacks), and the stacks on how much
their images change with the bottom noise alone and how well their Q-heads recover the noise.

It writes ``aegan_tutorial/results/stacked_gans.json``, which the chapter loads.

With ``--end-to-end λ`` it runs the joint stage's comparison instead
(:func:`aegan_tutorial.chapters.stacked_gans.end_to_end_experiment`): from each seed's state after
the independent epochs, the joint epochs once as the SGAN authors' MNIST code trains them (G_0's
loss stops at G_1's samples) and once end to end, as their CIFAR-10 code does (G_1's objective
gains λ × G_0's loss; their λ is 0.01), both scored as above. It writes
``aegan_tutorial/results/stacked_gans_end_to_end.json``.

Usage (the recorded commands; the first took 44 minutes on 2 CPU cores)::

    AEGAN_DATA_DIR=../shared/datasets/mnist python benchmarks/stacked_gans.py --seeds 0 1 2
    AEGAN_DATA_DIR=../shared/datasets/mnist python benchmarks/stacked_gans.py --seeds 0 1 2 --end-to-end 0.01
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
    parser.add_argument("--end-to-end", type=float, default=None, metavar="LAMBDA",
                        help="compare the joint stage with and without LAMBDA x G_0's loss for G_1 instead")
    parser.add_argument("--name", default=None, help="results file name (default: stacked_gans, or "
                                                     "stacked_gans_end_to_end with --end-to-end)")
    parser.add_argument("--folder", default=None, help="where to write it (default: the package's results)")
    args = parser.parse_args(argv)

    train, labels = load_mnist("train")
    test, test_labels = load_mnist("test")
    held_out = np.stack([test[np.flatnonzero(test_labels == digit)[0]] for digit in range(10)])
    reference = classifier_features(test[: args.samples])
    start = time.perf_counter()
    say = lambda line: print(line, flush=True)
    settings = dict(epochs=args.epochs, joint_epochs=args.joint_epochs, samples=args.samples,
                    batch_size=stacked_gans.BATCH_SIZE, held_out="the first test image of each digit")
    if args.end_to_end is None:
        measured = stacked_gans.experiment(train, labels, held_out, reference, args.seeds, args.epochs,
                                           args.joint_epochs, args.race_seconds, args.samples, progress=say)
        settings["race_seconds"] = args.race_seconds
    else:
        measured = stacked_gans.end_to_end_experiment(train, labels, held_out, reference, args.seeds, args.epochs,
                                                      args.joint_epochs, args.end_to_end, args.samples, progress=say)
        settings["end_to_end"] = args.end_to_end
    seconds = time.perf_counter() - start
    command = "python benchmarks/stacked_gans.py " + shlex.join(argv if argv is not None else sys.argv[1:])
    name = args.name or ("stacked_gans" if args.end_to_end is None else "stacked_gans_end_to_end")
    file = results.write(name, measured, command.strip(), args.seeds, settings, runs.describe_data(len(train)),
                         seconds, args.folder)
    print(f"wrote {file} after {seconds:.0f} s")


if __name__ == "__main__":
    main()
