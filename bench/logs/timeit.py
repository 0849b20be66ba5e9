#!/usr/bin/python3
"""timeit.py -- runs one command N times and prints its timings as JSON.

Usage: timeit.py RUNS STDOUT_FILE STDERR_FILE -- COMMAND [ARG...]

Each run's stdout goes to STDOUT_FILE (truncated per run; the last run's
output stays for counting findings), stderr to STDERR_FILE. Wall time is
taken around fork/exec/wait with a monotonic clock; user and system CPU
time and peak RSS come from wait4()'s rusage (microsecond resolution,
unlike /usr/bin/time's 10 ms). CPU time matters here because the benchmark
machine is shared: other jobs inflate wall time, not CPU time.

Prints one JSON object: runs, wall (list), cpu (list, user+sys), best_wall,
median_wall, best_cpu (of the run with the least CPU), maxrss_kb, exit
codes. Exit status 0 unless the command could not be started.
"""

import json
import os
import statistics
import sys
import time


def main():
    if len(sys.argv) < 6 or sys.argv[4] != "--":
        sys.stderr.write(__doc__)
        return 2
    runs = int(sys.argv[1])
    out_path, err_path = sys.argv[2], sys.argv[3]
    argv = sys.argv[5:]
    walls, cpus, users, syss, rss, codes = [], [], [], [], [], []
    for _ in range(runs):
        with open(out_path, "wb") as out, open(err_path, "ab") as err:
            t0 = time.perf_counter()
            pid = os.fork()
            if pid == 0:
                try:
                    os.dup2(out.fileno(), 1)
                    os.dup2(err.fileno(), 2)
                    os.execvp(argv[0], argv)
                finally:
                    os._exit(127)
            _, status, ru = os.wait4(pid, 0)
            t1 = time.perf_counter()
        walls.append(t1 - t0)
        users.append(ru.ru_utime)
        syss.append(ru.ru_stime)
        cpus.append(ru.ru_utime + ru.ru_stime)
        rss.append(ru.ru_maxrss)
        codes.append(os.waitstatus_to_exitcode(status))
        if codes[-1] == 127:
            break
    print(json.dumps({
        "runs": len(walls), "wall": walls, "cpu": cpus, "user": users, "sys": syss,
        "best_wall": min(walls), "median_wall": statistics.median(walls),
        "best_cpu": min(cpus), "maxrss_kb": max(rss), "exit": codes,
        "argv": argv,
    }))
    return 1 if 127 in codes else 0


if __name__ == "__main__":
    sys.exit(main())
