"""A problem found in a feed, printed the way editors and clerks both read: FILE:LINE:COLUMN: message."""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True, order=True)
class Problem:
    file: str
    line: int
    column: int
    message: str
    warning: bool = False

    def __str__(self) -> str:
        prefix = "cảnh báo: " if self.warning else ""
        return f"{self.file}:{self.line}:{self.column}: {prefix}{self.message}"
