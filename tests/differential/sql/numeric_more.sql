-- numeric_more: floats (NaN, Infinity, digits, overflow), integer overflow, rounding, numeric
-- division scale, math functions and their result types, bit operators, and the numeric
-- aggregates (stddev/variance, bool, bit, ordered-set).

CREATE TABLE nm_f (id integer PRIMARY KEY, f8 double precision, f4 real, n numeric, i integer, b bigint, s smallint);
INSERT INTO nm_f VALUES (1, 1.5, 1.5, 1.5, 1, 10, 1), (2, 'NaN', 'NaN', 'NaN', 2, 20, 2), (3, 'Infinity', 'Infinity', 3.25, 3, 30, 3), (4, '-Infinity', '-Infinity', -4.125, 4, 40, 4), (5, NULL, NULL, NULL, NULL, NULL, NULL), (6, 0.1, 0.1, 0.1, 6, 60, 6), (7, -2.5, -2.5, -2.5, 7, 70, 7);

-- NaN and Infinity stored, compared, ordered
SELECT id, f8, f4, n FROM nm_f ORDER BY id;
SELECT id, f8 FROM nm_f ORDER BY f8, id;
SELECT id, f8 FROM nm_f ORDER BY f8 DESC, id;
SELECT id, f8 FROM nm_f ORDER BY f8 NULLS FIRST, id;
SELECT id, n FROM nm_f ORDER BY n, id;
SELECT id FROM nm_f WHERE f8 = 'NaN' ORDER BY id;
SELECT id FROM nm_f WHERE f8 > 1e308 ORDER BY id;
SELECT id FROM nm_f WHERE f8 < 'Infinity' ORDER BY id;
SELECT id FROM nm_f WHERE n = 'NaN'::numeric ORDER BY id;
SELECT id FROM nm_f WHERE f8 <> f8 ORDER BY id;
SELECT max(f8), min(f8), max(n), min(n) FROM nm_f;
SELECT count(*) FROM nm_f WHERE f8 = f8;
SELECT 'NaN'::float8 = 'NaN'::float8, 'NaN'::float8 > 'Infinity'::float8, 'NaN'::float8 < 0;
SELECT 'NaN'::float4, 'nan'::float4, '-inf'::float4, 'infinity'::real;
SELECT 'NaN'::float8 + 1, 'NaN'::float8 * 0, 'Infinity'::float8 + 1, 'Infinity'::float8 * -1;
SELECT 'Infinity'::float8 - 'Infinity'::float8, 'Infinity'::float8 * 0, 0 * 'Infinity'::float8;
SELECT 'Infinity'::float8 / 'Infinity'::float8, 1 / 'Infinity'::float8, -1 / 'Infinity'::float8;
SELECT -('NaN'::float8), -('Infinity'::float8), abs('-Infinity'::float8), abs('NaN'::float8);
SELECT 'NaN'::float8::numeric, 'NaN'::numeric::float8, 'NaN'::float8::float4, 'NaN'::float4::float8;
SELECT 'NaN'::float8::text, 'Infinity'::float8::text, '-Infinity'::float4::text;
SELECT 'Infinity'::numeric, '-Infinity'::numeric, 'Infinity'::numeric + 1, 'Infinity'::numeric > 1e300;
SELECT greatest(1::float8, 'NaN'::float8, 2), least(1::float8, 'NaN'::float8, 2);
SELECT coalesce(NULL::float8, 'NaN'), nullif('NaN'::float8, 'NaN');
SELECT f8 + 1, f8 * 2, f8 - f8, f8 / 2 FROM nm_f ORDER BY id;
SELECT f4 + 1, f4 * 2::real, f4 / 2 FROM nm_f ORDER BY id;
SELECT n + 1, n * 2, n - n FROM nm_f ORDER BY id;
SELECT sum(f8), avg(f8) FROM nm_f WHERE id IN (1, 6, 7);
SELECT sum(n), avg(n) FROM nm_f WHERE id <> 2;
SELECT sum(n), avg(n) FROM nm_f;
SELECT 'NaN'::float8 IN (1, 'NaN'), 1::float8 BETWEEN 0 AND 'NaN';
SELECT DISTINCT f8 FROM nm_f WHERE f8 IS NOT NULL ORDER BY f8;

-- float8 output digits (extra_float_digits = 1: shortest round-trip)
SELECT 0.1::float8, 0.1::float8 + 0.2::float8, 1.0::float8 / 3, 2.0::float8 / 3;
SELECT 1e15::float8, 1e16::float8, 123456789012345.6::float8, 1234567890123456.7::float8;
SELECT 1e-4::float8, 1e-5::float8, 0.000123456::float8, 1.5e-10::float8;
SELECT 1.7976931348623157e308::float8, 2.2250738585072014e-308::float8, 5e-324::float8;
SELECT -0.0::float8, 0.0::float8 * -1, 100::float8, 1e22::float8, 1e21::float8;
SELECT 3.14159265358979::float4, 1e10::float4, 1.0e-3::float4, 123456.7::float4, 1234567.8::float4;
SELECT 0.1::float4 + 0.2::float4, 1::float4 / 3::float4, 2::float4 * 1.1::float4;
SELECT 16777217::float4, 0.1::float4::float8, 1.1::float4::numeric;
SELECT 1.0::float8::text, 2.5e-5::float8::text, 12345678901234567890::float8::text;
SELECT pi(), pi()::float4, exp(1::float8), sqrt(2::float8);
SELECT 1::float8 / 7, 22::float8 / 7, 1e100::float8 / 3;

-- float result types
SELECT pg_typeof(1::float4 + 1), pg_typeof(1::float4 + 1::float4), pg_typeof(1::float4 * 2.5);
SELECT pg_typeof(1::float4 / 2::int8), pg_typeof(1::int2 + 1::float4), pg_typeof(1::float4 - 1::float8);
SELECT pg_typeof(1::float8 + 1), pg_typeof(1.5 + 1::float8), pg_typeof(1::float4 + 1::numeric);
SELECT 1.5::float4 + 1, 1.5::float4 * 2::float4, 0.1::float4 + 0.1::float8;
SELECT 1::float4 / 3, 1::float4 / 3::float4, 10::float4 / 4::int2;
SELECT pg_typeof(1 + 1), pg_typeof(1 + 1::int8), pg_typeof(1::int2 + 1::int2), pg_typeof(1 + 1.0);

