r"""BEGAN: a GAN whose discriminator is an autoencoder (Berthelot et al. 2017, "BEGAN: Boundary Equilibrium GANs").

The discriminator does not classify an image, it reconstructs it: an autoencoder
:math:`D` trained to reconstruct real images well and generated ones badly. What it says
about an image :math:`v` is its reconstruction loss, the L1 norm per pixel,

.. math::

    \mathcal{L}(v) = \operatorname{mean}_\text{pixels} |v - D(v)|,

and the generator makes images the autoencoder reconstructs well. With batch means
:math:`\mathcal{L}(x)` of real images and :math:`\mathcal{L}(G(z))` of generated ones, the
players minimise

.. math::

    \mathcal{L}_D = \mathcal{L}(x) - k_t\,\mathcal{L}(G(z)), \qquad \mathcal{L}_G = \mathcal{L}(G(z)),

and after every step the weight :math:`k_t` (starting at 0) follows the equilibrium
:math:`\gamma\,\mathcal{L}(x) = \mathcal{L}(G(z))`,

.. math::

    k_{t+1} = \operatorname{clip}_{[0, 1]}\bigl(k_t + \lambda_k\,(\gamma\,\mathcal{L}(x) - \mathcal{L}(G(z)))\bigr).

When the fakes are reconstructed too well, :math:`k` grows and the discriminator pushes harder
against them; when they are reconstructed too badly, it shrinks. The *diversity ratio*
:math:`\gamma \in (0, 1]` sets the balance: lower values ask for sharper, less varied samples.
The convergence measure

.. math::

    \mathcal{M}_\text{global} = \mathcal{L}(x) + |\gamma\,\mathcal{L}(x) - \mathcal{L}(G(z))|

falls as the real images are reconstructed better and the game nears its equilibrium: one
number that tracks training, where the two players' losses of a GAN do not (the paper's point).

Shapes (``B`` images, width ``f``, code size ``h``)::

    autoencoder D:  [B, 28, 28, 1] --conv s2--> [B, 14, 14, f] --> [B, h] (code, batch-normalised)
                    [B, h] --> [B, 14, 14, f] --deconv s2--> [B, 28, 28, 1] (the generator's range)
    loss L(v):      [B, 28, 28, 1] --> [B, 1]   (the "logit" the GAN step sees)

The step is :class:`~aegan_tutorial.models.GAN`'s: the reconstruction-loss model stands where
the classifier stood, and :class:`BEGAN` changes only the two objectives and what it records.
"""

from __future__ import annotations

import keras
import numpy as np
from keras import layers, ops

from .._checks import check_positive_int
from ..data import IMAGE_SHAPE, Scale, check_scale, output_scale
from .gan import GAN, deserialize_submodels, recommended_optimizers


def build_autoencoder_discriminator(filters: int = 64, code_dim: int = 32, batchnorm: bool = True,
                                    scale: Scale = "tanh",
                                    name: str = "autoencoder_discriminator") -> keras.Model:
    """BEGAN's discriminator: an autoencoder of images, with a narrow code.

    One strided convolution reads the image, a dense bottleneck of ``code_dim`` units codes
    it, and a dense layer and one transposed convolution decode it (the layout of the MNIST
    BEGANs in the public GAN collections; the paper's CelebA autoencoder is deeper).

    With ``batchnorm=True`` both dense layers are batch-normalised, so the code of an image
    is read against the other images of its batch: a batch of near-identical fakes is coded
    to near-identical points, which the decoder maps to *one* image, and the whole batch is
    reconstructed badly. On MNIST this is what keeps the generator from settling on images
    that barely differ from one another (the BEGAN chapter measures both).

    Parameters
    ----------
    filters
        Width ``f``: channels at 14×14.
    code_dim
        Size ``h`` of the code.
    batchnorm
        Batch-normalise the code and the decoder's dense layer.
    scale
        ``"tanh"`` (pixels in ``[-1, 1]``, the range of :func:`~aegan_tutorial.models.build_generator`'s
        images, so that ``BEGAN(build_generator(), build_autoencoder_discriminator(), 100)`` works as
        written) or ``"sigmoid"`` (``[0, 1]``): the range of the reconstructions, which must be the
        generator's.

    Returns
    -------
    keras.Model
        ``[B, 28, 28, 1] -> [B, 28, 28, 1]`` reconstructions in the ``scale``'s range (float32
        also under mixed precision).
    """
    check_positive_int(filters, "filters")
    check_positive_int(code_dim, "code_dim")
    scale = check_scale(scale)
    image = keras.Input(IMAGE_SHAPE, name="image")
    x = layers.Conv2D(filters, 4, strides=2, padding="same", activation="relu", name="conv_14x14")(image)
    x = layers.Dense(code_dim, name="code")(layers.Flatten()(x))
    if batchnorm:
        x = layers.BatchNormalization(name="code_batchnorm")(x)
    x = layers.Dense(14 * 14 * filters, name="decode")(layers.ReLU()(x))
    if batchnorm:
        x = layers.BatchNormalization(name="decode_batchnorm")(x)
    x = layers.Reshape((14, 14, filters))(layers.ReLU()(x))
    x = layers.Conv2DTranspose(1, 4, strides=2, padding="same", name="deconv_28x28")(x)
    return keras.Model(image, layers.Activation(scale, dtype="float32", name="reconstruction")(x), name=name)


