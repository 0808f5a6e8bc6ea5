"""A cheap check of what the CPU kernels are doing: which BLAS and SIMD level each library
picked, and how many threads it uses. A wrong thread count or a generic (non-SIMD) build
costs a 2-core laptop more speed than any tuning gains, and is invisible otherwise."""

from __future__ import annotations

import logging
import os
import re
import sys
from functools import cache

log = logging.getLogger(__name__)


def cpu_flags() -> str:
    try:
        with open("/proc/cpuinfo", encoding="utf-8") as f:
            flags = next((line.split(":", 1)[1].split() for line in f if line.startswith("flags")), [])
    except OSError:
        return "unknown"
    wanted = ("avx2", "fma", "avx512f", "avx512_vnni", "avx512_bf16", "amx_tile")
    return " ".join(f for f in wanted if f in flags) or "no AVX2"


def cpu_report() -> dict[str, str]:
    """Only libraries already imported are asked, so this never loads anything heavy."""
    report = {"cores": str(os.cpu_count()), "cpu": cpu_flags()}
    if "numpy" in sys.modules:
        import numpy as np

        try:
            blas = np.show_config(mode="dicts")["Build Dependencies"]["blas"]
            report["numpy"] = f"{blas.get('name')} {blas.get('version', '')}".strip()
        except (KeyError, TypeError):
            report["numpy"] = "unknown BLAS"
    if "torch" in sys.modules:
        import torch

        blas = "MKL" if torch.backends.mkl.is_available() else "no MKL"
        report["torch"] = (
            f"{torch.backends.cpu.get_cpu_capability()} kernels, {blas}, {torch.get_num_threads()} threads"
        )
    if "faiss" in sys.modules:
        import faiss

        report["faiss"] = faiss.get_compile_options().strip() or "generic"
    if "llama_cpp" in sys.modules:
        import llama_cpp

        info = llama_cpp.llama_print_system_info().decode(errors="replace")
        report["llama.cpp"] = " ".join(re.findall(r"(\w+) = 1", info))
    return report


@cache  # once per process: the answerer is rebuilt after every index update
def log_cpu_report() -> dict[str, str]:
    report = cpu_report()
    log.info("cpu: %s", "; ".join(f"{k}: {v}" for k, v in report.items()))
    torch_line = report.get("torch", "")
    if torch_line and not torch_line.startswith("AVX"):
        log.warning("torch runs generic CPU kernels (%s); embedding will be slow", torch_line)
    if torch_line and f"{os.cpu_count()} threads" not in torch_line:
        log.warning("torch uses fewer threads than cores (%s); set threads or OMP_NUM_THREADS", torch_line)
    return report
