"""Start-up cost of the CLI: `qualcode --help` time over `python -c pass` time (median of 10).

Run: python bench/startup.py
"""

from __future__ import annotations

import statistics
import subprocess
import sys
import time


def median_seconds(cmd: list[str], repeats: int = 10) -> float:
    times = []
    for _ in range(repeats):
        start = time.perf_counter()
        subprocess.run(cmd, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, check=True)
        times.append(time.perf_counter() - start)
    return statistics.median(times)


def main() -> None:
    base = median_seconds([sys.executable, "-c", "pass"])
    helps = median_seconds([sys.executable, "-m", "qualcode", "--help"])
    version = median_seconds([sys.executable, "-m", "qualcode", "--version"])
    print(f"python -c pass       : {base * 1000:7.1f} ms")
    print(f"qualcode --help      : {helps * 1000:7.1f} ms  (ratio {helps / base:5.1f}x)")
    print(f"qualcode --version   : {version * 1000:7.1f} ms  (ratio {version / base:5.1f}x)")
    print(f"budget 200 ms        : {'met' if max(helps, version) < 0.2 else 'NOT met'}")


if __name__ == "__main__":
    main()
