"""Helpers of the conditional GAN chapter: the arms that separate the clusters from the conditional networks."""

from __future__ import annotations

import numpy as np
import pytest

from aegan_tutorial import models
from aegan_tutorial.chapters import conditional_gan as chapter


def test_each_arm_is_the_model_it_names(train_images):
    images = train_images[:300]
    encoder = models.build_encoder(32)
    dcgan, none = chapter.ablation_model("dcgan", images)
    assert type(dcgan) is models.GAN and none is None and dcgan.ema_decay is None
    one, none = chapter.ablation_model("one cluster", images, encoder, clusters=100)
    assert isinstance(one, models.SelfConditionedGAN) and one.num_clusters == 1 and none is None
    random, conditions = chapter.ablation_model("random clusters", images, clusters=100, seed=3)
    assert type(random) is models.ConditionalGAN and random.num_classes == 100
    assert conditions.shape == (300,) and conditions.dtype == np.int32 and len(np.unique(conditions)) > 90
    assert np.array_equal(conditions, chapter.ablation_model("random clusters", images, clusters=100, seed=3)[1])
    clustered, none = chapter.ablation_model("autoencoder clusters", images, encoder, clusters=20)
    assert clustered.num_clusters == 20 and clustered.has_clusters
    # the same networks in the three conditional arms: only the conditions differ
    assert random.generator.count_params() == chapter.ablation_model("autoencoder clusters", images, encoder)[0].generator.count_params()
    with pytest.raises(ValueError, match="arm must be one of 'dcgan', 'one cluster'"):
        chapter.ablation_model("labels", images)
    with pytest.raises(ValueError, match="pass its encoder"):
        chapter.ablation_model("one cluster", images)


def test_the_ablation_scores_every_arm_for_every_seed(train_images):
    reference = np.random.default_rng(0).normal(size=(64, 8))
    import aegan_tutorial.chapters.conditional_gan as module

    features = lambda images: np.random.default_rng(len(images)).normal(size=(len(images), 8))
    original = module.classifier_features
    module.classifier_features = features          # the scores' plumbing, not the classifier, is under test
    try:
        out = chapter.cluster_ablation(train_images[:256], reference, [0], 2, models.build_encoder(32), samples=64, clusters=12)   # more conditions than digits
    finally:
        module.classifier_features = original
    assert set(out) == set(chapter.ABLATION_ARMS)
    assert all(len(values) == 1 for arm in out.values() for values in arm.values())
    assert all(0 <= arm["digits_min"][0] <= arm["digits_max"][0] <= 64 for arm in out.values())
