"""all-MiniLM-L6-v2 in numpy: the only module importing numpy and tokenizers.

Imported only when semantic search is on (``kb.search.semantic.load``), so a
site without the extra never pays for it. The model is the one
sentence-transformers runs: BERT (embeddings, 6 encoder layers with 12 heads,
post-layer-norm, exact GELU), then the mean of the token vectors and an L2
normalisation. No torch: the weights are read from the package's
``model.safetensors`` (a JSON header and raw little-endian arrays, never a
pickle), memory-mapped, so the workers of a node share their pages.
"""
from __future__ import annotations

import hashlib
import json
import mmap
import multiprocessing
import struct
from pathlib import Path

import numpy as np
from tokenizers import Tokenizer

LAYERS = 6
HEADS = 12
HIDDEN = 384
EPS = 1e-12
WEIGHTS = "model.safetensors"
TOKENIZER = "tokenizer.json"
DTYPES = {"F32": np.float32, "I64": np.int64}
BATCH = 64  # texts per pass through the model: 32 to 128 were within 3 % of each other
# Rows (tokens) at most for the transposed product in _dense, and per block of the inner layer.
SMALL = 64
BLOCK = 256


class ModelError(Exception):
    """The model files are missing, altered or not what we expect; the message says which."""


def read_safetensors(path: Path, sha256: str) -> dict[str, np.ndarray]:
    """The tensors of a safetensors file as read-only views of one memory map.

    The file's SHA-256 must be ``sha256``: hashed through the same map the
    arrays are read from, so what was checked is what runs.
    """
    try:
        with open(path, "rb") as handle:
            mapped = mmap.mmap(handle.fileno(), 0, access=mmap.ACCESS_READ)
    except (OSError, ValueError) as error:
        raise ModelError(f"cannot read {path}: {error}") from error
    found = hashlib.sha256(mapped).hexdigest()
    if found != sha256:
        raise ModelError(f"{path} has SHA-256 {found}, expected {sha256}: refusing to load it")
    (length,) = struct.unpack("<Q", mapped[:8])
    header = json.loads(mapped[8:8 + length])
    start = 8 + length
    tensors = {}
    for name, spec in header.items():
        if name == "__metadata__":
            continue
        begin, end = spec["data_offsets"]
        dtype = np.dtype(DTYPES[spec["dtype"]]).newbyteorder("<")
        count = (end - begin) // dtype.itemsize
        tensors[name] = np.frombuffer(mapped, dtype=dtype, count=count, offset=start + begin).reshape(spec["shape"])
    return tensors


def _gelu(h: np.ndarray, scratch: np.ndarray) -> np.ndarray:
    """Exact GELU, 0.5 * h * (1 + erf(h / sqrt 2)), computed in place on ``h``.

    numpy has no vectorised erf: Abramowitz & Stegun 7.1.26 (error below
    1.5e-7) on |h|, since h * erf(h / sqrt 2) = |h| * erf(|h| / sqrt 2).
    In place, in ``scratch`` (three arrays with at least the rows of ``h``)
    and on a block of rows that stays in cache: the same formula written as
    expressions allocated some twenty arrays the size of the layer and took
    a third of the time of embedding a passage.
    """
    a, t, poly = scratch[0, :len(h)], scratch[1, :len(h)], scratch[2, :len(h)]
    np.abs(h, out=a)
    np.multiply(a, np.float32(0.7071067811865476 * 0.3275911), out=t)
    t += 1.0
    np.reciprocal(t, out=t)
    np.multiply(t, np.float32(1.061405429), out=poly)
    for c in (-1.453152027, 1.421413741, -0.284496736, 0.254829592):
        poly += c
        poly *= t
    np.square(a, out=t)
    t *= np.float32(-0.5)
    np.exp(t, out=t)
    poly *= t  # 1 - erf(|h| / sqrt 2)
    np.subtract(1.0, poly, out=poly)
    poly *= a
    h += poly
    h *= 0.5
    return h


