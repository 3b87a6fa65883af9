"""What the self-conditioned GAN's clusters buy, measured over seeds (the conditional GAN chapter, section 7).

For each seed, four GANs train for the same number of steps with the DCGAN recipe's optimiser
settings and no weight average (:func:`aegan_tutorial.chapters.conditional_gan.cluster_ablation`):
the DCGAN; the conditional networks with one cluster; the conditional networks with 100 conditions
drawn at random per training image; and the self-conditioned GAN, 100 k-means clusters of the
shipped autoencoder's codes. Each is scored on 5,000 samples against 5,000 test images.

It writes ``aegan_tutorial/results/self_conditioned.json``, which the chapter loads.

Usage (the recorded command; about 20 minutes on 2 CPU cores)::

    AEGAN_DATA_DIR=../shared/datasets/mnist python benchmarks/self_conditioned.py --seeds 0 1 2
"""

from __future__ import annotations

import argparse
import shlex
import sys
import time

import aegan_tutorial  # first: it quiets TensorFlow's start-up log
from aegan_tutorial import evaluation, pretrained, results, runs
from aegan_tutorial.chapters import conditional_gan as cg
from aegan_tutorial.data import load_mnist


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--seeds", type=int, nargs="+", default=[0, 1, 2])
    parser.add_argument("--steps", type=int, default=1200, help="training steps of 64 images per arm (about 4 epochs)")
    parser.add_argument("--samples", type=int, default=5000, help="samples scored per arm")
    parser.add_argument("--clusters", type=int, default=100, help="K of the two arms with many conditions")
    parser.add_argument("--name", default="self_conditioned", help="results file name")
    parser.add_argument("--folder", default=None, help="where to write it (default: the package's results)")
    args = parser.parse_args(argv)

    train_images = load_mnist("train")[0]
    test_images = evaluation.evaluation_images(args.samples)[0]
    reference = evaluation.classifier_features(test_images)
    start = time.perf_counter()
    measured = cg.cluster_ablation(train_images, reference, args.seeds, args.steps, pretrained.load("autoencoder").encoder,
                                   args.samples, args.clusters, progress=lambda line: print(line, flush=True))
    seconds = time.perf_counter() - start
    settings = dict(steps=args.steps, samples=args.samples, clusters=args.clusters, batch_size=cg.BATCH_SIZE,
                    arms=list(cg.ABLATION_ARMS), recipe="the dcgan recipe's optimiser settings, no weight average")
    command = "python benchmarks/self_conditioned.py " + shlex.join(argv if argv is not None else sys.argv[1:])
    file = results.write(args.name, measured, command.strip(), args.seeds, settings, runs.describe_data(len(train_images)),
                         seconds, args.folder)
    print(f"wrote {file} after {seconds:.0f} s")


if __name__ == "__main__":
    main()
