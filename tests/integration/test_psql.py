"""psql (the real binary) against a `pgha server`: output formats, scripts, \\copy, errors.

Expected outputs were taken from psql 15 against a real PostgreSQL 15.
"""

from __future__ import annotations

import os
import subprocess
import uuid
from pathlib import Path

import pytest

from fixtures.pgha_server import PghaServer

PRODUCTS_ALIGNED = """\
 id |     name     | price | ok 
----+--------------+-------+----
  1 | apple        |  1.50 | t
  2 | banana split |       | f
  3 |              | 10.00 | 
(3 rows)

"""  # noqa: W291 - psql pads the last column with a trailing space


def _table(prefix: str) -> str:
    return f"{prefix}_{uuid.uuid4().hex[:8]}"


@pytest.fixture
def products(pgha_server_module: PghaServer, psql) -> str:
    """A fresh table with three rows, created through psql itself."""
    name = _table("psql_products")
    result = psql(
        pgha_server_module,
        "-q",
        "-v",
        "ON_ERROR_STOP=1",
        "-c",
        f"create table {name} (id int primary key, name text, price numeric(10,2), ok boolean)",
        "-c",
        f"insert into {name} values (1, 'apple', 1.5, true), (2, 'banana split', NULL, false), "
        "(3, NULL, 10, NULL)",
    )
    assert result.returncode == 0, result.stderr
    return name


def test_create_insert_reports_command_tags(pgha_server_module: PghaServer, psql) -> None:
    name = _table("psql_tags")
    result = psql(
        pgha_server_module,
        "-v",
        "ON_ERROR_STOP=1",
        "-c",
        f"create table {name} (id int, v text)",
        "-c",
        f"insert into {name} values (1, 'a'), (2, 'b')",
        "-c",
        f"update {name} set v = 'c' where id = 2",
        "-c",
        f"delete from {name} where id = 1",
        "-c",
        f"drop table {name}",
    )
    assert result.returncode == 0, result.stderr
    assert result.stdout.splitlines() == [
        "CREATE TABLE",
        "INSERT 0 2",
        "UPDATE 1",
        "DELETE 1",
        "DROP TABLE",
    ]


def test_aligned_output_matches_psql_on_postgres(
    pgha_server_module: PghaServer, psql, products: str
) -> None:
    result = psql(pgha_server_module, "-c", f"select * from {products} order by id")
    assert result.returncode == 0, result.stderr
    assert result.stdout == PRODUCTS_ALIGNED


def test_unaligned_tuples_only_output(pgha_server_module: PghaServer, psql, products: str) -> None:
    result = psql(pgha_server_module, "-At", "-c", f"select * from {products} order by id")
    assert result.returncode == 0, result.stderr
    assert result.stdout == "1|apple|1.50|t\n2|banana split||f\n3||10.00|\n"
    result = psql(
        pgha_server_module, "-At", "-F", ",", "-c", f"select id, name from {products} order by id"
    )
    assert result.stdout == "1,apple\n2,banana split\n3,\n"


def test_expressions_and_column_names(pgha_server_module: PghaServer, psql) -> None:
    result = psql(
        pgha_server_module,
        "-A",
        "-c",
        "select 1 + 2, 'x' || 'y' as xy, count(*) from (values (1), (2)) v(a)",
    )
    assert result.returncode == 0, result.stderr
    assert result.stdout == "?column?|xy|count\n3|xy|2\n(1 row)\n"


def test_version_says_postgresql_15(pgha_server_module: PghaServer, psql) -> None:
    result = psql(pgha_server_module, "-At", "-c", "select version()")
    assert result.returncode == 0, result.stderr
    assert "PostgreSQL 15" in result.stdout
    result = psql(pgha_server_module, "-At", "-c", "show server_version_num")
    assert result.stdout.strip().startswith("15")


def test_error_with_c_exits_1_and_prints_error(pgha_server_module: PghaServer, psql) -> None:
    result = psql(
        pgha_server_module, "-v", "ON_ERROR_STOP=1", "-c", "select * from psql_no_such_table"
    )
    assert result.returncode == 1
    assert 'ERROR:  relation "psql_no_such_table" does not exist' in result.stderr
    assert result.stdout == ""


