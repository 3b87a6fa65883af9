"""The chapter "Cost, data and speed": differentiable augmentation taken apart, on 500 training images.

For each seed, the book's DCGAN recipe trained on the same 500 images of the subset (the
smallest set of ``benchmarks/data_scarcity.py``, drawn by the seed in the same way) in six arms
(:data:`aegan_tutorial.chapters.cost_data_speed.ABLATION_ARMS`): without augmentation; with all
three transforms, the vacated pixels filled with the background (−1) or, as in the paper's code,
with mid-grey 0; and with colour, translation or cutout alone. The arms without augmentation and
with all three transforms run twice as long as the others, long enough for the discriminator to
see each training digit about a thousand times. Every 1,000 steps it records the discriminator's
share of training, held-out and generated digits called real, the FD of 1,000 samples and the
copying ratio; at the end, FD, precision and recall of 5,000 samples against 5,000 test images,
the copying ratio against an equal held-out pool, traces the transforms could leave in the
samples, and 16 samples of the first seed.

It writes ``aegan_tutorial/results/diff_augment.json``, which the chapter loads.

Usage (the recorded command; about 95 minutes on 2 CPU cores)::

    AEGAN_DATA_DIR=../shared/datasets/mnist python benchmarks/diff_augment.py --seeds 0 1 2
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
    parser.add_argument("--images", type=int, default=500, help="training images of every arm")
    parser.add_argument("--steps", type=int, default=4000, help="training steps of the single-transform arms")
    parser.add_argument("--long-steps", type=int, default=8000, help="training steps of the long arms")
    parser.add_argument("--check-every", type=int, default=1000, help="steps between the checks")
    parser.add_argument("--samples", type=int, default=5000, help="samples scored per arm at the end")
    parser.add_argument("--name", default="diff_augment", help="results file name")
    parser.add_argument("--folder", default=None, help="where to write it (default: the package's results)")
    args = parser.parse_args(argv)

    train, _ = load_mnist("train")
    test, _ = load_mnist("test")
    held_out = test[args.samples: args.samples + 1000]  # not among the FD's reference images
    reference = classifier_features(test[: args.samples])
    start = time.perf_counter()
    measured = cost_data_speed.augment_ablation(
        train, held_out, reference, args.seeds, args.images, args.steps, args.long_steps, args.check_every,
        args.samples, progress=lambda line: print(line, flush=True))
    seconds = time.perf_counter() - start
    settings = dict(images=args.images, steps=args.steps, long_steps=args.long_steps, check_every=args.check_every,
                    samples=args.samples, check_samples=1000, batch_size=cost_data_speed.BATCH_SIZE,
                    recipe="dcgan (registry defaults, with its weight average)",
                    arms={name: {key: value for key, value in arm.items() if key != "augment"}
                          for name, arm in cost_data_speed.ABLATION_ARMS.items()},
                    held_out=f"test images {args.samples}..{args.samples + 999}")
    command = "python benchmarks/diff_augment.py " + shlex.join(argv if argv is not None else sys.argv[1:])
    file = results.write(args.name, measured, command.strip(), args.seeds, settings, runs.describe_data(len(train)),
                         seconds, args.folder)
    print(f"wrote {file} after {seconds:.0f} s")


if __name__ == "__main__":
    main()
