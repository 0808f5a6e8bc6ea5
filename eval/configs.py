"""Named configurations to compare: settings overrides on top of the defaults."""

CONFIGS: dict[str, dict[str, object]] = {
    "default": {},
    "transformers": {"backend": "transformers"},  # the same model in torch bf16 (the old default)
    "qdrant": {"store": "qdrant"},
    "extractive": {"generator": "extractive"},
    "dense": {"retrieval": "dense"},
    "no-verify": {"verify": False},
    "gemma": {"generator": "gemma-3-270m"},
    "gemma-no-verify": {"generator": "gemma-3-270m", "verify": False},
}
