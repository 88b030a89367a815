"""The shape of a rule violation, shared by every module in invoicing.rules."""

from __future__ import annotations

from dataclasses import dataclass, field

ERROR = "error"
WARNING = "warning"


@dataclass(frozen=True)
class RuleError:
    """One violated rule.

    ``code`` is stable (forms, API clients and tests key on it); ``field`` is the path in our
    draft (``lines[1].amount``, 0-based) and ``platform_field`` the same place in the
    tax-platform payload (``fpmxList[1].je``); ``message`` is the Chinese sentence shown to the
    user, naming the field and saying what to fix (line numbers in it are 1-based).
    """

    code: str
    field: str
    platform_field: str
    message: str
    severity: str = ERROR


@dataclass
class RuleResult:
    errors: list[RuleError] = field(default_factory=list)
    warnings: list[RuleError] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        return not self.errors

    @property
    def codes(self) -> list[str]:
        return [error.code for error in self.errors]

    def add(self, error: RuleError) -> None:
        (self.warnings if error.severity == WARNING else self.errors).append(error)

    def extend(self, errors: list[RuleError]) -> None:
        for error in errors:
            self.add(error)
