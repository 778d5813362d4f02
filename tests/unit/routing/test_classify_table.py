"""Routing table for ``pgha.routing.classify``: statement text -> where it may run.

Every row is ``(sql, target, extra)``: ``target`` is "standby" or "primary", and ``extra``
names ``Decision`` fields the row also pins down (``pins``, ``replay``, ``txn``, ``kind``,
``hint``). The expected values follow PostgreSQL's semantics (the hot-standby rules of
https://www.postgresql.org/docs/15/hot-standby.html made conservative, as classify.py's
docstring states), not whatever the classifier happens to answer: a row that fails here is a
statement the router would misroute.
"""

from __future__ import annotations

from collections import Counter
from typing import Any

import pytest

from pgha.routing.classify import Decision, Kind, Txn, classify

STANDBY = "standby"
PRIMARY = "primary"
EXTRA_FIELDS = frozenset({"pins", "replay", "txn", "kind", "hint"})

Row = tuple[str, str, dict[str, Any]]


def std(sql: str, **extra: Any) -> Row:
    """A statement a standby may serve."""
    assert EXTRA_FIELDS.issuperset(extra), extra
    return (sql, STANDBY, extra)


def pri(sql: str, **extra: Any) -> Row:
    """A statement that must run on the primary."""
    assert EXTRA_FIELDS.issuperset(extra), extra
    return (sql, PRIMARY, extra)


# -- plain reads: SELECT variants --------------------------------------------------------------
SELECTS: list[Row] = [
    std("SELECT 1", kind=Kind.READ, pins=False, replay=False, txn=Txn.NONE),
    std("SELECT"),
    std("select * from users", kind=Kind.READ),
    std("SeLeCt id, name FrOm users WHERE id = 42"),
    std("SELECT * FROM users WHERE id = $1"),
    std("SELECT * FROM users WHERE id = ANY($1::int[])"),
    std("SELECT $1::text || $2::text"),
    std("SELECT u.id, o.total FROM users u JOIN orders o ON o.user_id = u.id"),
    std("SELECT * FROM users u LEFT JOIN orders o USING (user_id) WHERE o.id IS NULL"),
    std("SELECT * FROM a RIGHT JOIN b ON a.id = b.a_id"),
    std("SELECT * FROM a FULL OUTER JOIN b ON a.id = b.id"),
    std("SELECT * FROM a CROSS JOIN b"),
    std("SELECT * FROM a NATURAL JOIN b"),
    std("SELECT e.name, m.name FROM emp e JOIN emp m ON e.manager_id = m.id"),
    std("SELECT * FROM users WHERE id IN (SELECT user_id FROM orders WHERE total > 100)"),
    std("SELECT * FROM users u WHERE EXISTS (SELECT 1 FROM orders o WHERE o.user_id = u.id)"),
    std("SELECT * FROM users u WHERE NOT EXISTS (SELECT FROM bans b WHERE b.user_id = u.id)"),
    std("SELECT name, (SELECT max(total) FROM orders o WHERE o.user_id = u.id) AS best "
        "FROM users u"),
    std("SELECT * FROM (SELECT id, count(*) AS n FROM orders GROUP BY id) s WHERE n > 2"),
    std("SELECT * FROM t WHERE x > ALL (SELECT y FROM u)"),
    std("SELECT * FROM t WHERE (a, b) IN ((1, 2), (3, 4))"),
    # CTEs of SELECTs
    std("WITH recent AS (SELECT * FROM orders WHERE created_at > now() - interval '7 days') "
        "SELECT count(*) FROM recent"),
    std("WITH a AS (SELECT 1 AS x), b AS (SELECT x + 1 AS y FROM a) SELECT * FROM b"),
    std("WITH RECURSIVE r(n) AS (SELECT 1 UNION ALL SELECT n + 1 FROM r WHERE n < 10) "
        "SELECT sum(n) FROM r"),
    std("WITH RECURSIVE tree AS (SELECT id, parent_id FROM nodes WHERE id = $1 UNION ALL "
        "SELECT n.id, n.parent_id FROM nodes n JOIN tree t ON n.parent_id = t.id) "
        "SELECT * FROM tree"),
    std("WITH w AS MATERIALIZED (SELECT * FROM big) SELECT * FROM w WHERE id = 1"),
    std("WITH w AS NOT MATERIALIZED (SELECT * FROM big) SELECT * FROM w"),
    std("SELECT * FROM (WITH inner_cte AS (SELECT 1 AS x) SELECT x FROM inner_cte) s"),
    # window functions and aggregates
    std("SELECT id, row_number() OVER (PARTITION BY g ORDER BY ts) FROM events"),
    std("SELECT id, sum(x) OVER (ORDER BY id ROWS BETWEEN UNBOUNDED PRECEDING AND CURRENT ROW) "
        "FROM t"),
    std("SELECT id, lag(x) OVER w, lead(x) OVER w FROM t WINDOW w AS (ORDER BY id)"),
    std("SELECT rank() OVER (ORDER BY score DESC), dense_rank() OVER (ORDER BY score DESC) "
        "FROM players"),
    std("SELECT g, count(*), sum(x), avg(x), min(x), max(x) FROM t GROUP BY g "
        "HAVING count(*) > 1"),
    std("SELECT count(DISTINCT user_id) FROM orders"),
    std("SELECT string_agg(name, ', ' ORDER BY name) FROM users"),
    std("SELECT array_agg(x) FILTER (WHERE x > 0) FROM t"),
    std("SELECT percentile_cont(0.5) WITHIN GROUP (ORDER BY latency) FROM requests"),
    std("SELECT a, b, sum(x) FROM t GROUP BY ROLLUP (a, b)"),
    std("SELECT a, b, count(*) FROM t GROUP BY GROUPING SETS ((a), (b), ())"),
    std("SELECT a, b, count(*) FROM t GROUP BY CUBE (a, b)"),
    std("SELECT bool_and(ok), jsonb_agg(x), json_object_agg(k, v) FROM t"),
    # VALUES, TABLE, set operations
    std("VALUES (1, 'one'), (2, 'two')"),
    std("SELECT * FROM (VALUES (1), (2), (3)) AS v(x)"),
    std("TABLE users"),
    std("TABLE users ORDER BY id LIMIT 5"),
    std("SELECT 1 UNION SELECT 2"),
    std("SELECT id FROM a UNION ALL SELECT id FROM b ORDER BY 1"),
    std("SELECT id FROM a INTERSECT SELECT id FROM b"),
    std("SELECT id FROM a EXCEPT ALL SELECT id FROM b"),
    # LATERAL, DISTINCT, ORDER/LIMIT/OFFSET
    std("SELECT * FROM users u, LATERAL (SELECT * FROM orders o WHERE o.user_id = u.id "
        "ORDER BY o.created_at DESC LIMIT 3) o"),
    std("SELECT u.id, e.value FROM users u "
        "CROSS JOIN LATERAL jsonb_array_elements(u.tags) AS e(value)"),
    std("SELECT DISTINCT country FROM users"),
    std("SELECT DISTINCT ON (user_id) * FROM orders ORDER BY user_id, created_at DESC"),
    std("SELECT * FROM t ORDER BY a DESC NULLS LAST LIMIT 10 OFFSET 20"),
    std("SELECT * FROM t ORDER BY id FETCH FIRST 5 ROWS ONLY"),
    std("SELECT * FROM t ORDER BY score FETCH FIRST 1 ROW WITH TIES"),
    std("SELECT * FROM t LIMIT ALL"),
    # casts, CASE, operators
    std("SELECT CAST(x AS bigint), x::numeric(10, 2), '2024-01-01'::date FROM t"),
    std("SELECT '{1,2,3}'::int[], 'users'::regclass::oid"),
    std("SELECT CASE WHEN x > 0 THEN 'pos' WHEN x < 0 THEN 'neg' ELSE 'zero' END FROM t"),
    std("SELECT CASE status WHEN 1 THEN 'on' ELSE 'off' END, COALESCE(a, b, 0), NULLIF(c, 0) "
        "FROM t"),
    std("SELECT * FROM t WHERE name ILIKE $1 AND code ~ '^[A-Z]+$' AND x BETWEEN 1 AND 10"),
    std("SELECT a IS DISTINCT FROM b, a IS NULL, NOT (a OR b) FROM t"),
    std("SELECT 1 + 2 * 3, 10 / 3, 10 % 3, 2 ^ 10"),
    std("SELECT NULL, true AND false, 'text'"),
    # json and array operators
    std("SELECT data->'a'->>'b', data #>> '{a,b}' FROM docs"),
    std("""SELECT * FROM docs WHERE data @> '{"kind": "x"}' AND data ? 'id'"""),
    std("SELECT * FROM docs WHERE data ?| array['a', 'b']"),
    std("SELECT jsonb_set(data, '{a}', '1'), jsonb_build_object('id', id), to_jsonb(d) "
        "FROM docs d"),
    std("SELECT json_agg(row_to_json(u)) FROM users u"),
    std("SELECT tags[1], array_length(tags, 1), cardinality(tags) FROM posts "
        "WHERE 'x' = ANY(tags)"),
    std("SELECT * FROM posts WHERE tags && ARRAY['a', 'b'] AND NOT tags @> ARRAY['c']"),
    std("SELECT ARRAY[1, 2] || 3, unnest(ARRAY['a', 'b'])"),
    # odd spellings of a plain read
    std("SELECT * FROM t TABLESAMPLE SYSTEM (10)"),
    std("SELECT * FROM ONLY parent_table"),
    std('SELECT t.* FROM "MixedCase"."Table" t'),
    std("SELECT count(*) FROM t;  "),
    std("  -- leading comment\nSELECT 1"),
    std("/* app=web,route=/home */ SELECT * FROM users"),
]

