"""The one way our scripts/patch-worker-*.py edit mediasoup's worker source.

Each edit replaces an anchor that must occur exactly once, so a mediasoup whose source moved
fails the build loudly instead of building something half-patched. A file already carrying the
patch's mark is left as it is, so patching twice is harmless.
"""
import sys
from pathlib import Path


def patch(path: Path, mark: str, edits: list[tuple[str, str]]) -> None:
    patch_each(path, mark, [(anchor, replacement, 1) for anchor, replacement in edits])


def patch_each(path: Path, mark: str, edits: list[tuple[str, str, int]]) -> None:
    """Like patch, for an anchor that must occur a known number of times (all are replaced).

    Edits apply in order, each counted on the text the ones before it left.
    """
    text = path.read_text()
    if mark in text:
        return
    for anchor, replacement, times in edits:
        found = text.count(anchor)
        if found != times:
            sys.exit(f"{path}: expected {times} of {anchor.strip().splitlines()[0]!r} to patch, found {found}")
        text = text.replace(anchor, replacement)
    path.write_text(text)
