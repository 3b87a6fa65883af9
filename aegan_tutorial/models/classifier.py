"""A convolutional digit classifier, the yardstick for generated samples.

Shapes (``B`` images)::

    [B, 28, 28, 1] --conv 3×3 ×2, pool--> [B, 12, 12, 32] --conv 3×3 ×2, pool--> [B, 4, 4, 64]
                   --> features [B, 128] --> logits [B, 10]

The 128 ``features`` are what :mod:`aegan_tutorial.metrics` compares real and generated
images on (the Fréchet distance, precision and recall).
"""

from __future__ import annotations

import keras
from keras import layers

from ..data import IMAGE_SHAPE, NUM_CLASSES

FEATURES_LAYER = "features"


def build_classifier(name: str = "classifier") -> keras.Model:
    """A CNN for MNIST digits.

    Returns
    -------
    keras.Model
        ``[B, 28, 28, 1]`` pixels in ``[0, 1]`` → ``[B, 10]`` logits. Its layer named
        ``"features"`` gives the ``[B, 128]`` penultimate activations.
    """
    images = keras.Input(IMAGE_SHAPE, name="image")
    x = images
    for filters in (32, 64):
        x = layers.Conv2D(filters, 3, activation="relu")(x)
        x = layers.Conv2D(filters, 3, activation="relu")(x)
        x = layers.MaxPooling2D()(x)
    x = layers.Flatten()(x)
    x = layers.Dropout(0.3)(x)
    x = layers.Dense(128, activation="relu", name=FEATURES_LAYER)(x)
    x = layers.Dropout(0.3)(x)
    logits = layers.Dense(NUM_CLASSES, dtype="float32", name="logits")(x)
    return keras.Model(images, logits, name=name)


def feature_extractor(classifier: keras.Model) -> keras.Model:
    """``[B, 28, 28, 1] -> [B, 128]``: ``classifier`` up to its ``"features"`` layer."""
    try:
        features = classifier.get_layer(FEATURES_LAYER).output
    except ValueError:
        raise ValueError(
            f"the classifier {classifier.name!r} has no layer named {FEATURES_LAYER!r}; "
            "build it with aegan_tutorial.models.build_classifier"
        ) from None
    return keras.Model(classifier.input, features, name=f"{classifier.name}_features")
