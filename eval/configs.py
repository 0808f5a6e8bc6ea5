"""Named configurations to compare: settings overrides on top of the defaults."""

CONFIGS: dict[str, dict[str, object]] = {
    "default": {},
    "calibrate": {"decide": False},  # the decision off: every answer records the signals it would see
    "transformers": {"backend": "transformers"},  # the same model in torch bf16 (the old default)
    "qdrant": {"store": "qdrant"},
    "extractive": {"generator": "extractive"},
    "qwen-1.5b": {"generator": "qwen2.5-coder-1.5b-instruct"},  # the packaged 1.5B writes the answers too
    "no-judge": {"judge": "none"},  # the decision without the judge's signal (refusal-no-judge.json)
    "dense": {"retrieval": "dense"},
    "no-verify": {"verify": False},
    "gemma": {"generator": "gemma-3-270m"},
    "gemma-no-verify": {"generator": "gemma-3-270m", "verify": False},
}
