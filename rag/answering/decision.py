"""Answer or refuse: a logistic combination of measured signals, fitted on data, not by hand.

Each signal is a number the pipeline measures for every question (rag/answering/signals.py).
The weights live in a data file (refusal.json beside this module) written by
`python -m eval calibrate`, which fits them on the calibration halves of every dev corpus
together; the test halves never see the fit. Every answer logs its signals and probability, so
a surprising refusal can be traced to the numbers behind it.
"""

from __future__ import annotations

import json
import math
from dataclasses import asdict, dataclass, field
from pathlib import Path

from rag.core.errors import ConfigError

DEFAULT_MODEL = Path(__file__).with_name("refusal.json")  # with the judge's signal
NO_JUDGE_MODEL = Path(__file__).with_name("refusal-no-judge.json")  # for setups without a judge


def default_model(with_judge: bool) -> Path:
    return DEFAULT_MODEL if with_judge else NO_JUDGE_MODEL


@dataclass
class Signals:
    """What the decision sees. Every value is on a fixed scale, so weights carry over."""

    missing: float = 0.0  # share of the question's names that no retrieved passage mentions (0..1)
    similarity: float = 0.0  # cosine of the best evidence sentence to the question
    coverage: float = 0.0  # share of the question's terms in its best sentence and heading (0..1)
    typed: float = 1.0  # 1 when a top sentence holds what the question asks for (a date for "when")
    focus: float = 1.0  # share of the asked-about noun ("price" in "What is the price of") in a top sentence
    judged: float = 0.0  # the model's log-odds that the passages state the answer (clipped to +-5)
    supported: float = 0.0  # 1 when a sentence of the model's answer passed verification
    invented: float = 0.0  # 1 when the model's answer names a number or name no passage holds

    def as_dict(self) -> dict[str, float]:
        return {k: round(v, 4) for k, v in asdict(self).items()}


FEATURES = tuple(Signals.__dataclass_fields__)


@dataclass(frozen=True)
class RefusalModel:
    """P(refuse) = sigmoid(bias + sum of weight * signal); refuse at or above `threshold`."""

    weights: dict[str, float] = field(default_factory=dict)
    bias: float = 0.0
    threshold: float = 0.5
    fitted_on: str = ""  # which data the weights came from, for the record

    def __post_init__(self) -> None:
        unknown = sorted(set(self.weights) - set(FEATURES))
        if unknown:
            raise ConfigError(f"refusal model names unknown signals {unknown}; known: {', '.join(FEATURES)}")
        if not 0.0 < self.threshold < 1.0:
            raise ConfigError(f"refusal threshold must be between 0 and 1, got {self.threshold}")

    @classmethod
    def load(cls, path: Path = DEFAULT_MODEL) -> RefusalModel:
        try:
            return cls(**json.loads(Path(path).read_text(encoding="utf-8")))
        except (OSError, ValueError, TypeError) as exc:
            raise ConfigError(
                f"refusal model {str(path)!r} is unreadable ({exc}); run `python -m eval calibrate`"
            ) from None

    def save(self, path: Path = DEFAULT_MODEL) -> None:
        Path(path).write_text(json.dumps(asdict(self), indent=1) + "\n", encoding="utf-8")

    def uses(self, name: str) -> bool:
        return self.weights.get(name, 0.0) != 0.0

    def probability(self, signals: Signals) -> float:
        values = asdict(signals)
        z = self.bias + sum(w * values[name] for name, w in self.weights.items())
        return 1.0 / (1.0 + math.exp(-max(-30.0, min(30.0, z))))

    def refuse(self, signals: Signals) -> bool:
        return self.probability(signals) >= self.threshold