def test_script_error_stops_with_exit_code_3(
    pgha_server_module: PghaServer, psql, tmp_path: Path
) -> None:
    script = tmp_path / "s.sql"
    script.write_text("select 1 as one;\nselect * from psql_missing;\nselect 2 as two;\n")
    result = psql(pgha_server_module, "-At", "-v", "ON_ERROR_STOP=1", "-f", str(script))
    assert result.returncode == 3
    assert result.stdout == "1\n"
    assert f'psql:{script}:2: ERROR:  relation "psql_missing" does not exist' in result.stderr

    # Without ON_ERROR_STOP the script goes on after the error and exits 0.
    result = psql(pgha_server_module, "-At", "-f", str(script))
    assert result.returncode == 0
    assert result.stdout == "1\n2\n"


def test_script_with_ddl_dml_and_transactions(
    pgha_server_module: PghaServer, psql, tmp_path: Path
) -> None:
    name = _table("psql_script")
    script = tmp_path / "script.sql"
    script.write_text(
        f"""
create table {name} (id serial primary key, label varchar(20) not null);
insert into {name} (label) values ('one');
insert into {name} (label) values ('two');
begin;
insert into {name} (label) values ('rolled back');
rollback;
begin;
update {name} set label = upper(label) where id = 2;
commit;
select id, label from {name} order by id;
"""
    )
    result = psql(pgha_server_module, "-q", "-At", "-v", "ON_ERROR_STOP=1", "-f", str(script))
    assert result.returncode == 0, result.stderr
    assert result.stdout == "1|one\n2|TWO\n"


def test_multi_statement_c_string_sees_earlier_ddl(pgha_server_module: PghaServer, psql) -> None:
    """One -c string is one simple Query message with three statements (psql 15 prints the
    result of each)."""
    name = _table("psql_multi")
    result = psql(
        pgha_server_module,
        "-At",
        "-v",
        "ON_ERROR_STOP=1",
        "-c",
        f"create table {name} (id int); insert into {name} values (7); select id from {name}",
    )
    assert result.returncode == 0, result.stderr
    assert result.stdout == "CREATE TABLE\nINSERT 0 1\n7\n"


def test_stdin_session_with_transactions(pgha_server_module: PghaServer, psql) -> None:
    name = _table("psql_stdin")
    session = f"""\
create table {name} (id int, name text);
BEGIN;
insert into {name} values (10, 't');
select count(*) from {name};
ROLLBACK;
select count(*) from {name};
begin;
insert into {name} values (11, 'u');
commit;
select name from {name} where id = 11;
"""
    result = psql(pgha_server_module, "-At", "-v", "ON_ERROR_STOP=1", stdin=session)
    assert result.returncode == 0, result.stderr
    assert result.stdout.splitlines() == [
        "CREATE TABLE",
        "BEGIN",
        "INSERT 0 1",
        "1",
        "ROLLBACK",
        "0",
        "BEGIN",
        "INSERT 0 1",
        "COMMIT",
        "u",
    ]


def test_failed_transaction_in_stdin_session(pgha_server_module: PghaServer, psql) -> None:
    """An error inside BEGIN aborts the transaction: later statements fail with 25P02 and
    COMMIT answers ROLLBACK (psql keeps going without ON_ERROR_STOP)."""
    name = _table("psql_abort")
    session = f"""\
create table {name} (id int);
begin;
insert into {name} values (1);
select 1/0;
insert into {name} values (2);
commit;
select count(*) from {name};
"""
    result = psql(pgha_server_module, "-At", stdin=session)
    assert result.returncode == 0
    assert result.stdout.splitlines() == [
        "CREATE TABLE",
        "BEGIN",
        "INSERT 0 1",
        "ROLLBACK",
        "0",
    ]
    assert "ERROR:  division by zero" in result.stderr
    assert "ERROR:  current transaction is aborted" in result.stderr


def test_copy_in_csv_and_text(pgha_server_module: PghaServer, psql, tmp_path: Path) -> None:
    name = _table("psql_copyin")
    (tmp_path / "in.csv").write_text('id,name\n1,"a,b"\n2,\n3,"say ""hi"""\n')
    (tmp_path / "in.txt").write_text("4\tx\\ty\n5\t\\N\n6\t\n")
    result = psql(
        pgha_server_module,
        "-At",
        "-v",
        "ON_ERROR_STOP=1",
        "-c",
        f"create table {name} (id int, name text)",
        "-c",
        f"\\copy {name} from in.csv csv header",
        "-c",
        f"\\copy {name} from in.txt",
        "-c",
        f"select id, coalesce(name, '<null>') from {name} order by id",
        cwd=tmp_path,
    )
    assert result.returncode == 0, result.stderr
    assert result.stdout.splitlines() == [
        "CREATE TABLE",
        "COPY 3",
        "COPY 3",
        "1|a,b",
        "2|<null>",  # an unquoted empty CSV field is NULL
        '3|say "hi"',
        "4|x\ty",
        "5|<null>",
        "6|",  # an empty text-format field is the empty string
    ]


