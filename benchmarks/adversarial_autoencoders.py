"""The chapter "Adversarial autoencoders", measured at full length over several seeds.

For each seed (:func:`aegan_tutorial.chapters.adversarial_autoencoders.compare_arms`): a plain, a
variational and an adversarial autoencoder with the same encoder and decoder (8-dimensional codes),
and the adversarial one with a BatchNorm code discriminator, each trained for the same number of
steps of 100 images and scored the same way: distance of the test codes to N(0, I), reconstruction
MSE on the 10,000 test images, and FD, precision and recall of decoded N(0, I) draws (5,000 samples
against 5,000 test images).

It writes ``aegan_tutorial/results/adversarial_autoencoders.json``, which the chapter loads.

Usage (the recorded command; about 20 minutes on 2 CPU cores)::

    AEGAN_DATA_DIR=../shared/datasets/mnist python benchmarks/adversarial_autoencoders.py --seeds 0 1 2
"""

from __future__ import annotations

import argparse
import shlex
import sys
import time

import aegan_tutorial  # first: it quiets TensorFlow's start-up log
from aegan_tutorial import results, runs
from aegan_tutorial.chapters import adversarial_autoencoders as aa
from aegan_tutorial.data import load_mnist, scale_images


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--seeds", type=int, nargs="+", default=[0, 1, 2])
    parser.add_argument("--steps", type=int, default=2000, help="steps of 100 images per arm")
    parser.add_argument("--samples", type=int, default=5000, help="decoded prior draws scored per arm")
    parser.add_argument("--name", default="adversarial_autoencoders", help="results file name")
    parser.add_argument("--folder", default=None, help="where to write it (default: the package's results)")
    args = parser.parse_args(argv)

    train = load_mnist("train")[0]
    test = scale_images(load_mnist("test")[0], "sigmoid")
    start = time.perf_counter()
    measured = aa.compare_arms(train, test, args.seeds, args.steps, args.samples,
                               progress=lambda line: print(line, flush=True))
    seconds = time.perf_counter() - start
    settings = dict(steps=args.steps, samples=args.samples, batch_size=aa.BATCH_SIZE, latent_dim=aa.LATENT_DIM,
                    arms=list(aa.ARMS + aa.TRAPS))
    command = "python benchmarks/adversarial_autoencoders.py " + shlex.join(argv if argv is not None else sys.argv[1:])
    file = results.write(args.name, measured, command.strip(), args.seeds, settings, runs.describe_data(len(train)),
                         seconds, args.folder)
    print(f"wrote {file} after {seconds:.0f} s")


if __name__ == "__main__":
    main()
