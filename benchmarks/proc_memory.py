"""Memory figures Linux reports under /proc, for the benchmarks (no other imports, so a
child process that measures its own memory can use it without loading anything more)."""

from __future__ import annotations

import re


def proc_kb(field: str, path: str = "/proc/self/status") -> int | None:
    """A ``kB`` field of a /proc file: VmRSS or VmHWM of /proc/self/status, MemAvailable
    of /proc/meminfo; None where there is no such file or field.

    Example
    -------
    >>> proc_kb("VmHWM") is None or proc_kb("VmHWM") > 0
    True
    """
    try:
        with open(path, encoding="ascii") as handle:
            found = re.search(rf"^{field}:\s+(\d+) kB", handle.read(), re.MULTILINE)
    except OSError:
        return None
    return int(found.group(1)) if found else None
