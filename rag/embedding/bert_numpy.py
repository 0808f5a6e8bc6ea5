"""The MiniLM sentence encoder as a numpy forward pass: the same weights and tokenizer as
sentence-transformers, without importing torch.

Why: importing torch, transformers and sentence-transformers costs ~5 s on a 2-core laptop,
more than the rest of a cold `rag ask`. Answering embeds one question and a few dozen short
sentences, which numpy does in milliseconds. Index builds still go through sentence-transformers
(batched MKL kernels); tests check that both give the same vectors.

Supports BERT models with mean pooling and normalisation (all-MiniLM-L6-v2 and its kin).
"""

from __future__ import annotations

import json
import math
from pathlib import Path

import numpy as np

from rag.embedding.batching import length_sorted, mean_pooled

SQRT_HALF = math.sqrt(0.5)  # Python floats keep float32 arrays float32 (numpy scalars would not)


def supported(folder: Path) -> bool:
    """True for a sentence-transformers folder holding a BERT with mean pooling + Normalize."""
    try:
        config = json.loads((folder / "config.json").read_text())
        modules = json.loads((folder / "modules.json").read_text())
        pooling = json.loads((folder / "1_Pooling" / "config.json").read_text())
    except (OSError, ValueError):
        return False
    kinds = [m.get("type", "").rsplit(".", 1)[-1] for m in modules]
    return (
        config.get("model_type") == "bert"
        and config.get("hidden_act") == "gelu"
        and config.get("position_embedding_type", "absolute") == "absolute"
        and kinds == ["Transformer", "Pooling", "Normalize"]
        and pooling.get("pooling_mode_mean_tokens") is True
        and (folder / "model.safetensors").is_file()
        and (folder / "tokenizer.json").is_file()
    )


def _is_linear(name: str) -> bool:
    return (
        name.startswith(("encoder.", "bert.encoder."))
        and name.endswith(".weight")
        and "LayerNorm" not in name
    )


def _erf(x: np.ndarray) -> np.ndarray:
    """Abramowitz-Stegun 7.1.26 (max error 1.5e-7): numpy has no erf, and GELU needs it."""
    sign = np.sign(x)
    x = np.abs(x)
    t = 1.0 / (1.0 + 0.3275911 * x)
    poly = t * (0.254829592 + t * (-0.284496736 + t * (1.421413741 + t * (-1.453152027 + t * 1.061405429))))
    return sign * (1.0 - poly * np.exp(-x * x))


def _gelu(x: np.ndarray) -> np.ndarray:
    return 0.5 * x * (1.0 + _erf(x * SQRT_HALF))


def _layer_norm(x: np.ndarray, weight: np.ndarray, bias: np.ndarray, eps: float) -> np.ndarray:
    mean = x.mean(-1, keepdims=True)
    var = ((x - mean) ** 2).mean(-1, keepdims=True)
    return (x - mean) / np.sqrt(var + eps) * weight + bias


class NumpyBert:
    def __init__(self, folder: Path) -> None:
        from safetensors.numpy import load_file
        from tokenizers import Tokenizer

        config = json.loads((folder / "config.json").read_text())
        st_config = json.loads((folder / "sentence_bert_config.json").read_text())
        self.heads = config["num_attention_heads"]
        self.layers = config["num_hidden_layers"]
        self.eps = config["layer_norm_eps"]
        self.dim = config["hidden_size"]
        # Linear weights stored (in, out) and contiguous, so that h @ W is one plain GEMM
        self.w = {
            k.removeprefix("bert."): np.ascontiguousarray(v.T if _is_linear(k) else v, dtype=np.float32)
            for k, v in load_file(folder / "model.safetensors").items()
        }
        self.tokenizer = Tokenizer.from_file(str(folder / "tokenizer.json"))
        self.tokenizer.enable_truncation(max_length=st_config.get("max_seq_length", 256))
        self.tokenizer.enable_padding(pad_id=config.get("pad_token_id", 0), pad_token="[PAD]")

    def encode(self, texts: list[str], batch_size: int = 32) -> np.ndarray:
        out = np.zeros((len(texts), self.dim), dtype=np.float32)
        for rows in length_sorted(texts, batch_size):
            out[rows] = self._batch([texts[i] for i in rows])
        return out

    def _linear(self, h: np.ndarray, name: str) -> np.ndarray:
        return h @ self.w[name + ".weight"] + self.w[name + ".bias"]

    def _norm(self, h: np.ndarray, name: str) -> np.ndarray:
        return _layer_norm(h, self.w[name + ".weight"], self.w[name + ".bias"], self.eps)

    def _layer(self, x: np.ndarray, bias: np.ndarray, p: str) -> np.ndarray:
        n, length, _ = x.shape
        head = self.dim // self.heads

        def split(h: np.ndarray) -> np.ndarray:
            return h.reshape(n, length, self.heads, head).transpose(0, 2, 1, 3)

        q = split(self._linear(x, p + "attention.self.query"))
        k = split(self._linear(x, p + "attention.self.key"))
        v = split(self._linear(x, p + "attention.self.value"))
        scores = q @ k.transpose(0, 1, 3, 2) * (1.0 / math.sqrt(head)) + bias
        scores = np.exp(scores - scores.max(-1, keepdims=True))
        scores /= scores.sum(-1, keepdims=True)
        context = (scores @ v).transpose(0, 2, 1, 3).reshape(n, length, self.dim)
        x = self._norm(
            self._linear(context, p + "attention.output.dense") + x, p + "attention.output.LayerNorm"
        )
        ffn = self._linear(_gelu(self._linear(x, p + "intermediate.dense")), p + "output.dense")
        return self._norm(ffn + x, p + "output.LayerNorm")

    def _batch(self, texts: list[str]) -> np.ndarray:
        enc = self.tokenizer.encode_batch(texts)
        ids = np.array([e.ids for e in enc], dtype=np.int64)
        types = np.array([e.type_ids for e in enc], dtype=np.int64)
        mask = np.array([e.attention_mask for e in enc], dtype=np.float32)
        w = self.w
        length = ids.shape[1]
        x = (
            w["embeddings.word_embeddings.weight"][ids]
            + w["embeddings.position_embeddings.weight"][np.arange(length)][None]
            + w["embeddings.token_type_embeddings.weight"][types]
        )
        x = self._norm(x, "embeddings.LayerNorm")
        bias = ((1.0 - mask) * float(np.finfo(np.float32).min))[:, None, None, :]
        for i in range(self.layers):
            x = self._layer(x, bias, f"encoder.layer.{i}.")
        return mean_pooled(x, mask)
