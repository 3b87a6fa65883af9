"""Helpers of the chapter "Inside the codes": what a code means, how it bends under damage, and whether it transfers.

Interpretability: :func:`image_properties` measures ink, stroke width and slant of digits;
:func:`code_space` gives any shipped generator or generative autoencoder one interface (draw
codes, decode them); :func:`property_directions` finds, by least squares, the direction in a code
space along which a property grows, and :func:`walk` measures how far a step along it changes
the property and how often it changes the digit. Robustness: :func:`corrupt` adds Gaussian noise
or an occluding square, :func:`train_encoder_arm` trains the encoders compared, and
:func:`robustness_curves` scores one encoder's reconstructions and linear probe as the damage
grows. Transfer: :func:`rotate_digits` makes the shifted task, and :func:`transfer_accuracy`
trains a classifier on a few of its labels from a pretrained encoder or from scratch.
``benchmarks/inside_codes.py`` runs the comparisons over seeds and writes the results file the
chapter reads.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import NamedTuple

import keras
import numpy as np

from .._checks import apply_in_batches, check_positive_int
from ..data import make_dataset, scale_images, to_uint8
from ..evaluation import default_classifier, predict_digits
from ..models import VariationalAutoencoder, build_encoder
from ..models.gan import GAN
from ..models.generative_autoencoder import PriorAutoencoder
from ..reproducibility import set_seed
from .adversarial_autoencoders import BATCH_SIZE, build_arm, train_arm
from .autoencoder import add_noise
from .encoder import fit_linear_probe

PROPERTIES = ("ink", "stroke_width", "slant")
"""The measured image properties: mean ink, stroke width in pixels, slant (pixels right per pixel up)."""
ENCODER_ARMS = ("plain", "denoising", "vae", "aae")
"""The encoders whose robustness is compared: all with the same encoder and decoder networks."""
CORRUPTIONS = ("noise", "occlusion")


def _unit(images) -> np.ndarray:
    """``[N, 28, 28]`` float32 in ``[0, 1]`` from uint8 ``[N, 28, 28(, 1)]`` or floats in ``[0, 1]``."""
    x = np.asarray(images)
    if x.ndim == 4 and x.shape[-1] == 1:
        x = x[..., 0]
    if x.ndim != 3 or x.shape[1:] != (28, 28):
        raise ValueError(f"expected images [N, 28, 28] or [N, 28, 28, 1], got shape {list(x.shape)}")
    if x.dtype == np.uint8:
        return x.astype(np.float32) / 255.0
    x = x.astype(np.float32)
    if x.size and (x.min() < -1e-6 or x.max() > 1 + 1e-6):
        raise ValueError(f"float images must lie in [0, 1], got values in [{x.min():.3g}, {x.max():.3g}]")
    return x


# --- interpretability --------------------------------------------------------------------------


def image_properties(images) -> dict[str, np.ndarray]:
    """Ink, stroke width and slant of each digit: ``{name: float [N]}``.

    ``ink``
        mean pixel value in ``[0, 1]``;
    ``stroke_width``
        ``2 A / P`` pixels, with ``A`` the ink pixels (value > 0.5) and ``P`` the length of their
        outline: a stroke of length ``L`` and width ``w`` has ``A ≈ L w`` and ``P ≈ 2 L``;
    ``slant``
        how many pixels the ink moves right for each pixel up, from its second moments
        (``−cov(row, column) / var(row)``, rows counted downwards, weighted by ink): positive
        for a digit leaning right.
    """
    x = _unit(images)
    ink = x.mean(axis=(1, 2))
    on = np.pad(x > 0.5, ((0, 0), (1, 1), (1, 1)))
    area = on.sum(axis=(1, 2))
    outline = (on[:, 1:, :] != on[:, :-1, :]).sum(axis=(1, 2)) + (on[:, :, 1:] != on[:, :, :-1]).sum(axis=(1, 2))
    width = 2.0 * area / np.maximum(outline, 1)
    rows, cols = np.meshgrid(np.arange(28, dtype=np.float32), np.arange(28, dtype=np.float32), indexing="ij")
    mass = np.maximum(x.sum(axis=(1, 2)), 1e-6)
    mean_r = (x * rows).sum(axis=(1, 2)) / mass
    mean_c = (x * cols).sum(axis=(1, 2)) / mass
    dr, dc = rows[None] - mean_r[:, None, None], cols[None] - mean_c[:, None, None]
    cov = (x * dr * dc).sum(axis=(1, 2)) / mass
    var = np.maximum((x * dr * dr).sum(axis=(1, 2)) / mass, 1e-6)
    return {"ink": ink, "stroke_width": width.astype(np.float32), "slant": (-cov / var).astype(np.float32)}


class CodeSpace(NamedTuple):
    """A model's code space: ``dim``, ``sample(n, seed) -> [n, dim]`` codes from its prior, ``decode(codes) -> uint8 [n, 28, 28]``."""

    name: str
    dim: int
    sample: Callable[[int, int], np.ndarray]
    decode: Callable[[np.ndarray], np.ndarray]


