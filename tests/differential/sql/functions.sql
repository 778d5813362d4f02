-- Built-in functions and expressions commonly used by applications and drivers.

CREATE TABLE fn_t (id integer PRIMARY KEY, s text, n numeric, a integer[]);
INSERT INTO fn_t VALUES (1, 'alpha', 1.5, ARRAY[1, 2, 3]), (2, 'beta', -2.25, '{4,5}'), (3, NULL, NULL, NULL), (4, 'gamma', 0, '{}');

-- Conditional expressions
SELECT id, coalesce(s, 'none'), nullif(s, 'beta'), CASE s WHEN 'alpha' THEN 'A' WHEN 'beta' THEN 'B' END FROM fn_t ORDER BY id;
SELECT id, s IS DISTINCT FROM 'alpha', s IS NOT DISTINCT FROM NULL FROM fn_t ORDER BY id;
SELECT CASE WHEN n > 0 THEN 'pos' WHEN n < 0 THEN 'neg' WHEN n = 0 THEN 'zero' ELSE 'null' END FROM fn_t ORDER BY id;

-- Casts and type functions
SELECT pg_typeof(1), pg_typeof(1.0), pg_typeof('a'::text), pg_typeof(NULL::integer), pg_typeof(ARRAY[1]);
SELECT CAST(n AS integer), n::text, s::varchar(3), id::text || '#' FROM fn_t ORDER BY id;
SELECT '123'::integer::text::numeric + 1, 1::boolean::integer;

-- Arrays
SELECT a, a[1], a[2:3], array_length(a, 1), cardinality(a) FROM fn_t ORDER BY id;
SELECT ARRAY[1, 2] || ARRAY[3], ARRAY[1, 2] || 3, 0 || ARRAY[1], array_append(ARRAY[1], 2), array_prepend(0, ARRAY[1]);
SELECT array_cat(ARRAY['a'], ARRAY['b', 'c']), array_remove(ARRAY[1, 2, 1], 1), array_position(ARRAY['x', 'y'], 'y');
SELECT 2 = ANY (ARRAY[1, 2, 3]), 5 = ANY ('{1,2}'::int[]), 1 < ALL (ARRAY[2, 3]);
SELECT id FROM fn_t WHERE 4 = ANY (a);
SELECT ARRAY[1, 2] @> ARRAY[2], ARRAY[1, 2] && ARRAY[3], ARRAY[[1, 2], [3, 4]];
SELECT unnest(ARRAY[3, 1, 2]);
SELECT id, x FROM fn_t, unnest(a) AS x ORDER BY id, x;
SELECT array_agg(s ORDER BY s NULLS FIRST) FROM fn_t;
SELECT '{1,2,3}'::integer[], '{"a b",c}'::text[], '{}'::text[], ARRAY[NULL, 1];
SELECT array_to_string(ARRAY[1, 2, 3], '+'), string_to_array('1-2-3', '-')::integer[];
SELECT generate_subscripts(ARRAY['a', 'b'], 1);

-- Row values and comparisons
SELECT (1, 2) < (1, 3), (1, 'a') = (1, 'a'), ROW(1, NULL) IS NULL, ROW(NULL, NULL) IS NULL;
SELECT id FROM fn_t WHERE (id, s) IN ((1, 'alpha'), (2, 'x')) ORDER BY id;

-- Session information functions
SELECT current_user, session_user, current_schema(), current_database() IS NOT NULL;
SELECT current_database(); -- differential: skip-rows
SELECT current_setting('TimeZone'), current_setting('server_encoding'), current_setting('client_encoding');
SELECT current_setting('no.such_setting', true);
SELECT current_setting('no_such_setting'); -- differential: error=42704
SELECT set_config('application_name', 'diff', false), current_setting('application_name');
SELECT version() LIKE 'PostgreSQL 15%';
SELECT version(); -- differential: ignore
SELECT pg_backend_pid() > 0, inet_server_port() IS NOT NULL;
SELECT has_table_privilege('fn_t', 'SELECT'), to_regclass('fn_t') IS NOT NULL, to_regclass('fn_missing');
SELECT 'fn_t'::regclass::text, 'integer'::regtype, 'pg_catalog.int8'::regtype::oid;

-- Math
SELECT pi(), degrees(pi()), radians(180), sin(0), cos(0), atan2(1, 1);
SELECT log(100), log(2, 8), log10(1000), ln(exp(1)), cbrt(27), width_bucket(5, 0, 10, 4);
SELECT random() >= 0, random() < 1;
SELECT setseed(0.5); -- differential: ignore

-- Aggregates over expressions
SELECT sum(n), avg(n), min(s), max(s), count(a) FROM fn_t;
SELECT stddev(x), variance(x), stddev_pop(x), var_samp(x) FROM (VALUES (1.0), (2.0), (4.0)) v(x);
SELECT percentile_cont(0.5) WITHIN GROUP (ORDER BY x), percentile_disc(0.5) WITHIN GROUP (ORDER BY x), mode() WITHIN GROUP (ORDER BY x) FROM (VALUES (1), (2), (2), (10)) v(x);
SELECT every(id > 0), bit_and(id), bit_or(id) FROM fn_t;

-- EXPLAIN output differs by design (different engines); run it, compare nothing
EXPLAIN SELECT * FROM fn_t WHERE id = 1; -- differential: ignore

DROP TABLE fn_t;