def _layer_norm(x: np.ndarray, weight: np.ndarray, bias: np.ndarray) -> np.ndarray:
    """Layer normalisation of the rows of ``x``, in place."""
    x -= x.mean(-1, keepdims=True)
    scale = np.einsum("ij,ij->i", x, x)[:, None]
    scale /= x.shape[-1]
    scale += EPS
    np.sqrt(scale, out=scale)
    x /= scale
    x *= weight
    x += bias
    return x


def _dense(x: np.ndarray, weight: np.ndarray, bias: np.ndarray, out: np.ndarray) -> np.ndarray:
    """x @ weight.T + bias, for rows of tokens, written into the first rows of ``out``.

    A question is a few rows: then (weight @ x.T).T is twice as fast in
    OpenBLAS as x @ weight.T (weights are stored output-major), without
    keeping a transposed copy of the weights per worker. numpy cannot write
    that product into ``out`` directly: it is copied there (a question's
    rows are few).
    """
    out = out[:len(x)]
    if len(x) <= SMALL:
        out[...] = (weight @ x.T).T
    else:
        np.matmul(x, weight.T, out=out)
    out += bias
    return out


class Embedder:
    """Sentences in, unit vectors of 384 float32 out; deterministic."""

    dimensions = HIDDEN

    def __init__(self, model_dir: Path, sha256: str):
        self.model_dir = model_dir
        self._w = read_safetensors(model_dir / WEIGHTS, sha256)
        try:
            self.tokenizer = Tokenizer.from_file(str(model_dir / TOKENIZER))
        except Exception as error:  # tokenizers raises a bare Exception for a missing or bad file
            raise ModelError(f"cannot read {model_dir / TOKENIZER}: {error}") from error
        expected = {"embeddings.word_embeddings.weight": (30522, HIDDEN),
                    f"encoder.layer.{LAYERS - 1}.output.dense.weight": (HIDDEN, 4 * HIDDEN)}
        for name, shape in expected.items():
            if name not in self._w or self._w[name].shape != shape:
                raise ModelError(f"{model_dir / WEIGHTS} is not all-MiniLM-L6-v2: no {name} of shape {shape}")

    def embed(self, texts: list[str], max_tokens: int = 128, processes: int = 1) -> np.ndarray:
        """One unit vector per text (float32, shape (len(texts), 384)); longer texts are cut at ``max_tokens``.

        Texts go through the model in batches of similar length (little
        padding). ``processes`` > 1 (the index build) shares the batches out
        to that many forked processes: BLAS runs on one core per process (see
        the top of this module), and the weights are a shared memory map, so
        a process costs its working arrays only. Tokenising stays in this
        process: the tokenizers library's threads do not survive a fork.
        """
        self.tokenizer.enable_truncation(max_tokens)
        self.tokenizer.no_padding()
        encodings = self.tokenizer.encode_batch(texts)
        order = sorted(range(len(texts)), key=lambda i: len(encodings[i].ids))
        batches = []
        for start in range(0, len(order), BATCH):
            batch = order[start:start + BATCH]
            width = max(len(encodings[i].ids) for i in batch)
            ids = np.zeros((len(batch), width), dtype=np.int64)
            mask = np.zeros((len(batch), width), dtype=np.float32)
            for row, i in enumerate(batch):
                ids[row, :len(encodings[i].ids)] = encodings[i].ids
                mask[row, :len(encodings[i].ids)] = 1.0
            batches.append((ids, mask))
        out = np.zeros((len(texts), HIDDEN), dtype=np.float32)
        for start, vectors in zip(range(0, len(order), BATCH), self._run(batches, processes)):
            out[order[start:start + BATCH]] = vectors
        return out

    def _run(self, batches: list, processes: int):
        if processes <= 1 or len(batches) < 2:
            return [self._forward(ids, mask) for ids, mask in batches]
        global _FORKED
        _FORKED = self  # what the forked processes run; a pickled Embedder would copy the weights
        try:
            with multiprocessing.get_context("fork").Pool(min(processes, len(batches))) as pool:
                return pool.map(_forward_forked, batches, chunksize=1)
        finally:
            _FORKED = None

    def _forward(self, ids: np.ndarray, mask: np.ndarray) -> np.ndarray:
        """The encoder on a batch of padded token ids, all tokens as one (tokens, 384) array of rows."""
        w = self._w
        batch, width = ids.shape
        x = (w["embeddings.word_embeddings.weight"][ids] + w["embeddings.position_embeddings.weight"][:width]
             + w["embeddings.token_type_embeddings.weight"][0]).reshape(batch * width, HIDDEN)
        x = _layer_norm(x, w["embeddings.LayerNorm.weight"], w["embeddings.LayerNorm.bias"])
        blocked = ((1.0 - mask) * np.float32(-1e9))[:, None, None, :]
        arrays = _Arrays(len(x))
        for n in range(LAYERS):
            p = f"encoder.layer.{n}."
            x = self._feed_forward(p, self._attention(p, x, blocked, arrays), arrays)
        x = x.reshape(batch, width, HIDDEN)
        pooled = (x * mask[:, :, None]).sum(1) / np.maximum(mask.sum(1, keepdims=True), 1.0)
        return pooled / np.maximum(np.linalg.norm(pooled, axis=1, keepdims=True), 1e-12)

    def _attention(self, p: str, x: np.ndarray, blocked: np.ndarray, arrays: _Arrays) -> np.ndarray:
        """Self-attention of one layer, added to ``x`` and normalised, in ``arrays.attended``."""
        w = self._w
        batch, width = blocked.shape[0], len(x) // blocked.shape[0]
        size = HIDDEN // HEADS

        def heads(h):
            return h.reshape(batch, width, HEADS, size).transpose(0, 2, 1, 3)

        q, k, v = (_dense(x, w[f"{p}attention.self.{name}.weight"], w[f"{p}attention.self.{name}.bias"], out)
                   for name, out in zip(("query", "key", "value"), arrays.qkv))
        q *= np.float32(1 / np.sqrt(size))
        scores = heads(q) @ heads(k).transpose(0, 1, 3, 2)
        scores += blocked
        scores -= scores.max(-1, keepdims=True)
        np.exp(scores, out=scores)
        scores /= scores.sum(-1, keepdims=True)
        heads(arrays.context)[...] = scores @ heads(v)
        attended = _dense(arrays.context, w[p + "attention.output.dense.weight"], w[p + "attention.output.dense.bias"],
                          arrays.attended)
        attended += x
        return _layer_norm(attended, w[p + "attention.output.LayerNorm.weight"],
                           w[p + "attention.output.LayerNorm.bias"])

    def _feed_forward(self, p: str, x: np.ndarray, arrays: _Arrays) -> np.ndarray:
        """The 1,536-wide inner layer, a block of rows at a time, added to ``x`` and normalised, in ``arrays.out``."""
        w = self._w
        for start in range(0, len(x), BLOCK):
            rows = x[start:start + BLOCK]
            inner = _gelu(_dense(rows, w[p + "intermediate.dense.weight"], w[p + "intermediate.dense.bias"],
                                 arrays.inner), arrays.scratch)
            _dense(inner, w[p + "output.dense.weight"], w[p + "output.dense.bias"], arrays.out[start:start + BLOCK])
        arrays.out += x
        return _layer_norm(arrays.out, w[p + "output.LayerNorm.weight"], w[p + "output.LayerNorm.bias"])


class _Arrays:
    """The working arrays of one batch, allocated once and reused by its six layers.

    Allocated afresh for every product, arrays of a megabyte and more went
    back to the system after each use and were faulted in again: 7.6 s
    instead of 6.6 s for the passages of 300 synthetic articles on one core.
    """

    def __init__(self, tokens: int):
        rows = min(tokens, BLOCK)
        self.qkv = np.empty((3, tokens, HIDDEN), dtype=np.float32)
        self.context = np.empty((tokens, HIDDEN), dtype=np.float32)
        self.attended = np.empty((tokens, HIDDEN), dtype=np.float32)
        self.out = np.empty((tokens, HIDDEN), dtype=np.float32)
        self.inner = np.empty((rows, 4 * HIDDEN), dtype=np.float32)
        self.scratch = np.empty((3, rows, 4 * HIDDEN), dtype=np.float32)


_FORKED: Embedder | None = None


def _forward_forked(batch: tuple[np.ndarray, np.ndarray]) -> np.ndarray:
    return _FORKED._forward(*batch)
