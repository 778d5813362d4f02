-- Statements that once gave pgha a wrong answer (or a hang) where PostgreSQL 15 answers.

-- Operator precedence: || binds looser than arithmetic in PostgreSQL, tighter in SQLite.
SELECT 'four: ' || 2 + 2;
SELECT '1' || 2 * 3;
SELECT 'a' || 'b' || 'c', 'x' || NULL;
SELECT 'n=' || 10 / 4 || '!';

-- A string constant continued across lines is one constant.
SELECT 'first'
'second';
SELECT 'a'
    'b'
    'c' AS joined;

-- format() with positions, widths and the three types.
SELECT format('%1$s and %2$s', 'a', 'bb');
SELECT format('%2$s %s', 'a', 'b', 'c');
SELECT format('%s|%-5s|%5s|', 1, 'x', 'y');
SELECT format('%L %L %I', 'it''s', NULL, 'Tab');
SELECT format('%*s|%-*s|', 4, 'z', 3, 'w');
SELECT format('100%% %s', 'sure');
SELECT format('%x', 1); -- differential: error=22023
SELECT format('%s %s', 1); -- differential: error=22023
SELECT format('%I', NULL); -- differential: error=22004

-- LIKE on bytea compares bytes.
SELECT 'abc'::bytea LIKE 'a%'::bytea, 'abc'::bytea LIKE 'b%'::bytea;
SELECT '\x00ff'::bytea LIKE '\x00'::bytea || '%'::bytea;

-- SET TRANSACTION and SET SESSION CHARACTERISTICS are what SHOW reports.
BEGIN;
SET TRANSACTION ISOLATION LEVEL SERIALIZABLE;
SHOW transaction_isolation;
COMMIT;
SHOW transaction_isolation;
BEGIN ISOLATION LEVEL REPEATABLE READ;
SHOW transaction_isolation;
ROLLBACK;
BEGIN READ ONLY;
SHOW transaction_read_only;
CREATE TABLE wa_ro (k integer); -- differential: error=25006
ROLLBACK;
SET SESSION CHARACTERISTICS AS TRANSACTION ISOLATION LEVEL REPEATABLE READ;
SHOW transaction_isolation;
SHOW default_transaction_isolation;
SET SESSION CHARACTERISTICS AS TRANSACTION ISOLATION LEVEL READ COMMITTED;
SHOW transaction_isolation;

-- A recursive query with ORDER BY, LIMIT or FOR UPDATE is refused at once, not run.
WITH RECURSIVE t(n) AS (SELECT 1 UNION ALL SELECT n + 1 FROM t WHERE n < 5 ORDER BY n)
SELECT * FROM t; -- differential: error=0A000
WITH RECURSIVE t(n) AS (SELECT 1 UNION ALL SELECT n + 1 FROM t WHERE n < 5 LIMIT 3)
SELECT * FROM t; -- differential: error=0A000
WITH RECURSIVE t(n) AS (SELECT 1 UNION ALL SELECT n + 1 FROM t WHERE n < 3)
SELECT * FROM t ORDER BY n DESC;
WITH RECURSIVE t(n) AS (SELECT 1 UNION ALL SELECT 2 ORDER BY 1) SELECT * FROM t;

-- to_char with number formats (digit positions, signs, fill mode, groups, overflow).
SELECT to_char(1234.5::numeric, '9999.99');
SELECT to_char(-12, '999');
SELECT to_char(12, '999');
SELECT to_char(0.5::numeric, 'FM0.00');
SELECT to_char(0.5::numeric, '9.99');
SELECT to_char(0.5::numeric, '0.99');
SELECT to_char(-0.5::numeric, '9.99');
SELECT to_char(0, '999');
SELECT to_char(0, '9.99');
SELECT to_char(12345, '999');
SELECT to_char(12345, '999.99');
SELECT to_char(1234, '9,999');
SELECT to_char(12, '9,999');
SELECT to_char(1234567, '9,999,999');
SELECT to_char(12, 'FM999');
SELECT to_char(-12, 'FM999');
SELECT to_char(1.5::numeric, 'FM9.99');
SELECT to_char(1, 'FM9.99');
SELECT to_char(1.5::numeric, 'FM9.90');
SELECT to_char(12, 'S999');
SELECT to_char(-12, 'S999');
SELECT to_char(12, '999S');
SELECT to_char(-12, '999S');
SELECT to_char(12, '999MI');
SELECT to_char(-12, '999MI');
SELECT to_char(12, '999PL');
SELECT to_char(-12, '999PL');
SELECT to_char(12, 'SG999');
SELECT to_char(-12, 'SG999');
SELECT to_char(12, '999PR');
SELECT to_char(-12, '999PR');
SELECT to_char(5, '909');
SELECT to_char(5, '099');
SELECT to_char(3.14159::numeric, '9.999');
SELECT to_char(2.5::numeric, '9');
SELECT to_char(-2.5::numeric, '9');
SELECT to_char(1234.5678::numeric, 'FM9,999.00');
SELECT to_char(42, '"n="999');
SELECT to_char(42, '999" units"');
SELECT to_char(0.001::numeric, '0.99');
SELECT to_char(-1234.5::numeric, '9G999D99');
SELECT to_char(100, '000');
SELECT to_char(7, 'FM0009');
SELECT to_char(-7, '0009');
SELECT to_char(123.456::numeric, '999.9');
SELECT to_char(99.99::numeric, '99.9');
SELECT to_char(99.95::numeric, '99.9');
SELECT to_char(12, 'MI999');
SELECT to_char(-12, 'MI999');
SELECT to_char(12, 'FMS999');
SELECT to_char(-0.0::numeric, '9.9');
SELECT to_char(10000000000.0::numeric, '9999999999999');
SELECT to_char(2.5::float8, '9.9'), to_char(-7::smallint, '999'), to_char(12::bigint, 'FM999');