-- overflow and division errors
SELECT 1e308::float8 * 10; -- differential: error=22003
SELECT -1e308::float8 * 10; -- differential: error=22003
SELECT 1e308::float8 + 1e308::float8; -- differential: error=22003
SELECT 1e-308::float8 * 1e-100::float8; -- differential: error=22003
SELECT 1e200::float8 / 1e-200::float8; -- differential: error=22003
SELECT 3e38::float4 * 10::float4; -- differential: error=22003
SELECT 3e38::float4 * 10;
SELECT '1e309'::float8; -- differential: error=22003
SELECT '1e39'::float4; -- differential: error=22003
SELECT 1::float8 / 0; -- differential: error=22012
SELECT 'NaN'::float8 / 0;
SELECT 1::float4 / 0::float4; -- differential: error=22012
SELECT 2147483647 + 1; -- differential: error=22003
SELECT -2147483648 - 1; -- differential: error=22003
SELECT 2147483647 * 2; -- differential: error=22003
SELECT (-2147483648) * -1; -- differential: error=22003
SELECT -2147483648 / -1; -- differential: error=22003
SELECT abs(-2147483648); -- differential: error=22003
SELECT -2147483648, pg_typeof(-2147483648), -2147483649, pg_typeof(-2147483649);
SELECT 9223372036854775807 + 1; -- differential: error=22003
SELECT -9223372036854775808, pg_typeof(-9223372036854775808);
SELECT 9223372036854775807 * 2; -- differential: error=22003
SELECT 32767::int2 + 1::int2; -- differential: error=22003
SELECT 32767::int2 + 1;
SELECT 100000 * 100000; -- differential: error=22003
SELECT 100000::int8 * 100000;
SELECT 1 / 0; -- differential: error=22012
SELECT 1 % 0; -- differential: error=22012
SELECT 1.0 / 0; -- differential: error=22012
SELECT 2147483648::int4; -- differential: error=22003
SELECT 'NaN'::float8::int4; -- differential: error=22003
SELECT 1e10::float8::int4; -- differential: error=22003
SELECT 2.5::float8::int4, 3.5::float8::int4, -2.5::float8::int4, 2.5::numeric::int4, -2.5::numeric::int4;
SELECT sum(i) FROM (VALUES (2147483647), (2147483647)) v(i);
SELECT sum(b) FROM (VALUES (9223372036854775807::int8), (1::int8)) v(b);
SELECT id, i * 1000000000 FROM nm_f WHERE id = 1;
SELECT id, i * 1000000000 FROM nm_f WHERE id = 3; -- differential: error=22003

-- rounding and truncation
SELECT round(0.5::float8), round(1.5::float8), round(2.5::float8), round(-0.5::float8), round(-1.5::float8);
SELECT round(0.5), round(1.5), round(2.5), round(-0.5), round(-2.5);
SELECT round(2.345, 2), round(-2.345, 2), round(1234.5678, -2), round(1234.5678, 0), round(5.5, 1);
SELECT round(1.23456789::numeric, 4), round(0.0005, 3), round(1e-10, 5), round(99.995, 2);
SELECT trunc(2.7::float8), trunc(-2.7::float8), trunc(2.789, 2), trunc(-2.789, 1), trunc(1234.5, -2);
SELECT ceil(2.1::float8), ceil(-2.1::float8), floor(2.9::float8), floor(-2.9::float8);
SELECT ceil(2.1), floor(-2.1), ceil(-0.5), ceiling(4.0001), floor(5);
SELECT round(5), round(5::int8), trunc(7), pg_typeof(round(5)), pg_typeof(round(5::float8));
SELECT sign(-3.3::float8), sign(0::float8), sign(-3.3), sign(0.0), sign(5);
SELECT round('NaN'::numeric), round('NaN'::float8), trunc('Infinity'::float8);

-- numeric division scale
SELECT 10::numeric / 3, 1::numeric / 7, 100::numeric / 3.000, 2::numeric / 3.0;
SELECT 1 / 3.0, 1.0 / 3, 10.00 / 4, 1e10 / 3, 1e-10 / 3;
SELECT 123456789.123456789 / 1000, 0.000001 / 7, 22.0 / 7.00000;
SELECT 7 / 2, -7 / 2, 7 % 3, -7 % 3, 7 % -3, 7.5 % 2, -7.5 % 2;
SELECT div(7, 2), div(-7, 2), div(7.5, 2), mod(7, 3), mod(-7.5, 2), mod(7::int8, 3);
SELECT 0.1 + 0.2, 0.1 * 3, 1.10 * 1.10, 1.0 - 0.9, 3.000 - 1.5;
SELECT 12345678901234567890 * 98765432109876543210, 1e-20 * 1e-20;
SELECT avg(x) FROM (VALUES (1), (2), (2)) v(x);
SELECT avg(x) FROM (VALUES (1.5), (2.25), (3.125)) v(x);
SELECT avg(x) FROM (VALUES (1::int8), (2::int8)) v(x);
SELECT avg(x), pg_typeof(avg(x)) FROM (VALUES (1::float4), (2::float4)) v(x);

-- power, sqrt, exp, ln, log, cbrt: float8 for float/integer arguments, numeric for numeric
SELECT 2 ^ 3, 2 ^ 0.5, 2.0 ^ 3, 2.0 ^ 0.5, 2::float8 ^ 0.5, 4 ^ -1;
SELECT pg_typeof(2 ^ 3), pg_typeof(2 ^ 0.5), pg_typeof(2.0 ^ 3), pg_typeof(2::float8 ^ 2.0);
SELECT power(2, 10), power(2.0, 10), power(2, 0.5), power(1.5, 2), power(10, -2), power(10.0, -2);
SELECT power(2.5, 3.5), power(0.5, 100), power(100.0, 0.5), power(-8.0, 3), power(0.0, 0);
SELECT 0 ^ -1; -- differential: error=2201F
SELECT (-8) ^ 0.5; -- differential: error=2201F
SELECT (-8.0) ^ 0.5; -- differential: error=2201F
SELECT sqrt(2), sqrt(2.0), sqrt(16.00), sqrt(0.0001), sqrt(1e-10), sqrt(123456789.0);
SELECT sqrt(-1); -- differential: error=2201F
SELECT sqrt(-1.0); -- differential: error=2201F
SELECT exp(1), exp(1.0), exp(0.0), exp(10.0), exp(-10.0), exp(2.5);
SELECT exp(1000); -- differential: error=22003
SELECT ln(2), ln(2.0), ln(10.0), ln(100.00), ln(0.5), ln(1.05), ln(1e10), ln(1.0);
SELECT ln(0); -- differential: error=2201E
SELECT ln(-1.0); -- differential: error=2201E
SELECT log(100), log(100.0), log(2.0), log(1000::numeric), log(0.001), log(2, 8), log(2.0, 1024), log(10, 1e-5);
SELECT log10(100), log10(1000.0), log10(2.0), pg_typeof(log10(2)), pg_typeof(log10(2.0)), pg_typeof(log(2, 8));
SELECT log(0); -- differential: error=2201E
SELECT cbrt(27), cbrt(2), cbrt(-8), cbrt(0.001), cbrt(1e30);
SELECT sqrt(f8), exp(f8), ln(abs(f8)) FROM nm_f WHERE id IN (1, 3, 6) ORDER BY id;
SELECT sqrt(n), exp(n), ln(abs(n)) FROM nm_f WHERE id IN (1, 3, 6) ORDER BY id;
SELECT sqrt('NaN'::float8), exp('NaN'::numeric), ln('NaN'::float8), 'NaN'::float8 ^ 0, 1 ^ 'NaN'::float8;
SELECT degrees(1), radians(90), sin(0), cos(pi()), atan2(1, 1), atan(1), asin(1), acos(0), tan(0);

-- gcd, lcm, factorial
SELECT gcd(12, 18), gcd(-12, 18), gcd(0, 0), gcd(0, 7), gcd(12::int8, 18::int8), gcd(12::int2, 8);
SELECT gcd(12::int2, 8::int2); -- differential: error=42725
SELECT lcm(4, 6), lcm(0, 5), lcm(-4, 6), lcm(12::int8, 18), gcd(12.5, 5), lcm(1.5, 2.5), gcd(0.25, 0.75);
SELECT pg_typeof(gcd(1, 2)), pg_typeof(gcd(1::int8, 2)), pg_typeof(gcd(1.5, 2)), pg_typeof(lcm(2::int2, 3));
SELECT lcm(2147483647, 2147483646); -- differential: error=22003
SELECT factorial(0), factorial(1), factorial(5), factorial(20), factorial(30), pg_typeof(factorial(3));
SELECT factorial(-1); -- differential: error=22003

