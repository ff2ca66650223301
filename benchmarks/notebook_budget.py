"""Run each notebook top to bottom; report its time in seconds and in reference units, and its memory.

Run ``python benchmarks/notebook_budget.py [notebooks/NAME.ipynb ...]`` (all
notebooks by default). Nothing is written: the executed copies are discarded.

A time in seconds says as much about the machine as about the notebook
(machines of the same kind differ about threefold; ``import torch`` alone
took 2 s on one and 8 s on another). So the script also times, in the same
run, a fixed **reference workload**: a fresh interpreter that imports torch
and the course, loads ``gap_cnn`` and the 1,000 frozen test scenes, and runs
the backbone over them, 250 at a time. That is what every notebook does
first, so both scale alike with the machine. The reference runs before and
after the notebooks, and each notebook's time is also given in units of
their mean, **R**. The budgets are in R.

For each notebook the report also says where the time goes: starting the
kernel, the first code cell (the imports), and the three slowest other cells.
The memory is the kernel's peak resident set size (``VmHWM`` in
``/proc/<pid>/status``), read just before the kernel is shut down; the budget
is 1.5 GB each (Binder restarts a kernel above 2 GB).
"""

from __future__ import annotations

import statistics
import subprocess
import sys
import time
from dataclasses import dataclass, field
from pathlib import Path

import nbformat
from nbclient import NotebookClient

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

# Budgets in reference units R, set from the development machine's measurements (BENCHMARKS.md):
# about 1.5x what each notebook took there, so a busy machine does not cross them.
BUDGET_R = {"01": 4.0, "02": 6.0, "03": 7.0, "04": 9.0, "05": 9.0, "06": 6.0}
DEFAULT_BUDGET_R = 9.0
COURSE_BUDGET_R = 40.0
BUDGET_MB = 1536

REFERENCE = """
import torch
from course_utils.checkpoints import load_model, load_split
model, test = load_model("gap_cnn"), load_split("test")
with torch.no_grad():
    for chunk in test.images.split(250):
        model.features(chunk)
"""


def reference_seconds() -> float:
    """Wall time of the reference workload in a fresh interpreter, interpreter start included."""
    start = time.perf_counter()
    subprocess.run([sys.executable, "-c", REFERENCE], check=True, cwd=ROOT)
    return time.perf_counter() - start


def peak_rss_mb(pid: int) -> float:
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmHWM:"):
            return int(line.split()[1]) / 1024
    return float("nan")


@dataclass
class NotebookRun:
    seconds: float
    memory_mb: float
    kernel_start: float
    cells: list[tuple[float, str]] = field(default_factory=list)  # (seconds, first line) per code cell
    memory_steps: list[tuple[float, str]] = field(default_factory=list)  # (MB the peak grew, first line)


def first_line(source: str) -> str:
    lines = [line for line in source.splitlines() if line.strip() and not line.startswith("# NBVAL")]
    return (lines[0] if lines else "")[:60]


def run(path: Path) -> NotebookRun:
    """Seconds (kernel start included), the kernel's peak MB, and each code cell's time."""
    notebook = nbformat.read(path, as_version=4)
    client = NotebookClient(notebook, timeout=180, kernel_name="python3",
                            resources={"metadata": {"path": str(path.parent)}})
    start = time.perf_counter()
    with client.setup_kernel():
        kernel_start = time.perf_counter() - start
        pid = client.km.provisioner.process.pid
        cells, memory_steps, peak = [], [], peak_rss_mb(pid)
        for index, cell in enumerate(notebook.cells):
            cell_start = time.perf_counter()
            client.execute_cell(cell, index)
            if cell.cell_type == "code":
                cells.append((time.perf_counter() - cell_start, first_line(cell.source)))
                new_peak = peak_rss_mb(pid)
                memory_steps.append((new_peak - peak, first_line(cell.source)))
                peak = new_peak
        memory = peak_rss_mb(pid)
    return NotebookRun(time.perf_counter() - start, memory, kernel_start, cells, memory_steps)


def where_the_time_goes(result: NotebookRun) -> str:
    imports, *rest = result.cells
    slowest = sorted(rest, reverse=True)[:3]
    parts = [f"kernel start {result.kernel_start:.1f} s", f"imports {imports[0]:.1f} s"]
    parts += [f"`{line}` {seconds:.1f} s" for seconds, line in slowest]
    growth = sorted(result.memory_steps, reverse=True)[:2]
    parts += [f"peak memory +{mb:.0f} MB at `{line}`" for mb, line in growth if mb > 0]
    return "; ".join(parts)


def main(argv: list[str]) -> None:
    from course_utils.course import lessons

    paths = [Path(p) for p in argv] or lessons()
    before = reference_seconds()
    results = {path: run(path) for path in paths}
    after = reference_seconds()
    unit = statistics.mean([before, after])

    print(f"reference workload R = {unit:.2f} s (before the notebooks {before:.2f} s, after {after:.2f} s)\n")
    print("| notebook | time (s) | time (R) | budget (R) | peak kernel memory (MB) |")
    print("|---|---:|---:|---:|---:|")
    total = 0.0
    for path, result in results.items():
        total += result.seconds
        budget = BUDGET_R.get(path.name[:2], DEFAULT_BUDGET_R)
        over = result.seconds / unit > budget or result.memory_mb > BUDGET_MB
        flag = " **over**" if over else ""
        print(f"| {path.stem} | {result.seconds:.1f} | {result.seconds / unit:.1f} | {budget:.0f} "
              f"| {result.memory_mb:.0f}{flag} |")
    print(f"\ncourse: {total:.1f} s = {total / unit:.1f} R (budget {COURSE_BUDGET_R:.0f} R)\n")
    print("where the time goes:")
    for path, result in results.items():
        print(f"- {path.stem}: {where_the_time_goes(result)}")


if __name__ == "__main__":
    main(sys.argv[1:])
