"""Problems found in editors' files, reported the way compilers report them.

Every loader returns problems instead of raising, so that one broken file
never takes the site down and editors see every mistake in one run.
"""
from __future__ import annotations

from dataclasses import asdict, dataclass, replace


@dataclass(frozen=True)
class Problem:
    """One thing wrong in one file: ``path:line:col: level: message``.

    ``column`` (counted from 1, like ``line``) is given when the checker knows
    the exact spot, so editors' tools and GitHub annotations can point at it.
    """

    path: str
    line: int | None
    message: str
    level: str = "error"
    column: int | None = None
    # The message in a line, for logs read at every start: "33 articles have no German translation; ..."
    # where the message lists all 33. None: the message is short already.
    brief: str | None = None

    def __str__(self) -> str:
        where = self.path
        if self.line is not None:
            where += f":{self.line}" if self.column is None else f":{self.line}:{self.column}"
        return f"{where}: {self.level}: {self.message}"

    def briefly(self) -> Problem:
        """The problem as a start-up log shows it: its brief in place of a long message."""
        return replace(self, message=self.brief) if self.brief else self

    def as_dict(self) -> dict:
        """What tools read (``check --format json``): the whole message, no brief."""
        fields = asdict(self)
        del fields["brief"]
        return fields
