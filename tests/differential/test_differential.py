"""Run every corpus file on pgha and on PostgreSQL 15 and require identical outcomes.

- `test_pgha_matches_postgres[FILE]`: the real check, pgha against PostgreSQL.
- `test_corpus_on_postgres[FILE]`: PostgreSQL against itself (two fresh databases): proves
  the harness passes identical systems and that every file is valid PostgreSQL 15 with its
  errors exactly where annotated. Needs no pgha, so it guards the corpus on its own.
- `test_harness_reports_differences`: PostgreSQL against itself with different data on
  one side: proves the harness can fail.
"""

from __future__ import annotations

import os
from pathlib import Path

import psycopg
import pytest

from differential.harness import connect, corpus_files, execute, run_differential, run_file
from fixtures.pgha_server import PghaServer
from fixtures.postgres import PostgresServer

pytestmark = pytest.mark.postgres

CORPUS = corpus_files()

def _ids(path: Path) -> str:
    return path.stem


# The statements where pgha is known to differ from PostgreSQL 15, one per line as
# "<file stem>\t<statement>". A ratchet: a mismatch not listed fails the test (a regression),
# and so does a listed statement that now matches (remove it: the gap is closed). Rewrite the
# list for the files a run covers with PGHA_UPDATE_KNOWN_MISMATCHES=1.
KNOWN_MISMATCHES = Path(__file__).with_name("known_mismatches.txt")


def _key(sql: str) -> str:
    return " ".join(sql.split())


def _known() -> dict[str, set[str]]:
    known: dict[str, set[str]] = {}
    if KNOWN_MISMATCHES.exists():
        for line in KNOWN_MISMATCHES.read_text().splitlines():
            if line.strip() and not line.startswith("#"):
                stem, _, sql = line.partition("\t")
                known.setdefault(stem, set()).add(sql)
    return known


def _record(stem: str, keys: set[str]) -> None:
    known = _known()
    known[stem] = keys
    lines = ["# pgha vs PostgreSQL 15: statements known to differ (see test_differential.py)"]
    lines += [f"{s}\t{k}" for s in sorted(known) for k in sorted(known[s])]
    KNOWN_MISMATCHES.write_text("\n".join(lines) + "\n")


@pytest.mark.parametrize("path", CORPUS, ids=_ids)
def test_pgha_matches_postgres(path: Path, pgha_server: PghaServer, postgres_db: str) -> None:
    with connect(pgha_server.dsn) as subject, connect(postgres_db) as reference:
        result = run_file(path, subject, reference)
    if result.aborted is not None:
        pytest.fail(result.format(), pytrace=False)
    found = {_key(m.statement.sql): m for m in result.mismatches}
    if os.environ.get("PGHA_UPDATE_KNOWN_MISMATCHES"):
        _record(path.stem, set(found))
        return
    known = _known().get(path.stem, set())
    new = [m for key, m in found.items() if key not in known]
    fixed = sorted(known - set(found))
    report = []
    if new:
        report.append(f"{len(new)} new mismatch(es) with PostgreSQL 15:")
        report += [m.format() for m in new]
    if fixed:
        report.append("now identical to PostgreSQL 15, remove from known_mismatches.txt:")
        report += [f"  {sql}" for sql in fixed]
    if report:
        pytest.fail("\n".join(report), pytrace=False)


@pytest.mark.parametrize("path", CORPUS, ids=_ids)
def test_corpus_on_postgres(path: Path, postgres_server: PostgresServer, postgres_db: str) -> None:
    with (
        postgres_server.temporary_database() as other_dsn,
        connect(other_dsn) as subject,
        connect(postgres_db) as reference,
    ):
        result = run_file(path, subject, reference, labels=("postgres-a", "postgres-b"))
    if not result.ok:
        pytest.fail(result.format(), pytrace=False)
    assert result.statements > 0


def test_corpus_is_big_enough() -> None:
    assert len(CORPUS) >= 10
    assert all(path.read_text().strip() for path in CORPUS)


def test_harness_reports_differences(postgres_server: PostgresServer, postgres_db: str) -> None:
    script = """
        CREATE TABLE diff_t (id int PRIMARY KEY, v text);
        INSERT INTO diff_t VALUES (1, 'a'), (2, 'b');
        SELECT id, v FROM diff_t ORDER BY id;
        SELECT count(*) FROM diff_t;
        SELECT v FROM diff_t WHERE id = 3;
        INSERT INTO diff_t VALUES (3, 'c');
        DROP TABLE diff_t;
    """
    with postgres_server.temporary_database() as other_dsn:
        # The "subject" already has a row 3 and a different type for v: several mismatches.
        with psycopg.connect(other_dsn, autocommit=True) as setup:
            setup.execute("CREATE TABLE diff_t (id int PRIMARY KEY, v varchar(10))")
            setup.execute("INSERT INTO diff_t VALUES (3, 'x')")
        with connect(other_dsn) as subject, connect(postgres_db) as reference:
            result = run_differential(subject, reference, script)
    assert not result.ok
    report = result.format()
    problems = {m.statement.line: m.problems for m in result.mismatches}
    assert "pgha failed but postgres succeeded" in problems[2][0]  # CREATE TABLE: 42P07
    assert any("row count differs" in p for p in problems[4])  # ORDER BY query
    assert any("rows differ" in p or "row 1 differs" in p for p in problems[5])  # count 3 vs 2
    assert "<script>:4: SELECT id, v FROM diff_t ORDER BY id" in report
    assert "ERROR 42P07" in report


def test_execute_never_hangs(postgres_server: PostgresServer, postgres_db: str) -> None:
    with connect(postgres_db) as conn:
        slow = execute(conn, "SELECT pg_sleep(60)", timeout=0.5)
        assert slow.status == "timeout"
        assert "57014" in slow.message  # cancelled, and the session is still usable
        assert execute(conn, "SELECT 1").rows == ((b"1",),)
        pid = conn.pgconn.backend_pid
        with connect(postgres_server.dsn) as killer:
            execute(killer, f"SELECT pg_terminate_backend({pid})")
        lost = execute(conn, "SELECT 1")
        assert lost.status == "lost"


def test_session_loss_aborts_the_run(postgres_server: PostgresServer, postgres_db: str) -> None:
    with connect(postgres_db) as subject, connect(postgres_db) as reference:
        pid = subject.pgconn.backend_pid
        script = f"SELECT 1;\nSELECT pg_terminate_backend({pid}); -- differential: skip-rows\n"
        script += "SELECT 2;\nSELECT 3;\n"
        result = run_differential(subject, reference, script)
    # The subject's session ends itself at line 2: the run stops there, lines 3-4 never run.
    assert result.aborted is not None
    assert "pgha session unusable after <script>:2" in result.aborted
    assert result.statements == 2
    assert "pgha: lost" in result.format()
