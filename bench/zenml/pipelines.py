"""The benchmark workloads in ZenML: the same pipelines as bench/strata/pipelines.ts, side by side.

Every step sleeps `ms` and passes a small artifact (an integer) to the next.
"""

import time

from zenml import pipeline, step


@step
def first(ms: float, start: int) -> int:
    time.sleep(ms / 1000)
    return start


@step
def link(value: int, ms: float) -> int:
    time.sleep(ms / 1000)
    return value + 1


@pipeline
def bench_chain(n: int, ms: float, start: int = 0) -> None:
    """`n` steps in a row, each waiting `ms` and handing an integer (counting up from `start`) to the next."""
    value = first(ms=ms, start=start)
    for _ in range(1, n):
        value = link(value=value, ms=ms)


@step
def source() -> int:
    return 1


@step
def work(seed: int, ms: float, index: int) -> int:
    time.sleep(ms / 1000)
    return seed + index


@pipeline
def bench_fan_out(width: int, ms: float) -> None:
    """One source step feeding `width` independent steps. ZenML's `local` orchestrator runs them one by one."""
    seed = source()
    for index in range(width):
        work(seed=seed, ms=ms, index=index, id=f"work_{index}")


@pipeline(dynamic=True)
def bench_fan_out_dynamic(width: int, ms: float) -> None:
    """The same fan-out as a dynamic pipeline: `submit` runs each step in a thread (ZenML's parallel path)."""
    seed = source()
    futures = [work.submit(seed=seed, ms=ms, index=index, id=f"work_{index}") for index in range(width)]
    for future in futures:
        future.result()
