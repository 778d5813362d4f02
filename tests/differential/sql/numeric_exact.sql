-- Exact numeric semantics: more than 15 significant digits, display scale, division scale,
-- aggregates, ordering and equality by value, rounding functions, casts, errors, NaN, ledgers.
-- A float-backed numeric differs from PostgreSQL on almost every statement here.

-- Literals with many significant digits round-trip exactly
SELECT 12345678901234567890.123456789, -98765432109876543210.000000001, 123456789012345678.9 * 10;
SELECT 0.1 + 0.2, 0.1 + 0.2 = 0.3, 0.3 - 0.1, 1234567890.0987654321 + 0.0000000001;
SELECT 1e-20::numeric, 0.00000000000000000001 + 1, 1e20::numeric + 1, 99999999999999999999.99 + 0.01;
SELECT 9007199254740993::numeric, 9007199254740993::numeric + 0, 9007199254740992::numeric + 1;

-- Display scale: trailing zeros kept, scale follows the operands
SELECT 1.50::numeric, 1.5 + 2.25, 2.00 * 3.0, 1.10 - 0.10, 0.0::numeric, -0.00::numeric;
SELECT 100::numeric, 1e3::numeric, 1.000e2, 2.5e-3, 12.340 * 1;
SELECT 3.000 + 1, 5.0 - 5, 1.1 * 1.1, 1.25 * 4, numeric '007.5000', numeric '  42.10  ';

-- Division scale rules
SELECT 1 / 3::numeric, 10::numeric / 4, 2 / 3.000, 1::numeric / 7 * 7;
SELECT 1.0 / 3, 100.00 / 3, 1 / 3.0000000000000000000000, 2::numeric / 2;
SELECT 7.5 / 2.5, 1::numeric / 8, 22::numeric / 7, 1e-10 / 3, 12345678901234567890::numeric / 10, 1 / 1e20::numeric;
SELECT -7::numeric / 2, (-7)::numeric % 2, 7.5 % 2, -7.5 % 2, 10.25 % 0.5;
SELECT div(7.5, 2), div(-7.5, 2), mod(10.5, 3), mod(-10.5, 3);

-- Numeric and numeric(p,s) columns
CREATE TABLE nx_vals (
    id integer PRIMARY KEY,
    n numeric,
    n102 numeric(10, 2),
    n2510 numeric(25, 10)
);
INSERT INTO nx_vals VALUES (1, 12345678901234567890.123456789, 1, 123456789012345.1234567891);
INSERT INTO nx_vals VALUES
    (2, 0.1, 10.5, 0.0000000001),
    (3, 0.2, 10.50, 0.0000000002),
    (4, 9, 9, 9),
    (5, 10, 100.5, 10),
    (6, -2, -2, -2),
    (7, 100.5, 0.005, 100.5),
    (8, 1.00, 1.004, 1.00000000005),
    (9, 1e-20, -0.005, -0.00000000005),
    (10, NULL, NULL, NULL);
SELECT id, n, n102, n2510 FROM nx_vals ORDER BY id;
SELECT pg_typeof(n), pg_typeof(n102), pg_typeof(n + n102) FROM nx_vals WHERE id = 1;
SELECT sum(n), sum(n102), sum(n2510) FROM nx_vals;
SELECT min(n), max(n), min(n102), max(n102), min(n2510), max(n2510) FROM nx_vals;
SELECT id, n FROM nx_vals ORDER BY n NULLS FIRST, id;
SELECT id, n102 FROM nx_vals ORDER BY n102 DESC, id;
SELECT id, n102 * 3 AS tripled FROM nx_vals ORDER BY n102 * -1, id;
SELECT id, n - n102 AS diff FROM nx_vals WHERE n IS NOT NULL ORDER BY n - n102, id;
SELECT n FROM nx_vals WHERE n = 12345678901234567890.123456789;
SELECT count(*) FROM nx_vals WHERE n = 12345678901234567890.12345679 OR n = 12345678901234567890;
SELECT id FROM nx_vals WHERE n + n = 0.3 OR n = 0.1 + 0.2 ORDER BY id;
SELECT id FROM nx_vals WHERE n2510 = 0.0000000001 + 0.0000000001 ORDER BY id;
SELECT id, n102 FROM nx_vals WHERE n102 = 10.50 ORDER BY id;
SELECT id, n102 FROM nx_vals WHERE n102 > 9 ORDER BY id;
SELECT id, n FROM nx_vals WHERE n > 9::bigint ORDER BY id;
SELECT id, n FROM nx_vals WHERE n BETWEEN -2 AND 10 ORDER BY id;
SELECT id, n FROM nx_vals WHERE n IN (0.10, 1, 100.50, 9223372036854775808) ORDER BY id;
SELECT id, n FROM nx_vals WHERE n < 1e-19 AND n > 0 ORDER BY id;

