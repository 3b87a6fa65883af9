"""What a model costs: its parameters, the multiply-adds of one sample, and how fast it trains.

:func:`multiply_adds` counts, layer by layer, the multiply-adds of one forward pass per image
of the dense and convolution layers, which dominate these networks (normalisation,
activations and additions add a few operations per activation, not per weight, and are left
out). :func:`sampling_networks` says which networks draw a sample of a trained model (a GAN's
generator, a generative autoencoder's decoder, both levels of a stacked GAN), and
:func:`training_speed` times a model's ``fit`` in images per second.
"""

from __future__ import annotations

import math
import time

import keras
import numpy as np
from keras import layers

from ._checks import check_positive_int


def _shape(tensor) -> tuple:
    return tuple(int(d) if d is not None else 1 for d in tensor.shape)


def _layer_multiply_adds(layer: keras.layers.Layer, node) -> int:
    """Multiply-adds per example of one call of ``layer`` (one graph node)."""
    inputs, outputs = node.input_tensors, node.output_tensors
    if not inputs or not outputs:
        return 0
    in_shape, out_shape = _shape(inputs[0])[1:], _shape(outputs[0])[1:]
    if isinstance(layer, layers.Conv2DTranspose):  # every input position spreads a kh × kw × c_out patch
        kh, kw, c_out, c_in = (int(d) for d in layer.kernel.shape)
        return math.prod(in_shape[:-1]) * kh * kw * c_in * c_out
    if isinstance(layer, (layers.Conv1D, layers.Conv2D, layers.Conv3D)):  # every output position reads a patch
        return math.prod(out_shape[:-1]) * int(np.prod(layer.kernel.shape))
    if isinstance(layer, (layers.DepthwiseConv2D, layers.SeparableConv2D)):
        raise NotImplementedError(f"multiply_adds does not count {type(layer).__name__} layers ({layer.name})")
    kernel = getattr(layer, "kernel", None)
    if kernel is not None and len(kernel.shape) == 2:  # a dense layer, over every leading position
        return math.prod(out_shape[:-1]) * int(kernel.shape[0]) * int(kernel.shape[1])
    return 0


def multiply_adds(model: keras.Model) -> int:
    """Multiply-adds of the dense and convolution layers in one forward pass of one example.

    Nested models are counted through (each call of a layer or sub-model counts once).

    Parameters
    ----------
    model
        A built functional or ``Sequential`` Keras model, e.g. a generator ``[B, n] -> [B, 28, 28, 1]``.

    Returns
    -------
    int
        Multiply-adds per example (a ``Dense(m)`` on ``[B, k]``: ``k·m``; a ``Conv2D`` with an
        ``h×w×c_in×c_out`` kernel and ``H×W`` outputs: ``H·W·h·w·c_in·c_out``; a
        ``Conv2DTranspose`` counts its ``H×W`` inputs instead).
    """
    if not isinstance(model, keras.Model) or not model.built:
        raise ValueError(f"multiply_adds needs a built Keras model, got {type(model).__name__}")
    graph = getattr(model, "_functional", model)  # a Sequential model keeps its graph in a functional twin
    calls = getattr(graph, "_nodes", None)  # Keras's keys "<id of the layer>_ib-<index of the call>" of this graph
    if calls is None:
        raise ValueError(f"multiply_adds needs a functional or Sequential model; {model.name} is a subclassed model")
    total = 0
    for layer in graph.layers:
        # the calls of this layer inside this model (a sub-model may also be called by other models)
        nodes = [node for i, node in enumerate(layer._inbound_nodes) if f"{id(layer)}_ib-{i}" in calls]
        if isinstance(layer, keras.Model):
            total += len(nodes) * multiply_adds(layer)
        else:
            total += sum(_layer_multiply_adds(layer, node) for node in nodes)
    return total


def trained_parameters(model: keras.Model) -> int:
    """Number of trainable weights of ``model`` (every player of a trainer; frozen parts and averages excluded)."""
    return int(sum(np.prod(w.shape) for w in model.trainable_weights))


def sampling_networks(model: keras.Model) -> list[keras.Model]:
    """The networks that draw one sample of ``model``, in the order they run.

    A stacked GAN's two generators (features, then image); a GAN's generator; a generative
    autoencoder's decoder.
    """
    top, bottom = getattr(model, "top", None), getattr(model, "bottom", None)
    if top is not None and bottom is not None:
        return [top.generator, bottom.generator]
    for name in ("generator", "decoder"):
        network = getattr(model, name, None)
        if isinstance(network, keras.Model):
            return [network]
    raise ValueError(f"{type(model).__name__} has no generator or decoder to draw samples with")


def sample_multiply_adds(model: keras.Model) -> int:
    """:func:`multiply_adds` of one sample of ``model``, summed over its :func:`sampling_networks`."""
    return sum(multiply_adds(network) for network in sampling_networks(model))


def training_speed(model: keras.Model, dataset, steps: int = 200, warmup: int = 20, blocks: int = 1) -> float:
    """Images per second of ``model.fit`` on ``dataset`` (batches, repeated as needed).

    After ``warmup`` untimed steps (they trace the step), ``blocks`` blocks of ``steps`` steps are
    timed, each in one ``fit`` call, so the figure includes Keras's per-step overhead as training
    does; the fastest block is returned. Other work on the machine can only slow a block down, so
    the fastest block is the closest to what the model costs.
    """
    check_positive_int(steps, "steps")
    check_positive_int(warmup, "warmup")
    check_positive_int(blocks, "blocks")
    batches = dataset.repeat()
    first = next(iter(batches))
    batch_size = int((first[0] if isinstance(first, tuple) else first).shape[0])
    model.fit(batches, epochs=1, steps_per_epoch=warmup, verbose=0)
    fastest = float("inf")
    for _ in range(blocks):
        start = time.perf_counter()
        model.fit(batches, epochs=1, steps_per_epoch=steps, verbose=0)
        fastest = min(fastest, time.perf_counter() - start)
    return steps * batch_size / fastest
