"""A stacked autoencoder: levels of dense encoder/decoder pairs, trained end to end or level by level.

Level ``i`` has an encoder ``f_i`` and a decoder ``g_i``. Codes are built bottom-up and
reconstructions top-down::

    h_0 = flatten(x) [B, 784] --f_1--> h_1 [B, n_1] --f_2--> … --f_L--> h_L [B, n_L]   (the code)
    x̂ = reshape(g_1(g_2(… g_L(h_L))))  [B, 28, 28, 1]

Greedy layer-wise training (Bengio et al., 2007) trains one level at a time: level ``i`` is a
one-level autoencoder ``h_{i-1} -> g_i(f_i(h_{i-1}))`` on the codes of the trained, frozen
levels below, optionally from a corrupted input (the denoising variant, Vincent et al., 2010).
*Tied weights* make each decoder use the transpose of its encoder's kernel,
``g_i(h) = a(h W_iᵀ + c_i)``, which halves the weights of the dense layers.
"""

from __future__ import annotations

from collections.abc import Sequence

import keras
import numpy as np
import tensorflow as tf
from keras import layers, ops

from .._checks import check_positive_int
from ..callbacks import LossHistory, with_nonfinite_guard
from ..data import IMAGE_SHAPE, check_unit_images


class _Untracked:
    """Holds a layer without Keras tracking it, so a tied kernel is counted once, by its owner."""

    def __init__(self, layer: layers.Layer):
        self.layer = layer


@keras.saving.register_keras_serializable(package="aegan_tutorial")
class DenseTranspose(layers.Layer):
    """A dense layer that uses the transpose of another ``Dense`` layer's kernel: tied weights.

    With ``W [n_in, n_out]`` the kernel of ``dense`` (which maps ``n_in -> n_out``), this layer
    maps ``[B, n_out] -> [B, n_in]`` as ``activation(h Wᵀ + c)``. Only the bias ``c`` is its own
    weight; ``W`` stays ``dense``'s, so a gradient step on either layer moves the same kernel.

    The version in Hands-On Machine Learning (3rd ed., chapter 17) reads
    ``dense.input_shape``, which Keras 3 layers no longer have; this one reads the kernel's
    shape when it is built. ``dense`` must be built first (called once, or built in a model).

    A tied layer refers to another layer, which a config cannot hold: save a model that uses it
    with ``save_weights`` and load the weights into a model built the same way.
    """

    def __init__(self, dense: layers.Dense, activation=None, **kwargs):
        super().__init__(**kwargs)
        if not isinstance(dense, layers.Dense):
            raise TypeError(f"DenseTranspose ties itself to a keras.layers.Dense, got {type(dense).__name__}")
        self._tied = _Untracked(dense)
        self.activation = keras.activations.get(activation)

    @property
    def dense(self) -> layers.Dense:
        """The ``Dense`` layer whose kernel this layer uses, transposed."""
        return self._tied.layer

    def build(self, input_shape) -> None:
        if not self.dense.built:
            raise ValueError(f"build {self.dense.name} before the layer tied to it (call it once on an input)")
        n_in, n_out = self.dense.kernel.shape
        if input_shape[-1] is not None and input_shape[-1] != n_out:
            raise ValueError(f"{self.name} reads {n_out} features (the outputs of {self.dense.name}), "
                             f"got input shape {list(input_shape)}")
        self.bias = self.add_weight(shape=(n_in,), initializer="zeros", name="bias")

    def call(self, inputs):
        kernel = ops.cast(self.dense.kernel, inputs.dtype)
        return self.activation(ops.matmul(inputs, ops.transpose(kernel)) + ops.cast(self.bias, inputs.dtype))

    def compute_output_shape(self, input_shape):
        return (*input_shape[:-1], self.dense.kernel.shape[0])

    def get_config(self) -> dict:
        raise NotImplementedError(
            "a DenseTranspose is tied to another layer, which a config cannot hold: save the model with "
            "save_weights and load the weights into one built the same way (e.g. StackedAutoencoder(sizes, tied=True))"
        )


def _check_sizes(sizes: Sequence[int]) -> tuple[int, ...]:
    sizes = tuple(sizes)
    if len(sizes) < 1:
        raise ValueError("a stacked autoencoder needs at least one level: sizes like (256, 64, 16)")
    for size in sizes:
        check_positive_int(size, "every level's size")
    return tuple(int(size) for size in sizes)


