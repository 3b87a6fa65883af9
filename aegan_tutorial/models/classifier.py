"""A small convolutional digit classifier, the yardstick for generated samples."""

from __future__ import annotations

import keras
from keras import layers

from ..data import IMAGE_SHAPE, NUM_CLASSES


def build_classifier(name: str = "classifier") -> keras.Model:
    """A CNN for MNIST digits.

    Returns
    -------
    keras.Model
        ``[B, 28, 28, 1]`` pixels in ``[0, 1]`` → ``[B, 10]`` logits.
    """
    images = keras.Input(IMAGE_SHAPE, name="image")
    x = layers.Conv2D(32, 3, activation="relu")(images)
    x = layers.MaxPooling2D()(x)
    x = layers.Conv2D(64, 3, activation="relu")(x)
    x = layers.MaxPooling2D()(x)
    x = layers.Flatten()(x)
    x = layers.Dropout(0.3)(x)
    x = layers.Dense(128, activation="relu", name="features")(x)
    logits = layers.Dense(NUM_CLASSES, dtype="float32", name="logits")(x)
    return keras.Model(images, logits, name=name)