-- bit operators
SELECT 5 & 3, 5 | 3, 5 # 3, ~5, 1 << 4, 256 >> 4, -16 >> 2;
SELECT 12::int2 & 10::int2, 12::int8 | 3, 12::int8 # 5::int8, ~0::int8, 1::int8 << 40, pg_typeof(1::int2 & 1::int2);
SELECT i & 1, i | 8, i # 2, ~i, i << 2, i >> 1 FROM nm_f WHERE i IS NOT NULL ORDER BY id;
SELECT id FROM nm_f WHERE i & 1 = 1 ORDER BY id;
SELECT 1 << 31, 1 << 32, 1::int8 << 63;

-- width_bucket
SELECT width_bucket(5, 0, 10, 4), width_bucket(-1, 0, 10, 5), width_bucket(10, 0, 10, 5), width_bucket(0, 0, 10, 5);
SELECT width_bucket(5.5, 0, 10, 5), width_bucket(3.3::float8, 0, 10, 5), width_bucket(9.99, 0, 10, 10), width_bucket(5, 10, 0, 5);
SELECT width_bucket(5, 0, 10, 0); -- differential: error=2201G
SELECT width_bucket(5, 1, 1, 3); -- differential: error=2201G
SELECT width_bucket(f8, 0, 10, 5) FROM nm_f WHERE id IN (1, 3, 4, 6, 7) ORDER BY id;

-- stddev and variance: numeric for integer and numeric input, float8 for float input
SELECT stddev(x), variance(x), stddev_pop(x), var_pop(x) FROM (VALUES (1), (2), (3), (4)) v(x);
SELECT stddev(x), variance(x), stddev_samp(x), var_samp(x) FROM (VALUES (1.0), (2.0), (4.0)) v(x);
SELECT stddev(x), variance(x), stddev_pop(x), var_pop(x) FROM (VALUES (1.25), (2.5), (3.125), (10.75)) v(x);
SELECT stddev(x), variance(x), stddev_pop(x), var_pop(x) FROM (VALUES (1.5::float8), (2.5::float8), (3.75::float8)) v(x);
SELECT stddev(x), variance(x), pg_typeof(stddev(x)) FROM (VALUES (1::float4), (2::float4), (5::float4)) v(x);
SELECT stddev(x), variance(x), stddev_pop(x), var_pop(x) FROM (VALUES (5), (5), (5)) v(x);
SELECT stddev(x), variance(x), stddev_pop(x), var_pop(x) FROM (VALUES (7)) v(x);
SELECT stddev(x), variance(x) FROM (VALUES (NULL::int)) v(x);
SELECT stddev(x::int8), variance(x::int2) FROM (VALUES (10), (20), (60)) v(x);
SELECT stddev(i), variance(b), stddev_pop(n), var_samp(s) FROM nm_f WHERE id <> 2;
SELECT stddev(f8) FROM nm_f WHERE id IN (1, 6, 7);
SELECT stddev(f8), variance(f8) FROM nm_f;
SELECT i % 2 AS odd, stddev(n), variance(i) FROM nm_f WHERE id <> 2 GROUP BY i % 2 ORDER BY odd;

-- bool and bit aggregates
SELECT bool_and(x), bool_or(x), every(x) FROM (VALUES (true), (false), (NULL)) v(x);
SELECT bool_and(x), bool_or(x), every(x) FROM (VALUES (true), (true)) v(x);
SELECT bool_and(x), bool_or(x) FROM (VALUES (NULL::boolean)) v(x);
SELECT every(i > 0), bool_or(i > 5), bool_and(f8 > 0) FROM nm_f;
SELECT bit_and(x), bit_or(x), bit_xor(x) FROM (VALUES (12), (10), (6)) v(x);
SELECT bit_and(x), bit_or(x), pg_typeof(bit_or(x)) FROM (VALUES (12::int8), (10::int8)) v(x);
SELECT bit_and(x), bit_or(x), pg_typeof(bit_and(x)) FROM (VALUES (3::int2), (5::int2)) v(x);
SELECT bit_and(i), bit_or(i), bit_xor(i) FROM nm_f;
SELECT bit_or(x) FROM (VALUES (NULL::int)) v(x);

-- ordered-set aggregates
SELECT percentile_cont(0.5) WITHIN GROUP (ORDER BY x), percentile_disc(0.5) WITHIN GROUP (ORDER BY x), mode() WITHIN GROUP (ORDER BY x) FROM (VALUES (1), (2), (2), (10)) v(x);
SELECT percentile_cont(0.25) WITHIN GROUP (ORDER BY x), percentile_cont(0.75) WITHIN GROUP (ORDER BY x) FROM (VALUES (1.0), (2.0), (3.0), (4.0)) v(x);
SELECT percentile_cont(0) WITHIN GROUP (ORDER BY x), percentile_cont(1) WITHIN GROUP (ORDER BY x), percentile_disc(0) WITHIN GROUP (ORDER BY x), percentile_disc(1) WITHIN GROUP (ORDER BY x) FROM (VALUES (3), (1), (2)) v(x);
SELECT percentile_disc(0.5) WITHIN GROUP (ORDER BY x), pg_typeof(percentile_disc(0.5) WITHIN GROUP (ORDER BY x)) FROM (VALUES (1.5), (2.5), (3.5), (4.5)) v(x);
SELECT percentile_cont(0.5) WITHIN GROUP (ORDER BY n), percentile_disc(0.5) WITHIN GROUP (ORDER BY i), mode() WITHIN GROUP (ORDER BY s) FROM nm_f WHERE id <> 2;
SELECT percentile_cont(0.5) WITHIN GROUP (ORDER BY x DESC) FROM (VALUES (1), (2), (3), (10)) v(x);
SELECT percentile_disc(0.3) WITHIN GROUP (ORDER BY x DESC) FROM (VALUES (1), (2), (3), (10)) v(x);
SELECT mode() WITHIN GROUP (ORDER BY x) FROM (VALUES ('b'), ('a'), ('b'), ('a'), ('c')) v(x);
SELECT mode() WITHIN GROUP (ORDER BY x) FROM (VALUES (NULL::int), (NULL)) v(x);
SELECT percentile_cont(0.5) WITHIN GROUP (ORDER BY x) FROM (VALUES (1)) v(x) WHERE false;
SELECT percentile_cont(1.5) WITHIN GROUP (ORDER BY x) FROM (VALUES (1)) v(x); -- differential: error=22003
SELECT i % 2 AS odd, percentile_cont(0.5) WITHIN GROUP (ORDER BY f8) FROM nm_f WHERE id IN (1, 6, 7) GROUP BY i % 2 ORDER BY odd;

-- grouping errors
SELECT id, count(*) FROM nm_f; -- differential: error=42803
SELECT f8, sum(n) FROM nm_f; -- differential: error=42803
SELECT count(*), max(id) FROM nm_f HAVING count(*) > 1;
SELECT count(*) FROM nm_f HAVING id > 1; -- differential: error=42803
SELECT nm_f.id + 1, min(id) FROM nm_f; -- differential: error=42803
SELECT (SELECT count(*) FROM nm_f AS inner_f WHERE inner_f.id < o.id) FROM nm_f AS o ORDER BY 1;
SELECT 1 AS one, count(*) FROM nm_f;
SELECT id, count(*) FROM nm_f GROUP BY id ORDER BY id;

DROP TABLE nm_f;

