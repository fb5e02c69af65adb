"""Contrastive alignment of two modalities, CLIP-style (Radford et al., 2021): the names
chapter 6 uses, gathered from where each lives.

    InfoNCE(temperature=None)      the loss (:mod:`mmlearn.losses`)
    DualEncoder(img, txt, E)       the two towers (:mod:`mmlearn.models`), trained by ``fit``
    zero_shot_classify(m, x, c)    nearest class prompt in the shared space (:mod:`mmlearn.metrics`)
    recall_at_k(q, t, k)           is the partner among the k nearest? (:mod:`mmlearn.metrics`)
"""

from mmlearn.losses import InfoNCE
from mmlearn.metrics import recall_at_k, zero_shot_classify
from mmlearn.models.dual_encoder import DualEncoder

__all__ = ["DualEncoder", "InfoNCE", "recall_at_k", "zero_shot_classify"]
