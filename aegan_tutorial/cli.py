"""The command line: ``python -m aegan_tutorial train|evaluate|publish``.

    python -m aegan_tutorial train dcgan --epochs 60 --seed 0 --out runs/dcgan
    python -m aegan_tutorial evaluate dcgan            # the pretrained model
    python -m aegan_tutorial evaluate runs/dcgan       # a run folder, or a .keras file

Errors in what was asked (an unknown model, a bad number, a folder holding another run)
end with one line on stderr and exit status 2; nothing prints a traceback for them.
"""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path

from ._checks import check_positive_int

EPILOG_TRAIN = """\
The run folder gets run.json, metrics.csv (a row per epoch), samples/epoch_NNN.png and
checkpoints/ (written atomically after every epoch). Run the same command again after an
interruption and training resumes from the latest checkpoint, ending with the same weights
as an uninterrupted run (on a CPU with the same seed). The final weights are
model.weights.h5."""


class _Parser(argparse.ArgumentParser):
    def error(self, message: str):  # one line, no usage block
        self.exit(2, f"{self.prog}: error: {message} (see --help)\n")


def _int_at_least(minimum: int):
    """An argparse type: an integer ``>= minimum`` (:func:`check_positive_int`), with a one-line message otherwise."""

    def parse(text: str) -> int:
        try:
            return check_positive_int(int(text), "the value", minimum)
        except ValueError as err:  # int() or the check: "... must be a positive integer, got ..."
            words = "a positive integer" if minimum == 1 else f"an integer >= {minimum}"
            raise argparse.ArgumentTypeError(f"expected {words}, got {text!r}") from err

    return parse


_positive_int = _int_at_least(1)
_non_negative_int = _int_at_least(0)


def _positive_float(text: str) -> float:
    try:
        value = float(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"expected a number of seconds, got {text!r}") from None
    if not value > 0:
        raise argparse.ArgumentTypeError(f"expected a positive number of seconds, got {text!r}")
    return value


def _setting(text: str) -> tuple[str, object]:
    key, sep, value = text.partition("=")
    if not sep or not key:
        raise argparse.ArgumentTypeError(f"expected KEY=VALUE, got {text!r}")
    try:
        return key, json.loads(value)
    except json.JSONDecodeError:
        return key, value