def code_space(model: keras.Model, name: str = "") -> CodeSpace:
    """The code space of a GAN (its noise, decoded by the averaged generator) or of a generative autoencoder (its prior)."""
    if isinstance(model, GAN):
        generator = model.averaged_generator()

        def sample(n: int, seed: int = 0) -> np.ndarray:
            return np.random.default_rng(seed).standard_normal((n, model.noise_dim)).astype(np.float32)

        return CodeSpace(name or model.name, model.noise_dim, sample,
                         lambda codes: to_uint8(apply_in_batches(generator, np.asarray(codes, np.float32)), "tanh"))
    if isinstance(model, PriorAutoencoder):
        return CodeSpace(name or model.name, model.latent_dim, lambda n, seed=0: model.prior.sample(n, seed),
                         lambda codes: to_uint8(model.decode(np.asarray(codes, np.float32)), model.output_scale))
    raise ValueError(f"{type(model).__name__} has no code space here: pass a GAN or a generative autoencoder")


class Direction(NamedTuple):
    """A property's direction in a code space: the unit ``vector`` ``[dim]``, the fitted change per
    unit step along it (``slope``), and the share of the property's variance the linear fit explains (``r2``)."""

    vector: np.ndarray
    slope: float
    r2: float


def property_directions(codes: np.ndarray, properties: dict[str, np.ndarray]) -> dict[str, Direction]:
    """Least-squares fit ``p ≈ a + w·z`` of each property over ``codes`` ``[N, dim]``; the direction is ``w / ‖w‖``."""
    z = np.asarray(codes, np.float64)
    design = np.concatenate([z, np.ones((len(z), 1))], axis=1)
    found = {}
    for name, values in properties.items():
        p = np.asarray(values, np.float64)
        if p.shape != (len(z),):
            raise ValueError(f"{name} has shape {list(p.shape)}; expected one value per code, [{len(z)}]")
        coef, *_ = np.linalg.lstsq(design, p, rcond=None)
        w = coef[:-1]
        residual = p - design @ coef
        r2 = 1.0 - residual.var() / max(p.var(), 1e-12)
        norm = float(np.linalg.norm(w))
        found[name] = Direction((w / max(norm, 1e-12)).astype(np.float32), norm, float(r2))
    return found


def random_directions(dim: int, count: int, seed: int = 0) -> np.ndarray:
    """``count`` unit vectors ``[count, dim]`` drawn uniformly over the directions of a ``dim``-number code.

    The control for a property direction: a walk as long in a direction that no property chose.
    """
    check_positive_int(dim, "dim")
    check_positive_int(count, "count")
    vectors = np.random.default_rng(seed).standard_normal((count, dim))
    return (vectors / np.linalg.norm(vectors, axis=1, keepdims=True)).astype(np.float32)


def direction_cosines(directions: dict[str, Direction]) -> dict[str, float]:
    """Cosine between every two fitted directions, keyed ``"ink·stroke_width"`` (first name in :data:`PROPERTIES` order)."""
    names = [name for name in PROPERTIES if name in directions]
    return {f"{a}·{b}": float(directions[a].vector @ directions[b].vector)
            for i, a in enumerate(names) for b in names[i + 1:]}


