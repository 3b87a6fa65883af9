"""Which change to the book's DCGAN lowers its FD: variants trained for the same wall-clock time.

Each variant trains from seed 0 for ``--seconds`` on this machine (batch 64 on the MNIST
training images in ``AEGAN_DATA_DIR``), then draws 10,000 samples that are scored against the
first 10,000 test images (FD, precision, recall, and how evenly the classifier spreads the
samples over the ten digits). The variants:

- ``baseline``: the book's DCGAN networks (``build_generator``/``build_discriminator``, width
  32) at the DCGAN paper's settings, Adam 2e-4 for both players with β1 = 0.5;
- ``lr5e-4``, ``lr1e-3``: the same with both learning rates 5e-4 or 1e-3;
- ``ema-lr5e-4``: ``lr5e-4`` drawing from the average of the generator's weights (decay 0.999);
- ``ttur``: the discriminator's learning rate 5e-4, the generator's 2e-4 (Heusel et al. 2017);
- ``g-fast``: the other way round, the discriminator's 2e-4 and the generator's 1e-3;
- ``g-faster``: the generator's rate 2e-3 (the registry's ``dcgan`` recipe, less its weight
  average); ``g-fast-d64``: ``g-fast`` with a discriminator of
  width 64; ``g-fast-w64``: both players of width 64;
- ``mbstd``: a minibatch-standard-deviation feature map before the discriminator's read-out
  (Karras et al. 2018), which lets it see how varied a batch is;
- ``cat10``: a latent of 90 Gaussian numbers and a one-hot code of 10 categories, so the
  generator can jump between digits instead of blending them;
- ``info10``: ``cat10`` plus a head on the discriminator that guesses the code of a fake, both
  players minimising its cross-entropy (InfoGAN, Chen et al. 2016); ``info10-g-fast`` with the
  learning rates of ``g-fast`` (those of the InfoGAN paper).

Usage::

    AEGAN_DATA_DIR=../shared/datasets/mnist python benchmarks/dcgan_variants.py [--seconds 180] [--only NAME ...]
"""

from __future__ import annotations

import argparse
import time

import aegan_tutorial  # first: it quiets TensorFlow's start-up log
import keras
import numpy as np
import tensorflow as tf
from keras import layers

from aegan_tutorial import data, evaluation, models, runs
from aegan_tutorial.callbacks import StopAfter
from aegan_tutorial.losses import discriminator_loss, generator_loss
from aegan_tutorial.models.gan import image_features
from aegan_tutorial.training import gradient_step

NOISE, CODES = 100, 10


class MinibatchStd(layers.Layer):
    """Append one channel: the mean over features of the batch standard deviation of each feature."""

    def call(self, x):
        std = tf.sqrt(tf.math.reduce_variance(x, axis=0) + 1e-8)
        feature = tf.reduce_mean(std) * tf.ones_like(x[..., :1])
        return tf.concat([x, feature], axis=-1)


def mbstd_discriminator(filters: int = 32) -> keras.Model:
    image = keras.Input(data.IMAGE_SHAPE)
    x = layers.LeakyReLU(0.2)(layers.Conv2D(filters, 4, strides=2, padding="same")(image))
    x = layers.LeakyReLU(0.2)(layers.Conv2D(2 * filters, 4, strides=2, padding="same")(x))
    x = MinibatchStd()(x)
    return keras.Model(image, layers.Dense(1)(layers.Flatten()(x)))


def categorical_noise(n: int, seed) -> tf.Tensor:
    """``[n, 100]``: 90 standard normal numbers and a one-hot code of 10 categories."""
    seed = tf.convert_to_tensor(seed)
    z = tf.random.stateless_normal((n, NOISE - CODES), seed=seed)
    c = tf.random.stateless_uniform((n,), seed=seed + 1, maxval=CODES, dtype=tf.int32)
    return tf.concat([z, tf.one_hot(c, CODES)], axis=1)


class CategoricalGAN(models.GAN):
    """The GAN with part of its noise a one-hot code."""

    def sample_noise(self, batch_size):
        return categorical_noise(batch_size, self.seed_generator.next())

    def generate(self, n, seed=None, batch_size=1024):
        noise = categorical_noise(n, [seed or 0, 7])
        return self.generator.predict(noise, batch_size=batch_size, verbose=0)