-- assignments, casts, typmods and windows
CREATE TABLE nm_p (id int PRIMARY KEY, r real, d double precision, n numeric(6,2), i int, big bigint);
INSERT INTO nm_p VALUES (1, 0.1, 0.1, 1.005, 1, 1), (2, 'NaN', 'NaN', 2.5, 2, 2), (3, 1.5, 1e300, -0.125, NULL, 3);
SELECT id, r, d, n FROM nm_p ORDER BY id;
SELECT id FROM nm_p WHERE r = 0.1;
SELECT id FROM nm_p WHERE r = 0.1::real;
SELECT id FROM nm_p WHERE d = 0.1;
SELECT r = 0.1, r::float8, r * 10 FROM nm_p ORDER BY id;
SELECT d, count(*) FROM nm_p GROUP BY d ORDER BY d;
SELECT CASE WHEN id = 1 THEN d ELSE i END FROM nm_p ORDER BY id;
SELECT coalesce(d, 0), coalesce(i, 0.5) FROM nm_p ORDER BY id;
SELECT 'v=' || d, d::text, r::text, n::text FROM nm_p ORDER BY id;
SELECT d * 1e10 FROM nm_p WHERE id = 3; -- differential: error=22003
SELECT n * 1000 FROM nm_p ORDER BY id;
INSERT INTO nm_p VALUES (4, 1, 1, 10000, 1, 1); -- differential: error=22003
INSERT INTO nm_p VALUES (4, 1e39, 1, 1, 1, 1); -- differential: error=22003
INSERT INTO nm_p VALUES (4, 1, 1, 9999.995, 1, 1); -- differential: error=22003
INSERT INTO nm_p VALUES (5, 3.4e38, 1e308, 9999.994, 2147483647, 9223372036854775807);
UPDATE nm_p SET i = i + 1 WHERE id = 5; -- differential: error=22003
UPDATE nm_p SET big = big + 1 WHERE id = 5; -- differential: error=22003
UPDATE nm_p SET d = d * 10 WHERE id = 5; -- differential: error=22003
UPDATE nm_p SET r = r * 10 WHERE id = 5; -- differential: error=22003
UPDATE nm_p SET d = d / 3, r = r / 3, n = n / 3 WHERE id = 5 RETURNING d, r, n;
UPDATE nm_p SET r = 'NaN', d = '-Infinity' WHERE id = 1 RETURNING *;
SELECT id, d FROM nm_p ORDER BY d DESC NULLS LAST, id;
SELECT sum(r), sum(d), avg(r), pg_typeof(sum(r)) FROM nm_p WHERE id IN (3, 5);
SELECT sum(r), avg(d) FROM nm_p;
SELECT i::float4 / 3, i::float8 / 3, i / 3, i::numeric / 3 FROM nm_p ORDER BY id;
SELECT 1::float8 = 1, 1::float4 = 1.0, 0.1::float4 = 0.1::float8, 0.1::float4 = 0.1;
SELECT 0.1::float4 < 0.1, 0.5::float4 = 0.5, 'NaN'::float4 = 'NaN'::float8;
SELECT 2147483647::int4 + 0::int8, 1::int2 * 40000, 40000::int2; -- differential: error=22003
SELECT -32768::int2; -- differential: error=22003
SELECT (-32768)::int2, pg_typeof((-32768)::int2);
SELECT -(-32768)::int2; -- differential: error=22003
SELECT abs(-32767::int2), @ -5, |/ 16, ||/ 27, @ -2.5, |/ 2.0;
SELECT 10 % 3.5, 10.5 % 3, -10 % 3, 10::int8 % -3, mod(-10.5, 3);
SELECT round(1e20::float8), round(123.456::float8), round(-0.0::float8), trunc(1e20::float8);
SELECT 1.0e-7::float8, 1.0e-5::float8 * 10, 100000000000000000000::float8, 1e15::float8 + 0.3;
SELECT float8 '1.5', real '2.5', numeric '3.50', int '7', bigint '8';
SELECT '  1.5  '::float8, '1e3'::float8, '.5'::float8, '-.5e-2'::float4, '0x10'::float8;
SELECT 'abc'::float8; -- differential: error=22P02
SELECT ''::float4; -- differential: error=22P02
SELECT '1.5'::int; -- differential: error=22P02
SELECT 'NaN'::numeric(5,2), 'Infinity'::numeric; 
SELECT 1.5::numeric(5,0), 2.5::numeric(5,0), -2.5::numeric(5,0), 0.125::numeric(4,2);
SELECT 12345.678::numeric(10,2), 0.0001::numeric(5,3), 99.999::numeric(4,2); -- differential: error=22003
SELECT 5 / 2 * 2.0, 5 / 2.0 * 2, (5 / 2)::float8;
SELECT x, x / 3 FROM generate_series(1, 3) AS g(x) ORDER BY x;
SELECT sum(x::float8 / 10) FROM generate_series(1, 10) AS g(x);
SELECT avg(x::float8 / 10), stddev(x::float8 / 10), variance(x) FROM generate_series(1, 10) AS g(x);
SELECT sum(0.1::float8) FROM generate_series(1, 10);
SELECT sum(x) OVER (ORDER BY x ROWS BETWEEN 1 PRECEDING AND CURRENT ROW) FROM (VALUES (0.1::float8), (0.2), (0.3), (0.4)) v(x) ORDER BY x;
SELECT avg(x) OVER (ORDER BY x) FROM (VALUES (0.1::float8), (0.2), (0.3)) v(x) ORDER BY x;
SELECT stddev(x) OVER (ORDER BY x) FROM (VALUES (1.0), (2.0), (4.0)) v(x) ORDER BY x;
SELECT id, percentile_cont(0.5) WITHIN GROUP (ORDER BY d) FROM nm_p GROUP BY id ORDER BY id;
DROP TABLE nm_p;