@keras.saving.register_keras_serializable(package="aegan_tutorial")
class StackedAutoencoder(keras.Model):
    """Dense levels ``784 -> n_1 -> … -> n_L`` and back, each level an encoder/decoder pair.

    Parameters
    ----------
    sizes
        ``(n_1, …, n_L)``: the width of each level's code, bottom to top (e.g. ``(256, 64, 16)``).
    tied
        Each decoder the transpose of its encoder (:class:`DenseTranspose`).
    activation
        Of every encoder and of the decoders of levels ≥ 2 (which rebuild the codes below);
        level 1's decoder ends in a sigmoid, for images in ``[0, 1]``.

    Calling it maps images ``[B, 28, 28, 1]`` in ``[0, 1]`` to reconstructions of the same shape.
    """

    def __init__(self, sizes: Sequence[int] = (256, 64, 16), tied: bool = False, activation: str = "relu", **kwargs):
        kwargs.setdefault("name", "stacked_autoencoder")
        super().__init__(**kwargs)
        self.sizes = _check_sizes(sizes)
        self.tied = bool(tied)
        self.activation = activation
        widths = (int(np.prod(IMAGE_SHAPE)), *self.sizes)
        self.encoders, self.decoders = [], []
        for i in range(1, len(widths)):  # level by level, so a level's initial weights do not depend on those above
            encoder = layers.Dense(widths[i], activation=activation, name=f"encoder_{i}")
            encoder.build((None, widths[i - 1]))
            output = "sigmoid" if i == 1 else activation
            if self.tied:
                decoder = DenseTranspose(encoder, activation=output, name=f"decoder_{i}")
            else:
                decoder = layers.Dense(widths[i - 1], activation=output, name=f"decoder_{i}")
            decoder.build((None, widths[i]))
            self.encoders.append(encoder)
            self.decoders.append(decoder)
        self.built = True

    @property
    def depth(self) -> int:
        """``L``, the number of levels."""
        return len(self.sizes)

    def _check_level(self, level: int, lowest: int = 0) -> int:
        level = check_positive_int(level, "level", minimum=lowest)
        if level > self.depth:
            raise ValueError(f"this stack has levels 1..{self.depth}; got level {level}")
        return level

    def encode(self, images, level: int | None = None, training: bool = False):
        """``h_level`` ``[B, n_level]`` of images ``[B, 28, 28, 1]`` (``level`` 0 is the flattened image; default: the top)."""
        level = self.depth if level is None else self._check_level(level)
        h = ops.reshape(images, (-1, int(np.prod(IMAGE_SHAPE))))
        for encoder in self.encoders[:level]:
            h = encoder(h, training=training)
        return h

    def decode(self, codes, level: int | None = None, training: bool = False):
        """Images ``[B, 28, 28, 1]`` rebuilt from codes ``h_level`` ``[B, n_level]`` (default: the top)."""
        level = self.depth if level is None else self._check_level(level, lowest=1)
        h = codes
        for decoder in reversed(self.decoders[:level]):
            h = decoder(h, training=training)
        return ops.reshape(h, (-1, *IMAGE_SHAPE))

    def call(self, images, training: bool = False):
        """``[B, 28, 28, 1] -> [B, 28, 28, 1]``: through every level and back."""
        return self.decode(self.encode(images, training=training), training=training)

    def level_autoencoder(self, level: int, noise_stddev: float = 0.0, seed: int | None = None) -> keras.Model:
        """Level ``level`` alone: ``h_{level-1} [B, n_{level-1}] -> g(f(h_{level-1}))``, sharing this stack's layers.

        ``noise_stddev > 0`` adds Gaussian noise to its input while training (the denoising
        variant, its draws seeded by ``seed``); the target stays the clean ``h_{level-1}``.
        """
        level = self._check_level(level, lowest=1)
        if not noise_stddev >= 0:
            raise ValueError(f"noise_stddev must be >= 0, got {noise_stddev!r}")
        width = int(np.prod(IMAGE_SHAPE)) if level == 1 else self.sizes[level - 2]
        h = keras.Input((width,), name=f"h_{level - 1}")
        x = layers.GaussianNoise(noise_stddev, seed=seed, name="corruption")(h) if noise_stddev > 0 else h
        rebuilt = self.decoders[level - 1](self.encoders[level - 1](x))
        return keras.Model(h, rebuilt, name=f"level_{level}_autoencoder")

    def train_greedy(self, images, steps: int = 500, batch_size: int = 128, noise_stddev: float = 0.0,
                     learning_rate: float = 1e-3, seed: int = 0, verbose: int = 0, jit_compile="auto") -> list[float]:
        """Greedy layer-wise training: level 1 on the images, then each level on the frozen codes below.

        Level ``i`` minimises ``‖h_{i-1} - g_i(f_i(h̃_{i-1}))‖²`` over the codes ``h_{i-1}`` of
        the trained levels below, computed once and held fixed, where ``h̃`` is ``h`` plus
        Gaussian noise (the denoising variant) or ``h`` itself. No gradient reaches a lower level.

        Parameters
        ----------
        images
            float ``[N, 28, 28, 1]`` in ``[0, 1]``.
        steps
            Adam steps per level, so ``L · steps`` in all.
        batch_size, learning_rate
            Per level: a fresh Adam at ``learning_rate`` on batches of ``batch_size`` codes.
        noise_stddev
            Standard deviation of each level's input corruption (0: plain autoencoders).
        seed
            Seeds each level's shuffling and corruption.
        verbose, jit_compile
            As in Keras's ``fit`` and ``compile`` (``jit_compile=True``: XLA, see
            :func:`aegan_tutorial.set_seed` on determinism).

        Returns
        -------
        list of float
            Each level's mean training loss over its last ``min(steps, 100)`` steps, bottom to top.
        """
        images = check_unit_images(images, "the images of greedy training")
        check_positive_int(steps, "steps")
        losses = []
        for level in range(1, self.depth + 1):
            below = keras.ops.convert_to_numpy(self.encode(images, level - 1))  # frozen: plain arrays
            autoencoder = self.level_autoencoder(level, noise_stddev, seed=seed + level)
            losses.append(_train_steps(autoencoder, below, below, steps, batch_size, learning_rate, seed + level,
                                       verbose, jit_compile))
        return losses

    def train_end_to_end(self, images, steps: int = 500, batch_size: int = 128, learning_rate: float = 1e-3,
                         seed: int = 0, verbose: int = 0, jit_compile="auto") -> float:
        """Every level at once: Adam on ``‖x - x̂‖²`` through the whole stack, for ``steps`` steps.

        From fresh weights this is plain end-to-end training; after :meth:`train_greedy` it is
        the fine-tuning of greedy pretraining. Arguments as in :meth:`train_greedy`.

        Returns
        -------
        float
            The mean training loss over the last ``min(steps, 100)`` steps.
        """
        images = check_unit_images(images, "the images of end-to-end training")
        check_positive_int(steps, "steps")
        return _train_steps(self, images, images, steps, batch_size, learning_rate, seed, verbose, jit_compile)

    def classifier(self, num_classes: int = 10, name: str = "stack_classifier") -> keras.Model:
        """The encoder levels with a softmax read-out: ``[B, 28, 28, 1] -> [B, num_classes]``.

        It shares this stack's encoder layers, so training it moves them (fine-tuning);
        set ``trainable = False`` on ``self.encoders`` first to train the read-out alone.
        The read-out starts from zeros, so two classifiers of one stack start identical.
        """
        check_positive_int(num_classes, "num_classes", minimum=2)
        images = keras.Input(IMAGE_SHAPE, name="images")
        h = layers.Flatten(name="h_0")(images)
        for encoder in self.encoders:
            h = encoder(h)
        probabilities = layers.Dense(num_classes, activation="softmax", kernel_initializer="zeros", name="read_out")(h)
        return keras.Model(images, probabilities, name=name)

    def get_config(self) -> dict:
        return {"name": self.name, "sizes": list(self.sizes), "tied": self.tied, "activation": self.activation}


