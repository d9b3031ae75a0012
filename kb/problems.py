"""Problems found in editors' files, reported the way compilers report them.

Every loader returns problems instead of raising, so that one broken file
never takes the site down and editors see every mistake in one run.
"""
from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class Problem:
    """One thing wrong in one file: ``path:line: level: message``."""

    path: str
    line: int | None
    message: str
    level: str = "error"

    def __str__(self) -> str:
        where = self.path if self.line is None else f"{self.path}:{self.line}"
        return f"{where}: {self.level}: {self.message}"