def test_copy_out_text(pgha_server_module: PghaServer, psql, products: str) -> None:
    result = psql(
        pgha_server_module, "-c", f"\\copy (select * from {products} order by id) to stdout"
    )
    assert result.returncode == 0, result.stderr
    assert result.stdout == "1\tapple\t1.50\tt\n2\tbanana split\t\\N\tf\n3\t\\N\t10.00\t\\N\n"


def test_copy_out_csv(pgha_server_module: PghaServer, psql, products: str, tmp_path: Path) -> None:
    out = tmp_path / "out.csv"
    result = psql(
        pgha_server_module,
        "-c",
        f"\\copy (select id, name, price, ok from {products} order by id) to '{out}' csv",
    )
    assert result.returncode == 0, result.stderr
    assert result.stdout == "COPY 3\n"
    assert out.read_text() == "1,apple,1.50,t\n2,banana split,,f\n3,,10.00,\n"


def test_copy_out_csv_header(pgha_server_module: PghaServer, psql, products: str) -> None:
    result = psql(pgha_server_module, "-c", f"\\copy {products} to stdout csv header")
    assert result.returncode == 0, result.stderr
    assert result.stdout.splitlines()[0] == "id,name,price,ok"


def test_copy_roundtrip_through_file(
    pgha_server_module: PghaServer, psql, products: str, tmp_path: Path
) -> None:
    copy = _table("psql_copyback")
    dump = tmp_path / "dump.txt"
    result = psql(
        pgha_server_module,
        "-At",
        "-v",
        "ON_ERROR_STOP=1",
        "-c",
        f"\\copy {products} to '{dump}'",
        "-c",
        f"create table {copy} (id int, name text, price numeric(10,2), ok boolean)",
        "-c",
        f"\\copy {copy} from '{dump}'",
        "-c",
        f"select count(*) from ((table {products} except table {copy}) "
        f"union all (table {copy} except table {products})) d",
    )
    assert result.returncode == 0, result.stderr
    assert result.stdout.splitlines()[-1] == "0"


def test_copy_in_bad_data_reports_error(
    pgha_server_module: PghaServer, psql, tmp_path: Path
) -> None:
    name = _table("psql_copybad")
    (tmp_path / "bad.txt").write_text("1\n2\nnot-a-number\n")
    result = psql(
        pgha_server_module,
        "-v",
        "ON_ERROR_STOP=1",
        "-c",
        f"create table {name} (id int)",
        "-c",
        f"\\copy {name} from bad.txt",
        cwd=tmp_path,
    )
    assert result.returncode == 1
    assert 'invalid input syntax for type integer: "not-a-number"' in result.stderr
    # The failed COPY inserted nothing, and the server is still fine.
    result = psql(pgha_server_module, "-At", "-c", f"select count(*) from {name}")
    assert result.stdout == "0\n"


DESCRIBED_SCHEMA = """
CREATE TABLE d_parent (id int PRIMARY KEY, name text NOT NULL DEFAULT 'x'
    CHECK (length(name) < 10), status varchar(10) DEFAULT 'draft', due date,
    amount numeric DEFAULT 1.5, active boolean DEFAULT true);
CREATE TABLE d_child (id serial PRIMARY KEY, p int REFERENCES d_parent(id) ON DELETE CASCADE,
    v numeric(10,2), UNIQUE (p, v));
CREATE INDEX d_child_v ON d_child (v);
CREATE VIEW d_view AS SELECT * FROM d_child;
CREATE VIEW d_filtered AS SELECT id, name AS n FROM d_parent p WHERE id > 1 AND amount < 3
    AND name <> 'x' ORDER BY name DESC;
CREATE VIEW d_counts AS SELECT count(*) AS n, status FROM d_parent GROUP BY status;
CREATE VIEW d_joined AS SELECT p.*, c.v FROM d_parent p LEFT JOIN d_child c ON c.p = p.id
    AND c.id = p.id JOIN d_child c2 ON c2.id = c.id WHERE p.id > 2;
"""


