"""How much memory this process can still take, and the error when a model needs more.

Before allocating a model's weights (or reading a saved one into memory), w2v compares
what it will hold with the tightest of the limits it can find, so that a model too large
fails at once with a message naming its sizes, not later in numpy (or by swapping):

* the physical memory available (``MemAvailable`` of ``/proc/meminfo`` on Linux, else the
  free pages ``os.sysconf`` reports where it does);
* the address-space limit (``RLIMIT_AS`` of ``resource``) less what the process already maps;
* a cgroup's memory limit less its usage (cgroup v2 ``memory.max`` / ``memory.current``,
  v1 ``memory.limit_in_bytes`` / ``memory.usage_in_bytes``), reclaimable page cache counted
  as free.

A limit that cannot be read is left out; where none can be (an unknown system), nothing is
checked. Tests monkeypatch :func:`available_memory`.
"""

from __future__ import annotations

import os
from collections.abc import Callable
from typing import NamedTuple

__all__ = ["InsufficientMemoryError", "MemoryLimit", "address_space_limit",
           "available_memory", "cgroup_limit", "format_bytes", "parse_cgroup_v1",
           "parse_cgroup_v2", "parse_meminfo", "parse_vm_size", "physical_limit"]

_CGROUP = "/sys/fs/cgroup"


class InsufficientMemoryError(MemoryError):
    """A model (or a file to load) needs more memory than this process can have; the
    message names the sizes, the limit and what to change.

    Example
    -------
    >>> issubclass(InsufficientMemoryError, MemoryError)
    True
    """


class MemoryLimit(NamedTuple):
    """Bytes still available, and which limit says so (for the error message).

    Example
    -------
    >>> MemoryLimit(2**30, "MemAvailable in /proc/meminfo").describe()
    '1.00 GiB (MemAvailable in /proc/meminfo)'
    """

    available: int
    source: str

    def describe(self) -> str:
        """The bytes available and their source, for a message."""
        return f"{format_bytes(self.available)} ({self.source})"


def format_bytes(size: int) -> str:
    """``size`` in the largest binary unit that keeps it at or above 1.

    Example
    -------
    >>> format_bytes(6_947_680_000), format_bytes(512)
    ('6.47 GiB', '512 bytes')
    """
    value = float(size)
    for unit in ("KiB", "MiB", "GiB", "TiB"):
        value /= 1024
        if value < 1024 or unit == "TiB":
            if value < 1:
                break
            return f"{value:.2f} {unit}"
    return f"{size} bytes"


def parse_meminfo(text: str) -> int | None:
    """Bytes of ``MemAvailable`` in a ``/proc/meminfo`` text (None if absent).

    Example
    -------
    >>> parse_meminfo("MemTotal:  2048 kB\\nMemAvailable:  1024 kB\\n")
    1048576
    """
    for line in text.splitlines():
        name, _, rest = line.partition(":")
        if name.strip() == "MemAvailable":
            fields = rest.split()
            if fields and fields[0].isdigit():
                scale = 1024 if fields[1:2] == ["kB"] else 1
                return int(fields[0]) * scale
    return None


def parse_vm_size(text: str) -> int | None:
    """Bytes of address space mapped (``VmSize``) in a ``/proc/self/status`` text.

    Example
    -------
    >>> parse_vm_size("Name:\\tpython\\nVmSize:\\t  204800 kB\\n")
    209715200
    """
    for line in text.splitlines():
        if line.startswith("VmSize:"):
            fields = line.split()
            if len(fields) >= 2 and fields[1].isdigit():
                return int(fields[1]) * 1024
    return None


def _reclaimable(stat: str, names: tuple[str, ...]) -> int:
    """Inactive page cache in a cgroup ``memory.stat`` text: the kernel frees it on demand."""
    for line in stat.splitlines():
        fields = line.split()
        if len(fields) == 2 and fields[0] in names and fields[1].isdigit():
            return int(fields[1])
    return 0


def parse_cgroup_v2(limit: str, current: str, stat: str = "") -> int | None:
    """Bytes left under a cgroup v2 limit: ``memory.max`` less ``memory.current``, plus the
    inactive page cache of ``memory.stat``; None when there is no limit (``max``).

    Example
    -------
    >>> parse_cgroup_v2("max\\n", "123\\n") is None
    True
    >>> parse_cgroup_v2("1000\\n", "600\\n", "anon 500\\ninactive_file 50\\n")
    450
    """
    limit, current = limit.strip(), current.strip()
    if not limit.isdigit() or not current.isdigit():
        return None
    free = int(limit) - int(current) + _reclaimable(stat, ("inactive_file",))
    return max(0, min(free, int(limit)))


