"""Text as numbers: a word :class:`Vocabulary` (text -> padded ids -> text) and
:func:`bag_of_words` (ids -> word counts, the input a ``Dense`` text encoder reads)."""

from __future__ import annotations

import re
from collections.abc import Iterable, Sequence
from typing import Any

import numpy as np

from mmlearn._validation import check_int
from mmlearn.backend import array_namespace, is_array, to_numpy
from mmlearn.data._generate import as_int

__all__ = ["Vocabulary", "bag_of_words"]

_TOKEN = re.compile(r"[\w']+|[^\w\s]")


class Vocabulary:
    """A word-level tokeniser: text -> padded integer ids -> text.

    Ids 0 and 1 are reserved: ``<pad>`` (padding, id 0) and ``<unk>`` (a word not in the
    vocabulary, id 1); the words follow from id 2 in the order given.
    Tokenising lower-cases the text and splits it into words and punctuation marks, so

        vocab.decode(vocab.encode(texts)) == [" ".join(vocab.tokenize(t)) for t in texts]

    whenever every word is known and no text is longer than ``max_len``.

    Args:
        tokens: the words, in id order (duplicates are ignored).
        max_len: length every encoded text is padded (or cut) to; ``None`` means the
            longest text of each :meth:`encode` call.
    """

    PAD = "<pad>"
    UNK = "<unk>"

    def __init__(self, tokens: Iterable[str] = (), max_len: int | None = None) -> None:
        if isinstance(tokens, str):
            raise TypeError("Vocabulary: tokens must be a list of words, got a single str "
                            f"{tokens!r}; use Vocabulary.fit(texts) to build one from texts")
        self._tokens: list[str] = [self.PAD, self.UNK]
        self._index: dict[str, int] = {self.PAD: 0, self.UNK: 1}
        for tok in tokens:
            if not isinstance(tok, str) or not tok:
                raise TypeError(f"Vocabulary: every token must be a non-empty str, got {tok!r}")
            tok = tok.lower()
            if tok not in self._index:
                self._index[tok] = len(self._tokens)
                self._tokens.append(tok)
        self.max_len = None if max_len is None else check_int(
            max_len, "max_len", "Vocabulary", wrong_type=TypeError)

    @classmethod
    def fit(cls, texts: Sequence[str], max_len: int | None = None) -> Vocabulary:
        """Vocabulary of every word in ``texts``, in order of first appearance.

        ``max_len`` defaults to the longest text, so encoding ``texts`` cuts nothing.
        """
        texts = _as_texts(texts, "texts", "Vocabulary.fit")
        tokenized = [cls.tokenize(t) for t in texts]
        words = [w for toks in tokenized for w in toks]
        if max_len is None:
            max_len = max((len(t) for t in tokenized), default=0) or 1
        return cls(words, max_len=max_len)

    @staticmethod
    def tokenize(text: str) -> list[str]:
        """Lower-cased words and punctuation marks: ``"Not bad!"`` -> ``["not", "bad", "!"]``."""
        if not isinstance(text, str):
            raise TypeError(f"Vocabulary.tokenize: text must be a str, got {type(text).__name__}")
        return _TOKEN.findall(text.lower())

    @property
    def tokens(self) -> list[str]:
        """Every token, in id order (``tokens[0] == "<pad>"``)."""
        return list(self._tokens)

    def __len__(self) -> int:
        return len(self._tokens)

    def __contains__(self, token: object) -> bool:
        return isinstance(token, str) and token.lower() in self._index

    def index(self, token: str) -> int:
        """Id of ``token`` (the ``<unk>`` id, 1, when it is unknown)."""
        if not isinstance(token, str):
            raise TypeError(f"Vocabulary.index: token must be a str, got {type(token).__name__}")
        return self._index.get(token.lower(), 1)

    def encode(self, texts: str | Sequence[str], max_len: int | None = None) -> Any:
        """Ids of ``texts``, shape (n, max_len) int64 on the active backend.

        Each text becomes its token ids, cut to ``max_len`` and padded with 0 at the end.
        A single str gives shape (1, max_len). Unknown words become 1 (``<unk>``).
        """
        if isinstance(texts, str):
            texts = [texts]
        texts = _as_texts(texts, "texts", "Vocabulary.encode")
        tokenized = [self.tokenize(t) for t in texts]
        if max_len is None:
            max_len = self.max_len
        if max_len is None:
            max_len = max((len(t) for t in tokenized), default=0) or 1
        max_len = check_int(max_len, "max_len", "Vocabulary.encode", wrong_type=TypeError)
        ids = np.zeros((len(texts), max_len), dtype=np.int64)
        for row, toks in enumerate(tokenized):
            seq = [self._index.get(t, 1) for t in toks[:max_len]]
            ids[row, :len(seq)] = seq
        return as_int(ids)

    def decode(self, ids: Any, skip_pad: bool = True) -> list[str]:
        """Texts of ids of shape (n, steps) (or one row (steps,)); padding is dropped."""
        arr = to_numpy(ids) if is_array(ids) else np.asarray(ids)
        if arr.ndim == 1:
            arr = arr[None, :]
        if arr.ndim != 2:
            raise ValueError(f"Vocabulary.decode: ids must have shape (n, steps), "
                             f"got {arr.shape}")
        if arr.size and (arr.dtype.kind not in "iu" and not np.all(arr == np.round(arr))):
            raise TypeError(f"Vocabulary.decode: ids must be integers, got dtype {arr.dtype}")
        arr = arr.astype(np.int64)
        if arr.size and (arr.min() < 0 or arr.max() >= len(self)):
            bad = int(arr.min()) if arr.min() < 0 else int(arr.max())
            raise ValueError(f"Vocabulary.decode: ids must be in [0, {len(self) - 1}], got {bad}")
        return [" ".join(self._tokens[i] for i in row if not (skip_pad and i == 0))
                for row in arr]

    def bag_of_words(self, ids: Any) -> Any:
        """Word counts of encoded texts, shape (n, len(vocab)) float32; padding is not counted.

        The order of the words is lost, which is what a bag is. See :func:`bag_of_words`.
        """
        return bag_of_words(ids, len(self))

    def __repr__(self) -> str:
        return f"<Vocabulary {len(self)} tokens, max_len={self.max_len}>"


