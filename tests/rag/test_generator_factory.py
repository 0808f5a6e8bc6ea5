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
