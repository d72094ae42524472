"""The scripts `engine.py` times, each run with `python -c` in a fresh process: `{pkg}` is
`jupyter_orch` or `prefect`, `{n}` the number of tasks; each prints one JSON line."""

# a warm-up flow of one task, then a flow of {n} sequential calls of `noop`, timed
_SEQUENTIAL = """
@flow
def warmup():
    noop(0)

@flow
def many(n):
    for i in range(n):
        noop(i)

warmup()
t0, c0 = time.perf_counter(), time.process_time()
many({n})
elapsed, cpu = time.perf_counter() - t0, time.process_time() - c0
print(json.dumps({{"seconds": elapsed, "cpu": cpu}}))
"""

PER_TASK = (
    """
import json, time
from {pkg} import flow, task

@task
def noop(i):
    return i
"""
    + _SEQUENTIAL
)

# the same with what a task often carries: a state hook, a run-name template and a retry
# condition (its cache policy is the DEFAULT every task has; results are not persisted)
DRESSED = (
    """
import json, time
from {pkg} import flow, task

def done(task, task_run, state):
    pass

@task(on_completion=[done], task_run_name="noop-{{i}}", retries=1, retry_condition_fn=lambda t, r, s: True)
def noop(i):
    return i
"""
    + _SEQUENTIAL
)

SUBMIT = """
import json, time
from {pkg} import flow, task

@task
def noop(i):
    return i

@flow
def warmup():
    noop.submit(0).result()

@flow
def submits(n):
    t0 = time.perf_counter()
    for i in range(n):
        noop.submit(i).result()
    return time.perf_counter() - t0

warmup()
print(json.dumps({{"seconds": submits({n})}}))
"""

FANOUT = """
import json, resource, time
from {pkg} import flow, task

@task
def noop(i):
    return i

@flow
def fan(n):
    futures = noop.map(range(n))
    return sum(f.result() for f in futures)

t0, c0 = time.perf_counter(), time.process_time()
total = fan({n})
assert total == {n} * ({n} - 1) // 2, total
elapsed, cpu = time.perf_counter() - t0, time.process_time() - c0
rss = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss * 1024
print(json.dumps({{"seconds": elapsed, "cpu": cpu, "rss": rss}}))
"""

FIRST_CALL = """
import time
t0, c0 = time.perf_counter(), time.process_time()
from {pkg} import flow, task
c1 = time.process_time()

@flow
def hello():
    return 1

hello()
wall, cpu = time.perf_counter() - t0, time.process_time() - c0
print('{{"seconds": %f, "import_cpu": %f, "cpu": %f}}' % (wall, c1 - c0, cpu))
"""
