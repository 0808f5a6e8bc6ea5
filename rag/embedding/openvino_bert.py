"""MiniLM through OpenVINO: the fast way to embed many texts on a laptop CPU.

The sentence-transformers weights are converted once, at first use, into an OpenVINO model in the
data folder (torch is needed for that one conversion only). OpenVINO then runs the matrix products
in bfloat16 where the CPU has AVX512-BF16 or AMX, else in float32; on this project's 2-core
benchmark machine that is about 30,000 tokens a second against 8,000 for sentence-transformers
and 11,000 for the int8 ONNX export through onnxruntime (bench/results.md). The vectors agree
with float32's to a cosine above 0.999. Mean pooling and normalisation follow
sentence-transformers; batches are sorted by length so little padding is computed.
"""

from __future__ import annotations

import logging
import os
import time
import warnings
from pathlib import Path

import numpy as np

from rag.core.errors import ModelLoadError
from rag.embedding.batching import length_sorted, mean_pooled

log = logging.getLogger(__name__)


def convert(model_folder: Path, target: Path) -> Path:
    """Write the OpenVINO model (target.xml and .bin) from a sentence-transformers folder."""
    import openvino as ov
    import torch
    import transformers
    from transformers import AutoModel

    start = time.perf_counter()
    verbosity, bars = transformers.logging.get_verbosity(), transformers.logging.is_progress_bar_enabled()
    # Tracing notes on branches MiniLM never takes, deprecation and training-only config notes,
    # a bar for 0.1 s of loading: noise on a user's terminal at first use, nothing to act on.
    transformers.logging.set_verbosity_error()
    transformers.logging.disable_progress_bar()
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            model = AutoModel.from_pretrained(str(model_folder)).eval()
            # a padded example, so the traced graph keeps the general attention-mask path
            example = {
                "input_ids": torch.ones(2, 16, dtype=torch.long),
                "attention_mask": torch.tensor([[1] * 16, [1] * 9 + [0] * 7]),
            }
            converted = ov.convert_model(model, example_input=example)
    finally:
        transformers.logging.set_verbosity(verbosity)
        if bars:
            transformers.logging.enable_progress_bar()
    tmp = target.with_name(target.name + ".partial.xml")
    ov.save_model(converted, str(tmp))
    os.replace(tmp.with_suffix(".bin"), target.with_suffix(".bin"))
    os.replace(tmp, target)
    log.info("embedder converted for OpenVINO in %.1fs: %s", time.perf_counter() - start, target)
    return target


class OpenVinoMiniLM:
    """Sentence embeddings from the OpenVINO model; same interface as the numpy encoder."""

    def __init__(
        self, model_folder: Path, cache_folder: Path, threads: int = 0, max_tokens: int = 256
    ) -> None:
        if max_tokens < 8:
            raise ValueError(f"max_tokens must be at least 8. Currently, max_tokens is {max_tokens}")
        try:
            import openvino as ov
        except ImportError:
            raise ModelLoadError(
                "the openvino embedder runtime needs openvino; run pip install -r requirements.txt"
            ) from None
        from tokenizers import Tokenizer

        target = Path(cache_folder) / f"{Path(model_folder).name}-openvino.xml"
        if not target.is_file():
            target.parent.mkdir(parents=True, exist_ok=True)
            convert(Path(model_folder), target)
        core = ov.Core()
        config = {"INFERENCE_NUM_THREADS": threads or os.cpu_count() or 1}
        if "BF16" in core.get_property("CPU", "OPTIMIZATION_CAPABILITIES"):
            config["INFERENCE_PRECISION_HINT"] = "bf16"
        self._model = core.compile_model(core.read_model(str(target)), "CPU", config)
        self._request = self._model.create_infer_request()
        self.dim = int(self._model.outputs[0].get_partial_shape()[-1].get_length())
        self.tokenizer = Tokenizer.from_file(str(Path(model_folder) / "tokenizer.json"))
        self.tokenizer.enable_padding(pad_id=0, pad_token="[PAD]")
        self.max_tokens = max_tokens

    def encode(self, texts: list[str], batch_size: int = 16, max_tokens: int | None = None) -> np.ndarray:
        self.tokenizer.enable_truncation(max_length=max_tokens or self.max_tokens)
        out = np.zeros((len(texts), self.dim), dtype=np.float32)
        for rows in length_sorted(texts, batch_size):
            out[rows] = self._batch([texts[i] for i in rows])
        return out

    def _batch(self, texts: list[str]) -> np.ndarray:
        enc = self.tokenizer.encode_batch(texts)
        ids = np.array([e.ids for e in enc], dtype=np.int64)
        mask = np.array([e.attention_mask for e in enc], dtype=np.int64)
        return mean_pooled(self._request.infer({"input_ids": ids, "attention_mask": mask})[0], mask)
