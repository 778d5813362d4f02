-- Errors: the SQLSTATE each failure must carry (messages are not compared).

CREATE TABLE err_t (id integer PRIMARY KEY, n integer NOT NULL, s varchar(3), CHECK (n >= 0));
CREATE TABLE err_child (id integer PRIMARY KEY, parent integer REFERENCES err_t (id));
INSERT INTO err_t VALUES (1, 1, 'a');

-- 22003 numeric value out of range
SELECT 32767::smallint + 1::smallint; -- differential: error=22003
SELECT 2147483647 * 2; -- differential: error=22003
SELECT -9223372036854775808::bigint; -- differential: error=22003
SELECT 100000::smallint; -- differential: error=22003
SELECT 123.4::numeric(3, 1); -- differential: error=22003
SELECT abs(-2147483648); -- differential: error=22003
INSERT INTO err_t VALUES (2, 3000000000, 'b'); -- differential: error=22003

-- 22012 division by zero
SELECT 1 / 0; -- differential: error=22012
SELECT 5 % 0; -- differential: error=22012
SELECT 1.5 / 0.0; -- differential: error=22012
SELECT n / (n - 1) FROM err_t; -- differential: error=22012

-- 22P02 invalid text representation
SELECT 'x'::integer; -- differential: error=22P02
SELECT '1.2.3'::numeric; -- differential: error=22P02
SELECT 'yes please'::boolean; -- differential: error=22P02
SELECT '12abc'::bigint; -- differential: error=22P02
INSERT INTO err_t VALUES ('one', 1, 'c'); -- differential: error=22P02
SELECT * FROM err_t WHERE id = 'abc'; -- differential: error=22P02

-- 22001 string data right truncation, 22007/22008 datetime
INSERT INTO err_t VALUES (3, 1, 'abcd'); -- differential: error=22001
SELECT 'garbage'::date; -- differential: error=22007
SELECT '2024-13-01'::date; -- differential: error=22008

-- 23502 not null violation
INSERT INTO err_t (id, s) VALUES (4, 'x'); -- differential: error=23502
INSERT INTO err_t VALUES (NULL, 1, 'x'); -- differential: error=23502
UPDATE err_t SET n = NULL WHERE id = 1; -- differential: error=23502

-- 23503 foreign key violation
INSERT INTO err_child VALUES (1, 99); -- differential: error=23503
INSERT INTO err_child VALUES (1, 1);
DELETE FROM err_t WHERE id = 1; -- differential: error=23503
UPDATE err_child SET parent = 42; -- differential: error=23503

-- 23505 unique violation
INSERT INTO err_t VALUES (1, 5, 'd'); -- differential: error=23505
INSERT INTO err_t VALUES (5, 5, 'e'), (5, 6, 'f'); -- differential: error=23505

-- 23514 check violation
INSERT INTO err_t VALUES (6, -1, 'g'); -- differential: error=23514
UPDATE err_t SET n = -5; -- differential: error=23514

-- 42P01 undefined table, 42703 undefined column, 42883 undefined function
SELECT * FROM err_missing; -- differential: error=42P01
INSERT INTO err_missing VALUES (1); -- differential: error=42P01
DROP TABLE err_missing; -- differential: error=42P01
SELECT nosuch FROM err_t; -- differential: error=42703
SELECT err_t.nosuch FROM err_t; -- differential: error=42703
UPDATE err_t SET nosuch = 1; -- differential: error=42703
SELECT * FROM err_t ORDER BY nosuch; -- differential: error=42703
SELECT no_such_function(1); -- differential: error=42883
SELECT 'a' + 1; -- differential: error=22P02
SELECT 'a'::text + 1; -- differential: error=42883

-- 42601 syntax error, 42P07 duplicate table, 42702 ambiguous column, 42803 grouping
SELEC 1; -- differential: error=42601
SELECT * FROM; -- differential: error=42601
SELECT (1; -- differential: error=42601
INSERT INTO err_t VALUES (1, 2; -- differential: error=42601
CREATE TABLE err_t (x integer); -- differential: error=42P07
SELECT id FROM err_t, err_child; -- differential: error=42702
SELECT id, count(*) FROM err_t; -- differential: error=42803
SELECT 1 FROM err_t GROUP BY nosuch; -- differential: error=42703

-- 21000 more than one row from a scalar subquery, 42804 datatype mismatch
SELECT (SELECT g FROM generate_series(1, 2) g); -- differential: error=21000
SELECT CASE WHEN true THEN 1 ELSE 'x'::text END; -- differential: error=42804

-- The session is still healthy after all of that
SELECT id, n, s FROM err_t ORDER BY id;
SELECT id, parent FROM err_child;

DROP TABLE err_child;
DROP TABLE err_t;
