"""expacti: parse shell commands the way bash reads them, score their risk, check them
against a policy and mine approval history into rules.

Everything is decided by the Rust core (``expacti-core``); these functions return plain
Python objects with the same fields as the ``expacti`` CLI's JSON (SPEC §5)::

    >>> import expacti
    >>> expacti.score("rm -rf /")["risk"]["level"]
    'critical'
"""

from __future__ import annotations

import json
from typing import Any, Dict, Iterable, Mapping, Optional, Union

from . import _expacti

__version__: str = _expacti.__version__

__all__ = ["parse", "score", "Policy", "PolicyError", "suggest", "__version__"]


class PolicyError(ValueError):
    """A policy that cannot be used; the message names ``file:line:col``."""


def parse(command: str) -> Dict[str, Any]:
    """The parts of a command: ``{"parts": [...], "opaque": None | "reason"}``."""
    return json.loads(_expacti.parse_json(command))


def score(command: str) -> Dict[str, Any]:
    """The risk of a command: ``{"risk": {"score", "level", "reasons"}}``."""
    return json.loads(_expacti.score_json(command))


def _context(context: Optional[Mapping[str, Any]]) -> Optional[str]:
    if context is None:
        return None
    return json.dumps({str(k): str(v) for k, v in context.items()})


class Policy:
    """A compiled policy. Build it with :meth:`Policy.from_toml`."""

    __slots__ = ("_inner",)

    def __init__(self, inner: Any) -> None:
        self._inner = inner

    @classmethod
    def from_toml(cls, text: str, file: str = "<policy>") -> "Policy":
        """Compiles a policy; raises :class:`PolicyError` naming ``file:line:col``."""
        try:
            return cls(_expacti.Policy.from_toml(text, file))
        except ValueError as e:
            raise PolicyError(str(e)) from None

    def check(self, command: str, context: Optional[Mapping[str, Any]] = None) -> Dict[str, Any]:
        """The verdict: ``{"verdict": "allow|review|deny", "risk", "parts", "why", ...}``."""
        return json.loads(self._inner.check_json(command, _context(context)))

    def allows(self, command: str, context: Optional[Mapping[str, Any]] = None) -> bool:
        """True only when the verdict is ``allow``."""
        return self.check(command, context)["verdict"] == "allow"

    def lint(self) -> list:
        """Lint findings, including the policy's own failing ``[[test]]`` cases."""
        return json.loads(self._inner.lint_json())


def suggest(
    history: Union[str, Iterable[Mapping[str, Any]]],
    policy: Optional[Policy] = None,
    min_support: int = 3,
    max_risk: str = "medium",
) -> Dict[str, Any]:
    """Rule suggestions mined from history records (dicts, or JSON-lines text)."""
    if isinstance(history, str):
        text = history
    else:
        text = "\n".join(json.dumps(dict(r)) for r in history)
    inner = policy._inner if policy is not None else None
    return json.loads(_expacti.suggest_json(text, inner, min_support, max_risk))
