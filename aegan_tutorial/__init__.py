"""aegan_tutorial: the package behind the book *Autoencoders and GANs in Keras*.

The core, which every chapter may use: :mod:`~aegan_tutorial.data` (MNIST, pixel scales,
input checks, pipelines), :mod:`~aegan_tutorial.models` (builders, trainers, and the
registry of the book's named models), :mod:`~aegan_tutorial.losses` (the adversarial
losses), :mod:`~aegan_tutorial.training` (the guarded gradient step),
:mod:`~aegan_tutorial.callbacks` (watching and stopping a run), :mod:`~aegan_tutorial.metrics`
(numbers from images or features), :mod:`~aegan_tutorial.evaluation` (the judge, the
reference images, one scorer), :mod:`~aegan_tutorial.plots`, :mod:`~aegan_tutorial.pretrained`
(the book's trained models), :mod:`~aegan_tutorial.runs` and ``python -m aegan_tutorial``
(resumable training from the command line) and :func:`set_seed`. Helpers that serve a single
chapter live in :mod:`aegan_tutorial.chapters`, which the core never imports.

Importing the package registers its Keras classes (``GAN``, ``ConditionalGAN``,
``Autoencoder``), so ``keras.models.load_model`` reads every checkpoint the command line
writes after a plain ``import aegan_tutorial``.

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

from ._versions import check_frameworks  # noqa: E402

check_frameworks(tf.__version__, keras.__version__)

if keras.backend.backend() != "tensorflow":
    raise ImportError(
        f"aegan_tutorial needs Keras on the TensorFlow backend, but KERAS_BACKEND is "
        f"{keras.backend.backend()!r}; set KERAS_BACKEND=tensorflow before importing keras"
    )

from . import models  # noqa: E402,F401  (registers the Keras classes for load_model)
from .reproducibility import set_seed  # noqa: E402

__version__ = "0.5.0"
__all__ = ["set_seed", "__version__"]