def walk(space: CodeSpace, codes: np.ndarray, direction: np.ndarray, steps: Sequence[float]) -> dict[str, np.ndarray]:
    """Decode ``codes + t · direction`` for every ``t`` in ``steps``, and measure what changed.

    Returns
    -------
    dict
        ``t`` ``[T]``; each property's mean ``[T]``; ``changed`` ``[T]``, the share of the codes
        whose digit (as the evaluation classifier reads it) differs from the one at ``t = 0``;
        ``images`` uint8 ``[T, N, 28, 28]``.
    """
    codes = np.asarray(codes, np.float32)
    steps = np.asarray(steps, np.float32)
    images = np.stack([space.decode(codes + t * np.asarray(direction, np.float32)) for t in steps])
    digits = np.stack([predict_digits(batch) for batch in images])
    start = space.decode(codes)
    origin = predict_digits(start)
    measured = {name: [] for name in PROPERTIES}
    for batch in images:
        for name, values in image_properties(batch).items():
            measured[name].append(float(values.mean()))
    return {"t": steps, **{k: np.array(v) for k, v in measured.items()},
            "changed": (digits != origin[None, :]).mean(axis=1), "images": images}


def digits_changed_at(t: Sequence[float], values: Sequence[float], changed: Sequence[float], amount: float) -> float:
    """Share of digits changed where a walk has moved its property by ``amount``, both ways averaged.

    ``t`` ``[T]`` are the walk's steps (increasing, ``0`` among them), ``values`` ``[T]`` the property's
    mean and ``changed`` ``[T]`` the share of changed digits at each step, as :func:`walk` returns them.
    On each side of ``t = 0`` the step where the property has moved by ``amount`` is found by linear
    interpolation, and the share changed is read there. This compares directions at equal change of
    the property rather than at equal steps, which move the property by different amounts in
    different code spaces.
    """
    t, values, changed = (np.asarray(v, np.float64) for v in (t, values, changed))
    if not (t.ndim == 1 and t.shape == values.shape == changed.shape and np.all(np.diff(t) > 0) and 0 in t):
        raise ValueError(f"t, values and changed must be [T] with t increasing through 0, got shapes "
                         f"{list(t.shape)}, {list(values.shape)}, {list(changed.shape)}")
    zero = int(np.flatnonzero(t == 0)[0])
    shares = []
    for side in (slice(zero, None), slice(zero, None, -1)):
        steps, moved = np.abs(t[side]), np.abs(values[side] - values[zero])
        if not np.all(np.diff(moved) > 0):
            raise ValueError("the property does not move steadily away from its value at t = 0 along the walk")
        if moved[-1] < amount:
            raise ValueError(f"the walk moves the property by at most {moved[-1]:.3g}, less than {amount:.3g}")
        shares.append(np.interp(np.interp(amount, moved, steps), steps, changed[side]))
    return float(np.mean(shares))


def traversal(space: CodeSpace, code: np.ndarray, dims: Sequence[int], values: Sequence[float]) -> np.ndarray:
    """uint8 ``[len(dims) · len(values), 28, 28]``: ``code`` with one coordinate set to each value, one row per coordinate."""
    code = np.asarray(code, np.float32).reshape(-1)
    if code.shape != (space.dim,):
        raise ValueError(f"code must have {space.dim} numbers, got {code.size}")
    rows = []
    for d in dims:
        batch = np.repeat(code[None], len(values), axis=0)
        batch[:, d] = values
        rows.append(batch)
    return space.decode(np.concatenate(rows))


def digit_probabilities(images) -> np.ndarray:
    """``[N, 10]``: the evaluation classifier's softmax over the digits of uint8 ``[N, 28, 28]`` images."""
    logits = apply_in_batches(default_classifier(), scale_images(np.asarray(images), "sigmoid"))
    logits = logits - logits.max(axis=1, keepdims=True)
    p = np.exp(logits)
    return p / p.sum(axis=1, keepdims=True)


def interpolate(a: np.ndarray, b: np.ndarray, steps: int) -> np.ndarray:
    """``[steps, dim]``: the straight path from code ``a`` to code ``b``, ends included."""
    check_positive_int(steps, "steps", minimum=2)
    t = np.linspace(0.0, 1.0, steps, dtype=np.float32)[:, None]
    return (1 - t) * np.asarray(a, np.float32)[None] + t * np.asarray(b, np.float32)[None]


# --- robustness --------------------------------------------------------------------------------