-- numeric math digits, casts between number types, extra_float_digits, more aggregates
SELECT 2.0 ^ 100, 1.0001 ^ 10000, 10.0 ^ -3, 0.5 ^ 10, (-2.0) ^ 3, (-2.0) ^ -3, 1.5 ^ 2.5;
SELECT 2 ^ 100, 10 ^ -3, 0.5::float8 ^ 10, 1e10 ^ 2, 9.99 ^ 0;
SELECT exp(-1.5), exp(100.0), exp(0.001), exp(-100.0), exp(1.0000000000000000001);
SELECT ln(123.456), ln(0.001), ln(1.0001), ln(0.9999), ln(2.718281828459045), ln(1e-20), ln(1e100);
SELECT log(2, 100.000), log(3.0, 81), log(10, 0.1), log(1e-10), log(123456789), log(0.5, 0.25);
SELECT sqrt(123.456), sqrt(1e-20), sqrt(1e20), sqrt(0.5), sqrt(99.00), sqrt(2::int8), sqrt(2::float4);
SELECT power(n, 2), sqrt(n), exp(n), ln(n), log(n) FROM (VALUES (1.5), (2.25), (10.0), (0.01)) v(n) ORDER BY n;
SELECT power(x, 2), sqrt(x), exp(x), ln(x), log(x), cbrt(x) FROM (VALUES (1.5::float8), (2.25), (10.0), (0.01)) v(x) ORDER BY x;
SELECT scale(1.2300), trim_scale(1.2300), min_scale(1.2300), scale(0), trim_scale(0.000), min_scale(100);
SELECT round(1234.5678, -5), round(-1234.5678, -3), round(0.5, 0), round(-0.5, 0), round(0.05, 1), round(2.675, 2);
SELECT trunc(1234.5678, -5), trunc(-0.999, 2), trunc(1e-20, 10), trunc(5), trunc(-5.5);
SELECT 1e400::float8; -- differential: error=22003
SELECT 1e-400::float8; -- differential: error=22003
SELECT 1e400::numeric::float8; -- differential: error=22003
SELECT 3000000000::numeric::int4; -- differential: error=22003
SELECT 9223372036854775808::numeric::int8; -- differential: error=22003
SELECT 1e20::float8::int8; -- differential: error=22003
SELECT 2.5::float4::int, 3.5::float4::int2, -0.5::float8::int8, 0.5::numeric::int;
SELECT 1.23456789e10::float8::numeric, 1.5e-7::float8::numeric, 'Infinity'::float8::numeric, 1e20::float8::numeric;
SELECT 0.1::numeric::float4, 1e38::numeric::float4, 123456789::int4::float4, 123456789::int8::float8;
SELECT 1e39::numeric::float4; -- differential: error=22003
SELECT pg_typeof(sum(x)), sum(x) FROM (VALUES (1::int2), (2::int2)) v(x);
SELECT pg_typeof(sum(x)), sum(x), avg(x) FROM (VALUES (9223372036854775807::int8), (9223372036854775807::int8)) v(x);
SELECT pg_typeof(1::int2 * 2), pg_typeof(1::int2 * 2::int8), pg_typeof(1::int2 / 2::int2), pg_typeof(-(1::int2));
SELECT 5::int2 / 2::int2, -5::int2 % 3::int2, 7::int8 / 2, 7::int8 % -2;
SELECT 2147483647::int8 + 1, -2147483648::int8 - 1, 4611686018427387904 * 2 - 1; -- differential: error=22003
SELECT 2147483647::int8 + 1, -2147483648::int8 - 1;
SELECT (-9223372036854775808)::int8 / -1; -- differential: error=22003
SELECT abs((-9223372036854775807 - 1)::int8); -- differential: error=22003
SELECT -(-2147483648), pg_typeof(-(-2147483648));
SELECT @ (-2147483648); -- differential: error=22003
SELECT 'NaN'::numeric / 0, 0 / 'NaN'::numeric, 'NaN'::numeric % 2, sqrt('NaN'::numeric), abs('NaN'::numeric);
SELECT 'Infinity'::numeric / 2, 1 / 'Infinity'::numeric, 'Infinity'::numeric::float8, '-Infinity'::float8::numeric;
SELECT degrees('NaN'::float8), sin('Infinity'::float8); -- differential: error=22003
SELECT degrees('NaN'::float8), radians('Infinity'::float8);
SELECT f, f::numeric, f::text FROM (VALUES (1.0e-5::float8), (123456789.123::float8), (1e15::float8), (0.30000000000000004::float8)) v(f) ORDER BY 1;
SET extra_float_digits = 0;
SELECT 0.1::float8 + 0.2, 1::float8 / 3, 'NaN'::float8, 1e20::float8, 0.1::float4 + 0.2::float4, pi();
SET extra_float_digits = 3;
SELECT 0.1::float8 + 0.2, 1::float8 / 3, 0.1::float4;
RESET extra_float_digits;
SELECT 0.1::float8 + 0.2;
SELECT int4 '2147483647' + int2 '1'; -- differential: error=22003
SELECT sum(x) FROM (VALUES (1e308::float8), (1e308::float8)) v(x); -- differential: error=22003
SELECT avg(x) FROM (VALUES (1e308::float8), (1e308::float8)) v(x); -- differential: error=22003
SELECT stddev(x), var_pop(x) FROM (VALUES ('NaN'::float8), (1)) v(x);
SELECT stddev(x), var_pop(x) FROM (VALUES ('NaN'::numeric), (1)) v(x);
SELECT percentile_cont(0.5) WITHIN GROUP (ORDER BY x), percentile_disc(0.5) WITHIN GROUP (ORDER BY x) FROM (VALUES ('NaN'::float8), (1), (2)) v(x);
SELECT mode() WITHIN GROUP (ORDER BY x) FROM (VALUES (1.50), (1.5), (2)) v(x);
SELECT percentile_cont(0.5) WITHIN GROUP (ORDER BY x) FROM (VALUES (interval '1 hour'), (interval '3 hours')) v(x);
SELECT percentile_disc(0.5) WITHIN GROUP (ORDER BY x) FROM (VALUES (date '2024-01-01'), (date '2024-01-03'), (date '2024-01-02')) v(x);
SELECT percentile_disc(0.5) WITHIN GROUP (ORDER BY x) FROM (VALUES ('b'), ('a'), ('c')) v(x);
SELECT x % 2 AS k, mode() WITHIN GROUP (ORDER BY x) FILTER (WHERE x > 1) FROM generate_series(1, 6) g(x) GROUP BY k ORDER BY k;
SELECT bit_and(x) FILTER (WHERE x > 1), bool_and(x > 0) FILTER (WHERE x < 3) FROM generate_series(1, 6) g(x);
SELECT bit_or(x) OVER (ORDER BY x), bool_or(x > 2) OVER (ORDER BY x) FROM generate_series(1, 4) g(x) ORDER BY x;
SELECT width_bucket(x, 0, 100, 10), count(*) FROM generate_series(1, 100, 7) g(x) GROUP BY 1 ORDER BY 1;
SELECT width_bucket(5.35, 0.024, 10.06, 5), width_bucket(-0.0, -1, 1, 3), width_bucket(0.5::float8, 1, 0, 4);
SELECT width_bucket(5, ARRAY[1, 3, 5, 7]), width_bucket(0, ARRAY[1, 3]);
SELECT gcd(-2147483648, 0); -- differential: error=22003
SELECT gcd(9223372036854775807, 12), lcm(0::int8, 0), gcd(1.0, 0.3), lcm(0.5, 0.3), gcd('NaN'::numeric, 2);
SELECT factorial(100);
SELECT i, i * 2.5, i::float8 * 2.5, i / 2, i % 3 FROM generate_series(-3, 3) g(i) ORDER BY i;
SELECT 1.5::float8 AS x UNION SELECT 2.25::numeric ORDER BY x;
SELECT x FROM (VALUES (1.5::float8), (10.25::numeric), (2)) v(x) ORDER BY x;
SELECT CASE WHEN true THEN 1.5::float8 ELSE 2.5 END, coalesce(NULL::float8, 2.5), pg_typeof(coalesce(NULL::float8, 2.5));
SELECT x FROM (SELECT 1.5::float8 AS x UNION ALL SELECT 10.5 UNION ALL SELECT 2.5) s ORDER BY x;
SELECT percentile_cont(0.25) WITHIN GROUP (ORDER BY x), percentile_disc(0.5) WITHIN GROUP (ORDER BY x), mode() WITHIN GROUP (ORDER BY x) FROM (VALUES (interval '1 day'), (interval '1 mon 3 hours'), (interval '20 days'), (interval '20 days')) v(x);
SELECT percentile_cont(ARRAY[0.25, 0.5, 0.75]) WITHIN GROUP (ORDER BY x) FROM (VALUES (1), (2), (3), (4)) v(x);
SELECT percentile_disc(ARRAY[0.25, 0.5, 1]) WITHIN GROUP (ORDER BY x) FROM (VALUES (1.5), (2.5), (3.5), (4.5)) v(x);
SELECT percentile_cont(ARRAY[0, 1]::float8[]) WITHIN GROUP (ORDER BY x DESC) FROM (VALUES (1.5::float8), (2.5)) v(x);
SELECT percentile_disc(0.5) WITHIN GROUP (ORDER BY x) FROM (VALUES ('10'), ('9'), ('100')) v(x);
SELECT mode() WITHIN GROUP (ORDER BY x) FROM (VALUES ('10'), ('9'), ('10.0'), ('9')) v(x);
SELECT percentile_cont(0.5) WITHIN GROUP (ORDER BY x) FROM (VALUES ('a'), ('b')) v(x); -- differential: error=42883
SELECT percentile_disc(ARRAY[0.5]) WITHIN GROUP (ORDER BY x), pg_typeof(percentile_cont(ARRAY[0.5]) WITHIN GROUP (ORDER BY x)) FROM (VALUES (3), (1)) v(x);
SELECT percentile_cont(0.5) WITHIN GROUP (ORDER BY x) FROM (VALUES (1.5::float8), ('NaN'), (2)) v(x);
SELECT percentile_cont(ARRAY[0.5]) WITHIN GROUP (ORDER BY x) FROM (VALUES (1)) v(x) WHERE false;

