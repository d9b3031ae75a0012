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
import os
import struct
from pathlib import Path

# One BLAS thread unless told otherwise: gunicorn runs a worker per core, and a
# question is a dozen tokens, too small to split; two threads per worker on a
# busy node made a query five times slower. Only effective before numpy loads.
os.environ.setdefault("OPENBLAS_NUM_THREADS", "1")

import numpy as np  # noqa: E402
from tokenizers import Tokenizer  # noqa: E402

LAYERS = 6
HEADS = 12
HIDDEN = 384
EPS = 1e-12
WEIGHTS = "model.safetensors"
TOKENIZER = "tokenizer.json"
DTYPES = {"F32": np.float32, "I64": np.int64}
BATCH = 32


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


def _erf(x: np.ndarray) -> np.ndarray:
    """Abramowitz & Stegun 7.1.26 (error below 1.5e-7): numpy has no vectorised erf."""
    sign = np.sign(x)
    a = np.abs(x)
    t = 1.0 / (1.0 + 0.3275911 * a)
    poly = t * (0.254829592 + t * (-0.284496736 + t * (1.421413741 + t * (-1.453152027 + t * 1.061405429))))
    return sign * (1.0 - poly * np.exp(-a * a))


def _gelu(x: np.ndarray) -> np.ndarray:
    return 0.5 * x * (1.0 + _erf(x * np.float32(0.7071067811865476)))


def _layer_norm(x: np.ndarray, weight: np.ndarray, bias: np.ndarray) -> np.ndarray:
    mean = x.mean(-1, keepdims=True)
    centred = x - mean
    variance = (centred * centred).mean(-1, keepdims=True)
    return centred / np.sqrt(variance + EPS) * weight + bias


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

    def embed(self, texts: list[str], max_tokens: int = 128) -> np.ndarray:
        """One unit vector per text (float32, shape (len(texts), 384)); longer texts are cut at ``max_tokens``."""
        self.tokenizer.enable_truncation(max_tokens)
        self.tokenizer.no_padding()
        encodings = self.tokenizer.encode_batch(texts)
        out = np.zeros((len(texts), HIDDEN), dtype=np.float32)
        order = sorted(range(len(texts)), key=lambda i: len(encodings[i].ids))  # similar lengths pad little
        for start in range(0, len(order), BATCH):
            batch = order[start:start + BATCH]
            width = max(len(encodings[i].ids) for i in batch)
            ids = np.zeros((len(batch), width), dtype=np.int64)
            mask = np.zeros((len(batch), width), dtype=np.float32)
            for row, i in enumerate(batch):
                ids[row, :len(encodings[i].ids)] = encodings[i].ids
                mask[row, :len(encodings[i].ids)] = 1.0
            out[batch] = self._forward(ids, mask)
        return out

    def _forward(self, ids: np.ndarray, mask: np.ndarray) -> np.ndarray:
        w = self._w
        batch, width = ids.shape
        x = (w["embeddings.word_embeddings.weight"][ids] + w["embeddings.position_embeddings.weight"][:width]
             + w["embeddings.token_type_embeddings.weight"][0])
        x = _layer_norm(x, w["embeddings.LayerNorm.weight"], w["embeddings.LayerNorm.bias"])
        blocked = ((1.0 - mask) * np.float32(-1e9))[:, None, None, :]
        size = HIDDEN // HEADS
        for n in range(LAYERS):
            p = f"encoder.layer.{n}."

            def dense(h, name):  # as one 2-D product: numpy loops a 3-D one per sentence
                flat = h.reshape(-1, h.shape[-1]) @ w[p + name + ".weight"].T + w[p + name + ".bias"]
                return flat.reshape(batch, width, -1)

            def heads(h):
                return h.reshape(batch, width, HEADS, size).transpose(0, 2, 1, 3)

            q, k, v = (heads(dense(x, f"attention.self.{name}")) for name in ("query", "key", "value"))
            scores = q @ k.transpose(0, 1, 3, 2) / np.float32(np.sqrt(size)) + blocked
            scores = np.exp(scores - scores.max(-1, keepdims=True))
            scores /= scores.sum(-1, keepdims=True)
            context = (scores @ v).transpose(0, 2, 1, 3).reshape(batch, width, HIDDEN)
            x = _layer_norm(dense(context, "attention.output.dense") + x,
                            w[p + "attention.output.LayerNorm.weight"], w[p + "attention.output.LayerNorm.bias"])
            inner = _gelu(dense(x, "intermediate.dense"))
            x = _layer_norm(dense(inner, "output.dense") + x,
                            w[p + "output.LayerNorm.weight"], w[p + "output.LayerNorm.bias"])
        pooled = (x * mask[:, :, None]).sum(1) / np.maximum(mask.sum(1, keepdims=True), 1.0)
        return pooled / np.maximum(np.linalg.norm(pooled, axis=1, keepdims=True), 1e-12)