def _psql_dsn(dsn: str, *args: str) -> subprocess.CompletedProcess[str]:
    env = {"PATH": os.environ["PATH"], "LC_ALL": "C.UTF-8", "PGCONNECT_TIMEOUT": "10"}
    return subprocess.run(["psql", "-X", dsn, *args], capture_output=True, text=True,
                          timeout=60, env=env)


@pytest.mark.parametrize("command", [
    r"\d d_parent", r"\d d_child", r"\d+ d_parent", r"\d+ d_child", r"\d d_view", r"\dt",
    r"\df", r"\dv", r"\ds", r"\d d_child_v", r"\d d_child_pkey", r"\d d_child_p_v_key",
    r"\di", r"\dn", r"\db", r"\dc", r"\dx", r"\du", r"\du+", r"\dg", r"\dp", r"\dT",
    r"\dE", r"\dm", r"\dD", r"\da", r"\dRp", r"\dew", r"\des", r"\det", r"\deu", r"\dy",
    r"\dRs", r"\dl", r"\dX", r"\dO", r"\d+ d_view", r"\d+ d_filtered", r"\d+ d_counts",
    r"\d+ d_joined",
    r"\sf now", r"\sf+ now", r"\df now", r"\sf pg_catalog.version", r"\dn+", r"\ddp",
    r"\drds", r"\dT+", r"\dP", r"\dv+", r"\z", r"\df+ now", r"\dTS int4", r"\dTS+ text",
    # \dL and \dd join pg_description on the tableoid of catalog tables.
    r"\dL", r"\dLS", r"\dd", r"\ddS", r"\dd d_*",
    # \dL+ prints the handlers and validators as regprocedure: plpgsql_validator(oid).
    r"\dL+", r"\dLS+", r"\dT+ regproc*", r"\dfS plpgsql*", r"\dfS+ fmgr*", r"\dfS to_regproc*",
    r"\sf plpgsql_call_handler", r"\sf+ plpgsql_inline_handler", r"\sf fmgr_c_validator",
    r"\dA", r"\dA+", r"\dA+ b*", r"\do", r"\do+", r"\doS - integer", r"\doS+ = bigint",
    # Expanded output: each line of the parameter is one -c.
    "\\x\n\\d d_child", "\\x\n\\d+ d_parent", "\\x\n\\dt", "\\x\n\\du",
])
def test_describe_matches_psql_on_postgresql(pgha_server: PghaServer, postgres_db: str,
                                             command: str) -> None:
    # psql's \d of a table failed on every table (pg_partition_ancestors, and the definitions
    # of statistics objects, triggers and rules it asks for); now it prints what PostgreSQL
    # 15 prints for the same schema.
    ours_dsn = (f"host={pgha_server.host} port={pgha_server.port} user=postgres "
                "dbname=postgres sslmode=disable")
    for dsn in (ours_dsn, postgres_db):
        created = _psql_dsn(dsn, "-c", DESCRIBED_SCHEMA)
        assert created.returncode == 0, created.stderr
    args = [arg for line in command.splitlines() for arg in ("-c", line)]
    ours = _psql_dsn(ours_dsn, *args)
    theirs = _psql_dsn(postgres_db, *args)
    assert ours.returncode == 0, ours.stderr
    assert ours.stdout == theirs.stdout


def test_l_lists_the_templates_and_dx_plpgsql(pgha_server: PghaServer, postgres_db: str) -> None:
    ours_dsn = (f"host={pgha_server.host} port={pgha_server.port} user=postgres "
                "dbname=postgres sslmode=disable")

    def template_lines(dsn: str) -> list[str]:
        out = _psql_dsn(dsn, "-c", r"\l").stdout.splitlines()
        rows = [line for i, line in enumerate(out)
                if line.startswith(" template") or (i and out[i - 1].startswith(" template"))]
        # The column widths depend on the other databases' names: compare the cells.
        return [" | ".join(cell.strip() for cell in row.split("|")) for row in rows]

    assert template_lines(ours_dsn) == template_lines(postgres_db) != []
    dx = _psql_dsn(ours_dsn, "-c", r"\dx")
    assert " plpgsql | 1.0     | pg_catalog |" in dx.stdout
    # pg_dump's output creates it; PostgreSQL has it after initdb.
    created = _psql_dsn(ours_dsn, "-c", "CREATE EXTENSION IF NOT EXISTS plpgsql")
    assert created.returncode == 0 and "already exists, skipping" in created.stderr
    again = _psql_dsn(ours_dsn, "-c", "CREATE EXTENSION plpgsql")
    assert again.returncode == 1 and 'extension "plpgsql" already exists' in again.stderr


