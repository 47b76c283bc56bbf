"""The one way our scripts/patch-worker-*.py edit mediasoup's worker source.

Each edit replaces an anchor that must occur exactly once, so a mediasoup whose source moved
fails the build loudly instead of building something half-patched. A file already carrying the
patch's mark is left as it is, so patching twice is harmless.
"""
import sys
from pathlib import Path


def patch(path: Path, mark: str, edits: list[tuple[str, str]]) -> None:
    text = path.read_text()
    if mark in text:
        return
    for anchor, replacement in edits:
        if text.count(anchor) != 1:
            sys.exit(f"{path}: expected exactly one {anchor.strip().splitlines()[0]!r} to patch")
        text = text.replace(anchor, replacement)
    path.write_text(text)
