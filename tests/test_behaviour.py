"""Behaviour bars (issue #3): what the book promises a reader, measured end to end on the
bundled synthetic data with mmlearn alone.

1. Fusion matters: on ``shapes_with_captions`` (default size, seed 0) a fused model beats
   the image-only and the text-only model by at least 15 accuracy points on held-out data
   and itself reaches at least 85%.
2. Transfer learning: an image encoder pretrained without labels (CLIP-style, on
   ``image_caption_pairs``), frozen, plus a softmax head fitted on 5% of the labels beats
   the same network trained from scratch on the same 5% by at least 8 points.
3. Contrastive alignment: the DualEncoder retrieves held-out captions with recall@1 of at
   least 5x chance (both directions), and classifies shapes zero-shot well above chance.

Run with ``-s`` to see the measured numbers; the assertion messages carry them too.
"""

from __future__ import annotations

import numpy as np
import pytest

import mmlearn as mm
from mmlearn import contrastive as C
from mmlearn import data as D
from mmlearn import layers as L
from mmlearn.backend import to_numpy


def _accuracy(model, x, y) -> float:
    return float(np.mean(np.argmax(to_numpy(model.predict(x)), axis=1) == to_numpy(y)))


# -- 1. fusion beats either modality alone -------------------------------------------------
def _encoder(modality: str, vocab_size: int):
    if modality == "text":      # token ids -> mean of embeddings -> features
        return mm.Sequential([L.Embedding(vocab_size, 16), L.GlobalAveragePooling1D(),
                              L.Dense(32, activation="relu")])
    return mm.Sequential([L.Dense(32, activation="relu")])


def _train_multimodal(modalities, fusion, ds, split) -> float:
    x_tr, x_te, y_tr, y_te = split
    mm.set_seed(0)
    model = mm.MultimodalModel(
        encoders={m: _encoder(m, len(ds.vocab)) for m in modalities},
        fusion=fusion,
        head=mm.Sequential([L.Dense(32, activation="relu"),
                            L.Dense(ds.num_classes, activation="softmax")]))
    model.compile(optimizer="adam", loss="sparse_categorical_crossentropy",
                  metrics=["accuracy"])
    model.fit({m: x_tr[m] for m in modalities}, y_tr, epochs=20, batch_size=32, verbose=0)
    return model.evaluate({m: x_te[m] for m in modalities}, y_te, verbose=0)[1]


def test_fusion_beats_each_modality_alone_by_15_points():
    ds = D.shapes_with_captions(seed=0)
    split = D.train_test_split(ds.x, ds.y, test_size=0.2, seed=0)
    image_only = _train_multimodal(["image"], mm.fusion.Concat(), ds, split)
    text_only = _train_multimodal(["text"], mm.fusion.Concat(), ds, split)
    concat = _train_multimodal(["image", "text"], mm.fusion.Concat(), ds, split)
    gated = _train_multimodal(["image", "text"], mm.fusion.Gated(32), ds, split)
    report = (f"held-out accuracy: image only {image_only:.3f}, text only {text_only:.3f}, "
              f"fused (Concat) {concat:.3f}, fused (Gated) {gated:.3f}")
    print("\n" + report)
    for fused in (concat, gated):
        assert fused >= 0.85, report
        assert fused - max(image_only, text_only) >= 0.15, report


# -- 2 and 3. contrastive pretraining, transfer, retrieval, zero-shot -------------------------
@pytest.fixture(scope="module")
def pretrained():
    """A DualEncoder trained on the training pairs of image_caption_pairs (no labels used)."""
    mm.set_backend("numpy")
    mm.set_seed(0)
    ds = D.image_caption_pairs(seed=0)
    x_tr, x_te, y_tr, y_te = D.train_test_split(ds.x, ds.y, test_size=0.2, seed=0)
    image = mm.Sequential([L.Dense(64, activation="relu"), L.Dense(32)])
    text = mm.Sequential([L.Embedding(len(ds.vocab), 32), L.GlobalAveragePooling1D(),
                          L.Dense(32)])
    model = C.DualEncoder(image, text, embed_dim=32)
    history = model.fit(x_tr, epochs=20, batch_size=64, optimizer=mm.optimizers.Adam(0.003),
                        verbose=0)
    return {"ds": ds, "model": model, "split": (x_tr, x_te, y_tr, y_te), "history": history}


def test_pretrained_frozen_encoder_beats_scratch_on_5_percent_of_labels(pretrained):
    x_tr, x_te, y_tr, y_te = pretrained["split"]
    few = int(0.05 * int(y_tr.shape[0]))                      # 80 labelled images
    x_few, y_few = x_tr["image"][:few], y_tr[:few]
    encoder = pretrained["model"].image_encoder
    frozen_before = [w.copy() for w in encoder.get_weights()]

    mm.set_seed(1)
    encoder.trainable = False
    probe = mm.Sequential([encoder, L.Dense(4, activation="softmax")])
    probe.compile(optimizer=mm.optimizers.Adam(0.01), loss="sparse_categorical_crossentropy")
    probe.fit(x_few, y_few, epochs=100, batch_size=16, verbose=0)
    encoder.trainable = True
    mm.set_seed(1)
    scratch = mm.Sequential([L.Dense(64, activation="relu"), L.Dense(32),
                             L.Dense(4, activation="softmax")])
    scratch.compile(optimizer=mm.optimizers.Adam(0.01), loss="sparse_categorical_crossentropy")
    scratch.fit(x_few, y_few, epochs=100, batch_size=16, verbose=0)

    transfer, alone = _accuracy(probe, x_te["image"], y_te), _accuracy(scratch, x_te["image"],
                                                                        y_te)
    report = (f"shape accuracy with {few} labels (held-out {int(y_te.shape[0])}): pretrained "
              f"frozen encoder + head {transfer:.3f}, from scratch {alone:.3f}")
    print("\n" + report)
    for a, b in zip(encoder.get_weights(), frozen_before, strict=True):
        np.testing.assert_array_equal(a, b)                    # frozen means frozen
    assert transfer - alone >= 0.08, report


def test_dual_encoder_retrieves_held_out_captions_well_above_chance(pretrained):
    model, ds = pretrained["model"], pretrained["ds"]
    _, x_te, _, y_te = pretrained["split"]
    losses = pretrained["history"].history["loss"]
    img, txt = model.encode_image(x_te["image"]), model.encode_text(x_te["text"])
    n = int(y_te.shape[0])
    chance = 1.0 / n
    i2t, t2i = C.recall_at_k(img, txt, 1), C.recall_at_k(txt, img, 1)
    i2t_5 = C.recall_at_k(img, txt, 5)
    pred = C.zero_shot_classify(model, x_te["image"], ds.extras["class_texts"])
    zero_shot = float(np.mean(to_numpy(pred) == to_numpy(y_te)))
    report = (f"held-out pairs n={n}: recall@1 image->text {i2t:.4f}, text->image {t2i:.4f} "
              f"(chance {chance:.4f}, bar {5 * chance:.4f}), recall@5 {i2t_5:.4f}; zero-shot "
              f"shape accuracy {zero_shot:.3f} (chance 0.25); InfoNCE {losses[0]:.3f} -> "
              f"{losses[-1]:.3f}, temperature {1 / model.logit_scale:.4f}")
    print("\n" + report)
    assert losses[-1] < 0.5 * losses[0], report
    assert i2t >= 5 * chance and t2i >= 5 * chance, report
    assert zero_shot >= 0.45, report