@pytest.mark.parametrize("sql", [
    "SELECT attname FROM pg_attribute WHERE attrelid = 'd_parent'::regclass AND attnum > 0 "
    "ORDER BY attnum",
    "SELECT relname FROM pg_class WHERE oid = 'd_child'::regclass",
    "SELECT 'd_parent'::regclass::oid = (SELECT oid FROM pg_class WHERE relname = 'd_parent')",
    "SELECT 'int4'::regtype = 23, 'd_parent'::regclass",
    "SELECT 'now'::regproc, 'now'::regproc::oid, 'version'::regproc, 0::regproc",
])
def test_regclass_constants_are_oids_in_simple_queries(pgha_server: PghaServer,
                                                       postgres_db: str, sql: str) -> None:
    # Regression: in a simple Query, a regclass constant reached SQLite as the name (the
    # statement's template bound it unresolved), so `attrelid = 't'::regclass` found nothing.
    ours_dsn = (f"host={pgha_server.host} port={pgha_server.port} user=postgres "
                "dbname=postgres sslmode=disable")
    for dsn in (ours_dsn, postgres_db):
        assert _psql_dsn(dsn, "-c", DESCRIBED_SCHEMA).returncode == 0
    ours = _psql_dsn(ours_dsn, "-Atc", sql)
    assert ours.returncode == 0, ours.stderr
    assert ours.stdout == _psql_dsn(postgres_db, "-Atc", sql).stdout != ""


@pytest.mark.parametrize("sql", [
    "SELECT ARRAY[1, 2] || 3, 0 || ARRAY[1], ARRAY[1] || ARRAY[2, 3]",
    "SELECT ARRAY['a'] || 'b'::text, 'z'::text || ARRAY['y']",
    "SELECT generate_subscripts(ARRAY['a', 'b'], 1)",
])
def test_array_concatenation_and_subscripts_in_simple_queries(pgha_server: PghaServer,
                                                              postgres_db: str,
                                                              sql: str) -> None:
    # Regression: in a simple Query (psql -c), `ARRAY[1, 2] || 3` failed with XX000 (the
    # element reached the array function as a number), `0 || ARRAY[1]` concatenated text,
    # and generate_subscripts(a, 1) bound one parameter more than its rewrite used.
    ours_dsn = (f"host={pgha_server.host} port={pgha_server.port} user=postgres "
                "dbname=postgres sslmode=disable")
    ours = _psql_dsn(ours_dsn, "-Atc", sql)
    assert ours.returncode == 0, ours.stderr
    assert ours.stdout == _psql_dsn(postgres_db, "-Atc", sql).stdout


# What psql 15 sends for tab completion (captured with log_statement=all while pressing TAB
# after: SELECT * FROM, \d, SELECT * FROM d_parent WHERE, \d d_, DROP TABLE, INSERT INTO,
# DROP INDEX, DROP VIEW, DROP SEQUENCE, \dn, SELECT * FROM public.d_, GRANT ... TO,
# ALTER TABLE d_parent DROP CONSTRAINT d_parent_). The `E'pg\\_%'` is psql's own spelling.
_NOT_PG = "n.nspname NOT LIKE E'pg\\\\_%'"
_SCHEMAS = ("\nUNION ALL\nSELECT NULL::pg_catalog.text, n.nspname FROM pg_catalog.pg_namespace n "
            f"WHERE n.nspname LIKE '%' AND {_NOT_PG}\nLIMIT 1000")


def _relations(relkinds: str, like: str = "%") -> str:
    kinds = f"c.relkind IN ({relkinds}) AND " if relkinds else ""
    return ("SELECT c.relname, NULL::pg_catalog.text FROM pg_catalog.pg_class c WHERE "
            f"{kinds}(c.relname) LIKE '{like}' AND pg_catalog.pg_table_is_visible(c.oid) AND "
            "c.relnamespace <> (SELECT oid FROM pg_catalog.pg_namespace WHERE nspname = "
            "'pg_catalog')" + _SCHEMAS)