class InfoGAN(CategoricalGAN):
    """``CategoricalGAN`` plus a head Q on the discriminator's features that guesses the code of a fake."""

    def __init__(self, generator, body, info_weight: float = 1.0, q_learning_rate: float = 2e-4, **kwargs):
        image = keras.Input(data.IMAGE_SHAPE)
        features = body(image)
        read_out = layers.Dense(1)
        logit = read_out(features)
        code_logits = layers.Dense(CODES)(layers.LeakyReLU(0.2)(layers.Dense(64)(features)))
        super().__init__(generator, keras.Model(image, logit), **kwargs)
        self.joint = keras.Model(image, [logit, code_logits])   # D and Q in one forward pass
        self.info_weight = info_weight
        self.q_optimizer = keras.optimizers.Adam(q_learning_rate, beta_1=0.5)
        self.q_variables = [v for v in self.joint.trainable_variables if all(v is not w for w in read_out.weights)]
        self.q_optimizer.build(self.q_variables)

    def train_step(self, data_batch):
        real = data_batch[0] if isinstance(data_batch, tuple) else data_batch
        n = tf.shape(real)[0]
        fake = self.generator(self.sample_noise(n), training=True)
        with tf.GradientTape() as tape:
            d_loss = discriminator_loss(self.discriminator(real, training=True), self.discriminator(fake, training=True))
        gradient_step(self.d_optimizer, tape, d_loss, self.discriminator.trainable_variables)
        noise = self.sample_noise(n)
        code = tf.argmax(noise[:, -CODES:], axis=1)
        with tf.GradientTape(persistent=True) as tape:
            fake_logit, code_logits = self.joint(self.generator(noise, training=True), training=True)
            g_loss = generator_loss(fake_logit)
            info = tf.reduce_mean(keras.losses.sparse_categorical_crossentropy(code, code_logits, from_logits=True))
            g_total = g_loss + self.info_weight * info
        g_vars, q_vars = self.generator.trainable_variables, self.q_variables
        g_grads, q_grads = tape.gradient(g_total, g_vars), tape.gradient(info, q_vars)
        del tape
        self.g_optimizer.apply_gradients(zip(g_grads, g_vars))
        self.q_optimizer.apply_gradients(zip(q_grads, q_vars))  # the shared body learns from Q too
        return self.record(d_loss, g_loss, None, None)


LEARNING_RATES = {"lr5e-4": (5e-4, 5e-4), "lr1e-3": (1e-3, 1e-3), "ema-lr5e-4": (5e-4, 5e-4),
                  "ttur": (5e-4, 2e-4), "g-fast": (2e-4, 1e-3), "g-faster": (2e-4, 2e-3),
                  "g-fast-d64": (2e-4, 1e-3), "g-fast-w64": (2e-4, 1e-3), "info10-g-fast": (2e-4, 1e-3)}
WIDTHS = {"g-fast-d64": (32, 64), "g-fast-w64": (64, 64)}  # (generator, discriminator) width f


def code_purity(gan: CategoricalGAN, n: int = 500) -> np.ndarray:
    """``[10]``: for each category of the code, the share of its samples the classifier reads as one digit."""
    z = tf.random.stateless_normal((n, NOISE - CODES), seed=[1, 2])
    purity = []
    for c in range(CODES):
        noise = tf.concat([z, tf.one_hot(tf.fill((n,), c), CODES)], axis=1)
        digits = evaluation.predict_digits(data.to_uint8(gan.generator.predict(noise, verbose=0), "tanh"))
        purity.append(np.bincount(digits, minlength=10).max() / n)
    return np.array(purity)


def build(name: str, seed: int) -> models.GAN:
    aegan_tutorial.set_seed(seed)
    d_lr, g_lr = LEARNING_RATES.get(name, (2e-4, 2e-4))
    if name in ("baseline", *LEARNING_RATES) and not name.startswith("info"):
        g_width, d_width = WIDTHS.get(name, (32, 32))
        gan = models.GAN(models.build_generator(filters=g_width), models.build_discriminator(d_width),
                         noise_dim=NOISE, seed=seed, ema_decay=0.999 if name.startswith("ema") else None)
    elif name == "mbstd":
        gan = models.GAN(models.build_generator(), mbstd_discriminator(), noise_dim=NOISE, seed=seed)
    elif name == "cat10":
        gan = CategoricalGAN(models.build_generator(), models.build_discriminator(), noise_dim=NOISE, seed=seed)
    elif name.startswith("info10"):
        image = keras.Input(data.IMAGE_SHAPE)
        body = keras.Model(image, image_features(image, 32))
        gan = InfoGAN(models.build_generator(), body, noise_dim=NOISE, seed=seed)
    else:
        raise ValueError(f"unknown variant {name!r}")
    gan.compile(models.recommended_optimizers(d_lr)[0], models.recommended_optimizers(g_lr)[1])
    return gan


VARIANTS = ("baseline", *LEARNING_RATES, "mbstd", "cat10", "info10")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--seconds", type=float, default=180.0)
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--only", nargs="+", choices=VARIANTS, default=list(VARIANTS))
    args = parser.parse_args()
    print(f"machine: {runs.hardware()}; {runs.software()}", flush=True)
    images, _ = data.load_mnist("train")
    print(f"{'variant':10} {'steps':>6} {'images/s':>9} {'FD':>8} {'precision':>9} {'recall':>7}  digit counts")
    for name in args.only:
        gan = build(name, args.seed)
        clock = StopAfter(args.seconds)
        dataset = data.make_dataset(images, batch_size=64, seed=args.seed, drop_remainder=True)
        gan.fit(dataset, epochs=100_000, callbacks=[clock], verbose=0)
        samples = data.to_uint8(gan.generate(10_000, seed=evaluation.EVAL_SEED), "tanh")
        s = evaluation.score_samples(samples)
        counts = np.bincount(evaluation.predict_digits(samples), minlength=10)
        print(f"{name:10} {clock.steps:6d} {clock.steps * 64 / clock.elapsed:9.0f} {s['fd']:8.2f} "
              f"{s['precision']:9.3f} {s['recall']:7.3f}  {counts.tolist()}", flush=True)
        if isinstance(gan, CategoricalGAN):  # does each category draw one digit?
            print(f"{'':10} share of each category's samples read as its most frequent digit: "
                  f"{code_purity(gan).round(2).tolist()}", flush=True)


if __name__ == "__main__":
    main()
