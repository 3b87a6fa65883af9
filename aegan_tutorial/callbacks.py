"""Keras callbacks: watching a GAN train, and stopping a run safely.

* :class:`StopOnNonFiniteLoss` (added by every ``fit`` in this package, through
  :func:`with_nonfinite_guard`) stops a run at the first batch whose logged loss is not finite
  and raises :class:`NonFiniteLossError`, naming the step and the loss; :class:`StopAfter`
  stops it once a number of seconds has passed.
* :class:`FixedNoiseSamples` keeps the generator's images for one fixed batch of noise
  ``z`` after every epoch, so the same digits can be watched improving (and, optionally,
  writes each grid as a PNG).
* :class:`LossHistory` records ``d_loss`` and ``g_loss`` after every training step.
  Keras logs a *running mean* over the epoch after each batch (the trackers of
  :class:`~aegan_tutorial.models.GAN` are ``keras.metrics.Mean``); the callback undoes
  that average, so ``history["d_loss"][i]`` is the loss of step ``i`` alone.

The last two work with :class:`~aegan_tutorial.models.GAN` and with any model that has a
``generator`` attribute (``[B, noise_dim] -> [B, 28, 28, 1]``, tanh or sigmoid output).
"""

from __future__ import annotations

import math
import os
import threading
import time
from pathlib import Path

import keras
import numpy as np

from ._checks import apply_in_batches, check_positive_int
from .data import output_scale, to_uint8

__all__ = [
    "FixedNoiseSamples",
    "LossHistory",
    "NonFiniteLossError",
    "StopAfter",
    "StopOnNonFiniteLoss",
    "tile",
    "with_nonfinite_guard",
]


