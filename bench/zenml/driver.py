"""Runs one benchmark workload on ZenML and prints its timings as one JSON line (the harness in
bench/compare.mjs starts one process per workload and round). Usage: python driver.py WORKLOAD [ARGS]."""

import json
import os
import sys
import time

# The harness sets BENCH_SPAWNED_AT (Unix ms) just before it starts this process, so `startMs` counts the
# interpreter's own start as Strata's counts Node's (performance.now() runs from the process's start).
spawned_at = float(os.environ.get("BENCH_SPAWNED_AT", time.time() * 1000))


def emit(**fields: object) -> None:
    print(json.dumps(fields), flush=True)


def timed(call):  # type: ignore[no-untyped-def]
    begin = time.perf_counter()
    result = call()
    return (time.perf_counter() - begin) * 1000, result


def main() -> None:
    workload, *args = sys.argv[1:]
    if workload == "loop":
        n, ms = int(args[0]), float(args[1])
        elapsed, _ = timed(lambda: [time.sleep(ms / 1000) for _ in range(n)])
        emit(ms=elapsed)
        return

    from pipelines import bench_chain, bench_fan_out, bench_fan_out_dynamic

    # The store and the active stack open inside the timed run call, as Strata's driver opens its store
    # inside `pipeline.run()`: both sides' run rows include opening the store.
    ready = time.time() * 1000 - spawned_at

    if workload == "chain":
        n, ms = int(args[0]), float(args[1])
        elapsed, _ = timed(lambda: bench_chain.with_options(enable_cache=False)(n=n, ms=ms))
        emit(runMs=elapsed, startMs=ready)
    elif workload == "cached":
        n = int(args[0])
        # A start value no earlier round used: the first run executes every step, the second none.
        start = time.time_ns() // 1_000_000
        first, warm = timed(lambda: bench_chain.with_options(enable_cache=True)(n=n, ms=0, start=start))
        second, run = timed(lambda: bench_chain.with_options(enable_cache=True)(n=n, ms=0, start=start))
        statuses = {str(step.status) for step in run.steps.values()}
        executed = {str(step.status) for step in warm.steps.values()}
        emit(
            firstMs=first,
            cachedMs=second,
            allCached=statuses == {"cached"},
            firstExecuted=executed == {"completed"},
            statuses=sorted(statuses | executed),
        )
    elif workload == "fanout":
        width, ms = int(args[0]), float(args[1])
        elapsed, _ = timed(lambda: bench_fan_out.with_options(enable_cache=False)(width=width, ms=ms))
        emit(runMs=elapsed)
    elif workload == "fanout-dynamic":
        width, ms = int(args[0]), float(args[1])
        elapsed, _ = timed(lambda: bench_fan_out_dynamic.with_options(enable_cache=False)(width=width, ms=ms))
        emit(runMs=elapsed)
    elif workload == "register":
        emit(ms=register(int(args[0]), int(args[1])))
    else:
        raise SystemExit(f"unknown workload {workload!r}")


def register(components: int, stacks: int) -> float:
    """Registers `components` components (half orchestrators, half artifact stores) and `stacks` stacks
    through ZenML's Python client, each validated by its flavor, as `zenml ... register` does."""
    from zenml.client import Client
    from zenml.enums import StackComponentType

    client = Client()
    begin = time.perf_counter()
    for index in range(components // 2):
        client.create_stack_component(
            name=f"orchestrator-{index}", flavor="local", component_type=StackComponentType.ORCHESTRATOR,
            configuration={},
        )
        client.create_stack_component(
            name=f"store-{index}", flavor="local", component_type=StackComponentType.ARTIFACT_STORE,
            configuration={"path": f"/tmp/zenml-bench-store-{index}"},
        )
    for index in range(stacks):
        client.create_stack(
            name=f"stack-{index}",
            components={
                StackComponentType.ORCHESTRATOR: f"orchestrator-{index}",
                StackComponentType.ARTIFACT_STORE: f"store-{index}",
            },
        )
    return (time.perf_counter() - begin) * 1000


if __name__ == "__main__":
    main()