def _train_steps(model: keras.Model, inputs: np.ndarray, targets: np.ndarray, steps: int, batch_size: int,
                 learning_rate: float, seed: int, verbose: int, jit_compile="auto") -> float:
    """``steps`` Adam steps of MSE on shuffled batches (reshuffled every pass), seeded; the mean of the last 100 losses."""
    check_positive_int(batch_size, "batch_size")
    if not learning_rate > 0:
        raise ValueError(f"learning_rate must be positive, got {learning_rate!r}")
    per_call = steps_per_call(steps)
    model.compile(keras.optimizers.Adam(learning_rate), loss="mse", jit_compile=jit_compile, steps_per_execution=per_call)
    pairs = (tf.data.Dataset.from_tensor_slices((inputs, targets))
             .shuffle(len(inputs), seed=seed, reshuffle_each_iteration=True).repeat().batch(batch_size))
    history = LossHistory(keys=("loss",))  # one value per call of `per_call` steps
    model.fit(pairs, epochs=1, steps_per_epoch=steps, verbose=verbose, shuffle=False,  # the dataset shuffles
              callbacks=with_nonfinite_guard([history]))
    return float(np.mean(history.history["loss"][-max(1, 100 // per_call):]))


def steps_per_call(steps: int, most: int = 25) -> int:
    """The largest divisor of ``steps`` up to ``most``: Adam steps run per compiled call (``steps_per_execution``).

    Small dense steps are dominated by Python's per-step overhead; running several per call
    changes nothing in the arithmetic (same batches, same order), only the speed.
    """
    return max(d for d in range(1, min(most, steps) + 1) if steps % d == 0)

