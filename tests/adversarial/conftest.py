"""The adversarial suite records what it threw at the assistant and prints one summary line:

bad inputs 31/31 handled, kills 10/10 resumed with 0 lost 0 duplicated, index faults 4/4
detected, injections 0/6 leaked, concurrent 24/24 answered
"""

from __future__ import annotations

from collections import defaultdict

import pytest

FIGURES: dict[str, list[int]] = defaultdict(lambda: [0, 0])
EXTRA: dict[str, str] = {}


class Figures:
    def record(self, key: str, ok: bool) -> None:
        FIGURES[key][0] += int(ok)
        FIGURES[key][1] += 1

    def note(self, key: str, text: str) -> None:
        EXTRA[key] = text


@pytest.fixture(scope="session")
def figures() -> Figures:
    return Figures()


def _pair(key: str) -> str:
    ok, total = FIGURES.get(key, [0, 0])
    return f"{ok}/{total}"


def pytest_terminal_summary(terminalreporter) -> None:
    if not FIGURES:
        return
    leaked = FIGURES["injections"][1] - FIGURES["injections"][0]
    parts = [
        f"bad inputs {_pair('bad inputs')} handled",
        f"kills {_pair('kills')} resumed with {EXTRA.get('lost', '?')} lost "
        f"{EXTRA.get('duplicated', '?')} duplicated",
        f"index faults {_pair('index faults')} detected",
        f"injections {leaked}/{FIGURES['injections'][1]} leaked",
        f"concurrent {_pair('concurrent')} answered" + (f" (p95 {EXTRA['p95']})" if "p95" in EXTRA else ""),
    ]
    terminalreporter.write_line("adversarial: " + ", ".join(parts))
