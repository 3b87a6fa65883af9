"""aegan_tutorial: the package behind the book *Autoencoders and GANs in Keras*.

Modules: :mod:`~aegan_tutorial.data` (MNIST and pipelines), :mod:`~aegan_tutorial.models`
(encoder, decoder, generator, discriminator, ``Autoencoder``, ``GAN``),
:mod:`~aegan_tutorial.losses` (the adversarial losses), :mod:`~aegan_tutorial.training`
(guarded steps, non-finite stops), :mod:`~aegan_tutorial.metrics` (Fréchet distance,
precision and recall, class accuracy), :mod:`~aegan_tutorial.pretrained` (the book's trained
models), :mod:`~aegan_tutorial.runs` and ``python -m aegan_tutorial`` (resumable training
from the command line) and :func:`set_seed`.

The trainers' ``train_step`` uses ``tf.GradientTape``, so Keras must run on the
TensorFlow backend (the default); importing the package sets ``KERAS_BACKEND`` to
``tensorflow`` when it is unset and, unless ``TF_CPP_MIN_LOG_LEVEL`` is already set, sets it
to 3 so TensorFlow's C++ log stays out of notebooks (Python exceptions still carry every
error message).
"""

import os

os.environ.setdefault("KERAS_BACKEND", "tensorflow")
os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")

from ._quiet import quiet_native_stderr  # noqa: E402

with quiet_native_stderr():
    import keras
    import tensorflow as tf

    tf.config.list_physical_devices("GPU")  # CUDA discovery logs its own lines once

if keras.backend.backend() != "tensorflow":
    raise ImportError(
        f"aegan_tutorial needs Keras on the TensorFlow backend, but KERAS_BACKEND is "
        f"{keras.backend.backend()!r}; set KERAS_BACKEND=tensorflow before importing keras"
    )

from .reproducibility import set_seed  # noqa: E402

__version__ = "0.1.0"
__all__ = ["set_seed", "__version__"]
