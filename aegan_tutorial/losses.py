r"""The adversarial losses, written on logits.

With :math:`D(x) = \sigma(\ell(x))` the discriminator's probability that :math:`x` is real
and :math:`\ell` its logit, the value function is

.. math::

    V(D, G) = \mathbb{E}_{x}[\log D(x)] + \mathbb{E}_{z}[\log(1 - D(G(z)))].

The discriminator *maximises* :math:`V`; we minimise its negative, a binary
cross-entropy with real → 1 and fake → 0. Using :math:`\log\sigma(\ell) = -\operatorname{softplus}(-\ell)`
and :math:`\log(1-\sigma(\ell)) = -\operatorname{softplus}(\ell)` keeps every term finite
for any logit.

The generator *minimises* :math:`V`; only the second term depends on it. Minimising
:math:`\log(1 - D(G(z)))` directly (``"minimax"``) gives vanishing gradients while the
discriminator still wins easily, so the usual choice (``"non_saturating"``) is to
maximise :math:`\log D(G(z))` instead.
"""

from __future__ import annotations

from typing import Literal

from keras import ops

GeneratorLoss = Literal["non_saturating", "minimax"]
GENERATOR_LOSSES = ("non_saturating", "minimax")


def discriminator_loss(real_logits, fake_logits, label_smoothing: float = 0.0):
    """Minus the value function, averaged over the batch.

    Parameters
    ----------
    real_logits, fake_logits
        ``[B, 1]`` discriminator logits on real and generated images.
    label_smoothing
        One-sided label smoothing: real targets become ``1 - label_smoothing``.

    Returns
    -------
    Scalar float32 tensor: ``-E[log D(x)] - E[log(1 - D(G(z)))]``.
    """
    real_logits = ops.cast(real_logits, "float32")
    fake_logits = ops.cast(fake_logits, "float32")
    target = 1.0 - label_smoothing
    # BCE(target, ℓ) = target·softplus(-ℓ) + (1 - target)·softplus(ℓ)
    real_term = target * ops.softplus(-real_logits) + (1.0 - target) * ops.softplus(real_logits)
    fake_term = ops.softplus(fake_logits)
    return ops.mean(real_term) + ops.mean(fake_term)


def generator_loss(fake_logits, kind: GeneratorLoss = "non_saturating"):
    """The generator's loss on the discriminator's logits for generated images.

    Parameters
    ----------
    fake_logits
        ``[B, 1]`` logits ``ℓ(G(z))``.
    kind
        ``"non_saturating"``: ``-E[log D(G(z))]``; ``"minimax"``: ``E[log(1 - D(G(z)))]``.

    Returns
    -------
    Scalar float32 tensor.
    """
    fake_logits = ops.cast(fake_logits, "float32")
    if kind == "non_saturating":
        return ops.mean(ops.softplus(-fake_logits))
    if kind == "minimax":
        return -ops.mean(ops.softplus(fake_logits))
    raise ValueError(f"generator loss must be one of {GENERATOR_LOSSES}, got {kind!r}")