-- shortest digits that are exactly halfway between two floats take one digit more (Ryu)
SELECT 36175248::float4, 54707288::float4, 46089728::float4, '-2.880703616226888e+18'::float8 / 3, '1.8461963705018248e+16'::float8;
SELECT x::float4, x::float8 FROM (VALUES ('16777217'), ('2147483647'), ('9007199254740993'), ('123456789012345678')) v(x) ORDER BY 1;

-- numeric and float math at the edges of their ranges
SELECT 2::numeric ^ 200, 1.000001 ^ 1000000, 0.5 ^ 200, (-1.5) ^ 7, 0.0 ^ 0.5, 0.0 ^ 0, 1.0 ^ 1e10;
SELECT exp(300.0), exp(-300.0), exp(0.0000001), ln(1e-100), ln(1e300), log(1e-300);
SELECT exp(10000.0); -- differential: error=22003
SELECT 10.0 ^ 200000; -- differential: error=22003
SELECT 10::numeric ^ -20, 3::numeric ^ -5, 7.5 ^ -2, (-2)::numeric ^ -3;
SELECT 0.0 ^ -1; -- differential: error=2201F
SELECT power(2::numeric, 0.5), power(4::numeric, 0.5), power(8.000, 1.0/3), power(1e-10, 0.25);
SELECT 'NaN'::numeric ^ 0, 1 ^ 'NaN'::numeric, 'NaN'::numeric ^ 2, 2 ^ 'NaN'::numeric;
SELECT ln('Infinity'::numeric), exp('-Infinity'::numeric), exp('Infinity'::numeric), sqrt('Infinity'::numeric);
SELECT log(1, 10); -- differential: error=22012
SELECT log(10, 1), log(0.5, 1), ln(1), log(1.0);
SELECT sqrt(1e-30), sqrt(1e30), sqrt(0.0000000001), sqrt(12345678901234567890.123);
SELECT exp(1.5::float8), exp(-700.5::float8), exp(709.7::float8), ln(1e-300::float8), log10(1e300::float8);
SELECT exp(710::float8); -- differential: error=22003
SELECT exp(-746::float8); -- differential: error=22003
SELECT 10::float8 ^ 308, 10::float8 ^ -320, 2::float8 ^ 1023.9; 
SELECT 10::float8 ^ 309; -- differential: error=22003
SELECT 10::float8 ^ -400; -- differential: error=22003
SELECT (-8)::float8 ^ (1.0::float8 / 3); -- differential: error=2201F
SELECT 0::float8 ^ -1; -- differential: error=2201F
SELECT 'Infinity'::float8 ^ 2, 'Infinity'::float8 ^ -1, (-2)::float8 ^ 'Infinity'::float8, 0.5::float8 ^ '-Infinity';
SELECT sqrt('Infinity'::float8), ln('Infinity'::float8), exp('-Infinity'::float8), cbrt('-Infinity'::float8);
SELECT ln(0::float8); -- differential: error=2201E
SELECT log10(-1::float8); -- differential: error=2201E
SELECT asin(2); -- differential: error=22003
SELECT acos(-1), asin(-1), atan('Infinity'::float8), atan2(0, -1), atan2('NaN', 1);
SELECT exp(-6000.0) = 0, scale(exp(-6000.0)), exp(5999.0) > 1e2600, exp(-5999.0) = 0;

-- grouping: ungrouped columns are 42803, a grouped primary key covers its table
CREATE TABLE g1 (id int PRIMARY KEY, a int, b text, c numeric);
CREATE TABLE g2 (k int, v int);
INSERT INTO g1 VALUES (1, 1, 'x', 1.5), (2, 1, 'y', 2.5), (3, 2, 'x', 3.5);
INSERT INTO g2 VALUES (1, 10), (1, 20), (2, 30);
SELECT a, b, count(*) FROM g1 GROUP BY a; -- differential: error=42803
SELECT a, count(*) FROM g1 GROUP BY a ORDER BY a;
SELECT id, a, b, count(*) FROM g1 GROUP BY id ORDER BY id;
SELECT g1.id, b, sum(v) FROM g1 JOIN g2 ON g2.k = g1.id GROUP BY g1.id ORDER BY 1;
SELECT k, v, count(*) FROM g2 GROUP BY k; -- differential: error=42803
SELECT a + 1, count(*) FROM g1 GROUP BY a + 1 ORDER BY 1;
SELECT a + 1 AS a1, count(*) FROM g1 GROUP BY a1 ORDER BY 1;
SELECT a, count(*) FROM g1 GROUP BY 1 ORDER BY 1;
SELECT a * 2, sum(c) FROM g1 GROUP BY a ORDER BY 1;
SELECT upper(b), count(*) FROM g1 GROUP BY upper(b) ORDER BY 1;
SELECT b, count(*) FROM g1 GROUP BY upper(b); -- differential: error=42803
SELECT a, count(*) FROM g1 GROUP BY a HAVING b = 'x'; -- differential: error=42803
SELECT a, count(*) FROM g1 GROUP BY a HAVING max(b) = 'x' ORDER BY a;
SELECT a, (SELECT count(*) FROM g2 WHERE g2.k = g1.a) FROM g1 GROUP BY a ORDER BY a;
SELECT a, row_number() OVER (ORDER BY a), sum(count(*)) OVER () FROM g1 GROUP BY a ORDER BY a;
SELECT a, row_number() OVER (ORDER BY b) FROM g1 GROUP BY a; -- differential: error=42803
SELECT a, b, count(*) FROM g1 GROUP BY a, b ORDER BY a, b;
SELECT CASE WHEN a > 1 THEN 'big' ELSE 'small' END AS size, count(*) FROM g1 GROUP BY size ORDER BY size;
SELECT t.a, count(*) FROM g1 AS t GROUP BY t.a ORDER BY 1;
SELECT a::text, count(*) FROM g1 GROUP BY a::text ORDER BY 1;
SELECT x, count(*) FROM (SELECT a AS x, b FROM g1) s GROUP BY x ORDER BY x;
SELECT s.x, s.b FROM (SELECT a AS x, b FROM g1) s GROUP BY s.x; -- differential: error=42803
SELECT DISTINCT a FROM g1 GROUP BY a, b ORDER BY a;
SELECT a, count(DISTINCT b), string_agg(b, ',' ORDER BY b) FROM g1 GROUP BY a ORDER BY a;
DROP TABLE g1;
DROP TABLE g2;