def parse_cgroup_v1(limit: str, usage: str, stat: str = "") -> int | None:
    """Bytes left under a cgroup v1 limit (``memory.limit_in_bytes`` less
    ``memory.usage_in_bytes``, plus inactive page cache); None when unlimited (v1 writes a
    huge number, near 2**63, for no limit).

    Example
    -------
    >>> parse_cgroup_v1("9223372036854771712\\n", "5000\\n") is None
    True
    >>> parse_cgroup_v1("1000\\n", "900\\n", "total_inactive_file 30\\n")
    130
    """
    limit, usage = limit.strip(), usage.strip()
    if not limit.isdigit() or not usage.isdigit() or int(limit) >= 2**62:
        return None
    free = int(limit) - int(usage) + _reclaimable(stat, ("total_inactive_file",
                                                         "inactive_file"))
    return max(0, min(free, int(limit)))


def _read(path: str) -> str | None:
    try:
        with open(path, encoding="ascii", errors="replace") as handle:
            return handle.read(1 << 20)
    except OSError:
        return None


def physical_limit() -> MemoryLimit | None:
    """The physical memory available: ``MemAvailable`` on Linux, else free pages from
    ``os.sysconf`` where the system reports them; None where unknown.

    Example
    -------
    >>> found = physical_limit()
    >>> found is None or found.available >= 0
    True
    """
    meminfo = _read("/proc/meminfo")
    if meminfo is not None:
        available = parse_meminfo(meminfo)
        if available is not None:
            return MemoryLimit(available, "MemAvailable in /proc/meminfo")
    try:
        pages, size = os.sysconf("SC_AVPHYS_PAGES"), os.sysconf("SC_PAGE_SIZE")
    except (AttributeError, ValueError, OSError):
        return None
    if pages <= 0 or size <= 0:
        return None
    return MemoryLimit(pages * size, "free physical memory")


def address_space_limit() -> MemoryLimit | None:
    """The address space left under ``RLIMIT_AS`` (``ulimit -v``): the soft limit less
    what the process maps already (``VmSize``); None when unlimited or unknown.

    Example
    -------
    >>> found = address_space_limit()
    >>> found is None or found.source.startswith("address-space limit")
    True
    """
    try:
        import resource
    except ImportError:  # not on Unix
        return None
    try:
        soft, _ = resource.getrlimit(resource.RLIMIT_AS)
    except (AttributeError, ValueError, OSError):
        return None
    if soft == resource.RLIM_INFINITY or soft < 0:
        return None
    status = _read("/proc/self/status")
    mapped = parse_vm_size(status) if status is not None else None
    left = max(0, soft - (mapped or 0))
    return MemoryLimit(left, f"address-space limit RLIMIT_AS of {format_bytes(soft)}"
                             + (f", {format_bytes(mapped)} already mapped" if mapped else ""))


def cgroup_limit(root: str = _CGROUP) -> MemoryLimit | None:
    """Bytes left under the memory limit of this process's cgroup (v2, else v1); None
    when no limit is set or none can be read.

    Example
    -------
    >>> found = cgroup_limit()
    >>> found is None or found.source.startswith("cgroup")
    True
    """
    own = _read("/proc/self/cgroup") or ""
    v2 = [line.split("::", 1)[1].strip() for line in own.splitlines() if line.startswith("0::")]
    for folder in [os.path.join(root, p.lstrip("/")) for p in v2] + [root]:
        limit, current = (_read(os.path.join(folder, "memory.max")),
                          _read(os.path.join(folder, "memory.current")))
        if limit is not None and current is not None:
            left = parse_cgroup_v2(limit, current,
                                   _read(os.path.join(folder, "memory.stat")) or "")
            if left is not None:
                return MemoryLimit(left, f"cgroup memory.max {limit.strip()} in {folder}")
    folder = os.path.join(root, "memory")
    limit, usage = (_read(os.path.join(folder, "memory.limit_in_bytes")),
                    _read(os.path.join(folder, "memory.usage_in_bytes")))
    if limit is not None and usage is not None:
        left = parse_cgroup_v1(limit, usage, _read(os.path.join(folder, "memory.stat")) or "")
        if left is not None:
            return MemoryLimit(left, f"cgroup memory.limit_in_bytes {limit.strip()}")
    return None


#: The probes :func:`available_memory` consults, each returning a limit or None.
PROBES: tuple[Callable[[], MemoryLimit | None], ...] = (
    physical_limit, address_space_limit, cgroup_limit)


def available_memory() -> MemoryLimit | None:
    """The tightest limit on the memory this process can still take (see the module's
    docs), or None when no limit could be read.

    Example
    -------
    >>> found = available_memory()
    >>> found is None or found.available >= 0
    True
    """
    found = [limit for probe in PROBES if (limit := probe()) is not None]
    return min(found, key=lambda limit: limit.available) if found else None