def _as_texts(texts: Any, arg: str, who: str) -> list[str]:
    if isinstance(texts, str) or not isinstance(texts, Sequence | np.ndarray):
        raise TypeError(f"{who}: {arg} must be a list of str, got {type(texts).__name__}")
    texts = list(texts)
    for t in texts:
        if not isinstance(t, str):
            raise TypeError(f"{who}: {arg} must be a list of str, got an item of type "
                            f"{type(t).__name__}")
    return texts


def bag_of_words(ids: Any, vocab_size: int) -> Any:
    """Counts of each id per row: (n, steps) int ids -> (n, vocab_size) float32.

    ``counts[i, v] = #{t : ids[i, t] == v}`` for v ≥ 1; column 0 (padding) stays 0.
    A text encoder made of ``Dense`` layers can read this directly.
    """
    vocab_size = check_int(vocab_size, "vocab_size", "bag_of_words", wrong_type=TypeError)
    if not is_array(ids):
        try:
            host = np.asarray(ids)
        except ValueError as err:                # ragged rows
            raise ValueError("bag_of_words: ids must be an (n, steps) array of token ids, "
                             "every row the same length (pad them, as Vocabulary.encode "
                             "does)") from err
        if host.dtype.kind not in "iu" and host.size:
            raise TypeError(f"bag_of_words: ids must be integers, got dtype {host.dtype}")
        ids = as_int(host)
    xp = array_namespace(ids)
    if ids.ndim != 2:
        raise ValueError(f"bag_of_words: ids must have shape (n, steps), got {tuple(ids.shape)}")
    if not xp.isdtype(ids.dtype, "integral"):
        raise TypeError(f"bag_of_words: ids must be integers, got dtype {ids.dtype}")
    if ids.shape[0] * ids.shape[1]:
        low, high = int(xp.min(ids)), int(xp.max(ids))
        if low < 0 or high >= vocab_size:
            raise ValueError(f"bag_of_words: ids must be in [0, {vocab_size - 1}], "
                             f"got {low if low < 0 else high}")
    # One step at a time: memory (n, V) like the result, never the (n, steps, V) one-hot.
    words = xp.arange(vocab_size, dtype=ids.dtype)[None, :]                   # (1, V)
    counts = xp.zeros((int(ids.shape[0]), vocab_size), dtype=xp.float32)
    for t in range(int(ids.shape[1])):
        counts += xp.astype(ids[:, t:t + 1] == words, xp.float32)            # (n, V)
    counts *= xp.astype(words != 0, xp.float32)                               # drop <pad>
    return counts