-- char(n): trailing blanks count in its output, not in its length, concatenation, casts to
-- text or comparisons.
CREATE TABLE wa_char (c char(4), v varchar(4));
INSERT INTO wa_char VALUES ('ab', 'ab'), ('abcd', 'abcd'), ('', '');
SELECT c, c || '|', length(c), char_length(c), octet_length(c), c::text || '|' FROM wa_char ORDER BY c;
SELECT c = 'ab', c = 'ab'::text, c = v, c = 'ab  ' FROM wa_char ORDER BY c;
SELECT length('ab'::char(4)), 'ab'::char(4) || 'x', ('ab'::char(4))::varchar || '|';
SELECT 'ab'::char(4) = 'ab'::char(2), 'ab'::char(4) = 'ab', 'ab'::char(4) <> 'ab'::text;
SELECT count(*) FROM wa_char WHERE c = 'ab';

-- position(), LIKE ... ESCAPE, SIMILAR TO.
SELECT position('b' IN 'abc'), position('z' IN 'abc'), position('' IN 'abc');
SELECT 'a_c' LIKE 'a\_c', 'abc' LIKE 'a\_c', 'a_c' LIKE 'a#_c' ESCAPE '#', 'abc' LIKE 'a#_c' ESCAPE '#';
SELECT 'a%' LIKE 'a%' ESCAPE '', 'a\b' LIKE 'a\b' ESCAPE '', 'ABC' ILIKE 'a#%' ESCAPE '#';
SELECT 'abc' LIKE 'a' ESCAPE 'xy'; -- differential: error=22025
SELECT 'abc' SIMILAR TO 'a%', 'abc' SIMILAR TO 'b%', 'abc' SIMILAR TO '(a|x)(b|y)c';
SELECT 'a.c' SIMILAR TO 'a.c', 'abc' SIMILAR TO 'a.c', 'abc' NOT SIMILAR TO 'a_c';
SELECT 'a+c' SIMILAR TO 'a#+c' ESCAPE '#', 'aac' SIMILAR TO 'a+c', 'xyz' SIMILAR TO '[x-z]{3}';

-- EXPLAIN shows a plan (its text is SQLite's) and runs nothing.
CREATE TABLE wa_explain (k integer PRIMARY KEY, v text);
EXPLAIN SELECT * FROM wa_explain WHERE k = 3; -- differential: skip-rows
EXPLAIN (COSTS OFF) SELECT v, count(*) FROM wa_explain GROUP BY v ORDER BY 2; -- differential: skip-rows
EXPLAIN INSERT INTO wa_explain VALUES (1, 'a'); -- differential: skip-rows
SELECT count(*) FROM wa_explain;

-- The scalar regexp functions.
SELECT regexp_match('foobarbequebaz', '(bar)(beque)'), regexp_match('abc', 'b'), regexp_match('abc', 'z'), regexp_match('ABC', 'b', 'i');
SELECT regexp_split_to_array('hello world  foo', '\s+'), regexp_split_to_array('a,b,,c', ','), regexp_split_to_array('abc', ''), regexp_split_to_array(',a,', ',');
SELECT regexp_count('ABCABCAXYaxy', 'A.'), regexp_count('ABCABCAXYaxy', 'A.', 1, 'i'), regexp_count('abc', 'b', 3);
SELECT regexp_substr('number of your street, town zip, FR', '[^,]+', 1, 2), regexp_substr('abc', 'z'), regexp_substr('A1B2', '([A-Z])(\d)', 1, 2, '', 2);
SELECT (regexp_match('k=v', '(\w)=(\w)'))[2];
SELECT regexp_match('abc', 'b', 'z'); -- differential: error=22023
SELECT regexp_match(E'a\nb', 'a.b'), regexp_match(E'a\nb', 'a.b', 'n'), regexp_match('a b', 'a b', 'x');

-- Values concatenated as text use their PostgreSQL text (not their storage): boolean, float,
-- bytea, and timestamptz in the session's TimeZone.
SELECT true || 'x', 1.5::float8 || 'x', 2.0::float8 || '', '\x0102'::bytea || 'a'::text, 'a' || 1.5::float4;
SET TimeZone = 'America/New_York';
SELECT '2024-07-01 12:00:00+00'::timestamptz || '', 'at ' || '2024-01-01 00:00:00+00'::timestamptz;
RESET TimeZone;
SELECT '\x01'::bytea || '\x02'::bytea, '\x01'::bytea || '\x0203', length('\x01'::bytea || '\x02'::bytea);