COMPLETION_QUERIES = [
    _relations("'r', 'S', 'v', 'm', 'f', 'p'"),  # SELECT * FROM <TAB>
    _relations(""),  # \d <TAB>
    _relations("", "d\\_%"),  # \d d_<TAB>
    _relations("'r', 'p'"),  # DROP TABLE <TAB>
    _relations("'r', 'f', 'v', 'p'"),  # INSERT INTO <TAB>
    _relations("'i', 'I'"),  # DROP INDEX <TAB>
    _relations("'v'"),  # DROP VIEW <TAB>
    _relations("'S'"),  # DROP SEQUENCE <TAB>
    # SELECT * FROM d_parent WHERE <TAB>, UPDATE d_parent SET <TAB>
    "SELECT a.attname, NULL::pg_catalog.text FROM pg_catalog.pg_attribute a, "
    "pg_catalog.pg_class c WHERE c.oid = a.attrelid and a.attnum > 0 and not a.attisdropped "
    "AND (a.attname) LIKE '%' AND c.relname = 'd_parent' AND "
    "pg_catalog.pg_table_is_visible(c.oid)\nLIMIT 1000",
    "SELECT nspname FROM pg_catalog.pg_namespace  WHERE nspname LIKE '%'\nLIMIT 1000",  # \dn
    # SELECT * FROM public.d_<TAB>
    "SELECT c.relname, n.nspname FROM pg_catalog.pg_class c, pg_catalog.pg_namespace n WHERE "
    "c.relnamespace = n.oid AND c.relkind IN ('r', 'S', 'v', 'm', 'f', 'p') AND (c.relname) "
    "LIKE 'd\\_%' AND n.nspname = 'public'\nLIMIT 1000",
    "SELECT rolname    FROM pg_catalog.pg_roles   WHERE rolname LIKE '%'\nLIMIT 1000",
    # ALTER TABLE d_parent DROP CONSTRAINT d_parent_<TAB>
    "SELECT con.conname, NULL::pg_catalog.text FROM pg_catalog.pg_constraint con, "
    "pg_catalog.pg_class c1 WHERE con.conrelid=c1.oid AND (con.conname) LIKE 'd\\_parent\\_%' "
    "AND c1.relname = 'd_parent' AND pg_catalog.pg_table_is_visible(c1.oid)\nLIMIT 1000",
]

# These run but list what differs by design: pgha's pg_proc holds no built-in functions
# (\df <TAB>, \sf <TAB>), its settings are its own (SET <TAB>), and the databases are the
# servers' (\c <TAB>).
COMPLETION_QUERIES_RUN_ONLY = [
    "SELECT p.proname, NULL::pg_catalog.text FROM pg_catalog.pg_proc p WHERE p.prokind != 'p' "
    "AND (p.proname) LIKE '%' AND pg_catalog.pg_function_is_visible(p.oid)" + _SCHEMAS,
    "SELECT pg_catalog.lower(name) FROM pg_catalog.pg_settings  WHERE context IN ('user', "
    "'superuser')    AND pg_catalog.lower(name) LIKE pg_catalog.lower('%')\nLIMIT 1000",
    "SELECT datname FROM pg_catalog.pg_database  WHERE datname LIKE '%'\nLIMIT 1000",
]


def test_tab_completion_queries_list_what_postgresql_lists(pgha_server: PghaServer,
                                                            postgres_db: str) -> None:
    ours_dsn = (f"host={pgha_server.host} port={pgha_server.port} user=postgres "
                "dbname=postgres sslmode=disable")
    for dsn in (ours_dsn, postgres_db):
        assert _psql_dsn(dsn, "-c", DESCRIBED_SCHEMA).returncode == 0
    for sql in COMPLETION_QUERIES:
        ours = _psql_dsn(ours_dsn, "-Atc", sql)
        assert ours.returncode == 0 and ours.stderr == "", (sql, ours.stderr)
        theirs = _psql_dsn(postgres_db, "-Atc", sql)
        assert sorted(ours.stdout.splitlines()) == sorted(theirs.stdout.splitlines()), sql
    for sql in COMPLETION_QUERIES_RUN_ONLY:
        ours = _psql_dsn(ours_dsn, "-Atc", sql)
        assert ours.returncode == 0 and ours.stderr == "", (sql, ours.stderr)


