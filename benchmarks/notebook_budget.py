"""Run each notebook top to bottom and report its wall time and the kernel's peak memory.

Run ``python benchmarks/notebook_budget.py [notebooks/NAME.ipynb ...]`` (all
the course's notebooks by default, as :func:`course_utils.course.notebooks` finds them). The time includes starting the kernel; the memory is
the kernel process's peak resident set size (``VmHWM`` in
``/proc/<pid>/status``), read just before the kernel is shut down. Budgets:
20 s for 01-03 and 25 s for 04-06 on two cores, 1.5 GB each, 120 s for the
course. Nothing is written: the executed copies are discarded.
"""

from __future__ import annotations

import sys
import time
from pathlib import Path

import nbformat
from nbclient import NotebookClient

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))  # run from anywhere without installing

from course_utils.course import notebooks  # noqa: E402

BUDGET_S = {"01": 20, "02": 20, "03": 20, "04": 25, "05": 25, "06": 25}
BUDGET_MB = 1536
COURSE_BUDGET_S = 120


def peak_rss_mb(pid: int) -> float:
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmHWM:"):
            return int(line.split()[1]) / 1024
    return float("nan")


def run(path: Path) -> tuple[float, float]:
    """Seconds (kernel start included) and the kernel's peak MB for one notebook."""
    notebook = nbformat.read(path, as_version=4)
    client = NotebookClient(notebook, timeout=90, kernel_name="python3", resources={"metadata": {"path": str(path.parent)}})
    start = time.perf_counter()
    with client.setup_kernel():
        pid = client.km.provisioner.process.pid
        for index, cell in enumerate(notebook.cells):
            client.execute_cell(cell, index)
        memory = peak_rss_mb(pid)
    return time.perf_counter() - start, memory


def main(argv: list[str]) -> None:
    paths = [Path(p) for p in argv] or notebooks()
    total = 0.0
    print("| notebook | time (s) | budget (s) | peak kernel memory (MB) |")
    print("|---|---:|---:|---:|")
    for path in paths:
        seconds, memory = run(path)
        total += seconds
        budget = BUDGET_S.get(path.name[:2], 25)
        flag = "" if seconds <= budget and memory <= BUDGET_MB else " **over**"
        print(f"| {path.stem} | {seconds:.1f} | {budget} | {memory:.0f}{flag} |")
    print(f"\ntotal {total:.1f} s (course budget {COURSE_BUDGET_S} s)")


if __name__ == "__main__":
    main(sys.argv[1:])
