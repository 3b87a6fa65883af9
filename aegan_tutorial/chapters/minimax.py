r"""Helpers of the chapter "The minimax objective": the game in one dimension, where every quantity has a closed form or an integral.

The data and the generator's distribution are two Gaussians on the real line,
:math:`p_\text{data} = \mathcal N(\mu_d, \sigma_d^2)` and :math:`p_g = \mathcal N(\mu_g, \sigma_g^2)`.
Then the optimal discriminator :math:`D^*(x) = p_\text{data}(x) / (p_\text{data}(x) + p_g(x))`, the
value function :math:`V(D, G)` and the Jensen–Shannon divergence can all be computed on a grid of
``x`` and compared with what a trained network does.

Shapes (``N`` points on the line, ``B`` samples in a batch)::

    Gaussian.pdf, optimal_discriminator:  x [N] --> [N]
    build_discriminator_1d:               [B, 1] --> [B, 1] logits ℓ, D = sigmoid(ℓ)
    build_generator_1d:                   [B, 1] noise z --> [B, 1] samples μ + σ·z
    GaussianGAN.fit:                      real samples [N, 1]

Everything is seeded: with :func:`aegan_tutorial.set_seed` first, two CPU runs give bit-identical
weights.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Callable, Literal

import keras
import numpy as np
from keras import layers

from .._checks import check_positive_int
from ..losses import GeneratorLoss, discriminator_loss
from ..models.gan import GAN


Objective = Literal["maximise", "minimise"]
OBJECTIVES = ("maximise", "minimise")


@dataclass(frozen=True)
class Gaussian:
    """A normal distribution :math:`\\mathcal N(\\text{mean}, \\text{std}^2)` on the real line."""

    mean: float
    std: float

    def __post_init__(self):
        if not (math.isfinite(self.mean) and math.isfinite(self.std)) or self.std <= 0:
            raise ValueError(f"a Gaussian needs a finite mean and a positive finite std, got mean={self.mean!r}, std={self.std!r}")

    def log_pdf(self, x) -> np.ndarray:
        """``log p(x)`` for float ``x`` of any shape (same shape out, float64)."""
        x = _as_points(x)
        return -0.5 * ((x - self.mean) / self.std) ** 2 - math.log(self.std * math.sqrt(2 * math.pi))

    def pdf(self, x) -> np.ndarray:
        """``p(x)`` for float ``x`` of any shape (same shape out, float64)."""
        return np.exp(self.log_pdf(x))

    def sample(self, n: int, seed: int | None = None) -> np.ndarray:
        """``n`` samples as a float32 column ``[n, 1]`` (the shape Keras models read)."""
        check_positive_int(n, "n")
        draws = np.random.default_rng(seed).normal(self.mean, self.std, (n, 1))
        return draws.astype(np.float32)


def _as_points(x) -> np.ndarray:
    x = np.asarray(x, dtype=np.float64)
    if not np.all(np.isfinite(x)):
        raise ValueError("x must hold finite numbers only (found NaN or infinity)")
    return x


def _check_gaussians(**named) -> None:
    for name, value in named.items():
        if not isinstance(value, Gaussian):
            raise ValueError(f"{name} must be a Gaussian(mean, std), got {type(value).__name__}")


def optimal_logit(x, data: Gaussian, model: Gaussian) -> np.ndarray:
    """The optimal discriminator's logit ``log p_data(x) − log p_g(x)`` (finite for every finite x).

    Parameters
    ----------
    x
        Points ``[N]`` (any shape).
    data, model
        :math:`p_\\text{data}` and :math:`p_g`.
    """
    _check_gaussians(data=data, model=model)
    return data.log_pdf(x) - model.log_pdf(x)


def optimal_discriminator(x, data: Gaussian, model: Gaussian) -> np.ndarray:
    """:math:`D^*(x) = p_\\text{data}(x) / (p_\\text{data}(x) + p_g(x))`, shape of ``x``, in ``[0, 1]``."""
    ell = optimal_logit(x, data, model)
    return 0.5 * (1.0 + np.tanh(0.5 * ell))  # the sigmoid, without overflow


def integration_grid(*gaussians: Gaussian, width: float = 12.0, per_std: int = 50) -> np.ndarray:
    """An even grid ``[N]`` covering every Gaussian to ``width`` standard deviations.

    The spacing is the smallest std over ``per_std``, so each density is resolved finely
    enough for the trapezoid rule; at most 2,000,001 points.
    """
    _check_gaussians(**{f"gaussians[{i}]": g for i, g in enumerate(gaussians)})
    if not gaussians:
        raise ValueError("integration_grid needs at least one Gaussian")
    lo = min(g.mean - width * g.std for g in gaussians)
    hi = max(g.mean + width * g.std for g in gaussians)
    n = int(math.ceil((hi - lo) / (min(g.std for g in gaussians) / per_std))) + 1
    if n > 2_000_001:
        raise ValueError(f"the Gaussians span {hi - lo:.3g} at a resolution of {min(g.std for g in gaussians):.3g}: "
                         f"{n} grid points is too many; bring the means closer or the stds nearer each other")
    return np.linspace(lo, hi, n)


def jensen_shannon(p: Gaussian, q: Gaussian) -> float:
    r"""The Jensen–Shannon divergence in nats, by numerical integration.

    :math:`\mathrm{JSD}(p \,\|\, q) = \tfrac12 \mathrm{KL}(p \,\|\, m) + \tfrac12 \mathrm{KL}(q \,\|\, m)`
    with :math:`m = (p + q)/2`; it lies in :math:`[0, \log 2]`: 0 when ``p == q``, ``log 2``
    when the two do not overlap.
    """
    _check_gaussians(p=p, q=q)
    x = integration_grid(p, q)
    log_p, log_q = p.log_pdf(x), q.log_pdf(x)
    log_m = np.logaddexp(log_p, log_q) - math.log(2.0)
    integrand = 0.5 * np.exp(log_p) * (log_p - log_m) + 0.5 * np.exp(log_q) * (log_q - log_m)
    return float(np.clip(np.trapezoid(integrand, x), 0.0, math.log(2.0)))


def value_function(logit: Callable[[np.ndarray], np.ndarray], data: Gaussian, model: Gaussian) -> float:
    r"""$V(D, G) = \E_{x \sim p_\text{data}}[\log D(x)] + \E_{x \sim p_g}[\log(1 - D(x))]$ by integration.

    Parameters
    ----------
    logit
        The discriminator as a function from points ``[N]`` to logits ``[N]``,
        ``D = sigmoid(logit)`` (e.g. :func:`logit_function` of a trained model, or
        ``lambda x: optimal_logit(x, data, model)``). Logits keep ``log D`` finite.
    data, model
        :math:`p_\text{data}` and :math:`p_g`.
    """
    _check_gaussians(data=data, model=model)
    x = integration_grid(data, model)
    ell = np.asarray(logit(x), dtype=np.float64).reshape(-1)
    if ell.shape != x.shape:
        raise ValueError(f"logit must map points [N] to logits [N]; got {list(ell.shape)} for N = {len(x)}")
    log_d, log_one_minus_d = -np.logaddexp(0.0, -ell), -np.logaddexp(0.0, ell)
    return float(np.trapezoid(data.pdf(x) * log_d + model.pdf(x) * log_one_minus_d, x))


def logit_function(discriminator: keras.Model) -> Callable[[np.ndarray], np.ndarray]:
    """A ``[N] -> [N]`` float64 function of a Keras discriminator ``[B, 1] -> [B, 1]``."""

    def logit(x):
        column = np.asarray(x, dtype=np.float32).reshape(-1, 1)
        out = [keras.ops.convert_to_numpy(discriminator(column[i : i + 65_536], training=False))
               for i in range(0, len(column), 65_536)]
        return np.concatenate(out).astype(np.float64).reshape(-1)

    return logit


def build_discriminator_1d(units: int = 32, depth: int = 2, name: str = "discriminator_1d") -> keras.Model:
    """A small MLP discriminator: ``[B, 1] -> [B, 1]`` logits (``depth`` LeakyReLU layers of ``units``)."""
    check_positive_int(units, "units")
    check_positive_int(depth, "depth")
    x = inputs = keras.Input((1,), name="x")
    for i in range(depth):
        x = layers.Dense(units, name=f"hidden_{i + 1}")(x)
        x = layers.LeakyReLU(0.2)(x)
    return keras.Model(inputs, layers.Dense(1, name="logit")(x), name=name)


@keras.saving.register_keras_serializable(package="aegan_tutorial")
class Affine(layers.Layer):
    """``z -> μ + σ·z`` with trainable ``μ`` and ``σ = exp(log σ)`` (so σ stays positive)."""

    def __init__(self, mean: float = 0.0, std: float = 1.0, **kwargs):
        super().__init__(**kwargs)
        Gaussian(mean, std)  # validates
        self.mean_init, self.std_init = float(mean), float(std)
        self.mean = self.add_weight(shape=(), initializer=keras.initializers.Constant(mean), name="mean")
        self.log_std = self.add_weight(shape=(), initializer=keras.initializers.Constant(math.log(std)), name="log_std")

    def call(self, z):
        return self.mean + keras.ops.exp(self.log_std) * z

    def get_config(self) -> dict:
        return {**super().get_config(), "mean": self.mean_init, "std": self.std_init}


def build_generator_1d(mean: float = 0.0, std: float = 1.0, name: str = "generator_1d") -> keras.Model:
    """The generator ``G(z) = μ + σ·z``: ``[B, 1] -> [B, 1]``; with ``z ~ N(0, 1)``, ``p_g = N(μ, σ²)``."""
    z = keras.Input((1,), name="noise")
    return keras.Model(z, Affine(mean, std, name="affine")(z), name=name)


def generator_gaussian(generator: keras.Model) -> Gaussian:
    """The distribution :math:`p_g` of a :func:`build_generator_1d` generator, as a :class:`Gaussian`."""
    affine = generator.get_layer("affine")
    return Gaussian(float(affine.mean.numpy()), float(math.exp(float(affine.log_std.numpy()))))


@keras.saving.register_keras_serializable(package="aegan_tutorial")
class GaussianGAN(GAN):
    """A 1-D GAN: :class:`~aegan_tutorial.models.GAN`'s step on points instead of images.

    ``fit`` takes real samples ``[N, 1]`` (e.g. ``Gaussian.sample``) and logs ``d_loss``,
    ``g_loss``, ``value`` (the batch estimate of V) and the generator's ``g_mean`` and ``g_std``
    at the end of each epoch. The training step is ``GAN.train_step`` itself; this class
    changes only the players' shapes (``[B, 1]``), what it logs, and, for the chapter's
    demonstration of the source article's sign error, which way the discriminator climbs.

    Parameters
    ----------
    generator
        ``[B, 1] -> [B, 1]``, e.g. :func:`build_generator_1d`.
    discriminator
        ``[B, 1] -> [B, 1]`` logits, e.g. :func:`build_discriminator_1d`.
    seed
        Seed of the noise drawn during training.
    """

    def __init__(self, generator: keras.Model, discriminator: keras.Model, seed: int | None = None, **kwargs):
        kwargs.setdefault("name", "gaussian_gan")
        super().__init__(generator, discriminator, noise_dim=1, seed=seed, **kwargs)
        self.value_tracker = keras.metrics.Mean(name="value")
        self.sign = 1.0

    @staticmethod
    def _check_players(generator: keras.Model, discriminator: keras.Model, noise_dim: int) -> None:
        for role, net in (("generator", generator), ("discriminator", discriminator)):
            if tuple(net.input_shape[1:]) != (1,) or tuple(net.output_shape[1:]) != (1,):
                raise ValueError(f"the {role} must map [B, 1] to [B, 1]; got {list(net.input_shape)} -> {list(net.output_shape)}")

    @property
    def metrics(self) -> list:
        return [*super().metrics, self.value_tracker]

    def compile(self, d_optimizer=None, g_optimizer=None, discriminator_objective: Objective = "maximise",
                loss: GeneratorLoss = "non_saturating", train_generator: bool = True, **kwargs) -> None:
        """Choose the optimizers, the direction the discriminator climbs, and the generator's loss.

        Parameters
        ----------
        d_optimizer, g_optimizer
            ``None``: Adam with learning rate ``1e-3`` and β₁ = 0.5.
        discriminator_objective
            ``"maximise"`` V (correct: minimise the cross-entropy real→1, fake→0) or
            ``"minimise"`` V (the sign error: the discriminator learns to call real data fake).
        loss
            The generator's loss, ``"non_saturating"`` or ``"minimax"`` (:func:`~aegan_tutorial.losses.generator_loss`).
        train_generator
            ``False`` holds the generator still: only the discriminator learns (the game for a fixed ``p_g``).
        """
        if discriminator_objective not in OBJECTIVES:
            raise ValueError(f"discriminator_objective must be one of {OBJECTIVES}, got {discriminator_objective!r}")
        super().compile(
            d_optimizer or keras.optimizers.Adam(1e-3, beta_1=0.5),
            (g_optimizer or keras.optimizers.Adam(1e-3, beta_1=0.5)) if train_generator else None,
            loss=loss, train_generator=train_generator, **kwargs,
        )
        self.sign = 1.0 if discriminator_objective == "maximise" else -1.0
        self._compile_args["discriminator_objective"] = discriminator_objective

    def discriminator_objective(self, real_logits, fake_logits, fakes=None):
        """``-V`` (maximise V, correct) or ``+V`` (the sign error): ``sign · cross-entropy``."""
        return self.sign * discriminator_loss(real_logits, fake_logits)

    def record(self, d_loss, g_loss, real_logits, fake_logits) -> dict:
        """Log the losses, the batch's V, and where the generator's Gaussian stands."""
        self.value_tracker.update_state(-discriminator_loss(real_logits, fake_logits))
        logs = super().record(d_loss, g_loss, real_logits, fake_logits)
        affine = _find_affine(self.generator)
        if affine is not None:
            logs.update(g_mean=affine.mean + 0.0, g_std=keras.ops.exp(affine.log_std))
        return logs

    def check_fit_data(self, x, y):
        """Real samples ``x`` of shape ``[N, 1]`` (float); no ``y``."""
        if y is not None:
            raise TypeError("GaussianGAN.fit takes real samples only (x); the targets real→1, fake→0 are built inside train_step")
        array = np.asarray(x)
        if array.ndim != 2 or array.shape[1] != 1 or not np.issubdtype(array.dtype, np.floating):
            raise ValueError(f"GaussianGAN.fit needs float real samples of shape [N, 1], got {array.dtype} {list(array.shape)}")
        if not np.all(np.isfinite(array)):
            raise ValueError("GaussianGAN.fit: the real samples hold NaN or infinity")
        return array, None

    def get_config(self) -> dict:
        config = super().get_config()
        del config["noise_dim"]  # always 1
        return config


def _find_affine(generator: keras.Model) -> Affine | None:
    return next((layer for layer in generator.layers if isinstance(layer, Affine)), None)


def train_discriminator_1d(data: Gaussian, model: Gaussian, steps: int = 2000, batch_size: int = 256,
                           objective: Objective = "maximise", units: int = 32, learning_rate: float = 1e-3,
                           seed: int = 0) -> keras.Model:
    """Train :func:`build_discriminator_1d` to tell samples of ``data`` from samples of ``model``.

    The game of :class:`GaussianGAN` with the generator held at ``model``: ``steps`` updates on fresh
    batches of ``batch_size`` real and ``batch_size`` generated samples. Call
    :func:`aegan_tutorial.set_seed` first for a bit-identical rerun.

    Returns
    -------
    keras.Model
        The discriminator, ``[B, 1] -> [B, 1]`` logits.
    """
    _check_gaussians(data=data, model=model)
    check_positive_int(steps, "steps")
    check_positive_int(batch_size, "batch_size")
    gan = GaussianGAN(build_generator_1d(model.mean, model.std), build_discriminator_1d(units), seed=seed)
    gan.compile(keras.optimizers.Adam(learning_rate, beta_1=0.5), discriminator_objective=objective, train_generator=False)
    gan.fit(data.sample(steps * batch_size, seed), batch_size=batch_size, epochs=1, verbose=0)
    return gan.discriminator
