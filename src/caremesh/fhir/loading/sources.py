"""Where FHIR data to load comes from: a Bundle or NDJSON file, a directory, or a .tar.gz of them.

Each item is (name, bytes); files are read one at a time, so a large archive never sits in memory
as a whole.
"""

from __future__ import annotations

import gzip
import tarfile
from collections.abc import Iterator
from pathlib import Path

LOADABLE = (".json", ".ndjson", ".ndjson.gz", ".json.gz")
ARCHIVES = (".tar.gz", ".tgz", ".tar")


def is_loadable(name: str) -> bool:
    return name.lower().endswith(LOADABLE)


def is_archive(path: Path) -> bool:
    return path.name.lower().endswith(ARCHIVES)


def is_ndjson(name: str) -> bool:
    return name.lower().endswith((".ndjson", ".ndjson.gz"))


def _read(path: Path) -> bytes:
    raw = path.read_bytes()
    return gzip.decompress(raw) if path.name.lower().endswith(".gz") else raw


def count_items(path: Path) -> int:
    """How many items :func:`iter_items` will yield (an archive's members are listed, not read)."""
    if path.is_dir():
        return sum(1 for child in path.rglob("*") if child.is_file() and is_loadable(child.name))
    if is_archive(path):
        with tarfile.open(path) as tar:
            return sum(1 for m in tar.getmembers() if m.isfile() and is_loadable(m.name))
    return 1


def iter_items(path: Path) -> Iterator[tuple[str, bytes]]:
    """(name, content) of every loadable file under ``path``, in name order within a directory."""
    if path.is_dir():
        for child in sorted(p for p in path.rglob("*") if p.is_file() and is_loadable(p.name)):
            yield str(child.relative_to(path)), _read(child)
        return
    if is_archive(path):
        yield from _archive_items(path)
        return
    yield path.name, _read(path)


def _archive_items(path: Path) -> Iterator[tuple[str, bytes]]:
    with tarfile.open(path) as tar:
        for member in tar:
            if not (member.isfile() and is_loadable(member.name)):
                continue
            stream = tar.extractfile(member)
            if stream is None:
                continue
            raw = stream.read()
            name = member.name.removeprefix("./")
            yield name, gzip.decompress(raw) if name.lower().endswith(".gz") else raw