def test_index_sizes_are_counted(pgha_server: PghaServer) -> None:
    # Regression: pg_relation_size of an index was 0 (\di+ showed "0 bytes"),
    # pg_total_relation_size left the indexes out and pg_indexes_size did not exist. The sizes
    # are those of pgha's SQLite b-trees (4096-byte pages), not PostgreSQL's.
    dsn = (f"host={pgha_server.host} port={pgha_server.port} user=postgres "
           "dbname=postgres sslmode=disable")
    assert _psql_dsn(dsn, "-c", DESCRIBED_SCHEMA).returncode == 0
    sizes = _psql_dsn(dsn, "-Atc", "SELECT pg_relation_size('d_child'), "
                      "pg_relation_size('d_child_v'), pg_indexes_size('d_child'), "
                      "pg_total_relation_size('d_child'), pg_relation_size('d_child', 'fsm')")
    assert sizes.returncode == 0, sizes.stderr
    table, index, indexes, total, fsm = map(int, sizes.stdout.strip().split("|"))
    assert index > 0 and indexes == 3 * index and total == table + indexes and fsm == 0


@pytest.mark.parametrize("command", [r"\dt+", r"\di+", r"\dv+", r"\ds+"])
def test_describe_plus_matches_postgresql_but_for_sizes(pgha_server: PghaServer,
                                                        postgres_db: str, command: str) -> None:
    # The Size column cannot match: pgha's relations are SQLite b-trees (4096-byte pages, no
    # TOAST table, no btree metapage) where PostgreSQL counts its own 8192-byte pages. Every
    # other cell must.
    ours_dsn = (f"host={pgha_server.host} port={pgha_server.port} user=postgres "
                "dbname=postgres sslmode=disable")

    def cells(dsn: str) -> list[list[str]]:
        out = _psql_dsn(dsn, "-A", "-c", command)
        assert out.returncode == 0, out.stderr
        rows = [line.split("|") for line in out.stdout.splitlines()]
        size = rows[1].index("Size")
        return [row[:size] + row[size + 1:] if len(row) > size else row for row in rows]

    for dsn in (ours_dsn, postgres_db):
        assert _psql_dsn(dsn, "-c", DESCRIBED_SCHEMA).returncode == 0
    assert cells(ours_dsn) == cells(postgres_db)


@pytest.mark.parametrize("command", [r"\sf lower", r"\sf sum", r"\sf no_such_function"])
def test_sf_of_an_ambiguous_or_missing_function_fails_as_on_postgresql(
        pgha_server: PghaServer, postgres_db: str, command: str) -> None:
    # PostgreSQL has lower(anyrange) and lower(anymultirange) besides lower(text): 'lower'::regproc
    # is ambiguous there (42725) even though pgha implements only lower(text).
    ours_dsn = (f"host={pgha_server.host} port={pgha_server.port} user=postgres "
                "dbname=postgres sslmode=disable")
    ours = _psql_dsn(ours_dsn, "-c", command)
    theirs = _psql_dsn(postgres_db, "-c", command)
    assert ours.returncode == theirs.returncode == 1
    assert ours.stderr == theirs.stderr


@pytest.mark.parametrize("command", [r"\dC", r"\dC int*", r"\dC *char*"])
def test_dc_lists_postgresql_casts_between_pghas_types(pgha_server: PghaServer,
                                                      postgres_db: str, command: str) -> None:
    # pg_cast holds PostgreSQL 15's casts between the types pgha has (its pg_type lists no
    # others, so the casts of money, bit, inet, ranges... are not there); each row prints as
    # on PostgreSQL, cast function included.
    ours_dsn = (f"host={pgha_server.host} port={pgha_server.port} user=postgres "
                "dbname=postgres sslmode=disable")
    types = _psql_dsn(ours_dsn, "-Atc", "SELECT format_type(oid, NULL) FROM pg_type")
    assert types.returncode == 0, types.stderr
    ours_types = set(types.stdout.splitlines())

    def rows(dsn: str) -> list[str]:
        out = _psql_dsn(dsn, "-A", "-c", command)
        assert out.returncode == 0, out.stderr
        return out.stdout.splitlines()

    ours, theirs = rows(ours_dsn), rows(postgres_db)
    assert ours[:2] == theirs[:2]  # title and header
    shared = [row for row in theirs[2:-1] if set(row.split("|")[:2]) <= ours_types]
    assert ours[2:-1] == shared != []
    assert ours[-1] == f"({len(shared)} rows)"


# The operators of pgha's types that its translator refuses (text pattern comparisons; text
# search matching): pg_operator leaves them out.
_OPERATORS_LEFT_OUT = {
    ("~<~", "text"), ("~<=~", "text"), ("~>=~", "text"), ("~>~", "text"),
    ("~<~", "character"), ("~<=~", "character"), ("~>=~", "character"), ("~>~", "character"),
    ("@@", "text"),
}


