"""Named configurations to compare: settings overrides on top of the defaults."""

CONFIGS: dict[str, dict[str, object]] = {
    "default": {},
    "extractive": {"generator": "extractive"},
    "dense": {"retrieval": "dense"},
    "no-verify": {"verify": False},
    "gemma": {"generator": "gemma-3-270m"},
    "gemma-no-verify": {"generator": "gemma-3-270m", "verify": False},
}
