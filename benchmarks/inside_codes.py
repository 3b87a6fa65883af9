"""The chapter "Inside the codes": directions in the shipped code spaces, robustness of encoders, transfer to rotated digits.

For each seed:

- **directions**: for the shipped ``dcgan``, ``vae`` and ``aae``, ``--codes`` codes drawn from the
  prior and decoded; each of ink, stroke width and slant fitted linearly on the codes
  (:func:`~aegan_tutorial.chapters.inside_codes.property_directions`); then ``--walk-codes`` other
  codes walked along each direction by ``t ∈ {−3, …, 3}`` (:func:`~aegan_tutorial.chapters.inside_codes.walk`),
  and, as the control, along ``--random`` random unit directions
  (:func:`~aegan_tutorial.chapters.inside_codes.random_directions`); the cosines between the fitted directions;
- **robustness**: the plain, denoising, variational and adversarial autoencoders of the same
  networks (code size 8) trained ``--steps`` steps; reconstruction error and linear-probe
  accuracy of the test digits under growing Gaussian noise and occlusion;
- **transfer**: digit classifiers for digits turned a quarter turn, trained on ``--labels`` labelled
  rotated training digits per class, from scratch or from the shipped autoencoder's or classifier's
  encoder (frozen under a probe, or fine-tuned), scored on the 10,000 rotated test digits.

It writes ``aegan_tutorial/results/inside_codes.json``, which the chapter loads.

Usage (the recorded command; about 25 minutes on 2 CPU cores)::

    AEGAN_DATA_DIR=../shared/datasets/mnist python benchmarks/inside_codes.py --seeds 0 1 2
"""

from __future__ import annotations

import argparse
import shlex
import sys
import time

import aegan_tutorial  # first: it quiets TensorFlow's start-up log
from aegan_tutorial import pretrained, results, runs
from aegan_tutorial.chapters import inside_codes as ic
from aegan_tutorial.chapters.stacked_autoencoders import labelled_subset
from aegan_tutorial.data import load_mnist

STEPS_T = [-3.0, -2.0, -1.0, 0.0, 1.0, 2.0, 3.0]
NOISE_LEVELS = [0.0, 0.1, 0.2, 0.3, 0.5, 0.7]
OCCLUSION_LEVELS = [0, 4, 8, 12, 16]


def directions(seed: int, n_codes: int, walk_codes: int, n_random: int) -> dict:
    found = {}
    for name in ("dcgan", "vae", "aae"):
        space = ic.code_space(pretrained.load(name), name)
        codes = space.sample(n_codes, seed)
        properties = ic.image_properties(space.decode(codes))
        fitted = ic.property_directions(codes, properties)
        start = space.sample(walk_codes, seed + 1000)
        found[name] = {}
        for prop, direction in fitted.items():
            walked = ic.walk(space, start, direction.vector, STEPS_T)
            found[name][prop] = {"r2": direction.r2, "slope": direction.slope, "std": float(properties[prop].std()),
                                 "walk": walked[prop].tolist(), "changed": walked["changed"].tolist()}
        randoms = ic.random_directions(space.dim, n_random, seed + 2000)
        found[name]["random"] = {"changed": [ic.walk(space, start, vector, STEPS_T)["changed"].tolist()
                                             for vector in randoms]}
        found[name]["cosines"] = ic.direction_cosines(fitted)
    return found


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--seeds", type=int, nargs="+", default=[0, 1, 2])
    parser.add_argument("--codes", type=int, default=5000, help="codes the directions are fitted on")
    parser.add_argument("--walk-codes", type=int, default=1000, help="codes walked along each direction")
    parser.add_argument("--random", type=int, default=3, help="random directions walked per model and seed (the control)")
    parser.add_argument("--steps", type=int, default=2000, help="training steps of each encoder arm")
    parser.add_argument("--labels", type=int, nargs="+", default=[10, 100], help="labelled digits per class")
    parser.add_argument("--transfer-steps", type=int, default=300)
    parser.add_argument("--name", default="inside_codes", help="results file name")
    parser.add_argument("--folder", default=None, help="where to write it (default: the package's results)")
    args = parser.parse_args(argv)

    train, train_labels = load_mnist("train")
    test, test_labels = load_mnist("test")
    turned, turned_test = ic.rotate_digits(train), ic.rotate_digits(test)
    measured: dict = {"directions": {}, "robustness": {}, "transfer": {}}
    start = time.perf_counter()
    for seed in args.seeds:
        for model, props in directions(seed, args.codes, args.walk_codes, args.random).items():
            for prop, values in props.items():
                for key, value in values.items():
                    measured["directions"].setdefault(model, {}).setdefault(prop, {}).setdefault(key, []).append(value)
        print(f"seed {seed}: directions done ({time.perf_counter() - start:.0f} s)", flush=True)
        for arm in ic.ENCODER_ARMS:
            model = ic.train_encoder_arm(arm, train, args.steps, seed=seed)
            for kind, levels in (("noise", NOISE_LEVELS), ("occlusion", OCCLUSION_LEVELS)):
                curves = ic.robustness_curves(model, train, train_labels, test, test_labels, kind, levels, seed=seed)
                slot = measured["robustness"].setdefault(arm, {}).setdefault(kind, {})
                for key, values in curves.items():
                    slot.setdefault(key, []).append(values)
            print(f"seed {seed}: {arm} probe clean {curves['probe'][0]:.3f} ({time.perf_counter() - start:.0f} s)", flush=True)
        for per_class in args.labels:
            chosen = labelled_subset(train_labels, per_class, seed=seed)
            for arm in ic.TRANSFER_ARMS:
                accuracy = ic.transfer_accuracy(arm, turned[chosen], train_labels[chosen], turned_test, test_labels,
                                                seed=seed, steps=args.transfer_steps)
                measured["transfer"].setdefault(str(per_class), {}).setdefault(arm, []).append(accuracy)
                print(f"seed {seed}: {per_class} per class, {arm}: {accuracy:.4f}", flush=True)
    seconds = time.perf_counter() - start
    settings = dict(codes=args.codes, walk_codes=args.walk_codes, random_directions=args.random, walk_t=STEPS_T, steps=args.steps,
                    noise_levels=NOISE_LEVELS, occlusion_levels=OCCLUSION_LEVELS, labels_per_class=args.labels,
                    transfer_steps=args.transfer_steps, task="digits turned a quarter turn counter-clockwise")
    command = "python benchmarks/inside_codes.py " + shlex.join(argv if argv is not None else sys.argv[1:])
    file = results.write(args.name, measured, command.strip(), args.seeds, settings, runs.describe_data(len(train)),
                         seconds, args.folder)
    print(f"wrote {file} after {seconds:.0f} s")


if __name__ == "__main__":
    main()
