#!/usr/bin/python3
"""ab.py -- alternate runs of several commands and compare their times.

Usage: ab.py RUNS COMMAND [COMMAND...]    (each COMMAND one shell-split string)

Runs the commands in turn RUNS times (A B A B ...), so that a change in the
machine's load hits all of them alike, with output to /dev/null. Wall time
is taken around fork/exec/wait; CPU time (user + system) comes from
wait4()'s rusage, as in timeit.py. Prints, per command, the best and the
median of each. Example (docs/benchmarks-logs.md):

    bench/logs/ab.py 30 "build/defuse logs --jobs 1 clean.log" "rg -c -F \\${ clean.log"
"""

import os
import shlex
import statistics
import sys
import time


def run(argv):
    t0 = time.perf_counter()
    pid = os.fork()
    if pid == 0:
        try:
            fd = os.open(os.devnull, os.O_WRONLY)
            os.dup2(fd, 1)
            os.dup2(fd, 2)
            os.execvp(argv[0], argv)
        finally:
            os._exit(127)
    _, status, ru = os.wait4(pid, 0)
    return time.perf_counter() - t0, ru.ru_utime + ru.ru_stime, os.waitstatus_to_exitcode(status)


def main():
    if len(sys.argv) < 3:
        sys.stderr.write(__doc__)
        return 2
    runs = int(sys.argv[1])
    cmds = [shlex.split(c) for c in sys.argv[2:]]
    res = [[] for _ in cmds]
    for _ in range(runs):
        for k, c in enumerate(cmds):
            res[k].append(run(c))
    for k, c in enumerate(cmds):
        wall = [r[0] * 1e3 for r in res[k]]
        cpu = [r[1] * 1e3 for r in res[k]]
        codes = sorted({r[2] for r in res[k]})
        print("%-60s wall best %.1f median %.1f | cpu best %.1f median %.1f ms | exit %s"
              % (" ".join(c)[:60], min(wall), statistics.median(wall), min(cpu),
                 statistics.median(cpu), codes))
    return 0


if __name__ == "__main__":
    sys.exit(main())