-- NaN and infinities stored in float columns, indexed, grouped, aggregated, updated
CREATE TABLE nf (id int, f float8, r real);
INSERT INTO nf VALUES (1, 'NaN', 'NaN'), (2, 'Infinity', '-Infinity'), (3, 2.5, 0.5);
CREATE INDEX nf_f ON nf (f);
SELECT id FROM nf WHERE f = 'NaN';
SELECT id FROM nf WHERE f >= 2.5 ORDER BY id;
SELECT id FROM nf WHERE f IS NOT NULL AND f < 'NaN' ORDER BY id;
SELECT f, count(*) FROM nf GROUP BY f ORDER BY f;
SELECT ARRAY['NaN'::float8, 1.5, 'Infinity'], ARRAY[f] FROM nf ORDER BY id;
SELECT array_agg(f ORDER BY id), array_agg(r ORDER BY id) FROM nf;
SELECT f::numeric, r::numeric, f::real, r::float8, f::text || 'x' FROM nf ORDER BY id;
SELECT CASE WHEN f > 1 THEN 'big' ELSE 'small' END, f = f, f <> 'NaN' FROM nf ORDER BY id;
SELECT id, f FROM nf ORDER BY f DESC LIMIT 2;
SELECT least(f, 3), greatest(f, 3), coalesce(nullif(f, 'NaN'), -1) FROM nf ORDER BY id;
SELECT sum(f), avg(r), max(f), min(r), count(DISTINCT f) FROM nf;
SELECT f * 0, f - f, r + r, -f, abs(r), round(f), trunc(f), ceil(r), floor(r), sign(f) FROM nf ORDER BY id;
UPDATE nf SET f = f + 1 RETURNING id, f;
DELETE FROM nf WHERE f = 'NaN' RETURNING id;
DROP TABLE nf;

-- float expressions against numeric constants: IN, BETWEEN, ANY, CASE
CREATE TABLE fi (id int, f float8, r real, n numeric);
INSERT INTO fi VALUES (1, 1.5, 1.5, 1.5), (2, 2.5, 2.5, 2.5), (3, 3.0, 3.0, 3.0);
SELECT id FROM fi WHERE f IN (1.5, 3) ORDER BY id;
SELECT id FROM fi WHERE f * 2 IN (3.0, 6) ORDER BY id;
SELECT id FROM fi WHERE f * 2 BETWEEN 2.9 AND 5.0 ORDER BY id;
SELECT id FROM fi WHERE r NOT IN (2.5) ORDER BY id;
SELECT id FROM fi WHERE f = n ORDER BY id;
SELECT id FROM fi WHERE f * 1 = 1.5;
SELECT id FROM fi WHERE f + 0 > 2.0 ORDER BY id;
SELECT id FROM fi WHERE f = ANY (ARRAY[1.5, 3.0]) ORDER BY id;
SELECT id FROM fi WHERE n IN (1.50, 3) ORDER BY id;
SELECT id FROM fi WHERE n * 2 = 3 ORDER BY id;
SELECT id, f / n, n / f, f + n, pg_typeof(f + n) FROM fi ORDER BY id;
SELECT id FROM fi WHERE f = 1.5::real;
SELECT id FROM fi WHERE (f * 2)::int = 5 ORDER BY id;
SELECT CASE f WHEN 1.5 THEN 'a' WHEN 3 THEN 'c' ELSE 'b' END FROM fi ORDER BY id;
SELECT id FROM fi WHERE f IS DISTINCT FROM 2.5 ORDER BY id;
SELECT max(f * 2), min(n * f) FROM fi;
DROP TABLE fi;

-- operators and functions that do not exist for floats or numeric
SELECT round(1.5::float8, 1); -- differential: error=42883
SELECT 5.5::float8 % 2; -- differential: error=42883
SELECT mod(5.5::float8, 2); -- differential: error=42883
SELECT 1.5::float8 & 1; -- differential: error=42883
SELECT 1.5 & 1; -- differential: error=42883
SELECT gcd(1.5::float8, 2); -- differential: error=42883
SELECT factorial(2.5); -- differential: error=42883
SELECT trunc(1.5::float8, 1); -- differential: error=42883
SELECT ~1.5; -- differential: error=42883
SELECT 1 << 1.5; -- differential: error=42883
SELECT round(1.55::numeric, 1), round(1.55::float8), mod(5.5, 2), 5.5 % 2;
SELECT div(5.5::float8, 2); -- differential: error=42883
SELECT div(7, 2), div(-7.5, 2), pg_typeof(div(7, 2));
SELECT round(1e300::float8), trunc(-1e300::float8), round(-0.4::float8), trunc(-0.5::float8), round(4503599627370497::float8), round(0.49999999999999994::float8);

-- corr, covar and the regr_* aggregates
SELECT corr(y, x), covar_pop(y, x), covar_samp(y, x), regr_slope(y, x), regr_intercept(y, x), regr_r2(y, x) FROM (VALUES (1, 2.0), (2, 3.5), (3, 7.25), (4, 8.0), (5, 11.5)) v(x, y);
SELECT regr_count(y, x), regr_avgx(y, x), regr_avgy(y, x), regr_sxx(y, x), regr_syy(y, x), regr_sxy(y, x) FROM (VALUES (1, 2.0), (2, NULL), (3, 7.25), (NULL, 8.0), (5, 11.5)) v(x, y);
SELECT corr(y, x), regr_slope(y, x), regr_r2(y, x), covar_samp(y, x) FROM (VALUES (1, 5), (2, 5), (3, 5)) v(x, y);
SELECT corr(y, x), covar_samp(y, x), regr_count(y, x), covar_pop(y, x) FROM (VALUES (1, 5)) v(x, y);
SELECT corr(y, x), regr_count(y, x) FROM (VALUES (1, 5)) v(x, y) WHERE false;
SELECT g % 2 AS k, corr(g * 1.5, g::float8 ^ 2), regr_slope(g, g * 2) FROM generate_series(1, 10) g GROUP BY k ORDER BY k;
SELECT g, covar_pop(g, g * g) OVER (ORDER BY g ROWS 2 PRECEDING) FROM generate_series(1, 5) g ORDER BY g;
SELECT pg_typeof(corr(1, 2)), pg_typeof(regr_count(1, 2));

-- what reports compute: shares, averages, windows, buckets over numeric(10,2), int and float8 columns
CREATE TABLE nm_sales (id int PRIMARY KEY, region text, amount numeric(10,2), qty int, price float8);
INSERT INTO nm_sales VALUES (1, 'n', 10.50, 3, 1.1), (2, 'n', 20.25, 1, 2.2), (3, 's', 5.00, 7, 3.3), (4, 's', NULL, 2, NULL), (5, 'e', 99.99, 10, 0.1);
SELECT region, count(*) * 100.0 / sum(count(*)) OVER () AS pct FROM nm_sales GROUP BY region ORDER BY region;
SELECT region, round(avg(amount), 2), round(100.0 * sum(amount) / (SELECT sum(amount) FROM nm_sales), 1) FROM nm_sales GROUP BY region ORDER BY region;
SELECT region, sum(qty * price), avg(qty * price), sum(qty) / count(*), sum(qty)::float8 / count(*) FROM nm_sales GROUP BY region ORDER BY region;
SELECT id, amount * qty, amount / qty, amount * price, qty / 2, qty % 3, qty * 1.0 / 3 FROM nm_sales ORDER BY id;
SELECT sum(amount), avg(amount), max(amount) - min(amount), stddev(amount), variance(qty) FROM nm_sales;
SELECT id, sum(amount) OVER (ORDER BY id), avg(price) OVER (ORDER BY id ROWS BETWEEN 1 PRECEDING AND CURRENT ROW) FROM nm_sales ORDER BY id;
SELECT id, amount::float8, price::numeric(10,3), qty::float4 / 3, CAST(amount AS int), CAST(price AS int) FROM nm_sales ORDER BY id;
SELECT region, percentile_cont(0.5) WITHIN GROUP (ORDER BY amount), percentile_disc(0.9) WITHIN GROUP (ORDER BY qty) FROM nm_sales GROUP BY region ORDER BY region;
SELECT width_bucket(amount, 0, 100, 4) AS bucket, count(*) FROM nm_sales GROUP BY bucket ORDER BY bucket;
SELECT coalesce(sum(amount) FILTER (WHERE region = 'x'), 0), count(*) FILTER (WHERE price > 1.5) FROM nm_sales;
SELECT greatest(amount, price), least(qty, amount), greatest(qty, price) FROM nm_sales ORDER BY id;
SELECT id FROM nm_sales WHERE amount > price * 5 ORDER BY id;
SELECT id, amount FROM nm_sales ORDER BY amount DESC NULLS LAST, id;
SELECT abs(amount - 50), sign(amount - 50), ceil(amount), floor(price), round(price::numeric, 1) FROM nm_sales ORDER BY id;
UPDATE nm_sales SET amount = amount * 1.1 WHERE region = 'n' RETURNING id, amount;
UPDATE nm_sales SET price = price * 2, qty = qty * 2 WHERE id = 3 RETURNING price, qty;
SELECT sum(amount)::numeric(12,1), avg(qty)::int, avg(qty)::numeric(5,2) FROM nm_sales;
DROP TABLE nm_sales;

