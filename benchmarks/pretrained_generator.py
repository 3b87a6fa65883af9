"""The chapter "Pretraining the generator as a decoder", measured at full length over several seeds.

For each seed (:func:`aegan_tutorial.chapters.pretrained_generator.race_over_seeds`): an autoencoder
whose decoder is the DCGAN generator is pretrained on the training images; its BatchNorm lag is
measured on the test images; then three GANs (the book's DCGAN recipe without the weight average)
start from a random generator, from the decoder as it is, and from the decoder behind the Gaussian
fitted to its codes with recalibrated BatchNorm statistics, and each is scored (FD, precision,
recall of 2,000 samples against 2,000 test images) at fixed step counts, with the generator's
BatchNorm statistics recalibrated on prior noise before every score and, for comparison, as they
stand. The race runs twice: with the recipe's generator rate (2e-3) and with the generator at the
discriminator's rate (2e-4).

It writes ``aegan_tutorial/results/pretrained_generator.json``, which the chapter loads.

Usage (the recorded command; about 45 minutes on 2 CPU cores)::

    AEGAN_DATA_DIR=../shared/datasets/mnist python benchmarks/pretrained_generator.py --seeds 0 1 2
"""

from __future__ import annotations

import argparse
import shlex
import sys
import time

import aegan_tutorial  # first: it quiets TensorFlow's start-up log
from aegan_tutorial import results, runs
from aegan_tutorial.chapters import pretrained_generator as pg
from aegan_tutorial.data import load_mnist, scale_images


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--seeds", type=int, nargs="+", default=[0, 1, 2])
    parser.add_argument("--pretrain-steps", type=int, default=900, help="autoencoder steps of 64 images")
    parser.add_argument("--checkpoints", type=int, nargs="+", default=[0, 100, 300, 1000, 3000])
    parser.add_argument("--samples", type=int, default=2000, help="samples scored at each checkpoint")
    parser.add_argument("--name", default="pretrained_generator", help="results file name")
    parser.add_argument("--folder", default=None, help="where to write it (default: the package's results)")
    args = parser.parse_args(argv)

    x_train = scale_images(load_mnist("train")[0], "tanh")
    x_test = scale_images(load_mnist("test")[0], "tanh")
    start = time.perf_counter()
    measured = pg.race_over_seeds(x_train, args.seeds, args.pretrain_steps, args.checkpoints, args.samples, x_test,
                                 progress=lambda line: print(line, flush=True))
    seconds = time.perf_counter() - start
    settings = dict(pretrain_steps=args.pretrain_steps, checkpoints=args.checkpoints, samples=args.samples,
                    noise_dim=pg.NOISE_DIM, batch_size=64, recipe="dcgan without the weight average",
                    slow_generator_rate=pg.SLOW_GENERATOR_RATE,
                    scored="BatchNorm recalibrated on 10,000 prior draws before every score; *_moving: as it stands")
    command = "python benchmarks/pretrained_generator.py " + shlex.join(argv if argv is not None else sys.argv[1:])
    file = results.write(args.name, measured, command.strip(), args.seeds, settings, runs.describe_data(len(x_train)),
                         seconds, args.folder)
    print(f"wrote {file} after {seconds:.0f} s")


if __name__ == "__main__":
    main()