def tile(images: np.ndarray, ncols: int = 8, pad: int = 2) -> np.ndarray:
    """Lay ``uint8 [N, H, W]`` images out in one ``uint8`` picture, ``ncols`` per row.

    The gaps (``pad`` pixels) and unused cells are white (255). Returns
    ``uint8 [rows * (H + pad) + pad, ncols * (W + pad) + pad]``.
    """
    images = np.asarray(images)
    if images.ndim != 3 or images.dtype != np.uint8:
        raise ValueError(f"tile expects uint8 images [N, H, W], got {images.dtype} {list(images.shape)}")
    check_positive_int(ncols, "ncols")
    n, h, w = images.shape
    rows = max(1, -(-n // ncols))
    canvas = np.full((rows * (h + pad) + pad, ncols * (w + pad) + pad), 255, np.uint8)
    for i, image in enumerate(images):
        r, c = divmod(i, ncols)
        top, left = pad + r * (h + pad), pad + c * (w + pad)
        canvas[top : top + h, left : left + w] = image
    return canvas


class FixedNoiseSamples(keras.callbacks.Callback):
    """Draw the generator's images for the same noise after every ``every`` epochs.

    Parameters
    ----------
    noise_or_n
        Either the noise itself, float ``[N, noise_dim]``, or a number ``N`` of images:
        then ``N`` noise vectors ``z ~ N(0, I)`` are drawn once, from ``seed``, when
        training begins (their size is read from the generator's input).
    seed
        Seed of that noise (NumPy's generator; independent of the global seed, so the
        callback does not change the run it watches).
    every
        Keep a grid after epochs ``every``, ``2 * every``, ... (and after the last epoch).
    directory
        If given, also write each grid as ``epoch_001.png``, ... in this folder (created
        if missing), ``ncols`` images per row, ink dark on white.
    ncols
        Images per row of the PNGs.
    at_start
        Also keep the grid of the untrained generator, as epoch 0.

    Attributes
    ----------
    grids : list of np.ndarray
        ``uint8 [N, 28, 28]`` per kept epoch, 0 = background, 255 = ink (as
        :func:`~aegan_tutorial.data.load_mnist`).
    epochs : list of int
        The 1-based epoch of each grid (0: before training).
    noise : np.ndarray
        float32 ``[N, noise_dim]``, the same for every grid.
    paths : list of pathlib.Path
        The PNGs written.
    """

    def __init__(
        self,
        noise_or_n,
        seed: int = 0,
        every: int = 1,
        directory: str | os.PathLike | None = None,
        ncols: int = 8,
        at_start: bool = False,
    ):
        super().__init__()
        if isinstance(noise_or_n, (int, np.integer)) and not isinstance(noise_or_n, bool):
            self.n = check_positive_int(int(noise_or_n), "the number of images")
            self.noise = None
        else:
            noise = np.asarray(noise_or_n, dtype=np.float32) if not isinstance(noise_or_n, bool) else None
            if noise is None or noise.ndim != 2 or len(noise) == 0:
                raise ValueError(
                    "noise_or_n must be a positive number of images or noise of shape [N, noise_dim], got "
                    + (f"shape {list(noise.shape)}" if noise is not None else repr(noise_or_n))
                )
            if not np.all(np.isfinite(noise)):
                raise ValueError("the fixed noise contains NaN or infinite values")
            self.n, self.noise = len(noise), noise
        self.seed = check_positive_int(seed, "seed", minimum=0)
        self.every = check_positive_int(every, "every")
        self.ncols = check_positive_int(ncols, "ncols")
        self.directory = Path(directory) if directory is not None else None
        self.at_start = bool(at_start)
        self.grids: list[np.ndarray] = []
        self.epochs: list[int] = []
        self.paths: list[Path] = []

    def _generator(self) -> keras.Model:
        if hasattr(self.model, "averaged_generator"):  # a GAN draws from the average of its weights
            return self.model.averaged_generator()
        generator = getattr(self.model, "generator", None)
        if generator is None:
            raise TypeError(
                f"FixedNoiseSamples watches a model with a .generator (such as GAN); "
                f"{type(self.model).__name__} has none"
            )
        return generator

    def on_train_begin(self, logs=None):
        generator = self._generator()
        noise_dim = generator.input_shape[-1]
        if self.noise is None:
            self.noise = np.random.default_rng(self.seed).standard_normal((self.n, noise_dim)).astype(np.float32)
        elif self.noise.shape[1] != noise_dim:
            raise ValueError(f"the fixed noise has {self.noise.shape[1]} columns but the generator reads noise of size {noise_dim}")
        self._last_kept = None
        if self.at_start and not self.epochs:
            self._keep(0)

    def on_epoch_end(self, epoch, logs=None):
        if (epoch + 1) % self.every == 0:
            self._keep(epoch + 1)
        self._last_epoch = epoch + 1

    def on_train_end(self, logs=None):
        last = getattr(self, "_last_epoch", None)
        if last is not None and (not self.epochs or self.epochs[-1] != last):
            self._keep(last)  # the final state is always kept

    def sample(self) -> np.ndarray:
        """The generator's current images for the fixed noise: ``uint8 [N, 28, 28]``."""
        generator = self._generator()
        scale = output_scale(generator) or "tanh"
        return to_uint8(apply_in_batches(generator, self.noise), scale)

    def _keep(self, epoch: int) -> None:
        grid = self.sample()
        self.grids.append(grid)
        self.epochs.append(epoch)
        if self.directory is not None:
            import matplotlib.image

            self.directory.mkdir(parents=True, exist_ok=True)
            path = self.directory / f"epoch_{epoch:03d}.png"
            matplotlib.image.imsave(path, tile(grid, self.ncols), cmap="gray_r", vmin=0, vmax=255)
            self.paths.append(path)


class LossHistory(keras.callbacks.Callback):
    """Record the losses of every training step (and every epoch's mean).

    Parameters
    ----------
    keys
        The logged losses to record; by default ``("d_loss", "g_loss")``, what
        :class:`~aegan_tutorial.models.GAN` logs.

    Attributes
    ----------
    history : dict[str, list[float]]
        Per key, one value per step: that step's loss (Keras's running epoch mean, undone).
        With ``steps_per_execution = k`` a value covers the ``k`` steps Keras ran at once.
    steps : list[int]
        The 1-based global step of each value (steps since the first ``fit`` began;
        a second ``fit`` continues the count).
    epochs : dict[str, list[float]]
        Per key, the mean over each epoch (what Keras's ``History`` holds).
    epoch_steps : list[int]
        The global step at the end of each epoch.
    """

    def __init__(self, keys=("d_loss", "g_loss")):
        super().__init__()
        if isinstance(keys, str) or not keys or not all(isinstance(k, str) for k in keys):
            raise ValueError(f"keys must be a non-empty sequence of log names, got {keys!r}")
        self.keys = tuple(keys)
        self.history: dict[str, list[float]] = {k: [] for k in self.keys}
        self.epochs: dict[str, list[float]] = {k: [] for k in self.keys}
        self.steps: list[int] = []
        self.epoch_steps: list[int] = []
        self._step = 0

    def on_epoch_begin(self, epoch, logs=None):
        self._seen = 0  # batches of this epoch already logged
        self._means = {k: 0.0 for k in self.keys}

    def on_train_batch_end(self, batch, logs=None):
        logs = logs or {}
        missing = [k for k in self.keys if k not in logs]
        if missing:
            raise KeyError(f"LossHistory records {missing} but the model logs only {sorted(logs)}")
        seen = batch + 1
        new = seen - self._seen
        for key in self.keys:
            mean = float(logs[key])
            # the log is the mean of batches 1..seen: take the last `new` batches' share out of it
            value = (seen * mean - self._seen * self._means[key]) / new if math.isfinite(mean) else mean
            self.history[key].append(value)
            self._means[key] = mean
        self._step += new
        self._seen = seen
        self.steps.append(self._step)

    def on_epoch_end(self, epoch, logs=None):
        logs = logs or {}
        for key in self.keys:
            self.epochs[key].append(float(logs[key]) if key in logs else float("nan"))
        self.epoch_steps.append(self._step)

    def __len__(self) -> int:
        return len(self.steps)


class NonFiniteLossError(FloatingPointError):
    """A loss became NaN or infinite; training stopped with the last finite weights.

    Attributes
    ----------
    name : str
        The loss that went non-finite, e.g. ``"d_loss"``.
    value : float
        Its value (``nan`` or ``±inf``).
    step : int
        The 1-based training step (batch count since ``fit`` began) at which it was seen.
    epoch : int
        The 1-based epoch.
    first_step : int
        The first step it can have happened at: ``step`` itself, unless ``fit`` ran several
        steps per call (``compile(steps_per_execution=k)``), when the logs arrive once per ``k``
        steps and the error names the steps ``first_step``–``step``.
    """

    def __init__(self, name: str, value: float, step: int, epoch: int, first_step: int | None = None):
        self.name, self.value, self.step, self.epoch = name, value, step, epoch
        self.first_step = step if first_step is None else first_step
        where = f"at step {step}" if self.first_step == step else f"in steps {self.first_step}-{step}"
        super().__init__(
            f"{name} became {value} {where} (epoch {epoch}); training stopped. "
            "The update of that step was skipped, so the model keeps its last finite "
            "weights. Check the inputs for NaN or infinite pixels, or lower the learning rate."
        )


class StopOnNonFiniteLoss(keras.callbacks.Callback):
    """Stop at the first non-finite loss and raise :class:`NonFiniteLossError` naming its step.

    Keras calls it with the logs of every call of the training function: after every step, or,
    with ``compile(steps_per_execution=k)``, after every ``k`` steps. The logs hold the running
    means of the losses over the epoch, so the first call whose logs are not finite contains the
    first bad step: the error names that step, or the ``k`` steps of that call. The check itself
    never reads the device more often than Keras does for its own callbacks (History, the
    progress bar), and on a GPU the way to read it less often is ``steps_per_execution``: then
    Keras copies the logs to the host once per ``k`` steps, and this check runs as often.

    It only notes the bad step and sets ``stop_training``, so the loop ends after the call it
    is running, and raises when that epoch ends, before any other epoch-end callback (a
    checkpoint, a sample grid) can act. It is ``async_safe``: on backends that hand the logs to
    callbacks on a worker thread, it does not make the loop wait. The steps run in between
    cannot spoil the weights: an update whose gradients are not finite is skipped
    (:func:`~aegan_tutorial.training.guard_optimizer`), so the model keeps finite weights.
    """

    async_safe = True

    def on_train_begin(self, logs=None):
        self._steps_before_epoch = 0
        self._steps_in_epoch = 0
        self._epoch = 0
        self._first = None  # (first_step, step, epoch, name, value) of the first non-finite loss
        self._lock = threading.Lock()

    def on_epoch_begin(self, epoch, logs=None):
        self._epoch = epoch
        self._steps_before_epoch += self._steps_in_epoch
        self._steps_in_epoch = 0
        self._seen = []  # the batches checked this epoch

    def on_train_batch_end(self, batch, logs=None):
        bad = [(name, float(value)) for name, value in (logs or {}).items()
               if "loss" in name and not math.isfinite(float(value))]
        with self._lock:  # on a worker thread, calls may come out of order
            self._steps_in_epoch = max(self._steps_in_epoch, batch + 1)
            self._seen.append(batch)
            if bad:
                before = max((b for b in self._seen if b < batch), default=-1)  # the previous call's last batch
                step = self._steps_before_epoch + batch + 1
                if self._first is None or step < self._first[1]:
                    self._first = (self._steps_before_epoch + before + 2, step, self._epoch + 1, *bad[0])
                self.model.stop_training = True

    def on_epoch_end(self, epoch, logs=None):
        if self._first is not None:
            first_step, step, epoch, name, value = self._first
            raise NonFiniteLossError(name, value, step, epoch, first_step)


class StopAfter(keras.callbacks.Callback):
    """Stop training once ``seconds`` of wall time have passed (checked after every batch).

    The batch running when time is up finishes, so the model always ends on a whole step.
    ``elapsed`` and ``steps`` say how long it trained and for how many steps.
    """

    def __init__(self, seconds: float):
        super().__init__()
        if not seconds > 0:
            raise ValueError(f"seconds must be positive, got {seconds!r}")
        self.seconds = float(seconds)

    def on_train_begin(self, logs=None):
        self._start = time.perf_counter()
        self.elapsed = 0.0
        self.steps = 0

    def on_train_batch_end(self, batch, logs=None):
        self.steps += 1
        self.elapsed = time.perf_counter() - self._start
        if self.elapsed >= self.seconds:
            self.model.stop_training = True


def with_nonfinite_guard(callbacks) -> list:
    """``callbacks`` with a :class:`StopOnNonFiniteLoss` first, unless one is already there.

    First, so that no later callback (a checkpoint, a sample grid) acts on a step whose
    loss was not finite.
    """
    callbacks = list(callbacks or [])
    if not any(isinstance(c, StopOnNonFiniteLoss) for c in callbacks):
        callbacks.insert(0, StopOnNonFiniteLoss())
    return callbacks