-- numeric(p,s) typmod: padding, rounding half away from zero, overflow
SELECT 1::numeric(10, 2), 1.5::numeric(10, 2), 2.345::numeric(10, 2), 2.355::numeric(10, 2), (-2.345)::numeric(10, 2);
SELECT 0.005::numeric(10, 2), 123.4567::numeric(10, 0), 999.994::numeric(5, 2), 99999999.99::numeric(10, 2);
SELECT 999.995::numeric(5, 2); -- differential: error=22003
INSERT INTO nx_vals (id, n102) VALUES (11, 123456789.01); -- differential: error=22003
SELECT 12345.6::numeric(5, 2); -- differential: error=22003

-- Grouping, DISTINCT, equality by value (1.0 and 1.00 are the same)
CREATE TABLE nx_grp (id integer PRIMARY KEY, v numeric);
INSERT INTO nx_grp VALUES (1, 1.0), (2, 1.00), (3, 1), (4, 2.50), (5, 2.5), (6, 10), (7, 9), (8, -2), (9, 100.5), (10, 0.30000000000000000001);
SELECT v, count(*) FROM nx_grp GROUP BY v ORDER BY v;
SELECT count(DISTINCT v), count(*) FROM nx_grp;
SELECT DISTINCT v + 0 AS v FROM nx_grp WHERE v < 3 ORDER BY 1;
SELECT min(v), max(v), sum(v), avg(v) FROM nx_grp;
SELECT id, v FROM nx_grp WHERE v = 1 OR v = 0.3 ORDER BY id;
SELECT id, v FROM nx_grp ORDER BY v DESC, id DESC;
SELECT a.id, b.id FROM nx_grp a JOIN nx_grp b ON a.v = b.v AND a.id < b.id ORDER BY a.id, b.id;

-- UNIQUE index and PRIMARY KEY on numeric compare by value
CREATE TABLE nx_uniq (k numeric PRIMARY KEY, u numeric(8, 3) UNIQUE);
INSERT INTO nx_uniq VALUES (1.0, 1.5);
INSERT INTO nx_uniq VALUES (1.00, 2.5); -- differential: error=23505
INSERT INTO nx_uniq VALUES (2, 1.500); -- differential: error=23505
INSERT INTO nx_uniq VALUES (12345678901234567890.1, 3), (12345678901234567890.2, 4);
INSERT INTO nx_uniq VALUES (12345678901234567890.10, 5); -- differential: error=23505
SELECT k, u FROM nx_uniq ORDER BY k;
SELECT u FROM nx_uniq WHERE k = 1;
CREATE TABLE nx_uidx (v numeric);
CREATE UNIQUE INDEX nx_uidx_v ON nx_uidx (v);
INSERT INTO nx_uidx VALUES (1.0);
INSERT INTO nx_uidx VALUES (1.00); -- differential: error=23505
INSERT INTO nx_uidx VALUES (0.1), (0.10000000000000000001);
SELECT v FROM nx_uidx ORDER BY v;

-- Aggregates: avg of ints and numerics, sums with mixed scales, sum(bigint) beyond int64
SELECT avg(x), pg_typeof(avg(x)) FROM (VALUES (1), (2), (2)) v(x);
SELECT avg(x) FROM (VALUES (10.00), (20.0), (30)) v(x);
SELECT sum(x), pg_typeof(sum(x)) FROM (VALUES (1.5), (2.25), (3), (0.125)) v(x);
SELECT sum(x), pg_typeof(sum(x)) FROM (VALUES (9223372036854775807::bigint), (9223372036854775807::bigint)) v(x);
SELECT sum(x), avg(x) FROM (VALUES (9223372036854775807::bigint), (1::bigint), (-9223372036854775807::bigint)) v(x);
SELECT sum(x) FROM (VALUES (12345678901234567890.1), (0.0000000001), (-12345678901234567890)) v(x);
SELECT sum(0.01::numeric), count(*) FROM generate_series(1, 1000) g;
SELECT min(x), max(x) FROM (VALUES (9.0), (10), (-2), (100.5), (99.99999999999999999)) v(x);

-- Rounding functions on numeric
SELECT round(2.5), round(-2.5), round(0.5), round(-0.5), round(12345678901234567890.5), round(0.123456789012345678905, 20);
SELECT round(1.2345, 2), round(1.235, 2), round(-1.235, 2), round(123.45, -1), round(155, -1);
SELECT ceil(1.000001), ceil(-1.5), floor(-1.5), floor(2.999999999999999999), ceil(12345678901234567890.1);
SELECT abs(-12345678901234567890.5), abs(0.00), sign(-0.001), sign(12.5), sign(0.0);
SELECT trunc(-1.999, 1), trunc(1.999), trunc(123.456, -2), trunc(5.5, 3), round(2.50::numeric, 1), round(10, 2), trunc(7, 2), scale(1.500);