@pytest.mark.parametrize("command", [r"\doS", r"\doS+", r"\doS+ <*"])
def test_do_lists_postgresql_operators_of_pghas_types(pgha_server: PghaServer,
                                                     postgres_db: str, command: str) -> None:
    # pg_operator holds PostgreSQL 15's operators whose argument and result types pgha has,
    # each with its description and function, as \dC does for casts.
    ours_dsn = (f"host={pgha_server.host} port={pgha_server.port} user=postgres "
                "dbname=postgres sslmode=disable")
    types = _psql_dsn(ours_dsn, "-Atc", "SELECT format_type(oid, NULL) FROM pg_type")
    assert types.returncode == 0, types.stderr
    ours_types = set(types.stdout.splitlines()) | {""}  # a prefix operator has no left type

    def rows(dsn: str) -> list[list[str]]:
        out = _psql_dsn(dsn, "-A", "-F", "\x1f", "-c", command)  # names hold "|"
        assert out.returncode == 0, out.stderr
        return [line.split("\x1f") for line in out.stdout.splitlines()]

    ours, theirs = rows(ours_dsn), rows(postgres_db)
    assert ours[:2] == theirs[:2]  # title and header
    shared = [row for row in theirs[2:-1] if set(row[2:5]) <= ours_types
              and (row[1], row[2]) not in _OPERATORS_LEFT_OUT]
    assert ours[2:-1] == shared != []
    assert ours[-1] == [f"({len(shared)} rows)"]


@pytest.mark.parametrize("command", [r"\dF", r"\dFd+", r"\dFp", r"\dFt+"])
def test_text_search_listings_are_empty(pgha_server: PghaServer, postgres_db: str,
                                        command: str) -> None:
    # pgha has no text search: psql lists no configuration, dictionary, parser or template,
    # under PostgreSQL's title and header.
    ours_dsn = (f"host={pgha_server.host} port={pgha_server.port} user=postgres "
                "dbname=postgres sslmode=disable")
    ours = _psql_dsn(ours_dsn, "-A", "-c", command)
    theirs = _psql_dsn(postgres_db, "-A", "-c", command)
    assert ours.returncode == 0, ours.stderr
    assert ours.stdout.splitlines()[:2] == theirs.stdout.splitlines()[:2]  # title, header
    assert ours.stdout.splitlines()[2:] == ["(0 rows)"]


def test_sizes_are_consistent(pgha_server: PghaServer) -> None:
    # Sizes are pgha's (SQLite pages), but keep PostgreSQL's shape: a table without rows is
    # "0 bytes", one with rows never is, an index always has a page, total = table + indexes.
    dsn = (f"host={pgha_server.host} port={pgha_server.port} user=postgres "
           "dbname=postgres sslmode=disable")
    created = _psql_dsn(dsn, "-c", "CREATE TABLE sz_empty (a int); CREATE INDEX sz_empty_a ON "
                        "sz_empty (a); CREATE TABLE sz_rows (id int PRIMARY KEY, v text); "
                        "INSERT INTO sz_rows SELECT g, repeat('x', 50) FROM "
                        "generate_series(1, 500) g")
    assert created.returncode == 0, created.stderr
    sizes = _psql_dsn(dsn, "-Atc", "SELECT pg_size_pretty(pg_table_size('sz_empty')), "
                      "pg_relation_size('sz_empty_a') > 0, pg_table_size('sz_rows') > 0, "
                      "pg_total_relation_size('sz_rows') = pg_table_size('sz_rows') + "
                      "pg_indexes_size('sz_rows'), pg_indexes_size('sz_rows') = "
                      "pg_relation_size('sz_rows_pkey'), "
                      "pg_database_size(current_database()) >= pg_total_relation_size('sz_rows')")
    assert sizes.returncode == 0, sizes.stderr
    assert sizes.stdout == "0 bytes|t|t|t|t|t\n"
    listed = _psql_dsn(dsn, "-A", "-c", r"\dt+ sz_*")
    assert "|sz_empty|table|postgres|permanent|heap|0 bytes|" in listed.stdout
    assert "|sz_rows|table|postgres|permanent|heap|0 bytes|" not in listed.stdout
    databases = _psql_dsn(dsn, "-A", "-c", r"\l+")
    assert databases.returncode == 0, databases.stderr
    assert any(line.startswith("postgres|") and ("kB|" in line or "MB|" in line)
               for line in databases.stdout.splitlines())
