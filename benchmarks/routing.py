"""Cost of a routing decision: ``pgha.routing.classify`` on a cached statement text (the hot
path: one dictionary lookup) and on a new text (a pglast parse and a tree walk).

    python benchmarks/routing.py [--iterations N]

Prints microseconds per decision for a few statement shapes; the issue's aim is <= 10 us for
a cached decision.
"""

from __future__ import annotations

import argparse
import time

from pgha.routing import classify as routing

STATEMENTS = {
    "pgbench -S": "SELECT abalance FROM pgbench_accounts WHERE aid = $1",
    "pgbench -N update": "UPDATE pgbench_accounts SET abalance = abalance + $1 WHERE aid = $2",
    "join + functions": "SELECT o.id, lower(c.name), count(*) OVER () FROM orders o JOIN "
                        "customers c ON c.id = o.customer_id WHERE o.created_at > now() - "
                        "interval '1 day' ORDER BY o.id LIMIT 50",
    "write CTE": "WITH moved AS (DELETE FROM queue WHERE id = $1 RETURNING *) "
                 "INSERT INTO done SELECT * FROM moved",
}


def per_call_us(fn: object, arg: str, iterations: int) -> float:
    call = fn  # type: ignore[assignment]
    start = time.perf_counter()
    for _ in range(iterations):
        call(arg)  # type: ignore[operator]
    return (time.perf_counter() - start) / iterations * 1e6


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--iterations", type=int, default=200_000)
    args = parser.parse_args()
    print("| statement | cached decision (us) | uncached: parse + walk (us) |")
    print("|---|---|---|")
    for name, sql in STATEMENTS.items():
        routing.classify(sql)
        cached = per_call_us(routing.classify, sql, args.iterations)
        uncached = per_call_us(routing._classify, sql, max(1, args.iterations // 100))
        print(f"| {name} | {cached:.3f} | {uncached:.1f} |")


if __name__ == "__main__":
    main()