# -- read-only built-in functions ----------------------------------------------------------------
BUILTINS: list[Row] = [
    std("SELECT now(), current_timestamp, current_date, localtimestamp"),
    std("SELECT lower(name), upper(name), length(name), substr(name, 1, 3) FROM users"),
    std("SELECT count(*) FROM users"),
    std("SELECT random()"),
    std("SELECT floor(random() * 100)::int"),
    std("SELECT * FROM generate_series(1, 10) AS g(i)"),
    std("SELECT generate_series('2024-01-01'::date, '2024-01-31', interval '1 day')"),
    std("SELECT pg_is_in_recovery()"),
    std("SELECT current_setting('search_path')"),
    std("SELECT current_setting('server_version_num')::int"),
    std("SELECT version()"),
    std("SELECT current_user, session_user, current_database(), current_schema()"),
    std("SELECT pg_backend_pid()"),
    std("SELECT gen_random_uuid()"),
    std("SELECT clock_timestamp(), statement_timestamp(), transaction_timestamp()"),
    std("SELECT date_trunc('day', created_at), count(*) FROM events GROUP BY 1"),
    std("SELECT extract(epoch FROM now())"),
    std("SELECT age(now(), created_at), to_char(created_at, 'YYYY-MM-DD') FROM users"),
    std("SELECT make_interval(days => 3)"),
    std("SELECT md5('x'), sha256('x'::bytea), encode('x'::bytea, 'hex')"),
    std("SELECT format('%s-%s', a, b), concat_ws(',', a, b), split_part(s, '-', 2) FROM t"),
    std(r"SELECT regexp_replace(s, '\s+', ' ', 'g') FROM t"),
    std("SELECT substring(s FROM 2 FOR 3), trim(both ' ' FROM s), position('a' IN s) FROM t"),
    std("SELECT greatest(1, 2), least(3, 4), abs(-1), round(2.5), mod(7, 3)"),
    std("SELECT pg_size_pretty(pg_database_size(current_database()))"),
    std("SELECT pg_typeof(1), pg_column_size('x')"),
    std("SELECT has_table_privilege('users', 'SELECT')"),
    std("SELECT pg_last_wal_replay_lsn()"),
    std("SELECT pg_sleep(0.1)"),
    std("SELECT pg_catalog.lower('X')"),
    std("SELECT quote_ident('a b'), quote_literal('x')"),
    # Read-only built-ins (or SQL syntax that the grammar turns into built-in calls) missing
    # from the allow-list: harmless reads that must not cost a trip to the primary.
    std("SELECT created_at AT TIME ZONE 'UTC' FROM events"),
    std("SELECT (a_start, a_end) OVERLAPS (b_start, b_end) FROM slots"),
    std("SELECT * FROM t WHERE name SIMILAR TO '%(a|b)%'"),
    std("SELECT to_regclass('public.schema_migrations')"),
    std("SELECT id, ts_rank(to_tsvector('english', body), to_tsquery('english', $1)) FROM docs"),
]

# -- catalog and information_schema queries (psql, drivers, ORMs) ---------------------------------
PSQL_DT = """\
SELECT n.nspname as "Schema",
  c.relname as "Name",
  CASE c.relkind WHEN 'r' THEN 'table' WHEN 'v' THEN 'view' WHEN 'm' THEN 'materialized view'
  WHEN 'i' THEN 'index' WHEN 'S' THEN 'sequence' WHEN 'f' THEN 'foreign table'
  WHEN 'p' THEN 'partitioned table' WHEN 'I' THEN 'partitioned index' END as "Type",
  pg_catalog.pg_get_userbyid(c.relowner) as "Owner"
FROM pg_catalog.pg_class c
     LEFT JOIN pg_catalog.pg_namespace n ON n.oid = c.relnamespace
     LEFT JOIN pg_catalog.pg_am am ON am.oid = c.relam
WHERE c.relkind IN ('r','p','')
      AND n.nspname <> 'pg_catalog'
      AND n.nspname !~ '^pg_toast'
      AND n.nspname <> 'information_schema'
  AND pg_catalog.pg_table_is_visible(c.oid)
ORDER BY 1,2;"""

PSQL_D_LOOKUP = """\
SELECT c.oid,
  n.nspname,
  c.relname
FROM pg_catalog.pg_class c
     LEFT JOIN pg_catalog.pg_namespace n ON n.oid = c.relnamespace
WHERE c.relname OPERATOR(pg_catalog.~) '^(users)$' COLLATE pg_catalog.default
  AND pg_catalog.pg_table_is_visible(c.oid)
ORDER BY 2, 3;"""

PSQL_D_COLUMNS = """\
SELECT a.attname,
  pg_catalog.format_type(a.atttypid, a.atttypmod),
  (SELECT pg_catalog.pg_get_expr(d.adbin, d.adrelid, true)
   FROM pg_catalog.pg_attrdef d
   WHERE d.adrelid = a.attrelid AND d.adnum = a.attnum AND a.atthasdef),
  a.attnotnull,
  (SELECT c.collname FROM pg_catalog.pg_collation c, pg_catalog.pg_type t
   WHERE c.oid = a.attcollation AND t.oid = a.atttypid
     AND a.attcollation <> t.typcollation) AS attcollation,
  a.attidentity,
  a.attgenerated
FROM pg_catalog.pg_attribute a
WHERE a.attrelid = '16384' AND a.attnum > 0 AND NOT a.attisdropped
ORDER BY a.attnum;"""

PSQL_D_TABLE = """\
SELECT c.relchecks, c.relkind, c.relhasindex, c.relhasrules, c.relhastriggers,
  c.relrowsecurity, c.relforcerowsecurity, false AS relhasoids, c.relispartition,
  pg_catalog.array_to_string(c.reloptions || array['toast.' || tc.reloptions], ', '),
  c.reltablespace,
  CASE WHEN c.reloftype = 0 THEN '' ELSE c.reloftype::pg_catalog.regtype::pg_catalog.text END,
  c.relpersistence, c.relreplident, am.amname
FROM pg_catalog.pg_class c
 LEFT JOIN pg_catalog.pg_class tc ON (c.reltoastrelid = tc.oid)
LEFT JOIN pg_catalog.pg_am am ON (c.relam = am.oid)
WHERE c.oid = '16384';"""

PSQL_D_INDEXES = """\
SELECT c2.relname, i.indisprimary, i.indisunique, i.indisclustered, i.indisvalid,
  pg_catalog.pg_get_indexdef(i.indexrelid, 0, true),
  pg_catalog.pg_get_constraintdef(con.oid, true), contype, condeferrable, condeferred,
  i.indisreplident, c2.reltablespace
FROM pg_catalog.pg_class c, pg_catalog.pg_class c2, pg_catalog.pg_index i
  LEFT JOIN pg_catalog.pg_constraint con ON (conrelid = i.indrelid AND conindid = i.indexrelid
    AND contype IN ('p','u','x'))
WHERE c.oid = '16384' AND c.oid = i.indrelid AND i.indexrelid = c2.oid
ORDER BY i.indisprimary DESC, c2.relname;"""

