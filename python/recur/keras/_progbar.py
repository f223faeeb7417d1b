"""Keras 3's progress output: a bar redrawn on a terminal (verbose=1), one line per epoch
otherwise, or one line per epoch without the bar (verbose=2); written to stdout."""
from __future__ import annotations

import sys
import time
from typing import Dict, Optional


def format_value(v: float) -> str:
    return f"{v:.4f}" if abs(v) > 1e-3 or v == 0 else f"{v:.4e}"


def format_logs(logs: Dict[str, float]) -> str:
    return "".join(f" - {k}: {format_value(v)}" for k, v in sorted(logs.items()))


def format_step_time(seconds: float) -> str:
    if seconds >= 1 or seconds == 0:
        return f"{seconds:.0f}s/step"
    if seconds >= 1e-3:
        return f"{seconds * 1e3:.0f}ms/step"
    return f"{seconds * 1e6:.0f}us/step"


class Progbar:
    """One epoch's (or evaluate's, predict's) progress over `target` steps."""

    WIDTH = 20
    INTERVAL = 0.05       # seconds between redraws on a terminal

    def __init__(self, target: int, verbose: int, stream=None):
        self.target, self.verbose = target, verbose
        self.stream = stream or sys.stdout
        self.interactive = verbose == 1 and hasattr(self.stream, "isatty") and \
            self.stream.isatty()
        self.start = time.perf_counter()
        self.last_draw = 0.0
        self.last_width = 0

    def update(self, current: int, logs: Optional[Dict[str, float]] = None,
               final: bool = False) -> None:
        if self.verbose == 0:
            return
        now = time.perf_counter()
        elapsed = now - self.start
        if not final:
            if not self.interactive or now - self.last_draw < self.INTERVAL:
                return
            self.last_draw = now
        per_step = elapsed / current if current else 0.0
        values = format_logs(logs or {})
        if self.verbose == 2:
            line = f"{current}/{self.target} - {elapsed:.0f}s - {format_step_time(per_step)}"
            self.stream.write(line + values + "\n")
            self.stream.flush()
            return
        done = int(self.WIDTH * current / self.target) if self.target else self.WIDTH
        bar = "\u2501" * done + ("\u2501" * (self.WIDTH - done) if not self.interactive
                                 else "\x1b[37m" + "\u2501" * (self.WIDTH - done) + "\x1b[0m")
        shown = elapsed if final else per_step * (self.target - current)
        line = f"{current}/{self.target} {bar} {shown:.0f}s {format_step_time(per_step)}{values}"
        if self.interactive:
            pad = max(0, self.last_width - len(line))
            self.stream.write("\r" + line + " " * pad)
            self.last_width = len(line)
            if final:
                self.stream.write("\n")
        elif final:
            self.stream.write(line + "\n")
        self.stream.flush()
