"""Runs' output pipes are read on one thread, line by line, to their ends."""

from __future__ import annotations

import os
import threading

from jupyter_orch.workers.executors import OutputPump


def _collect() -> tuple[list[tuple[str, int, str]], OutputPump]:
    lines: list[tuple[str, int, str]] = []
    return lines, OutputPump(lambda run, level, line: lines.append((run, level, line)))


def test_lines_arrive_whole_however_the_bytes_are_split() -> None:
    lines, pump = _collect()
    r, w = os.pipe()
    done = pump.add(r, "run", 20)
    for chunk in (b"first li", b"ne\r\nzw\xc3", b"\xb6lf\n", b"", b"no newline at the end"):
        if chunk:
            os.write(w, chunk)
    os.close(w)
    assert done.wait(10)
    assert lines == [("run", 20, "first line"), ("run", 20, "zwölf"), ("run", 20, "no newline at the end")]
    pump.close()


def test_many_pipes_one_thread() -> None:
    lines, pump = _collect()
    pipes = [os.pipe() for _ in range(200)]
    done = [pump.add(r, f"run-{i}", 40) for i, (r, _) in enumerate(pipes)]
    assert [t for t in threading.enumerate() if t._target == pump._run] == [pump._thread]
    for i, (_, w) in enumerate(pipes):
        os.write(w, f"line of {i}\n".encode())
        os.close(w)
    assert all(d.wait(10) for d in done)
    assert sorted(lines) == sorted((f"run-{i}", 40, f"line of {i}") for i in range(200))
    pump.close()


def test_a_failing_sink_loses_a_line_not_the_pump() -> None:
    seen: list[str] = []

    def sink(run: str, level: int, line: str) -> None:
        if line == "bad":
            raise ValueError("cannot record")
        seen.append(line)

    pump = OutputPump(sink)
    r, w = os.pipe()
    done = pump.add(r, "run", 20)
    os.write(w, b"bad\ngood\n")
    os.close(w)
    assert done.wait(10) and seen == ["good"]
    pump.close()


def test_close_reads_what_is_left_then_stops() -> None:
    lines, pump = _collect()
    r, w = os.pipe()
    done = pump.add(r, "run", 20)
    pump.close()
    os.write(w, b"late line\n")
    os.close(w)
    assert done.wait(10) and lines == [("run", 20, "late line")]
    assert pump._thread is not None
    pump._thread.join(10)
    assert not pump._thread.is_alive()
