"""Helpers that serve one chapter each, named after the chapter.

The core of the package (``data``, ``models``, ``losses``, ``training``, ``callbacks``,
``metrics``, ``evaluation``, ``plots``, ``pretrained``, ``runs``, ``cli``) never imports
from here; these modules import the core.

* :mod:`~aegan_tutorial.chapters.encoder`: linear probes and PCA;
* :mod:`~aegan_tutorial.chapters.autoencoder`: training small autoencoders, PCA errors, noise;
* :mod:`~aegan_tutorial.chapters.generator`: upsampling arithmetic, checkerboards, codes against the prior;
* :mod:`~aegan_tutorial.chapters.discriminator`: a discriminator trained alone, input gradients;
* :mod:`~aegan_tutorial.chapters.minimax`: the 1-D two-Gaussian game;
* :mod:`~aegan_tutorial.chapters.stacked_autoencoders`, :mod:`~aegan_tutorial.chapters.pretrained_generator`,
  :mod:`~aegan_tutorial.chapters.adversarial_autoencoders`, :mod:`~aegan_tutorial.chapters.began`: the
  experiments of Part III's first chapters;
* :mod:`~aegan_tutorial.chapters.stacked_gans`: noise use, the coarse-to-fine stack, races at equal wall time;
* :mod:`~aegan_tutorial.chapters.cost_data_speed`: cost rows and the Pareto front, GANs on a few images with and
  without differentiable augmentation.
"""