@keras.saving.register_keras_serializable(package="aegan_tutorial")
class ReconstructionLoss(layers.Layer):
    """``L(v)``: the mean absolute difference between each image and its reconstruction.

    Called on ``[images, reconstructions]``, both ``[B, 28, 28, 1]``; returns float32 ``[B, 1]``.
    """

    def __init__(self, **kwargs):
        kwargs.setdefault("dtype", "float32")
        super().__init__(**kwargs)

    def call(self, inputs):
        images, reconstructions = (ops.cast(x, "float32") for x in inputs)
        return ops.expand_dims(ops.mean(ops.abs(images - reconstructions), axis=(1, 2, 3)), -1)

    def compute_output_shape(self, input_shape):
        return (input_shape[0][0], 1)


def reconstruction_loss_model(autoencoder: keras.Model, name: str = "began_discriminator") -> keras.Model:
    """The discriminator as :class:`~aegan_tutorial.models.GAN` sees it: an image's reconstruction loss.

    Parameters
    ----------
    autoencoder
        ``[B, 28, 28, 1] -> [B, 28, 28, 1]``, e.g. :func:`build_autoencoder_discriminator`.

    Returns
    -------
    keras.Model
        ``[B, 28, 28, 1] -> [B, 1]``: float32 ``L(v) = mean over pixels |v − autoencoder(v)|``.
        Its weights are the autoencoder's.
    """
    problem = _why_not_image_to_image(autoencoder)
    if problem:
        raise ValueError(
            "BEGAN's discriminator must be an autoencoder mapping [B, 28, 28, 1] images to [B, 28, 28, 1] "
            f"reconstructions (e.g. build_autoencoder_discriminator()); got {problem}"
        )
    image = keras.Input(IMAGE_SHAPE, name="image")
    return keras.Model(image, ReconstructionLoss(name="reconstruction_loss")([image, autoencoder(image)]), name=name)


def _why_not_image_to_image(model) -> str | None:
    """What ``model`` is, unless it maps one ``[B, 28, 28, 1]`` input to one such output (then ``None``)."""
    if not isinstance(model, keras.Model):
        return f"a {type(model).__name__}, not a keras.Model"
    try:
        inputs, outputs = [list(t.shape) for t in model.inputs], [list(t.shape) for t in model.outputs]
    except (AttributeError, TypeError):  # a subclassed model has no symbolic inputs
        return f"{model.name}, a model with no fixed input and output shapes"
    if [tuple(s[1:]) for s in inputs] == [IMAGE_SHAPE] == [tuple(s[1:]) for s in outputs]:
        return None
    inputs, outputs = (s[0] if len(s) == 1 else s for s in (inputs, outputs))
    return f"{model.name}, which maps {inputs} to {outputs}"


def _check_number(value, name: str, high: float, meaning: str) -> float:
    """``value`` as a float in ``(0, high]``, or a ``ValueError`` naming it."""
    number = isinstance(value, (int, float, np.integer, np.floating)) and not isinstance(value, bool)
    if not number or not (0.0 < value <= high and np.isfinite(value)):
        raise ValueError(f"{name} must be {meaning}, got {value!r}")
    return float(value)