-- integer overflow inside expressions, not only in what is returned
SELECT (2147483647 + 1) - 1; -- differential: error=22003
SELECT count(*) FROM generate_series(1, 3) g WHERE g * 1000000000 > 0; -- differential: error=22003
SELECT count(*) FROM generate_series(1, 3) g WHERE g::int8 * 1000000000 > 0;
SELECT max(g * 1000) FROM generate_series(1, 3) g;
SELECT sum(g * 1000000000) FROM generate_series(1, 3) g; -- differential: error=22003
SELECT sum(g::int8 * 1000000000) FROM generate_series(1, 3) g;
SELECT g FROM generate_series(1, 3) g ORDER BY g * -1;
SELECT (32767::int2 + 1::int2) - 1::int2; -- differential: error=22003
SELECT (9223372036854775807 + 1) - 1; -- differential: error=22003
SELECT x FROM (SELECT 2147483647 + 1 AS x) s; -- differential: error=22003
SELECT 2147483647 + 1 > 0; -- differential: error=22003
SELECT -2147483647 - 1, (-2147483647 - 1) / 2, 46340 * 46340, (46341 * 46341) - 1; -- differential: error=22003
SELECT -2147483647 - 1, (-2147483647 - 1) / 2, 46340 * 46340;

-- numeric input forms, infinities, typmods
SELECT '1e5'::numeric, ' 12.50 '::numeric, '-0.000'::numeric, '+3'::numeric, '.5'::numeric, '5.'::numeric, 'inf'::numeric, '-inf'::numeric;
SELECT '1e-5'::numeric, '1.5E+3'::numeric, '0e10'::numeric, 1e-5 * 1, 12.3e2;
SELECT 'abc'::numeric; -- differential: error=22P02
SELECT '1 2'::numeric; -- differential: error=22P02
SELECT 'Infinity'::numeric - 'Infinity'::numeric, 'Infinity'::numeric * 0, 'Infinity'::numeric / 'Infinity'::numeric, '-Infinity'::numeric * -1;
SELECT 'Infinity'::numeric / 0; -- differential: error=22012
SELECT 1 / 'Infinity'::numeric, -1 / 'Infinity'::numeric, 'Infinity'::numeric % 2, 5 % 'Infinity'::numeric;
SELECT x FROM (VALUES ('Infinity'::numeric), ('-Infinity'), ('NaN'), (0), (-1e100), (1e100)) v(x) ORDER BY x;
SELECT max(x), min(x), sum(x), avg(x) FROM (VALUES ('Infinity'::numeric), (1)) v(x);
SELECT sum(x), avg(x) FROM (VALUES ('Infinity'::numeric), ('-Infinity')) v(x);
SELECT abs('-Infinity'::numeric), sign('-Infinity'::numeric), ceil('Infinity'::numeric), round('Infinity'::numeric, 2), trunc('-Infinity'::numeric);
SELECT 'Infinity'::numeric::int; -- differential: error=0A000
SELECT 'NaN'::numeric::int; -- differential: error=0A000
SELECT 'Infinity'::float8::numeric, '-Infinity'::float4::numeric, 'Infinity'::numeric::float4;
SELECT 0.1::numeric(3,2) + 0.005, 1.23456::numeric(10,4), (-1.23456)::numeric(10,4), 1.5::numeric(2,1) * 2;
SELECT 123.456::numeric(5,2), 1234.5::numeric(5,2); -- differential: error=22003
SELECT 0.00001::numeric(3,2), 0.005::numeric(3,2), -0.005::numeric(3,2);
SELECT 1::numeric(1000,500) / 3 > 0, scale(1::numeric(20,10)), 10::numeric(2,-1);
SELECT 'NaN'::numeric(3,1), 'Infinity'::numeric(3,1); -- differential: error=22003

-- arithmetic in CHECK constraints and defaults
CREATE TABLE ck (a int CHECK (a * 2 < 100), f float8 CHECK (f * 2 < 100), n numeric DEFAULT 1.5 * 2, g int DEFAULT 2147483647 + 0);
INSERT INTO ck (a, f) VALUES (10, 1.5);
INSERT INTO ck (a, f) VALUES (60, 1.5); -- differential: error=23514
INSERT INTO ck (a, f) VALUES (1, 'NaN'); -- differential: error=23514
INSERT INTO ck (a, f) VALUES (1100000000, 1); -- differential: error=22003
SELECT a, f, n, g FROM ck WHERE a * 2 = 20;
SELECT a FROM ck WHERE f * 2 = 3;
DROP TABLE ck;

-- grouping across joins: USING and NATURAL columns, qualified and not
CREATE TABLE ja (k int, x int);
CREATE TABLE jb (k int, y int);
INSERT INTO ja VALUES (1, 1), (2, 2);
INSERT INTO jb VALUES (1, 10), (1, 20);
SELECT ja.k, count(*) FROM ja JOIN jb USING (k) GROUP BY k;
SELECT jb.k, count(*) FROM ja JOIN jb USING (k) GROUP BY k; -- differential: error=42803
SELECT k, count(*) FROM ja JOIN jb USING (k) GROUP BY ja.k;
SELECT k, count(*) FROM ja NATURAL JOIN jb GROUP BY k;
SELECT ja.k, count(*) FROM ja LEFT JOIN jb ON ja.k = jb.k GROUP BY ja.k ORDER BY 1;
SELECT jb.k, count(*) FROM ja LEFT JOIN jb ON ja.k = jb.k GROUP BY ja.k; -- differential: error=42803
SELECT "k", count(*) FROM ja GROUP BY "k" ORDER BY 1;
SELECT ja.k AS kk, count(*) FROM ja GROUP BY kk ORDER BY 1;
SELECT k + 0 AS kk, count(*) FROM ja GROUP BY k ORDER BY 1;
SELECT x, count(*) FROM ja GROUP BY ja.x ORDER BY 1;
SELECT sum(x) FILTER (WHERE k > 0), k FROM ja GROUP BY k ORDER BY 2;
DROP TABLE ja;
DROP TABLE jb;