PSQL_D_TRIGGERS = """\
SELECT t.tgname, pg_catalog.pg_get_triggerdef(t.oid, true), t.tgenabled, t.tgisinternal
FROM pg_catalog.pg_trigger t
WHERE t.tgrelid = '16384' AND (NOT t.tgisinternal OR (t.tgisinternal AND t.tgenabled = 'D'))
ORDER BY 1;"""

PSQL_DF = """\
SELECT n.nspname as "Schema",
  p.proname as "Name",
  pg_catalog.pg_get_function_result(p.oid) as "Result data type",
  pg_catalog.pg_get_function_arguments(p.oid) as "Argument data types",
 CASE p.prokind
  WHEN 'a' THEN 'agg'
  WHEN 'w' THEN 'window'
  WHEN 'p' THEN 'proc'
  ELSE 'func'
 END as "Type"
FROM pg_catalog.pg_proc p
     LEFT JOIN pg_catalog.pg_namespace n ON n.oid = p.pronamespace
WHERE pg_catalog.pg_function_is_visible(p.oid)
      AND n.nspname <> 'pg_catalog'
      AND n.nspname <> 'information_schema'
ORDER BY 1, 2, 4;"""

PSQL_L = r"""
SELECT d.datname as "Name",
       pg_catalog.pg_get_userbyid(d.datdba) as "Owner",
       pg_catalog.pg_encoding_to_char(d.encoding) as "Encoding",
       d.datcollate as "Collate",
       d.datctype as "Ctype",
       CASE d.datlocprovider WHEN 'c' THEN 'libc' WHEN 'i' THEN 'icu' END AS "Locale Provider",
       pg_catalog.array_to_string(d.datacl, E'\n') AS "Access privileges"
FROM pg_catalog.pg_database d
ORDER BY 1;"""

PSQL_DN = """\
SELECT n.nspname AS "Name",
  pg_catalog.pg_get_userbyid(n.nspowner) AS "Owner"
FROM pg_catalog.pg_namespace n
WHERE n.nspname !~ '^pg_' AND n.nspname <> 'information_schema'
ORDER BY 1;"""

PSQL_DU = """\
SELECT r.rolname, r.rolsuper, r.rolinherit,
  r.rolcreaterole, r.rolcreatedb, r.rolcanlogin,
  r.rolconnlimit, r.rolvaliduntil,
  ARRAY(SELECT b.rolname
        FROM pg_catalog.pg_auth_members m
        JOIN pg_catalog.pg_roles b ON (m.roleid = b.oid)
        WHERE m.member = r.oid) as memberof
, r.rolreplication
, r.rolbypassrls
FROM pg_catalog.pg_roles r
WHERE r.rolname !~ '^pg_'
ORDER BY 1;"""

PSQL_TAB_COMPLETION = """\
SELECT pg_catalog.quote_ident(c.relname) FROM pg_catalog.pg_class c
 WHERE c.relkind IN ('r', 'S', 'v', 'm', 'f', 'p')
   AND substring(pg_catalog.quote_ident(c.relname),1,3)='use'
   AND pg_catalog.pg_table_is_visible(c.oid)
   AND c.relnamespace <> (SELECT oid FROM pg_catalog.pg_namespace WHERE nspname = 'pg_catalog')
LIMIT 1000"""

SQLALCHEMY_HAS_TABLE = """\
SELECT pg_catalog.pg_class.relname
FROM pg_catalog.pg_class JOIN pg_catalog.pg_namespace
  ON pg_catalog.pg_namespace.oid = pg_catalog.pg_class.relnamespace
WHERE pg_catalog.pg_class.relname = $1::VARCHAR
  AND pg_catalog.pg_class.relkind = ANY (ARRAY[$2::VARCHAR, $3::VARCHAR, $4::VARCHAR])
  AND pg_catalog.pg_table_is_visible(pg_catalog.pg_class.oid)
  AND pg_catalog.pg_namespace.nspname != $5::VARCHAR"""

DJANGO_TABLE_LIST = """\
SELECT c.relname,
  CASE WHEN c.relispartition THEN 'p' WHEN c.relkind IN ('m', 'v') THEN 'v' ELSE 't' END,
  obj_description(c.oid, 'pg_class')
FROM pg_catalog.pg_class c
LEFT JOIN pg_catalog.pg_namespace n ON n.oid = c.relnamespace
WHERE c.relkind IN ('f', 'm', 'p', 'r', 'v')
  AND n.nspname NOT IN ('pg_catalog', 'pg_toast')
  AND pg_catalog.pg_table_is_visible(c.oid)"""

RAILS_COLUMNS = """\
SELECT a.attname, format_type(a.atttypid, a.atttypmod),
       pg_get_expr(d.adbin, d.adrelid), a.attnotnull, a.atttypid, a.atttypmod,
       c.collname, col_description(a.attrelid, a.attnum) AS comment,
       attgenerated as attgenerated
  FROM pg_attribute a
  LEFT JOIN pg_attrdef d ON a.attrelid = d.adrelid AND a.attnum = d.adnum
  LEFT JOIN pg_type t ON a.atttypid = t.oid
  LEFT JOIN pg_collation c ON a.attcollation = c.oid AND a.attcollation <> t.typcollation
 WHERE a.attrelid = '"users"'::regclass
   AND a.attnum > 0 AND NOT a.attisdropped
 ORDER BY a.attnum"""

PGJDBC_TYPE_LOOKUP = """\
SELECT typinput='pg_catalog.array_in'::regproc as is_array, typtype, typname, pg_type.oid
  FROM pg_catalog.pg_type
  LEFT JOIN (select ns.oid as nspoid, ns.nspname, r.r
          from pg_namespace as ns
          join ( select s.r, (current_schemas(false))[s.r] as nspname
                   from generate_series(1, array_upper(current_schemas(false), 1)) as s(r) ) as r
         using ( nspname )
       ) as sp
    ON sp.nspoid = typnamespace
 WHERE pg_type.oid = $1
 ORDER BY sp.r, pg_type.oid DESC"""

PGJDBC_PRIMARY_KEYS = """\
SELECT NULL AS TABLE_CAT, n.nspname AS TABLE_SCHEM, ct.relname AS TABLE_NAME,
  a.attname AS COLUMN_NAME, (information_schema._pg_expandarray(i.indkey)).n AS KEY_SEQ,
  ci.relname AS PK_NAME, information_schema._pg_expandarray(i.indkey) AS KEYS,
  a.attnum AS A_ATTNUM
FROM pg_catalog.pg_class ct
  JOIN pg_catalog.pg_attribute a ON (ct.oid = a.attrelid)
  JOIN pg_catalog.pg_namespace n ON (ct.relnamespace = n.oid)
  JOIN pg_catalog.pg_index i ON ( a.attrelid = i.indrelid)
  JOIN pg_catalog.pg_class ci ON (ci.oid = i.indexrelid)
WHERE true AND ct.relname = E'users' AND i.indisprimary"""

ASYNCPG_TYPES = """\
WITH RECURSIVE typeinfo_tree(oid, ns, name, kind, basetype, elemtype, attrtypoids, depth) AS (
  SELECT ti.oid, ti.ns, ti.name, ti.kind, ti.basetype, ti.elemtype, ti.attrtypoids, 0
  FROM (SELECT t.oid, ns.nspname AS ns, t.typname AS name, t.typtype AS kind,
               CASE WHEN t.typtype = 'd' THEN t.typbasetype ELSE NULL END AS basetype,
               t.typelem AS elemtype,
               CASE WHEN t.typtype = 'c' THEN
                 (SELECT array_agg(ia.atttypid ORDER BY ia.attnum)
                    FROM pg_attribute ia INNER JOIN pg_class c ON (ia.attrelid = c.oid)
                   WHERE ia.attnum > 0 AND NOT ia.attisdropped AND c.reltype = t.oid)
               ELSE NULL END AS attrtypoids
          FROM pg_catalog.pg_type AS t
         INNER JOIN pg_catalog.pg_namespace ns ON (ns.oid = t.typnamespace)) AS ti
  WHERE ti.oid = any($1::oid[])
  UNION ALL
  SELECT t.oid, t.typnamespace::regnamespace::text, t.typname, t.typtype, NULL, t.typelem,
         NULL, tt.depth + 1
  FROM pg_catalog.pg_type t, typeinfo_tree tt
  WHERE t.oid = tt.elemtype OR t.oid = tt.basetype
)
SELECT DISTINCT *, basetype::regtype::text AS basetype_name,
       elemtype::regtype::text AS elemtype_name
FROM typeinfo_tree
ORDER BY depth DESC"""

