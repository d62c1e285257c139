"""The one exception family of wasteopt.

Every message names the offending item and says what to change; the CLI prints it as one
line with exit code 2 and the API answers it with a 4xx status.
"""

from __future__ import annotations


class WasteoptError(Exception):
    """Base of every error a user can cause or fix."""


class InstanceError(WasteoptError):
    """The instance (or a file that feeds it) is malformed or inconsistent.

    ``problems`` holds every problem found, each as ``(location, message)``; the location is a
    dotted path such as ``points[3].tonnes_per_day`` or an item id.
    """

    def __init__(self, problems: list[tuple[str, str]]):
        self.problems = problems
        first_loc, first_msg = problems[0]
        more = f" (and {len(problems) - 1} more problem(s))" if len(problems) > 1 else ""
        super().__init__(f"{first_loc}: {first_msg}{more}")


class InfeasibleError(WasteoptError):
    """No acceptable plan exists or the solver found none within its limits."""


class PlanCheckError(WasteoptError):
    """A plan failed the independent checker; it must never be shown as a result."""

    def __init__(self, violations: list):
        self.violations = violations
        first = violations[0]
        more = f" (and {len(violations) - 1} more)" if len(violations) > 1 else ""
        super().__init__(f"plan failed the checker: {first}{more}")


class NetworkError(WasteoptError):
    """A road network cannot be read, or a site cannot reach or be reached on it."""


class OptionsError(InstanceError):
    """A request's options are out of range or contradict each other.

    ``problems`` holds ``(option name, message)`` pairs, as for an instance's fields.
    """
