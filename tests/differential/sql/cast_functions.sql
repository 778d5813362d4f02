-- The cast functions pg_cast names, called by name (PostgreSQL's function-style casts), and
-- the casts between integer and "char".

SELECT int4(5::int8), int8(1), int2(5), float8(1), float4(1), bool(1), text(true);
SELECT date('2024-01-02 03:04:05+00'::timestamptz), name('x'::text), "char"('xy'::text), bpchar('x'::name);
SELECT oid(5::int8), regclass('pg_class'::text), timestamptz('2024-01-02'::date), int4(true);
SELECT int4('{"a": 1}'::jsonb -> 'a'), bool('true'::jsonb), text('x'::name), int8(5::oid);
SELECT int4('12'), pg_typeof(int8(1)), pg_typeof(float8(1.5::numeric)), float8(1.5::numeric);
SELECT int4(a), int8(a), float4(a) FROM (VALUES (2.5::numeric), (-1.5)) v(a) ORDER BY 1;
SELECT int2(70000); -- differential: error=22003
SELECT int4('x'); -- differential: error=22P02
SELECT 65::"char", 'a'::"char"::int, "char"(66), int4('a'::"char"), int4(''::"char"), 0::"char" = '';
SELECT x::"char" FROM (VALUES (67), (0)) v(x) ORDER BY 1;
SELECT 300::"char"; -- differential: error=22003