PSYCOPG_TYPE_INFO = """\
SELECT
    typname AS name, oid, typarray AS array_oid,
    oid::regtype::text AS regtype, typdelim AS delimiter
FROM pg_type t
WHERE t.oid = to_regtype($1)
ORDER BY t.oid"""

CATALOG: list[Row] = [
    std(PSQL_DT, kind=Kind.READ),
    std(PSQL_D_LOOKUP),
    std(PSQL_D_COLUMNS),
    std(PSQL_D_TABLE),
    std(PSQL_D_INDEXES),
    std(PSQL_L),
    std(PSQL_DN),
    std(PSQL_DU),
    std(PSQL_TAB_COMPLETION),
    std(SQLALCHEMY_HAS_TABLE),
    std(DJANGO_TABLE_LIST),
    std(RAILS_COLUMNS),
    std(PGJDBC_TYPE_LOOKUP),
    std(ASYNCPG_TYPES),
    std("SELECT table_name FROM information_schema.tables WHERE table_schema = 'public'"),
    std("SELECT column_name, data_type, is_nullable FROM information_schema.columns "
        "WHERE table_name = $1 ORDER BY ordinal_position"),
    std("SELECT pid, state, query FROM pg_stat_activity WHERE state = 'active'"),
    std("SELECT name, setting FROM pg_settings WHERE name = 'max_connections'"),
    std("SELECT oid, typname FROM pg_type WHERE typname = ANY($1)"),
    std("SELECT pg_get_viewdef('v'::regclass, true)"),
    std("SELECT pg_get_serial_sequence('users', 'id')"),
    std("SELECT obj_description('users'::regclass, 'pg_class'), "
        "col_description('users'::regclass, 1)"),
    # read-only catalog helpers missing from the allow-list
    std(PSQL_D_TRIGGERS),
    std(PSQL_DF),
    std(PGJDBC_PRIMARY_KEYS),
    std(PSYCOPG_TYPE_INFO),
]

# -- SHOW, EXPLAIN without ANALYZE, EXPLAIN ANALYZE --------------------------------------------
SHOW_EXPLAIN: list[Row] = [
    std("SHOW search_path", kind=Kind.READ, replay=False),
    std("SHOW ALL"),
    std("SHOW TIME ZONE"),
    std("SHOW TRANSACTION ISOLATION LEVEL"),
    std("SHOW transaction_read_only"),
    std("show server_version"),
    std("EXPLAIN SELECT * FROM users WHERE id = 1", kind=Kind.READ),
    std("EXPLAIN (COSTS OFF, FORMAT JSON) SELECT * FROM users JOIN orders USING (user_id)"),
    std("EXPLAIN VERBOSE SELECT count(*) FROM t"),
    # EXPLAIN without ANALYZE only plans: no write, no row lock, no nextval call
    std("EXPLAIN INSERT INTO t VALUES (1)", kind=Kind.READ),
    std("EXPLAIN UPDATE t SET a = 1 WHERE id = 2"),
    std("EXPLAIN DELETE FROM t"),
    std("EXPLAIN SELECT nextval('s')"),
    std("EXPLAIN SELECT * FROM jobs FOR UPDATE SKIP LOCKED"),
    std("EXPLAIN (ANALYZE false) INSERT INTO t VALUES (1)"),
    std("EXPLAIN (ANALYZE off, COSTS on) DELETE FROM t"),
    std("EXPLAIN (ANALYZE 0) UPDATE t SET a = 1"),
    # EXPLAIN ANALYZE runs the statement: it goes where the statement goes
    std("EXPLAIN ANALYZE SELECT * FROM users", kind=Kind.READ),
    std("EXPLAIN (ANALYZE, BUFFERS) SELECT count(*) FROM t"),
    std("EXPLAIN ANALYSE SELECT 1"),
    pri("EXPLAIN ANALYZE INSERT INTO t VALUES (1)", kind=Kind.WRITE),
    pri("EXPLAIN (ANALYZE, BUFFERS) UPDATE t SET a = 1"),
    pri("EXPLAIN (ANALYZE true) DELETE FROM t"),
    pri("EXPLAIN (ANALYZE on, FORMAT JSON) DELETE FROM t WHERE id = 1"),
    pri("EXPLAIN (ANALYZE 1) INSERT INTO t SELECT 1"),
    pri("EXPLAIN (FORMAT YAML, ANALYZE) INSERT INTO t DEFAULT VALUES"),
    pri("EXPLAIN ANALYSE DELETE FROM t"),
    pri("EXPLAIN ANALYZE MERGE INTO t USING s ON t.id = s.id WHEN MATCHED THEN DELETE"),
    pri("EXPLAIN ANALYZE SELECT nextval('s')"),
    pri("EXPLAIN ANALYZE SELECT * FROM t FOR UPDATE"),
    pri("EXPLAIN ANALYZE WITH d AS (DELETE FROM t RETURNING *) SELECT * FROM d"),
    pri("EXPLAIN ANALYZE CREATE TABLE t2 AS SELECT 1"),
    pri("EXPLAIN ANALYZE CREATE TEMP TABLE t2 AS SELECT 1", pins=True),
    pri("EXPLAIN ANALYZE SELECT pg_advisory_lock(1)", pins=True),
]

# -- COPY ... TO ---------------------------------------------------------------------------------
COPY_TO: list[Row] = [
    std("COPY users TO STDOUT", kind=Kind.READ),
    std("COPY users (id, name) TO STDOUT WITH (FORMAT csv, HEADER true)"),
    std("COPY (SELECT * FROM users WHERE active) TO STDOUT"),
    std("COPY (SELECT id FROM a UNION SELECT id FROM b) TO STDOUT (FORMAT binary)"),
    pri("COPY (SELECT nextval('s')) TO STDOUT"),
    pri("COPY (SELECT * FROM t FOR UPDATE) TO STDOUT"),
    pri("COPY (DELETE FROM t RETURNING *) TO STDOUT"),
    pri("COPY (WITH d AS (DELETE FROM t RETURNING *) SELECT * FROM d) TO STDOUT"),
    # a server-side file or program: as on a PostgreSQL hot standby, the node the client is
    # connected to writes it
    std("COPY users TO '/tmp/users.csv'"),
    std("COPY users TO PROGRAM 'gzip > /tmp/users.csv.gz'"),
]