-- Casts
SELECT 2.5::integer, 3.5::integer, (-2.5)::integer, 2.49999::integer, 9223372036854775807.4::bigint, (-0.5)::smallint;
SELECT 9223372036854775807.5::bigint; -- differential: error=22003
SELECT 0.1::numeric::float8, 12345678901234567890.123456789::float8, (1::numeric / 3)::float8;
SELECT 0.1::float8::numeric, 123456789.125::float8::numeric, 42::numeric, 9223372036854775807::numeric + 1, (-2147483648)::integer::numeric;
SELECT '12345678901234567890.123456789'::numeric, ' -0.50 '::numeric, '1.5e3'::numeric, '.5'::numeric;
SELECT 12.50::text, (0.1 + 0.2)::text, 1e-20::numeric::text, 100.000::varchar, 1.10::text || 'x';
SELECT 'abc'::numeric; -- differential: error=22P02

-- Errors
SELECT 1::numeric / 0; -- differential: error=22012
SELECT 1.5 / 0.0; -- differential: error=22012
SELECT 10.5 % 0; -- differential: error=22012

-- NaN
SELECT 'NaN'::numeric, 'nan'::numeric + 1, 'NaN'::numeric * 0, 'NaN'::numeric = 'NaN'::numeric, 'NaN'::numeric > 1e100, 'NaN'::numeric < 0, 'NaN'::numeric::float8;
CREATE TABLE nx_nan (id integer PRIMARY KEY, v numeric);
INSERT INTO nx_nan VALUES (1, 5), (2, 'NaN'), (3, -1e30), (4, 1e30), (5, NULL), (6, 0.5);
SELECT id, v FROM nx_nan ORDER BY v, id;
SELECT id, v FROM nx_nan ORDER BY v DESC NULLS LAST, id;
SELECT max(v), min(v), count(v) FROM nx_nan;
SELECT id FROM nx_nan WHERE v > 1e29 ORDER BY id;

-- Repeated small updates on a balance stay exact
CREATE TABLE nx_acct (id integer PRIMARY KEY, balance numeric(12, 2) NOT NULL);
INSERT INTO nx_acct VALUES (1, 0), (2, 1000000000.00), (3, -0.01);
UPDATE nx_acct SET balance = balance + 0.01;
UPDATE nx_acct SET balance = balance + 0.01;
UPDATE nx_acct SET balance = balance + 0.01;
UPDATE nx_acct SET balance = balance + 0.01;
UPDATE nx_acct SET balance = balance + 0.01;
UPDATE nx_acct SET balance = balance + 0.01;
UPDATE nx_acct SET balance = balance + 0.01;
UPDATE nx_acct SET balance = balance + 0.01;
UPDATE nx_acct SET balance = balance + 0.01;
UPDATE nx_acct SET balance = balance + 0.01 WHERE id <> 3;
SELECT id, balance FROM nx_acct ORDER BY id;
SELECT id FROM nx_acct WHERE balance = 0.1;
UPDATE nx_acct SET balance = balance * 1.005 WHERE id = 2;
UPDATE nx_acct SET balance = balance / 3 WHERE id = 1;
SELECT id, balance, balance * 3 FROM nx_acct ORDER BY id;
UPDATE nx_acct SET balance = balance + 9999999999.99 WHERE id = 2; -- differential: error=22003

-- A money-like ledger: many small amounts
CREATE TABLE nx_ledger (id integer PRIMARY KEY, account text NOT NULL, amount numeric(14, 2) NOT NULL);
INSERT INTO nx_ledger SELECT g, 'a' || (g % 3), CASE WHEN g % 2 = 0 THEN 0.10 ELSE 0.20 END FROM generate_series(1, 300) g;
INSERT INTO nx_ledger VALUES (301, 'a0', -0.30), (302, 'a1', 1234567890.99), (303, 'a2', 0.01);
SELECT account, sum(amount), count(*), avg(amount) FROM nx_ledger GROUP BY account ORDER BY account;
SELECT sum(amount), sum(amount) = 1234567935.70 FROM nx_ledger;
SELECT account, sum(amount) FROM nx_ledger GROUP BY account HAVING sum(amount) > 15 ORDER BY account;
SELECT id, amount, sum(amount) OVER (ORDER BY id) AS running FROM nx_ledger WHERE id <= 6 OR id > 300 ORDER BY id;
SELECT amount, count(*) FROM nx_ledger GROUP BY amount ORDER BY amount;

-- Mixed-type arithmetic and result types
SELECT 1.5 + 1, pg_typeof(1.5 + 1), pg_typeof(1.5 + 1::bigint), pg_typeof(1.5 * 2::smallint), 10 / 4.0, 10::numeric / 4::bigint;
SELECT 1.5 + 1::float8, pg_typeof(1.5 + 1::float8), pg_typeof(1.5::numeric * 2::real);
SELECT 0.1::numeric + 0.2::float8, 0.1::numeric + 0.2::numeric, 12345678901234567890.5 + 1, 12345678901234567890.5 + 1::float8;
SELECT 1 = 1.0::numeric, 1::bigint = 1.000, 9223372036854775807 < 9223372036854775807.5;
SELECT sqrt(2::numeric);

DROP TABLE nx_vals, nx_grp, nx_uniq, nx_uidx, nx_nan, nx_acct, nx_ledger;