def corrupt(images, kind: str, level: float, seed: int = 0) -> np.ndarray:
    """Damaged copies of ``images`` (uint8 or ``[0, 1]`` floats), float32 ``[N, 28, 28, 1]`` in ``[0, 1]``.

    ``"noise"``: Gaussian noise of standard deviation ``level`` added, then clipped to ``[0, 1]``;
    ``"occlusion"``: a black square of side ``level`` pixels at a random place inside each image.
    """
    if kind not in CORRUPTIONS:
        raise ValueError(f"kind must be one of {CORRUPTIONS}, got {kind!r}")
    x = _unit(images).copy()
    if kind == "noise":
        x = add_noise(x, level, seed)  # the denoising autoencoder's own noise, clipped to [0, 1]
    else:
        side = int(level)
        if side != level or not 0 <= side <= 28:
            raise ValueError(f"the occlusion level is a square's side in whole pixels, 0..28, got {level!r}")
        if side:
            corners = np.random.default_rng(seed).integers(0, 28 - side + 1, size=(len(x), 2))
            for image, (r, c) in zip(x, corners):
                image[r:r + side, c:c + side] = 0.0
    return x[..., None]


def train_encoder_arm(arm: str, images: np.ndarray, steps: int, seed: int = 0, noise_std: float = 0.3) -> keras.Model:
    """One of :data:`ENCODER_ARMS`, trained for ``steps`` steps on uint8 ``[N, 28, 28]`` images.

    ``"plain"``, ``"vae"``, ``"aae"`` are the adversarial-autoencoder chapter's arms (same encoder and
    decoder, code size 8); ``"denoising"`` is the plain one trained to rebuild clean digits from
    copies with Gaussian noise of standard deviation ``noise_std`` (fresh every step).
    """
    if arm not in ENCODER_ARMS:
        raise ValueError(f"arm must be one of {ENCODER_ARMS}, got {arm!r}")
    check_positive_int(steps, "steps")
    model = build_arm("plain" if arm == "denoising" else arm, seed=seed)
    if arm != "denoising":
        train_arm(model, images, steps, seed=seed)
        return model
    import tensorflow as tf

    clean = make_dataset(images, None, BATCH_SIZE, "sigmoid", seed=seed, drop_remainder=True).repeat()
    generator = tf.random.Generator.from_seed(seed)
    def damaged_and_clean(x):
        return tf.clip_by_value(x + noise_std * generator.normal(tf.shape(x)), 0.0, 1.0), x

    noisy = clean.map(damaged_and_clean)
    model.fit(noisy, epochs=1, steps_per_epoch=steps, verbose=0)
    return model


def encoder_codes(model: keras.Model, images: np.ndarray) -> np.ndarray:
    """``[N, k]`` codes of float ``[N, 28, 28, 1]`` images in ``[0, 1]`` (a VAE's: the means of ``q(z | x)``)."""
    codes = apply_in_batches(model.encoder, images)
    if isinstance(model, VariationalAutoencoder):
        codes = codes[:, : model.latent_dim]
    return codes


def code_reconstructions(model: keras.Model, images: np.ndarray) -> np.ndarray:
    """``decoder(code)`` of float ``[N, 28, 28, 1]`` images in ``[0, 1]``, the code as :func:`encoder_codes` reads it: ``[N, 28, 28, 1]``."""
    codes = encoder_codes(model, images)
    return apply_in_batches(model.decoder, codes)


def robustness_curves(model: keras.Model, train_images: np.ndarray, train_labels: np.ndarray, test_images: np.ndarray,
                      test_labels: np.ndarray, kind: str, levels: Sequence[float], seed: int = 0) -> dict[str, list]:
    """How an autoencoder holds up as ``kind`` of damage grows through ``levels``.

    A linear probe is trained once on the codes of the clean training images (uint8 ``[N, 28, 28]``);
    at each level the test images are damaged (:func:`corrupt`), encoded and decoded.

    Returns
    -------
    dict
        ``level``; ``mse``, the mean squared error of the reconstructions against the *clean* test
        digits (pixels in ``[0, 1]``); ``probe``, the probe's accuracy on the damaged digits' codes.
    """
    probe = fit_linear_probe(encoder_codes(model, scale_images(train_images, "sigmoid")), train_labels, seed=seed)
    clean = _unit(test_images)[..., None]
    curves: dict[str, list] = {"level": [], "mse": [], "probe": []}
    for level in levels:
        damaged = corrupt(test_images, kind, level, seed=seed)
        curves["level"].append(float(level))
        curves["mse"].append(float(np.mean((code_reconstructions(model, damaged) - clean) ** 2)))
        curves["probe"].append(probe.accuracy(encoder_codes(model, damaged), test_labels))
    return curves