# -- volatile or side-effect functions -> primary ------------------------------------------------
FUNCTIONS: list[Row] = [
    pri("SELECT nextval('orders_id_seq')", kind=Kind.WRITE),
    pri("SELECT NEXTVAL('Orders_id_seq')"),
    pri("SELECT pg_catalog.nextval('s')"),
    pri("SELECT id, nextval('s') FROM t"),
    pri("VALUES (nextval('s'))"),
    pri("SELECT 1 UNION ALL SELECT nextval('s')"),
    pri("SELECT * FROM (SELECT nextval('s')) x"),
    pri("WITH n AS (SELECT nextval('s') AS id) SELECT id FROM n"),
    pri("SELECT setval('s', 100)"),
    pri("SELECT setval('s', max(id)) FROM t"),
    # currval/lastval read state of the backend that ran nextval (the primary): primary
    pri("SELECT currval('s')"),
    pri("SELECT * FROM t WHERE id = currval('s')"),
    pri("SELECT lastval()"),
    # session-level advisory locks pin; transaction-level ones only need the primary
    pri("SELECT pg_advisory_lock(42)", pins=True),
    pri("SELECT pg_advisory_lock_shared(1, 2)", pins=True),
    pri("SELECT pg_try_advisory_lock(hashtext('job'))", pins=True),
    pri("SELECT pg_try_advisory_lock_shared(7)", pins=True),
    pri("SELECT id FROM jobs WHERE pg_try_advisory_lock(id) LIMIT 1", pins=True),
    pri("SELECT pg_catalog.pg_advisory_lock(1)", pins=True),
    pri("WITH l AS (SELECT pg_advisory_lock(9)) SELECT 1 FROM l", pins=True),
    pri("SELECT pg_advisory_unlock(42)"),
    pri("SELECT pg_advisory_unlock_all()"),
    pri("SELECT pg_advisory_xact_lock(42)", pins=False),
    pri("SELECT pg_advisory_xact_lock_shared(42)", pins=False),
    pri("SELECT pg_try_advisory_xact_lock(42)", pins=False),
    # set_config leaves a setting in the backend that ran it
    pri("SELECT set_config('search_path', 'app', false)", pins=True),
    pri("SELECT pg_catalog.set_config('app.user_id', '42', false)", pins=True),
    pri("SELECT set_config('app.tenant', $1, true)"),
    # setseed() leaves the random() state behind in the backend that ran it
    pri("SELECT setseed(0.5)", pins=True),
    pri("SELECT pg_notify('events', 'hello')"),
    # user-defined functions: not known to be read-only
    pri("SELECT myfunc()", kind=Kind.WRITE),
    pri("SELECT public.f(1)"),
    pri("SELECT app.refresh_counters($1)"),
    pri("SELECT * FROM get_user_orders($1)"),
    pri('SELECT "MyFunc"(x) FROM t'),
    pri("SELECT lower(my_normalize(name)) FROM users"),
    pri("SELECT * FROM users WHERE is_visible(users.id)"),
    pri("SELECT public.lower('X')"),
    # transaction ids, WAL positions, server control
    pri("SELECT txid_current()"),
    pri("SELECT pg_current_xact_id()"),
    pri("SELECT pg_current_wal_lsn()"),
    pri("SELECT pg_terminate_backend(12345)"),
    pri("SELECT pg_cancel_backend(12345)"),
    pri("SELECT pg_reload_conf()"),
    pri("SELECT pg_switch_wal()"),
    pri("SELECT lo_create(0)"),
    pri("SELECT pg_stat_reset()"),
]

# -- functions that act on the node the client is connected to: never forwarded -----------------
# pg_promote() promotes the standby it runs on (on a primary it fails: "recovery is not in
# progress"), so it runs where it was sent; its kind is UTILITY (neither a read nor a write).
NODE_LOCAL: list[Row] = [
    std("SELECT pg_promote()", kind=Kind.UTILITY),
    std("SELECT pg_promote(true, 60)", kind=Kind.UTILITY),
]

# -- SELECT ... FOR UPDATE/SHARE anywhere -> primary --------------------------------------------
LOCKING: list[Row] = [
    pri("SELECT * FROM accounts WHERE id = 1 FOR UPDATE", kind=Kind.WRITE),
    pri("SELECT * FROM accounts WHERE id = 1 FOR NO KEY UPDATE"),
    pri("SELECT * FROM accounts WHERE id = 1 FOR SHARE"),
    pri("SELECT * FROM accounts WHERE id = 1 FOR KEY SHARE"),
    pri("SELECT * FROM jobs ORDER BY id LIMIT 1 FOR UPDATE SKIP LOCKED"),
    pri("SELECT * FROM jobs WHERE id = $1 FOR UPDATE NOWAIT"),
    pri("SELECT * FROM jobs LIMIT 10 FOR NO KEY UPDATE SKIP LOCKED"),
    pri("SELECT a.* FROM a JOIN b ON a.id = b.a_id FOR UPDATE OF a"),
    pri("SELECT * FROM a FOR SHARE OF a NOWAIT"),
    pri("select * from t where id = 1 for update"),
    pri("TABLE jobs FOR UPDATE"),
    pri("SELECT * FROM (SELECT * FROM jobs FOR UPDATE SKIP LOCKED LIMIT 1) j"),
    pri("SELECT * FROM jobs WHERE id IN (SELECT id FROM jobs WHERE state = 'new' "
        "FOR UPDATE SKIP LOCKED)"),
    pri("SELECT EXISTS (SELECT 1 FROM t WHERE id = 1 FOR SHARE)"),
    pri("SELECT (SELECT v FROM t WHERE id = 1 FOR UPDATE)"),
    pri("WITH next AS (SELECT id FROM jobs LIMIT 1 FOR UPDATE SKIP LOCKED) SELECT * FROM next"),
    pri("WITH a AS (WITH b AS (SELECT id FROM t FOR KEY SHARE) SELECT * FROM b) "
        "SELECT * FROM a"),
    pri("UPDATE jobs SET state = 'taken' WHERE id = (SELECT id FROM jobs WHERE state = 'new' "
        "LIMIT 1 FOR UPDATE SKIP LOCKED) RETURNING *"),
    pri("DECLARE c CURSOR FOR SELECT * FROM t FOR UPDATE"),
]

# -- CTEs that modify data -> primary -------------------------------------------------------------
WRITE_CTES: list[Row] = [
    pri("WITH i AS (INSERT INTO t (a) VALUES (1) RETURNING id) SELECT id FROM i",
        kind=Kind.WRITE),
    pri("WITH u AS (UPDATE t SET a = a + 1 RETURNING *) SELECT count(*) FROM u"),
    pri("WITH d AS (DELETE FROM t WHERE old RETURNING id) SELECT array_agg(id) FROM d"),
    pri("WITH r AS (SELECT 1 AS x), w AS (INSERT INTO log (x) SELECT x FROM r) "
        "SELECT * FROM r"),
    pri("WITH moved AS (DELETE FROM queue RETURNING *) INSERT INTO done SELECT * FROM moved"),
    pri("WITH a AS (SELECT * FROM (WITH d AS (DELETE FROM t RETURNING id) SELECT id FROM d) s) "
        "SELECT * FROM a"),
    pri("WITH RECURSIVE r AS (SELECT 1 AS n UNION ALL SELECT n + 1 FROM r WHERE n < 3), "
        "ins AS (INSERT INTO nums SELECT n FROM r RETURNING n) SELECT * FROM ins"),
    pri("WITH x AS (UPDATE t SET a = 1 RETURNING id) SELECT * FROM t "
        "WHERE id IN (SELECT id FROM x)"),
    pri("with i as (insert into t values (1) returning *) select * from i"),
    pri("SELECT * FROM (WITH i AS (INSERT INTO t VALUES (1) RETURNING id) SELECT id FROM i) s"),
    pri("WITH outer_cte AS (WITH u AS (UPDATE t SET a = 2 RETURNING a) SELECT a FROM u) "
        "SELECT * FROM outer_cte"),
]

# -- several statements in one Query ------------------------------------------------------------
MULTI: list[Row] = [
    std("SELECT 1; SELECT 2", kind=Kind.READ),
    std("SELECT * FROM a; SELECT * FROM b; SHOW search_path"),
    std("SELECT 1;;SELECT 2"),
    pri("SELECT 1; INSERT INTO t VALUES (1)", kind=Kind.WRITE),
    pri("INSERT INTO t VALUES (1); SELECT * FROM t"),
    pri("SELECT 1; SELECT nextval('s')"),
    pri("SELECT 1; SELECT * FROM t FOR UPDATE"),
    pri("SELECT 1; UPDATE t SET a = 1; SELECT 2"),
    pri("SELECT 1; CREATE TABLE x (a int)"),
    pri("SELECT 1; LISTEN ch", pins=True),
    pri("SELECT 1; CREATE TEMP TABLE tmp (a int)", pins=True),
    pri("SELECT 1; SELECT pg_advisory_lock(5)", pins=True),
    pri("BEGIN; INSERT INTO t VALUES (1); COMMIT", txn=Txn.END),
    pri("BEGIN; SELECT 1; COMMIT", txn=Txn.END),
    std("BEGIN READ ONLY; SELECT * FROM t; COMMIT", txn=Txn.END),
    pri("BEGIN; UPDATE t SET a = 1", txn=Txn.BEGIN),
    pri("BEGIN READ ONLY; SELECT 1; COMMIT; INSERT INTO t VALUES (1)"),
    std("SET search_path TO app; SELECT * FROM t", replay=True),
    std("SET statement_timeout = 0; SELECT 1; RESET statement_timeout"),
    # replaying this text on another backend would run the INSERT again
    pri("SET search_path TO app; INSERT INTO t VALUES (1)", replay=False),
]

