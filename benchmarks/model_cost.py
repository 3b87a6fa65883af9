"""The chapter "Cost, data and speed": how fast each shipped generative model trains and samples on this machine.

For every shipped generative model, built from its registry recipe with its default batch size,
once per seed (:func:`aegan_tutorial.cost.training_speed`): training images per second of the
fastest of ``--blocks`` blocks of ``--steps`` steps, after 20 untimed ones (on a shared machine a
block can only be slowed down); for the stacked GAN in both of its stages.
Then sampling speed: images per second of ``generate`` (10,000 samples; the fastest of the
blocks, after one untimed call). Run it alone on the machine: it measures wall time.

It writes ``aegan_tutorial/results/model_cost.json``, which the chapter loads.

Usage (the recorded command; about 10 minutes on 2 CPU cores)::

    AEGAN_DATA_DIR=../shared/datasets/mnist python benchmarks/model_cost.py --seeds 0 1 2
"""

from __future__ import annotations

import argparse
import shlex
import sys
import time

import aegan_tutorial  # first: it quiets TensorFlow's start-up log
from aegan_tutorial import cost, pretrained, results, runs
from aegan_tutorial.data import load_mnist, make_epoch_dataset
from aegan_tutorial.models import registry
from aegan_tutorial.reproducibility import set_seed

GENERATIVE = ("dcgan", "cgan", "scgan", "began", "sgan", "aae", "vae")


def sampling_speed(name: str, n: int, blocks: int) -> float:
    """Images per second of the shipped ``name``'s ``generate``: the fastest of ``blocks`` calls, after one untimed call."""
    model = pretrained.load(name)
    model.generate(1000, seed=1)
    fastest = float("inf")
    for block in range(blocks):
        start = time.perf_counter()
        model.generate(n, seed=block)
        fastest = min(fastest, time.perf_counter() - start)
    return n / fastest


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--models", nargs="+", default=list(GENERATIVE), choices=GENERATIVE)
    parser.add_argument("--seeds", type=int, nargs="+", default=[0, 1, 2], help="one freshly built model per seed")
    parser.add_argument("--steps", type=int, default=150, help="timed training steps per block")
    parser.add_argument("--blocks", type=int, default=3, help="timed blocks per model; the fastest counts")
    parser.add_argument("--samples", type=int, default=10000, help="images generated for the sampling speed")
    parser.add_argument("--name", default="model_cost", help="results file name")
    parser.add_argument("--folder", default=None, help="where to write it (default: the package's results)")
    args = parser.parse_args(argv)

    images, labels = load_mnist("train")
    measured: dict = {}
    start = time.perf_counter()
    for name in args.models:
        spec = registry.get(name)
        stages = {"independent": False, "joint": True} if name == "sgan" else {"": None}
        row: dict = {"batch_size": spec.batch_size}
        for seed in args.seeds:
            set_seed(seed)
            model = registry.build(name, seed=seed)
            if spec.clusters_from:
                model.fit_clusters(images, pretrained.load(spec.clusters_from).encoder, seed=seed)
            dataset = make_epoch_dataset(images, labels if spec.labels else None, batch_size=spec.batch_size,
                                         scale=spec.scale, seed=seed, epochs=1000)
            for stage, joint in stages.items():
                if joint is not None:
                    model.joint = joint
                key = f"train_images_per_second{'_' + stage if stage else ''}"
                row.setdefault(key, []).append(cost.training_speed(model, dataset, args.steps, blocks=args.blocks))
        row["sample_images_per_second"] = sampling_speed(name, args.samples, args.blocks)
        measured[name] = row
        print(name, {k: v for k, v in row.items()}, flush=True)
    seconds = time.perf_counter() - start
    settings = dict(steps=args.steps, blocks=args.blocks, warmup=20, samples=args.samples,
                    note="training speed of each recipe at its own batch size; sampling speed of the shipped model")
    command = "python benchmarks/model_cost.py " + shlex.join(argv if argv is not None else sys.argv[1:])
    file = results.write(args.name, measured, command.strip(), args.seeds, settings, runs.describe_data(len(images)),
                         seconds, args.folder)
    print(f"wrote {file} after {seconds:.0f} s")


if __name__ == "__main__":
    main()
