"""The chapter "An autoencoder as the discriminator: BEGAN", measured at full length over several seeds.

For each seed (:func:`aegan_tutorial.chapters.began.sweep`): the package's ``began`` recipe at the
diversity ratios γ = 0.3, 0.5, 0.7 and the ``dcgan`` recipe, each trained for the same number of
epochs, and the ``began`` recipe with the paper's λ_k = 0.001 or without batch normalisation in
its autoencoder (the ways it fails), for fewer epochs. None averages its generator's weights.
After every epoch it records the trainer's logs and the FD, precision and recall of 1,000
samples against 1,000 test images; the γ arms are scored again at the end on 5,000 samples.

It writes ``aegan_tutorial/results/began.json``, which the chapter loads.

Usage (the recorded command; about 35 minutes on 2 CPU cores)::

    AEGAN_DATA_DIR=../shared/datasets/mnist python benchmarks/began.py --seeds 0 1 2
"""

from __future__ import annotations

import argparse
import shlex
import sys
import time

import aegan_tutorial  # first: it quiets TensorFlow's start-up log
from aegan_tutorial import results, runs
from aegan_tutorial.chapters import began
from aegan_tutorial.data import load_mnist
from aegan_tutorial.evaluation import classifier_features


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--seeds", type=int, nargs="+", default=[0, 1, 2])
    parser.add_argument("--epochs", type=int, default=8, help="epochs of the γ and DCGAN arms")
    parser.add_argument("--failure-epochs", type=int, default=5, help="epochs of the failing arms")
    parser.add_argument("--samples", type=int, default=1000, help="samples scored after every epoch")
    parser.add_argument("--final-samples", type=int, default=5000, help="samples scored at the end of a γ arm")
    parser.add_argument("--name", default="began", help="results file name")
    parser.add_argument("--folder", default=None, help="where to write it (default: the package's results)")
    args = parser.parse_args(argv)

    train = load_mnist("train")[0]
    reference = classifier_features(load_mnist("test")[0][: max(args.samples, args.final_samples)])
    start = time.perf_counter()
    measured = began.sweep(train, reference, args.seeds, args.epochs, args.failure_epochs, args.samples,
                           args.final_samples, progress=lambda line: print(line, flush=True))
    seconds = time.perf_counter() - start
    settings = dict(epochs=args.epochs, failure_epochs=args.failure_epochs, samples=args.samples,
                    final_samples=args.final_samples, batch_size=began.BATCH_SIZE, gammas=list(began.GAMMAS),
                    failures=began.FAILURES, ema_decay=None)
    command = "python benchmarks/began.py " + shlex.join(argv if argv is not None else sys.argv[1:])
    file = results.write(args.name, measured, command.strip(), args.seeds, settings, runs.describe_data(len(train)),
                         seconds, args.folder)
    print(f"wrote {file} after {seconds:.0f} s")


if __name__ == "__main__":
    main()