@keras.saving.register_keras_serializable(package="aegan_tutorial")
class BEGAN(GAN):
    """A GAN with an autoencoder as discriminator, kept in balance by the weight ``k``.

    ``fit`` takes real images in ``[-1, 1]``, as :class:`GAN`, and logs ``d_loss`` (``L_D``),
    ``g_loss`` (``L_G``), ``m_global`` (``M_global``; each the mean over the epoch's steps) and
    ``k`` (its value after the last step). ``k`` is a weight of the model, saved and loaded with
    it, so a resumed run goes on from the same balance. The update of ``k`` uses the
    discriminator step's batch means of ``L(x)`` and ``L(G(z))``; the generator's step draws
    fresh noise, as in :class:`GAN`.

    Parameters
    ----------
    generator
        ``[B, noise_dim] -> [B, 28, 28, 1]``, tanh output.
    discriminator_autoencoder
        ``[B, 28, 28, 1] -> [B, 28, 28, 1]`` in ``[-1, 1]``, e.g.
        :func:`build_autoencoder_discriminator`; available as :attr:`autoencoder`, while
        :attr:`discriminator` is the model of its reconstruction loss
        (:func:`reconstruction_loss_model`).
    noise_dim, seed, ema_decay
        As in :class:`GAN`.
    gamma
        The diversity ratio ``γ`` in ``(0, 1]``: the target of ``L(G(z)) / L(x)``.
    lambda_k
        The learning rate ``λ_k > 0`` of ``k`` (the paper's 0.001).
    """

    def __init__(self, generator: keras.Model, discriminator_autoencoder: keras.Model, noise_dim: int,
                 gamma: float = 0.5, lambda_k: float = 0.001, seed: int | None = None,
                 ema_decay: float | None = None, **kwargs):
        kwargs.setdefault("name", "began")
        gamma = _check_number(gamma, "gamma", 1.0, "a number in (0, 1] (the diversity ratio L(G(z)) / L(x))")
        lambda_k = _check_number(lambda_k, "lambda_k", np.inf, "a positive number (the learning rate of k, e.g. 0.001)")
        loss_model = reconstruction_loss_model(discriminator_autoencoder)  # checks that it is an image autoencoder
        scales = output_scale(generator), output_scale(discriminator_autoencoder)
        if scales[0] != scales[1]:
            raise ValueError(
                f"the generator writes pixels for scale {scales[0]!r} but the autoencoder reconstructs them for scale "
                f"{scales[1]!r}: BEGAN compares an image with its reconstruction, so both must end in the same "
                "activation (e.g. build_autoencoder_discriminator(scale='sigmoid') for a sigmoid generator)"
            )
        super().__init__(generator, loss_model, noise_dim, seed=seed, ema_decay=ema_decay, **kwargs)
        self.gamma = gamma
        self.lambda_k = lambda_k
        self.k = self.add_weight(shape=(), initializer="zeros", trainable=False, autocast=False,
                                 aggregation="mean", name="k")
        self.m_global_tracker = keras.metrics.Mean(name="m_global")

    @property
    def autoencoder(self) -> keras.Model:
        """The discriminator's autoencoder, ``[B, 28, 28, 1] -> [B, 28, 28, 1]`` (to picture reconstructions)."""
        return next(layer for layer in self.discriminator.layers if isinstance(layer, keras.Model))

    @property
    def metrics(self) -> list:
        return [*super().metrics, self.m_global_tracker]

    def compile(self, d_optimizer: keras.optimizers.Optimizer | None = None,
                g_optimizer: keras.optimizers.Optimizer | None = None, train_generator: bool = True,
                **kwargs) -> None:
        """Choose the optimizers.

        Parameters
        ----------
        d_optimizer, g_optimizer
            ``None``: Adam with learning rate 1e-4 (the paper's) and β₁ = 0.5.
        train_generator, **kwargs
            As in :meth:`GAN.compile`. BEGAN's losses are fixed, so ``loss`` and
            ``label_smoothing`` are refused (a ``TypeError``).
        """
        for key in ("loss", "label_smoothing"):
            if key in kwargs:
                raise TypeError(f"BEGAN.compile takes no {key}: BEGAN's losses are L_D = L(x) - k L(G(z)) and "
                                "L_G = L(G(z)) on reconstruction losses, not a cross-entropy on logits")
        default_d, default_g = recommended_optimizers(1e-4)
        super().compile(d_optimizer or default_d, g_optimizer or default_g, train_generator=train_generator, **kwargs)
        for key in ("loss", "label_smoothing"):
            del self._compile_args[key]

    # --- what differs from GAN: the objectives, and the balance k --------------------------------

    def discriminator_objective(self, real_losses, fake_losses, fakes=None):
        """``L_D = L(x) − k_t L(G(z))``: batch means of the ``[B, 1]`` reconstruction losses."""
        return ops.mean(ops.cast(real_losses, "float32")) - self.k * ops.mean(ops.cast(fake_losses, "float32"))

    def generator_objective(self, fake_losses, fakes=None):
        """``L_G = L(G(z))``: the batch mean of the ``[B, 1]`` reconstruction losses of the fakes."""
        return ops.mean(ops.cast(fake_losses, "float32"))

    def record(self, d_loss, g_loss, real_losses, fake_losses) -> dict:
        """Update ``k`` from the discriminator step's ``[B, 1]`` losses; log the losses, ``M_global`` and ``k``."""
        real, fake = (ops.mean(ops.cast(x, "float32")) for x in (real_losses, fake_losses))
        balance = self.gamma * real - fake
        self.k.assign(ops.clip(self.k + self.lambda_k * balance, 0.0, 1.0))
        self.m_global_tracker.update_state(real + ops.abs(balance))
        return {**super().record(d_loss, g_loss, real_losses, fake_losses), "k": ops.convert_to_tensor(self.k)}

    # --- saving --------------------------------------------------------------------------------

    def get_config(self) -> dict:
        config = super().get_config()
        del config["discriminator"]  # rebuilt around the autoencoder
        return {**config, "discriminator_autoencoder": keras.saving.serialize_keras_object(self.autoencoder),
                "gamma": self.gamma, "lambda_k": self.lambda_k}

    @classmethod
    def from_config(cls, config: dict) -> "BEGAN":
        return cls(**deserialize_submodels(config, "generator", "discriminator_autoencoder"))