def build_parser() -> argparse.ArgumentParser:
    from .models.registry import MODELS

    models = "; ".join(f"{name}: {spec.description}" for name, spec in MODELS.items())
    parser = _Parser(prog="python -m aegan_tutorial", description="Train and evaluate the book's models.")
    commands = parser.add_subparsers(dest="command", required=True, metavar="{train,evaluate,publish}", parser_class=_Parser)

    train = commands.add_parser(
        "train", help="train a model into a run folder (resumable)", epilog=EPILOG_TRAIN,
        description=f"Train one of the book's models. Models: {models}.",
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    train.add_argument("model", choices=sorted(MODELS), metavar="MODEL", help=f"one of: {', '.join(MODELS)}")
    length = train.add_mutually_exclusive_group()
    length.add_argument("--epochs", type=_positive_int, metavar="N", help="train N epochs")
    length.add_argument("--seconds", type=_positive_float, metavar="S",
                        help="train whole epochs until S seconds of training have passed")
    train.add_argument("--budget", choices=["quick", "full"],
                       help="without --epochs/--seconds: the budget's epochs (default: full on a GPU, else quick)")
    train.add_argument("--seed", type=_non_negative_int, default=0, metavar="S",
                       help="seed of the weights, data order and noise (default: 0)")
    train.add_argument("--out", type=Path, required=True, metavar="DIR", help="the run folder (created if needed)")
    train.add_argument("--batch-size", type=_positive_int, metavar="B", help="images per step (default: the model's)")
    train.add_argument("--train-images", type=_positive_int, metavar="N",
                       help="train on the first N training images only (default: all)")
    train.add_argument("--eval-samples", type=_positive_int, default=2000, metavar="N",
                       help="images scored after every epoch, 4 to 10000 (default: 2000)")
    train.add_argument("--final-samples", type=_positive_int, default=10_000, metavar="N",
                       help="images scored at the end, 4 to 10000 (default: 10000)")
    train.add_argument("--set", type=_setting, action="append", default=[], metavar="KEY=VALUE",
                       help="an option of the model's builder, e.g. --set filters=64 (repeatable)")
    train.add_argument("--no-progress", action="store_true", help="no progress bar (one line per epoch)")
    train.add_argument("--deterministic", action=argparse.BooleanOptionalAction, default=None,
                       help="deterministic ops, so a rerun repeats bit for bit (and no XLA); --no-deterministic: "
                            "XLA where Keras can use it. Default: deterministic on a CPU, XLA on a GPU")

    evaluate = commands.add_parser(
        "evaluate", help="score a pretrained model, a run folder or a .keras file",
        description="Print the model's metrics: FD, precision and recall for generators (with the FD's "
                    "floor and ceiling) and, for the conditional GAN, the share of samples read as the digit asked for; "
                    "MSE and PSNR for autoencoders; accuracy for the classifier.",
    )
    evaluate.add_argument("target", metavar="MODEL_OR_PATH",
                          help="a pretrained model's name, a run folder written by train, or a .keras file")
    evaluate.add_argument("--samples", type=_positive_int, default=10_000, metavar="N",
                          help="samples and test images to score, 4 to 10000 (default: 10000)")
    evaluate.add_argument("--json", action="store_true", help="print the metrics as JSON only")

    publish = commands.add_parser(
        "publish", help="(maintainers) ship a finished run's weights with the package",
        description="Copy a finished run's weights into aegan_tutorial/pretrained/ and record them "
                    "(sha256, command, data, epochs, time, hardware, metrics) in its manifest.",
    )
    publish.add_argument("run", type=Path, metavar="DIR", help="a run folder whose run.json says complete")
    publish.add_argument("--name", help="name to publish under (default: the run's model)")
    return parser


def _load_target(target: str):
    """(model, its spec, description) for a pretrained name, a run folder or a .keras file."""
    import keras

    from . import pretrained
    from .models import registry

    path = Path(target)
    if target in pretrained.available() and not path.exists():
        info = pretrained.entry(target)
        return pretrained.load(target), registry.get(info["model"]), f"{target} (pretrained)"
    if path.is_dir():
        record_file = path / "run.json"
        if not record_file.exists():
            raise ValueError(f"{path} is not a run folder (no run.json)")
        record = json.loads(record_file.read_text())
        spec = registry.get(record["model"])
        weights = path / "model.weights.h5"
        if weights.exists():
            model = registry.build(spec.name, record["config"], record["seed"], training=False)
            model.load_weights(weights)
            return model, spec, f"{path} (final weights)"
        latest = path / "checkpoints" / "latest.json"
        if not latest.exists():
            raise ValueError(f"{path} holds no weights yet (no model.weights.h5 and no checkpoint)")
        file = path / "checkpoints" / json.loads(latest.read_text())["file"]
        return keras.saving.load_model(file), spec, f"{file} (latest checkpoint)"
    if path.suffix == ".keras" and path.exists():
        model = keras.saving.load_model(path)
        return model, registry.spec_of(model), str(path)
    raise ValueError(
        f"{target!r} is neither a pretrained model ({', '.join(pretrained.available()) or 'none shipped'}), "
        "a run folder, nor a .keras file"
    )


def _evaluate(args) -> None:
    from . import evaluation

    if not 4 <= args.samples <= 10_000:
        raise ValueError(f"--samples must lie in 4..10000, got {args.samples}")
    model, spec, what = _load_target(args.target)
    scores = evaluation.evaluate_model(model, spec.kind, args.samples)
    if args.json:
        print(json.dumps(scores))
        return
    print(f"{what}: {evaluation.EVALUATED_ON[spec.kind].format(n=args.samples)}")
    reference = evaluation.reference_points(args.samples) if "fd" in scores else None
    for key, value in scores.items():
        line = f"  {key:<14} {value:.4f}"
        if key == "fd":
            line += (f"   (floor {reference['floor']:.3f}: train vs test; ceiling {reference['ceiling']:.1f}: "
                     f"noise vs test; {value / reference['floor']:.1f}x the floor)")
        print(line)


def main(argv: list[str] | None = None) -> int:
    """Run the command line; return the exit status (2 for a mistake in what was asked)."""
    try:
        args = build_parser().parse_args(argv)
    except SystemExit as done:  # --help (0) or a bad argument (2, its one line already printed)
        return int(done.code or 0)
    from . import data, pretrained, runs

    expected = (ValueError, TypeError, OSError, data.MNISTFileError, pretrained.PretrainedError, runs.RunError)
    try:
        if args.command == "train":
            runs.train(
                args.model, args.out, epochs=args.epochs, seconds=args.seconds, budget_name=args.budget,
                seed=args.seed, batch_size=args.batch_size, train_images=args.train_images,
                eval_samples=args.eval_samples, final_samples=args.final_samples,
                config=dict(args.set) or None, progress=not args.no_progress, deterministic=args.deterministic,
                command=" ".join(["python -m aegan_tutorial", *(sys.argv[1:] if argv is None else argv)]),
            )
            record = json.loads((args.out / "run.json").read_text())
            print(f"done: {record['epochs_done']} epochs, {record['train_seconds']:.0f} s of training; "
                  f"metrics {json.dumps(record['metrics'])}; weights in {args.out / 'model.weights.h5'}")
        elif args.command == "evaluate":
            _evaluate(args)
        else:
            info = pretrained.publish(args.run, args.name)
            print(f"published {info['file']} ({info['bytes'] / 1e6:.2f} MB, sha256 {info['sha256'][:12]}…)")
    except KeyboardInterrupt:
        print("interrupted: run the same command again to resume from the last checkpoint", file=sys.stderr)
        return 130
    except Exception as err:  # a one-line message for the errors users make
        if not isinstance(err, expected):
            raise
        print(f"error: {err}", file=sys.stderr)
        return 2
    return 0