# --- transfer ----------------------------------------------------------------------------------

TRANSFER_ARMS = ("scratch", "autoencoder probe", "autoencoder fine-tuned", "classifier probe", "classifier fine-tuned")
"""How the rotated-digit classifier starts: from nothing, or from an encoder trained on upright MNIST
(the shipped autoencoder's, without labels; the shipped classifier's, with them), frozen under a
linear read-out (probe) or trained further (fine-tuned)."""


PROBE_BATCH = 512
"""Batch size of the transfer probes' Adam steps."""


def rotate_digits(images: np.ndarray) -> np.ndarray:
    """The shifted task's digits: each image turned a quarter turn counter-clockwise (same dtype and shape)."""
    x = np.asarray(images)
    if x.ndim not in (3, 4) or x.shape[1:3] != (28, 28):
        raise ValueError(f"expected images [N, 28, 28(, 1)], got shape {list(x.shape)}")
    return np.rot90(x, k=1, axes=(1, 2)).copy()


def _source_encoder(source: str, seed: int) -> keras.Model:
    """A trainable copy of a shipped encoder (``"autoencoder"``: its 32-number encoder; ``"classifier"``:
    the classifier up to its last hidden layer), or an untrained encoder of the autoencoder's shape."""
    from .. import pretrained

    set_seed(seed)
    if source == "scratch":
        return build_encoder(32, name="encoder_from_scratch")
    if source == "autoencoder":
        trained = pretrained.load("autoencoder").encoder
    elif source == "classifier":
        classifier = pretrained.load("classifier")
        trained = keras.Model(classifier.inputs[0], classifier.layers[-2].output, name="classifier_features")
    else:
        raise ValueError(f"source must be 'scratch', 'autoencoder' or 'classifier', got {source!r}")
    copy = keras.models.clone_model(trained)
    copy.set_weights(trained.get_weights())
    return copy


def transfer_accuracy(arm: str, images: np.ndarray, labels: np.ndarray, test_images: np.ndarray,
                      test_labels: np.ndarray, seed: int = 0, steps: int = 300) -> float:
    """Test accuracy of a digit classifier for the (rotated) ``test_images`` trained on ``images``, ``labels``.

    ``arm`` is one of :data:`TRANSFER_ARMS`. A probe is :func:`~aegan_tutorial.chapters.encoder.fit_linear_probe`
    on the frozen encoder's features, trained for about ``steps`` Adam steps (whole epochs of batches of
    512) so that it converges on a few labels too; "scratch" and "fine-tuned" train the encoder and a
    softmax read-out together with Adam (1e-3, batches of up to 100 images) for ``steps`` steps.
    """
    if arm not in TRANSFER_ARMS:
        raise ValueError(f"arm must be one of {TRANSFER_ARMS}, got {arm!r}")
    check_positive_int(steps, "steps")
    source = "scratch" if arm == "scratch" else arm.split()[0]
    encoder = _source_encoder(source, seed)
    x, x_test = scale_images(images, "sigmoid"), scale_images(test_images, "sigmoid")
    if arm.endswith("probe"):
        batches = -(-len(x) // PROBE_BATCH)                                # per epoch
        probe = fit_linear_probe(apply_in_batches(encoder, x), labels, epochs=-(-steps // batches),
                                 batch_size=PROBE_BATCH, seed=seed)        # as many Adam steps as the other arms
        return probe.accuracy(apply_in_batches(encoder, x_test), test_labels)
    classifier = keras.Sequential([encoder, keras.layers.Dense(10, name="read_out")], name=f"transfer_{source}")
    classifier.compile(keras.optimizers.Adam(1e-3),
                       keras.losses.SparseCategoricalCrossentropy(from_logits=True))
    import tensorflow as tf

    batch = min(100, len(x))
    data = tf.data.Dataset.from_tensor_slices((x, np.asarray(labels, np.int32)))
    data = data.shuffle(len(x), seed=seed, reshuffle_each_iteration=True).repeat().batch(batch, drop_remainder=True)
    classifier.fit(data, epochs=1, steps_per_epoch=steps, verbose=0, shuffle=False)
    predictions = np.argmax(apply_in_batches(classifier, x_test), axis=1)
    return float(np.mean(predictions == np.asarray(test_labels)))