# -- explicit transactions -----------------------------------------------------------------------
TRANSACTIONS: list[Row] = [
    pri("BEGIN", txn=Txn.BEGIN, kind=Kind.TRANSACTION),
    pri("BEGIN WORK", txn=Txn.BEGIN),
    pri("BEGIN TRANSACTION", txn=Txn.BEGIN),
    pri("START TRANSACTION", txn=Txn.BEGIN),
    pri("begin", txn=Txn.BEGIN),
    pri("BEGIN ISOLATION LEVEL SERIALIZABLE", txn=Txn.BEGIN),
    pri("START TRANSACTION ISOLATION LEVEL REPEATABLE READ", txn=Txn.BEGIN),
    pri("BEGIN ISOLATION LEVEL READ COMMITTED, READ WRITE", txn=Txn.BEGIN),
    pri("BEGIN READ WRITE", txn=Txn.BEGIN),
    pri("START TRANSACTION READ WRITE", txn=Txn.BEGIN),
    pri("BEGIN NOT DEFERRABLE", txn=Txn.BEGIN),
    std("BEGIN READ ONLY", txn=Txn.BEGIN_READ_ONLY, kind=Kind.TRANSACTION),
    std("START TRANSACTION READ ONLY", txn=Txn.BEGIN_READ_ONLY),
    std("BEGIN TRANSACTION READ ONLY", txn=Txn.BEGIN_READ_ONLY),
    std("begin read only", txn=Txn.BEGIN_READ_ONLY),
    std("BEGIN ISOLATION LEVEL REPEATABLE READ, READ ONLY", txn=Txn.BEGIN_READ_ONLY),
    std("START TRANSACTION READ ONLY, ISOLATION LEVEL READ COMMITTED",
        txn=Txn.BEGIN_READ_ONLY),
    std("BEGIN READ ONLY DEFERRABLE", txn=Txn.BEGIN_READ_ONLY),
    # a standby refuses SERIALIZABLE ("cannot use serializable mode in a hot standby")
    pri("BEGIN ISOLATION LEVEL SERIALIZABLE, READ ONLY"),
    pri("START TRANSACTION ISOLATION LEVEL SERIALIZABLE READ ONLY DEFERRABLE"),
    std("COMMIT", txn=Txn.END, kind=Kind.TRANSACTION),
    std("COMMIT WORK", txn=Txn.END),
    std("END", txn=Txn.END),
    std("END TRANSACTION", txn=Txn.END),
    std("ROLLBACK", txn=Txn.END),
    std("ROLLBACK WORK", txn=Txn.END),
    std("ABORT", txn=Txn.END),
    # AND CHAIN ends the transaction and at once opens the next one on the same backend
    std("COMMIT AND CHAIN", txn=Txn.INSIDE),
    std("ROLLBACK AND CHAIN", txn=Txn.INSIDE),
    std("SAVEPOINT s1", txn=Txn.INSIDE, kind=Kind.TRANSACTION),
    std("RELEASE SAVEPOINT s1", txn=Txn.INSIDE),
    std("RELEASE s1", txn=Txn.INSIDE),
    std("ROLLBACK TO SAVEPOINT s1", txn=Txn.INSIDE),
    std("ROLLBACK TO s1", txn=Txn.INSIDE),
    # two-phase commit: a standby can run none of it; the prepared transaction is on the primary
    pri("PREPARE TRANSACTION 'tx1'", txn=Txn.END),
    pri("COMMIT PREPARED 'tx1'"),
    pri("ROLLBACK PREPARED 'tx1'"),
]

# -- session settings: replayed on every backend (SET LOCAL and SET TRANSACTION are not) ----------
SETTINGS: list[Row] = [
    std("SET search_path TO app, public", replay=True, kind=Kind.SESSION, pins=False),
    std("SET statement_timeout = 5000", replay=True),
    std("SET SESSION statement_timeout = '5s'", replay=True),
    std("SET TIME ZONE 'UTC'", replay=True),
    std("SET TIME ZONE LOCAL", replay=True),
    std("SET application_name = 'worker'", replay=True),
    std("SET ROLE app_reader", replay=True),
    std("SET SESSION AUTHORIZATION app", replay=True),
    std("SET NAMES 'UTF8'", replay=True),
    std("SET myapp.tenant_id = '42'", replay=True),
    std("SET search_path = DEFAULT", replay=True),
    std("SET SESSION CHARACTERISTICS AS TRANSACTION ISOLATION LEVEL REPEATABLE READ",
        replay=True),
    std("set work_mem to '64MB'", replay=True),
    std("RESET search_path", replay=True),
    std("RESET ALL", replay=True),
    std("RESET ROLE", replay=True),
    std("RESET SESSION AUTHORIZATION", replay=True),
    std("DISCARD ALL", replay=True, kind=Kind.SESSION),
    std("DISCARD PLANS", replay=True),
    std("DISCARD SEQUENCES", replay=True),
    std("DISCARD TEMP", replay=True),
    std("SET LOCAL statement_timeout = '1s'", replay=False, kind=Kind.SESSION),
    std("SET LOCAL search_path TO app", replay=False),
    std("SET LOCAL ROLE admin", replay=False),
    std("SET LOCAL app.user_id = '7'", replay=False),
    # SET TRANSACTION only affects the current transaction, like SET LOCAL
    std("SET TRANSACTION ISOLATION LEVEL REPEATABLE READ", replay=False),
    std("SET TRANSACTION READ ONLY", replay=False),
]

# -- temporary objects, LISTEN/NOTIFY, cursors, SQL PREPARE ---------------------------------------
SESSION_STATE: list[Row] = [
    pri("CREATE TEMP TABLE tmp (id int)", pins=True, kind=Kind.DDL),
    pri("CREATE TEMPORARY TABLE tmp (id int) ON COMMIT DROP", pins=True),
    pri("CREATE LOCAL TEMP TABLE tmp (id int)", pins=True),
    pri("CREATE GLOBAL TEMPORARY TABLE tmp (id int)", pins=True),
    pri("CREATE TEMP TABLE IF NOT EXISTS tmp AS SELECT * FROM t", pins=True),
    pri("CREATE TEMP TABLE tmp AS SELECT 1 AS x WITH NO DATA", pins=True),
    pri("SELECT * INTO TEMP tmp FROM t", pins=True),
    pri("SELECT id INTO TEMPORARY TABLE tmp FROM t WHERE x > 1", pins=True),
    # other temporary objects live in the same per-backend pg_temp schema
    pri("CREATE TEMP VIEW v AS SELECT 1", pins=True),
    pri("CREATE TEMP SEQUENCE s", pins=True),
    pri("CREATE TABLE pg_temp.scratch (id int)", pins=True),
    pri("LISTEN jobs", pins=True, kind=Kind.SESSION),
    pri('LISTEN "Mixed Case"', pins=True),
    pri("UNLISTEN jobs"),
    pri("UNLISTEN *"),
    pri("NOTIFY jobs"),
    pri("NOTIFY jobs, 'payload'"),
    pri("DECLARE c CURSOR WITH HOLD FOR SELECT * FROM t", pins=True),
    pri("DECLARE c SCROLL CURSOR WITH HOLD FOR SELECT 1", pins=True),
    std("DECLARE c CURSOR FOR SELECT * FROM t", pins=False),
    std("DECLARE c NO SCROLL CURSOR WITHOUT HOLD FOR SELECT * FROM t WHERE x > $1"),
    std("DECLARE c BINARY CURSOR FOR SELECT * FROM t"),
    pri("DECLARE c CURSOR FOR SELECT nextval('s')"),
    # FETCH/MOVE/CLOSE run where their cursor is: inside its transaction, or on the primary
    # the WITH HOLD cursor pinned the session to
    std("FETCH 10 FROM c", kind=Kind.SESSION),
    std("FETCH ALL IN c"),
    std("FETCH NEXT FROM c"),
    std("MOVE FORWARD 5 IN c"),
    std("MOVE ABSOLUTE 0 IN c"),
    std("CLOSE c"),
    std("CLOSE ALL"),
    pri("PREPARE q(int) AS SELECT * FROM t WHERE id = $1", pins=True, kind=Kind.SESSION),
    pri("PREPARE ins AS INSERT INTO t VALUES ($1)", pins=True),
    pri("EXECUTE q(1)"),
    pri("EXECUTE ins('x')"),
    # DEALLOCATE drops statements where the session runs (protocol-level statements that a
    # driver prepared on the standby live there; the forwarder forgets the primary's copy).
    std("DEALLOCATE q"),
    std("DEALLOCATE PREPARE ins"),
    std("DEALLOCATE ALL"),
]

