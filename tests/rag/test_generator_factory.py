from rag.core.settings import load_settings
from rag.generation.backends.llamacpp import LlamaCppGenerator
from rag.generation.factory import make_generator, make_judge


def test_a_writer_that_is_also_the_judge_is_loaded_once(tmp_path):
    same = load_settings(
        home=tmp_path, generator="qwen2.5-coder-1.5b-instruct", judge="qwen2.5-coder-1.5b-instruct"
    )
    writer = make_generator(same)
    assert writer.mmap is True
    assert make_judge(same, writer) is writer and writer.mmap is False  # read into memory, as judges are


def test_a_different_judge_is_its_own_model_read_into_memory(tmp_path):
    settings = load_settings(home=tmp_path, judge="qwen2.5-coder-1.5b-instruct")
    writer = make_generator(settings)
    judge = make_judge(settings, writer)
    assert isinstance(judge, LlamaCppGenerator) and judge is not writer and judge.mmap is False
    assert make_judge(load_settings(home=tmp_path, judge="none"), writer) is None


def test_only_the_first_token_is_kept_from_opening_a_citation_marker(tmp_path):
    import numpy as np

    writer = LlamaCppGenerator("qwen2.5-coder-0.5b-instruct", tmp_path)
    writer._markers = [2, 5]  # as if tokens 2 and 5 were "[" and " [" (no model is loaded)
    (processor,) = writer._words_first()
    first = processor([], np.zeros(8, dtype=np.float32))
    assert np.isneginf(first[[2, 5]]).all() and np.isfinite(np.delete(first, [2, 5])).all()
    assert np.isfinite(processor([], np.zeros(8, dtype=np.float32))).all()  # markers after words: fine


def test_a_build_with_amx_kernels_loads_weights_into_plain_cpu_buffers(monkeypatch):
    # a VM may report AMX without enabling it: ggml's AMX matmul then dies with SIGILL
    import llama_cpp.llama_cpp as lib

    from rag.generation.backends.llamacpp import without_amx

    default = lib.llama_model_default_params
    monkeypatch.setattr(lib, "llama_print_system_info", lambda: b"AVX2 = 1 | AMX_INT8 = 1 | ")
    with without_amx():
        assert lib.llama_model_default_params().use_extra_bufts is False
    assert lib.llama_model_default_params is default
    assert lib.llama_model_default_params().use_extra_bufts is True


def test_a_build_without_amx_kernels_keeps_llama_cpp_defaults(monkeypatch):
    import llama_cpp.llama_cpp as lib

    from rag.generation.backends.llamacpp import without_amx

    monkeypatch.setattr(lib, "llama_print_system_info", lambda: b"AVX2 = 1 | AVX512 = 1 | ")
    with without_amx():
        assert lib.llama_model_default_params().use_extra_bufts is True
