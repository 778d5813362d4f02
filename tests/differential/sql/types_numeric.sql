-- Numeric types: int2/int4/int8, numeric(p,s), float4/float8; arithmetic, casts, overflow.

CREATE TABLE num_t (
    i2 smallint,
    i4 integer,
    i8 bigint,
    n numeric,
    n52 numeric(5, 2),
    f4 real,
    f8 double precision
);
INSERT INTO num_t VALUES (1, 2, 3, 4.5, 6.78, 1.5, 2.25);
INSERT INTO num_t VALUES (-32768, -2147483648, -9223372036854775808, -0.001, -999.99, -3.25, -1e-10);
INSERT INTO num_t VALUES (32767, 2147483647, 9223372036854775807, 12345678901234567890.123456789, 999.99, 3.4e38, 1.7976931348623157e308);
INSERT INTO num_t VALUES (NULL, NULL, NULL, NULL, NULL, NULL, NULL);
SELECT * FROM num_t ORDER BY i4 NULLS LAST;
SELECT pg_typeof(i2), pg_typeof(i4), pg_typeof(i8), pg_typeof(n), pg_typeof(f4), pg_typeof(f8) FROM num_t LIMIT 1;

-- Typmod rounding and overflow
INSERT INTO num_t (n52) VALUES (1.005);
INSERT INTO num_t (n52) VALUES (1.004);
SELECT n52 FROM num_t WHERE n52 BETWEEN 1 AND 2 ORDER BY n52;
INSERT INTO num_t (n52) VALUES (1000); -- differential: error=22003
INSERT INTO num_t (i2) VALUES (32768); -- differential: error=22003
INSERT INTO num_t (i4) VALUES (2147483648); -- differential: error=22003
INSERT INTO num_t (i8) VALUES (9223372036854775808); -- differential: error=22003
INSERT INTO num_t (i4) VALUES (2.5);
INSERT INTO num_t (i4) VALUES (3.5);
INSERT INTO num_t (i4) VALUES (-2.5);
SELECT i4 FROM num_t WHERE i4 IN (2, 3, 4, -2, -3) ORDER BY i4;

-- Integer arithmetic and its result types
SELECT 2147483647 + 1; -- differential: error=22003
SELECT 2147483647::bigint + 1;
SELECT (-32768)::smallint * -1::smallint; -- differential: error=22003
SELECT 9223372036854775807 + 1; -- differential: error=22003
SELECT 7 / 2, -7 / 2, 7 % -3, -7 % 3;
SELECT 1::smallint + 1::smallint, 1::smallint + 1, 1 + 1::bigint, 1::int2 * 2::int8;
SELECT 1 / 0; -- differential: error=22012
SELECT 1 % 0; -- differential: error=22012
SELECT 1.0 / 0; -- differential: error=22012
SELECT 1::float8 / 0; -- differential: error=22012
SELECT abs(-5), abs(-5.5), sign(-3), sign(0.0), mod(10, 3), div(10, 3);

-- numeric arithmetic, scale and rounding
SELECT 0.1 + 0.2, 1.10 * 3, 10 / 4.0, 1 / 3.0, 2.0 ^ 10;
SELECT 123.456::numeric(6, 2), 0.005::numeric(4, 2), -0.005::numeric(4, 2);
SELECT round(2.5), round(-2.5), round(3.14159, 2), round(1234.5, -2), trunc(3.789, 1), trunc(-3.7);
SELECT ceil(1.2), ceil(-1.2), floor(1.8), floor(-1.8), ceiling(4.0);
SELECT sqrt(16), sqrt(2::numeric), power(2, 3), power(2.0, 0.5), exp(0), ln(1);
SELECT 12345678901234567890 * 98765432109876543210;
SELECT 1e3, 1.5e-3, 1E+2, .5, 5.;
SELECT numeric '1.23' + numeric '4.560';
SELECT 'NaN'::numeric, 'NaN'::numeric = 'NaN'::numeric;
SELECT sum(x), avg(x) FROM (VALUES (1.5), (2.25), (3.125)) v(x);
SELECT avg(x) FROM (VALUES (1), (2)) v(x);
SELECT sum(x) FROM (VALUES (1::int4), (2::int4)) v(x);
SELECT sum(x) FROM (VALUES (1::int8), (2::int8)) v(x);
SELECT sum(x), avg(x) FROM (VALUES (1::int2), (2::int2)) v(x);

-- Floating point output (shortest exact representation, extra_float_digits = 1)
SELECT 0.1::float8, 0.1::float4, 1.0::float8, 100::float8, 1e20::float8, 1e-5::float8;
SELECT 1.0::float8 / 3, 2.0::float4 / 3, 1e100::float8, 123456789.125::float8;
SELECT 'Infinity'::float8, '-Infinity'::float8, 'NaN'::float8;
SELECT 1e308::float8 * 10; -- differential: error=22003
SELECT 3.7::float8::integer, (-3.7)::float8::integer, 2.5::float8::integer, 3.5::float8::integer;
SELECT 0.5::float8::bigint, 1.5::float8::bigint;
SELECT round(2.5::float8), round(3.5::float8), trunc(2.7::float8);
SELECT 1::float4 + 1::float8, pg_typeof(1::float4 + 1::float8), pg_typeof(1 + 1.5);

-- Casts from text
SELECT '42'::integer, ' 42 '::integer, '-7'::smallint, '3.14'::numeric, '1e3'::float8;
SELECT 'abc'::integer; -- differential: error=22P02
SELECT '4.5'::integer; -- differential: error=22P02
SELECT ''::numeric; -- differential: error=22P02
SELECT '99999'::smallint; -- differential: error=22003
SELECT CAST('12' AS bigint) + 1, '0x1A'::text;
SELECT 255::text, 1.50::text, (-0.0)::float8::text;

-- Comparisons across numeric types
SELECT 1 = 1.0, 1::int8 = 1::int2, 0.1::float8 = 0.1::numeric, 2 > 1.5, 'NaN'::float8 > 1e308;
SELECT i4 FROM num_t WHERE i4 > 1.5 ORDER BY i4;
SELECT count(*) FROM num_t WHERE f8 < 0;

-- Integer-valued functions
SELECT gcd(12, 18), lcm(4, 6), factorial(10), 10 >> 1, 1 << 4, 5 & 3, 5 | 3, 5 # 3, ~5;

DROP TABLE num_t;