# -- COPY ... FROM -> primary ---------------------------------------------------------------------
COPY_FROM: list[Row] = [
    pri("COPY t FROM STDIN", kind=Kind.WRITE),
    pri("COPY t (a, b) FROM STDIN WITH (FORMAT csv, HEADER)"),
    pri("COPY t FROM '/tmp/t.csv'"),
    pri("COPY t FROM PROGRAM 'zcat /tmp/t.gz'"),
    pri("copy t from stdin"),
    pri("COPY t FROM STDIN WHERE a > 0"),
]

# -- DML -> primary -------------------------------------------------------------------------------
DML: list[Row] = [
    pri("INSERT INTO t (a) VALUES (1)", kind=Kind.WRITE, pins=False),
    pri("INSERT INTO t VALUES ($1, $2) RETURNING id"),
    pri("INSERT INTO t DEFAULT VALUES"),
    pri("INSERT INTO t (id, v) VALUES (1, 'x') ON CONFLICT (id) DO UPDATE SET v = EXCLUDED.v"),
    pri("INSERT INTO t VALUES (1) ON CONFLICT DO NOTHING"),
    pri("INSERT INTO t VALUES (1) ON CONFLICT ON CONSTRAINT t_pkey DO NOTHING"),
    pri("INSERT INTO archive SELECT * FROM t WHERE created_at < now() - interval '1 year'"),
    pri("INSERT INTO t (a) SELECT generate_series(1, 100)"),
    pri("INSERT INTO t OVERRIDING SYSTEM VALUE VALUES (1)"),
    pri("WITH src AS (SELECT 1 AS a) INSERT INTO t SELECT a FROM src"),
    pri("insert into t values (1)"),
    pri("UPDATE t SET a = a + 1 WHERE id = $1", kind=Kind.WRITE),
    pri("UPDATE t SET a = s.a FROM s WHERE t.id = s.id"),
    pri("UPDATE t SET (a, b) = (SELECT a, b FROM s WHERE s.id = t.id)"),
    pri("UPDATE t SET v = 1 WHERE CURRENT OF c"),
    pri("UPDATE ONLY t SET v = 0 RETURNING *"),
    pri("DELETE FROM t WHERE id = $1", kind=Kind.WRITE),
    pri("DELETE FROM t USING u WHERE t.uid = u.id AND u.banned"),
    pri("DELETE FROM t WHERE CURRENT OF c"),
    pri("DELETE FROM t RETURNING *"),
    pri("/* app */ DELETE FROM t"),
    pri("MERGE INTO t USING s ON t.id = s.id WHEN MATCHED THEN UPDATE SET v = s.v "
        "WHEN NOT MATCHED THEN INSERT VALUES (s.id, s.v)", kind=Kind.WRITE),
    pri("MERGE INTO t USING (VALUES (1)) s(id) ON t.id = s.id WHEN NOT MATCHED THEN DO NOTHING"),
]

# -- DDL -> primary -------------------------------------------------------------------------------
DDL: list[Row] = [
    pri("CREATE TABLE users (id bigserial PRIMARY KEY, name text NOT NULL)", kind=Kind.DDL,
        pins=False),
    pri("CREATE TABLE IF NOT EXISTS t (a int)"),
    pri("CREATE UNLOGGED TABLE cache (k text, v text)", pins=False),
    pri("CREATE TABLE t2 (LIKE t INCLUDING ALL)"),
    pri("CREATE TABLE p1 PARTITION OF p FOR VALUES FROM (1) TO (100)"),
    pri("CREATE TABLE t3 AS SELECT * FROM t", kind=Kind.DDL, pins=False),
    pri("SELECT * INTO new_t FROM t", kind=Kind.DDL, pins=False),
    pri("CREATE MATERIALIZED VIEW mv AS SELECT count(*) FROM t"),
    pri("ALTER TABLE t ADD COLUMN c int DEFAULT 0", kind=Kind.DDL),
    pri("ALTER TABLE t RENAME TO t_old"),
    pri("ALTER TABLE t RENAME COLUMN a TO b"),
    pri("ALTER TABLE t OWNER TO app"),
    pri("ALTER TABLE t SET SCHEMA archive"),
    pri("ALTER TABLE t ENABLE ROW LEVEL SECURITY"),
    pri("ALTER TABLE p ATTACH PARTITION p2 FOR VALUES FROM (100) TO (200)"),
    pri("DROP TABLE IF EXISTS t CASCADE", kind=Kind.DDL),
    pri("CREATE INDEX idx ON t (a)", kind=Kind.DDL),
    pri("CREATE UNIQUE INDEX CONCURRENTLY idx2 ON t (lower(email))"),
    pri("DROP INDEX CONCURRENTLY idx"),
    pri("ALTER INDEX idx RENAME TO idx_a"),
    pri("CREATE VIEW v AS SELECT * FROM t", kind=Kind.DDL),
    pri("CREATE OR REPLACE VIEW v AS SELECT id FROM t"),
    pri("DROP VIEW v"),
    pri("CREATE SEQUENCE s START 100"),
    pri("ALTER SEQUENCE s RESTART WITH 1"),
    pri("DROP SEQUENCE s"),
    pri("CREATE SCHEMA app"),
    pri("CREATE SCHEMA IF NOT EXISTS app AUTHORIZATION app_owner"),
    pri("ALTER SCHEMA app RENAME TO app2"),
    pri("DROP SCHEMA app CASCADE"),
    pri("CREATE FUNCTION add(a int, b int) RETURNS int LANGUAGE sql IMMUTABLE "
        "AS $$ SELECT a + b $$", kind=Kind.DDL),
    pri("CREATE OR REPLACE PROCEDURE p() LANGUAGE plpgsql AS $$ BEGIN NULL; END $$"),
    pri("ALTER FUNCTION add(int, int) OWNER TO app"),
    pri("DROP FUNCTION IF EXISTS add(int, int)"),
    pri("CREATE TYPE mood AS ENUM ('sad', 'happy')"),
    pri("ALTER TYPE mood ADD VALUE 'meh'"),
    pri("CREATE TYPE pair AS (a int, b int)"),
    pri("CREATE DOMAIN posint AS int CHECK (VALUE > 0)"),
    pri("DROP TYPE mood"),
    pri("CREATE EXTENSION IF NOT EXISTS pgcrypto"),
    pri("ALTER EXTENSION pgcrypto UPDATE"),
    pri("DROP EXTENSION pgcrypto"),
    pri("CREATE TRIGGER trg BEFORE INSERT ON t FOR EACH ROW EXECUTE FUNCTION f()"),
    pri("CREATE POLICY p ON t USING (owner = current_user)"),
    pri("CREATE RULE r AS ON INSERT TO v DO INSTEAD NOTHING"),
    pri("CREATE ROLE reader LOGIN"),
    pri("ALTER ROLE reader SET search_path = app"),
    pri("ALTER USER app WITH PASSWORD 'secret'"),
    pri("DROP ROLE reader"),
    pri("CREATE DATABASE analytics"),
    pri("DROP DATABASE analytics"),
    pri("ALTER DATABASE app SET timezone = 'UTC'"),
    pri("ALTER SYSTEM SET work_mem = '64MB'"),
    pri("TRUNCATE t", kind=Kind.DDL),
    pri("TRUNCATE TABLE a, b RESTART IDENTITY CASCADE"),
    pri("GRANT SELECT ON ALL TABLES IN SCHEMA public TO reader", kind=Kind.DDL),
    pri("GRANT reader TO app"),
    pri("REVOKE ALL ON SCHEMA app FROM PUBLIC"),
    pri("ALTER DEFAULT PRIVILEGES IN SCHEMA app GRANT SELECT ON TABLES TO reader"),
    pri("COMMENT ON TABLE t IS 'main table'", kind=Kind.DDL),
    pri("COMMENT ON COLUMN t.a IS NULL"),
    pri("SECURITY LABEL FOR selinux ON TABLE t IS 'system_u:object_r:sepgsql_table_t:s0'"),
    pri("REINDEX TABLE t"),
    pri("REINDEX INDEX CONCURRENTLY idx"),
    pri("CLUSTER t USING idx"),
    pri("REFRESH MATERIALIZED VIEW mv"),
    pri("REFRESH MATERIALIZED VIEW CONCURRENTLY mv"),
    pri("CREATE PUBLICATION pub FOR ALL TABLES"),
    pri("CREATE AGGREGATE myagg (int) (SFUNC = int4pl, STYPE = int)"),
    pri("CREATE STATISTICS st (dependencies) ON a, b FROM t"),
    pri("REASSIGN OWNED BY old_role TO new_role"),
    pri("DROP OWNED BY old_role"),
    pri("IMPORT FOREIGN SCHEMA remote FROM SERVER srv INTO local"),
    pri("CREATE FOREIGN TABLE ft (a int) SERVER srv"),
]

