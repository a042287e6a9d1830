"""The machinery of the fuzz tests (test_fuzz.py, test_kernels_fuzz.py): a worker process that runs
batches of cases and survives their crashes, the tally of results, and one driver that hypothesis
feeds with batches of (op, variant, seed)."""

from __future__ import annotations

import collections
import json
import multiprocessing
import os
import time

import fuzz as fuzz_cases
from hypothesis import HealthCheck, Phase, given, settings
from hypothesis import strategies as st

BATCH = 40
CASE_TIMEOUT = 60.0  # seconds a single case may take before it counts as a hang


def long_mode(config) -> bool:
    return (
        os.environ.get("TINYGRAD_CONV_FUZZ_LONG") == "1"
        or os.environ.get("HYPOTHESIS_PROFILE") == "long"
        or bool(config.getoption("--long", default=False))
    )


class Worker:
    """A child process that runs batches of cases; restarted whenever it dies."""

    def __init__(self) -> None:
        self.ctx = multiprocessing.get_context("spawn")
        self.proc = None
        self.conn = None
        self.restarts = 0

    def start(self) -> None:
        parent, child = self.ctx.Pipe()
        self.proc = self.ctx.Process(target=fuzz_cases.worker, args=(child,), daemon=True)
        self.proc.start()
        child.close()
        self.conn = parent
        if not parent.poll(180) or parent.recv() != "ready":
            raise RuntimeError("the fuzz worker did not start")

    def stop(self) -> None:
        if self.proc is None:
            return
        try:
            self.conn.send(None)
        except (BrokenPipeError, OSError):
            pass
        self.proc.join(10)
        if self.proc.is_alive():
            self.proc.kill()
            self.proc.join()
        self.proc = None

    def _died(self, case) -> dict:
        self.proc.join(5)
        if self.proc.is_alive():  # a hang: end it
            self.proc.kill()
            self.proc.join()
            detail = f"no answer within {CASE_TIMEOUT:.0f} s (killed)"
        else:
            detail = f"the worker died with exit code {self.proc.exitcode}"
        self.proc = None
        self.restarts += 1
        return {"status": "crash", "detail": detail, "desc": repr(case), "valid": None}

    def run(self, batch: list) -> list[dict]:
        results: list[dict] = []
        while len(results) < len(batch):
            if self.proc is None:
                self.start()
            rest = batch[len(results) :]
            self.conn.send(rest)
            for case in rest:
                try:
                    if not self.conn.poll(CASE_TIMEOUT):
                        raise EOFError
                    results.append(self.conn.recv())
                except (EOFError, ConnectionResetError, OSError):
                    results.append(self._died(case))
                    break
        return results


# Bugs found by this suite in other files and not yet fixed, each as name -> matcher(op, result),
# with a strict-xfail regression test below. A failure that matches one is counted as "known" (and
# listed) instead of failing the fuzz test again. Every bug found so far is fixed (see the
# regression tests below), so this is empty.
KNOWN_BUGS: dict = {}


class Stats:
    def __init__(self) -> None:
        self.counts: collections.Counter = collections.Counter()
        self.per_op: dict[str, collections.Counter] = collections.defaultdict(collections.Counter)
        self.failures: list[tuple] = []
        self.known: collections.Counter = collections.Counter()
        self.known_examples: dict[str, tuple] = {}

    def add(self, case, result) -> None:
        op, variant, seed = case
        status = result["status"]
        self.counts["cases"] += 1
        self.per_op[op]["cases"] += 1
        kind = {True: "valid", False: "invalid", None: "unknown"}[result.get("valid")]
        self.counts[kind] += 1
        if status == "ok":
            return
        for name, matches in KNOWN_BUGS.items():
            if matches(op, result):
                self.known[name] += 1
                self.known_examples.setdefault(name, (op, variant, seed, result["desc"]))
                return
        self.counts[status] += 1
        self.per_op[op][status] += 1
        self.failures.append((op, variant, seed, status, result["desc"], result["detail"][:1500]))

    def summary(self) -> dict:
        c = self.counts
        return {
            "cases_run": c["cases"],
            "valid_cases": c["valid"],
            "invalid_cases": c["invalid"],
            "crashes": c["crash"],
            "wrong_results": c["wrong"],
            "inputs_changed": c["changed"],
            "invalid_not_rejected": c["not_rejected"],
            "bad_errors": c["bad_error"],
            "errors_after_a_kernel_ran": c["late_error"],
            "harness_errors": c["harness"],
            "known_bugs": dict(self.known),
            "known_bug_examples": self.known_examples,
            "per_op": {op: dict(v) for op, v in sorted(self.per_op.items())},
        }


def case_batches(ops, max_variant=60):
    variant = st.one_of(st.just(0), st.integers(1, max_variant))
    case = st.tuples(st.sampled_from(ops), variant, st.integers(0, 2**32 - 1))
    return st.lists(case, min_size=BATCH, max_size=BATCH)


def fuzz(worker: Worker, ops: list[str], batches: int, derandomize: bool, summary_path=None):
    """Run `batches` hypothesis-drawn batches through `worker`; -> (summary dict, failures)."""
    stats = Stats()
    started = time.perf_counter()

    @settings(
        max_examples=batches,
        derandomize=derandomize,
        deadline=None,
        database=None,
        phases=[Phase.generate],
        suppress_health_check=list(HealthCheck),
    )
    @given(case_batches(ops))
    def run(batch):
        for case, result in zip(batch, worker.run(batch), strict=True):
            stats.add(case, result)

    run()
    summary = stats.summary()
    summary.update(
        ops=ops,
        seconds=round(time.perf_counter() - started, 1),
        worker_restarts=worker.restarts,
        batches=batches,
    )
    text = json.dumps(summary, indent=1, default=str)
    print(text)
    if summary_path:
        os.makedirs(os.path.dirname(summary_path) or ".", exist_ok=True)
        with open(summary_path, "w") as f:
            f.write(text + "\n" + "\n".join(map(repr, stats.failures)) + "\n")
    return summary, stats.failures


def describe(failures) -> str:
    listed = "\n".join(
        f"{f[0]} variant={f[1]} seed={f[2]} {f[3]}: {f[4]}\n    {f[5]}" for f in failures[:15]
    )
    return (
        f"{len(failures)} failing cases (replay: cd tests && python -m fuzz OP VARIANT SEED):\n"
        + listed
    )
