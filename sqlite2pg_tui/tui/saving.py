"""Writing a file the user named (mapping, report, diff): a failure is said, not raised."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import TypeVar

from textual.dom import DOMNode

T = TypeVar("T")


def save_or_say(node: DOMNode, path: str | Path, save: Callable[[], T]) -> T | None:
    """``save()``, or None once an OSError has been shown (the user picks another path)."""
    try:
        return save()
    except OSError as e:
        node.notify(f"cannot write {path}: {e.strerror or e}", severity="error", markup=False)
        return None