# -- LOCK, maintenance, DO, CALL -> primary -------------------------------------------------------
UTILITY: list[Row] = [
    pri("LOCK TABLE t IN ACCESS EXCLUSIVE MODE"),
    pri("LOCK t"),
    pri("LOCK TABLE t IN ACCESS SHARE MODE NOWAIT"),
    pri("VACUUM"),
    pri("VACUUM (VERBOSE, ANALYZE) t"),
    pri("VACUUM FULL t"),
    pri("ANALYZE"),
    pri("ANALYZE t (a, b)"),
    pri("CHECKPOINT"),
    pri("DO $$ BEGIN PERFORM 1; END $$"),
    pri("DO LANGUAGE plpgsql $$ BEGIN INSERT INTO t VALUES (1); END $$"),
    pri("CALL refresh_all()"),
    pri("CALL app.process($1, $2)"),
]

# -- text that does not parse -> primary (which reports the error) --------------------------------
UNPARSEABLE: list[Row] = [
    pri("SELEC 1", kind=Kind.UTILITY),
    pri("SELECT * FORM t"),
    pri("SELECT 'unterminated"),
    pri('SELECT "unterminated'),
    pri("SELECT $$ unterminated"),
    pri("/* unterminated comment SELECT 1"),
    pri("INSERT INTO t VALUES (1"),
    pri("SELECT 1 +"),
    pri("garbage"),
    pri("SELECT `id` FROM `users`"),
    pri("INSERT INTO t SET a = 1"),
    pri("SELECT * FROM t LIMIT 10, 20"),
    pri("REPLACE INTO t VALUES (1)"),
    pri("SHOW CREATE TABLE t"),
    pri("DESCRIBE users"),
    pri("SELECT TOP 5 * FROM t"),
    pri("UPDATE t SET a = 1 LIMIT 1"),
    pri("INSERT IGNORE INTO t VALUES (1)"),
    pri("\\d users"),
]

# -- routing hints: a leading /* pgha:primary|standby */ comment ---------------------------------
HINTS: list[Row] = [
    pri("/* pgha:primary */ SELECT * FROM users", hint="primary", kind=Kind.READ),
    pri("/*pgha:primary*/SELECT 1", hint="primary"),
    pri("/* PGHA:PRIMARY */ SELECT 1", hint="primary"),
    pri("   /*   pgha:Primary   */   SELECT 1", hint="primary"),
    pri("/* pgha:primary */ SHOW search_path", hint="primary"),
    pri("/* pgha:primary */ SELECT 1; SELECT 2", hint="primary"),
    pri("/* pgha:primary */ BEGIN READ ONLY", hint="primary"),
    std("/* pgha:standby */ SELECT * FROM users", hint="standby"),
    std("/*pgha:standby*/SELECT count(*) FROM t", hint="standby"),
    std("/* PgHa:StAnDbY */ SELECT 1", hint="standby"),
    std("\n  /*  pgha:standby  */\nSELECT 1", hint="standby"),
    std("/* pgha:standby */ SELECT 1; SELECT 2", hint="standby"),
    # the standby hint never sends a write, a lock or session state to a standby
    pri("/* pgha:standby */ INSERT INTO t VALUES (1)", hint="standby"),
    pri("/* pgha:standby */ UPDATE t SET a = 1", hint="standby"),
    pri("/* pgha:standby */ SELECT nextval('s')", hint="standby"),
    pri("/* pgha:standby */ SELECT * FROM t FOR UPDATE", hint="standby"),
    pri("/* pgha:standby */ SELECT pg_advisory_lock(1)", hint="standby", pins=True),
    pri("/* pgha:standby */ WITH d AS (DELETE FROM t RETURNING *) SELECT * FROM d"),
    pri("/* pgha:standby */ CREATE TABLE x (a int)"),
    pri("/* pgha:standby */ BEGIN", txn=Txn.BEGIN),
    pri("/* pgha:standby */ LISTEN ch", pins=True),
    pri("/* pgha:standby */ SELEC 1", hint="standby"),
    pri("/* pgha:standby */ SELECT 1; LISTEN ch", pins=True),
    pri("/* pgha:standby */ SELECT 1; NOTIFY ch"),
    pri("/* pgha:standby */ SELECT 1; BEGIN", txn=Txn.BEGIN),
    pri("/* pgha:standby */ SELECT 1; PREPARE p AS SELECT 1", pins=True),
    # only a leading comment is a hint (not one inside the text or in a string literal)
    std("/* pgha:replica */ SELECT 1", hint=""),
    std("SELECT 1 /* pgha:primary */", hint=""),
    std("SELECT '/* pgha:primary */'", hint=""),
    std("-- pgha:primary\nSELECT 1", hint=""),
]

# -- nothing to run -------------------------------------------------------------------------------
EMPTY: list[Row] = [
    std("", kind=Kind.READ),
    std("   "),
    std(";"),
    std(";;"),
    std("-- just a comment"),
    std("/* only a comment */"),
]

ROWS: list[Row] = [
    *SELECTS, *BUILTINS, *CATALOG, *SHOW_EXPLAIN, *COPY_TO, *FUNCTIONS, *NODE_LOCAL, *LOCKING,
    *WRITE_CTES,
    *MULTI, *TRANSACTIONS, *SETTINGS, *SESSION_STATE, *COPY_FROM, *DML, *DDL, *UTILITY,
    *UNPARSEABLE, *HINTS, *EMPTY,
]


def _ids(rows: list[Row]) -> list[str]:
    """Readable test ids: the SQL on one line, truncated; repeats get a suffix."""
    seen: Counter[str] = Counter()
    ids = []
    for sql, _, _ in rows:
        text = " ".join(sql.split()) or f"<blank {sql!r}>"
        if len(text) > 60:
            text = text[:57] + "..."
        seen[text] += 1
        ids.append(text if seen[text] == 1 else f"{text} #{seen[text]}")
    return ids


@pytest.mark.parametrize(("sql", "target", "extra"), ROWS, ids=_ids(ROWS))
def test_route(sql: str, target: str, extra: dict[str, Any]) -> None:
    decision = classify(sql)
    assert isinstance(decision, Decision)
    assert decision.target == target, decision.reason
    for field, expected in extra.items():
        assert getattr(decision, field) == expected, f"{field}: {decision}"


def test_table_has_enough_distinct_statements() -> None:
    statements = [sql for sql, _, _ in ROWS]
    repeated = [sql for sql, n in Counter(statements).items() if n > 1]
    assert not repeated
    assert len(statements) >= 220
    assert {target for _, target, _ in ROWS} == {STANDBY, PRIMARY}


def test_no_write_or_ddl_kind_is_ever_standby_ok() -> None:
    """Whatever the route of each row, a decision a standby may serve reads, or only touches
    the transaction or the session: never WRITE or DDL, and UTILITY only for the functions
    that act on the node they are sent to."""
    allowed = {Kind.READ, Kind.TRANSACTION, Kind.SESSION}
    node_local = {sql for sql, _, _ in NODE_LOCAL}
    decisions = [(sql, classify(sql)) for sql, _, _ in ROWS]
    standby = [(sql, d.kind) for sql, d in decisions if d.standby_ok]
    assert not [(sql, kind) for sql, kind in standby if kind in (Kind.WRITE, Kind.DDL)]
    assert not [(sql, kind) for sql, kind in standby
                if kind not in allowed and sql not in node_local]


@pytest.mark.parametrize("sql", [
    "SELECT * FROM users WHERE id = $1",
    "INSERT INTO t VALUES (1)",
    "BEGIN READ ONLY",
    "/* pgha:primary */ SELECT 1",
    "SELEC 1",
    "",
])
def test_cached_decision_is_returned_for_the_same_text(sql: str) -> None:
    first = classify(sql)
    same_text = "".join(list(sql))  # an equal string, usually another object
    assert same_text == sql
    assert classify(same_text) is first
    assert classify(sql) is first
