"""``mm.attention``: multi-head attention (it lives in ``mmlearn.nn.attention``)."""

from mmlearn.nn.attention import MultiHeadAttention

__all__ = ["MultiHeadAttention"]
