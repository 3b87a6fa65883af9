"""The chapter "Stacked autoencoders and layer-wise training", measured at full length over several seeds.

For each seed (:func:`aegan_tutorial.chapters.stacked_autoencoders.run_experiment`):

- four schedules train a dense stack 784 → 256 → 64 → 16 for the same number of Adam steps
  (end to end; greedy layer-wise; greedy for half, then end to end; tied weights, end to end),
  scored by test MSE and by a linear probe of the top code;
- the greedy and end-to-end stacks are profiled level by level (probe accuracy, reconstruction
  through levels 1..l);
- classifiers built on a random, a greedy-pretrained and an end-to-end-pretrained encoder are
  fine-tuned on 10 labels per digit (the seed draws them) and on every training label.

It writes ``aegan_tutorial/results/stacked_autoencoders.json``, which the chapter loads.

Usage (the recorded command; about 20 minutes on 2 CPU cores)::

    AEGAN_DATA_DIR=../shared/datasets/mnist python benchmarks/stacked_autoencoders.py --seeds 0 1 2 3 4
"""

from __future__ import annotations

import argparse
import shlex
import sys
import time

import aegan_tutorial  # first: it quiets TensorFlow's start-up log
from aegan_tutorial import results, runs
from aegan_tutorial.chapters import stacked_autoencoders as sa
from aegan_tutorial.data import load_mnist, scale_images


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--seeds", type=int, nargs="+", default=[0, 1, 2, 3, 4])
    parser.add_argument("--steps", type=int, default=6000, help="Adam steps per schedule, in all")
    parser.add_argument("--few-label-steps", type=int, default=200, help="full-batch steps on the few labels")
    parser.add_argument("--all-label-steps", type=int, default=1500, help="steps of 128 on every label")
    parser.add_argument("--per-class", type=int, default=10, help="labelled images per digit")
    parser.add_argument("--name", default="stacked_autoencoders", help="results file name")
    parser.add_argument("--folder", default=None, help="where to write it (default: the package's results)")
    args = parser.parse_args(argv)

    x_train, y_train = load_mnist("train")
    x_test, y_test = load_mnist("test")
    settings = dict(steps=args.steps, few_label_steps=args.few_label_steps, all_label_steps=args.all_label_steps,
                    per_class=args.per_class, sizes=[256, 64, 16], batch_size=128, learning_rate=1e-3,
                    probe_epochs=10, n_test=len(x_test))
    start = time.perf_counter()
    measured = sa.run_experiment((scale_images(x_train, "sigmoid"), y_train), (scale_images(x_test, "sigmoid"), y_test),
                                 args.seeds, progress=lambda line: print(line, flush=True),
                                 **{k: v for k, v in settings.items() if k != "n_test"})
    seconds = time.perf_counter() - start
    command = "python benchmarks/stacked_autoencoders.py " + shlex.join(
        [a for a in (argv if argv is not None else sys.argv[1:])])
    file = results.write(args.name, measured, command.strip(), args.seeds, settings, runs.describe_data(len(x_train)),
                         seconds, args.folder)
    print(f"wrote {file} after {seconds:.0f} s")


if __name__ == "__main__":
    main()
