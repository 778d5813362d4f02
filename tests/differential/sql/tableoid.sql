-- The system column tableoid: the OID of a row's table, on user tables and catalog tables, in
-- the select list, WHERE, joins (NULL on the rows an outer join adds) and subqueries. OIDs
-- differ between servers: compared through regclass and equality.

CREATE TABLE to_a (id integer PRIMARY KEY, v text);
CREATE TABLE to_b (id integer, a_id integer);
INSERT INTO to_a VALUES (1, 'x'), (2, 'y'), (3, 'z');
INSERT INTO to_b VALUES (10, 1), (11, 1), (12, 9);
SELECT tableoid::regclass, * FROM to_a ORDER BY id;
SELECT a.tableoid::regclass AS a_table, a.id FROM to_a a ORDER BY a.id;
SELECT count(*) FROM to_a WHERE tableoid = 'to_a'::regclass;
SELECT count(*) FROM to_a WHERE tableoid = 'to_b'::regclass;
SELECT tableoid = 'to_a'::regclass AS same, pg_typeof(tableoid) FROM to_a WHERE id = 1;
SELECT a.id, a.tableoid::regclass, b.tableoid::regclass, b.id FROM to_a a LEFT JOIN to_b b ON b.a_id = a.id ORDER BY a.id, b.id;
SELECT a.tableoid::regclass, b.tableoid::regclass, b.id FROM to_a a RIGHT JOIN to_b b ON b.a_id = a.id ORDER BY b.id;
SELECT a.id, b.id, a.tableoid IS NULL AS a_null, b.tableoid IS NULL AS b_null FROM to_a a FULL JOIN to_b b ON b.a_id = a.id ORDER BY a.id, b.id;
SELECT id FROM to_b WHERE tableoid IN (SELECT tableoid FROM to_b) ORDER BY id;
SELECT a.id, (SELECT count(*) FROM to_b b WHERE b.a_id = a.id AND a.tableoid <> b.tableoid) FROM to_a a ORDER BY a.id;
SELECT t, count(*) FROM (SELECT tableoid::regclass::text AS t FROM to_a UNION ALL SELECT tableoid::regclass::text FROM to_b) s GROUP BY t ORDER BY t;
WITH c AS (SELECT tableoid AS src, id FROM to_a) SELECT src::regclass, id FROM c ORDER BY id;
SELECT tableoid FROM to_a, to_b; -- differential: error=42702
SELECT s.tableoid FROM (SELECT 1 AS x) s; -- differential: error=42703
SELECT tableoid FROM pg_roles; -- differential: error=42703
UPDATE to_a SET v = 'w' WHERE tableoid = 'to_a'::regclass AND id = 1 RETURNING tableoid::regclass, id, v;
DELETE FROM to_b WHERE tableoid = 'to_b'::regclass AND id = 12 RETURNING tableoid::regclass, id;
INSERT INTO to_b VALUES (13, 3) RETURNING tableoid::regclass, id;
SELECT c.tableoid::regclass, c.relname FROM pg_class c WHERE c.relname = 'to_a';
SELECT l.tableoid = 'pg_language'::regclass, l.lanname FROM pg_language l WHERE l.lanname = 'plpgsql';
SELECT l.lanname, d.description FROM pg_language l LEFT JOIN pg_description d ON d.classoid = l.tableoid AND d.objoid = l.oid AND d.objsubid = 0 ORDER BY 1;
SELECT count(*) FROM pg_attribute a JOIN pg_class c ON c.tableoid = 'pg_class'::regclass AND a.attrelid = c.oid WHERE c.relname = 'to_a' AND a.attnum > 0;
CREATE TABLE to_bad (tableoid integer); -- differential: error=42701
CREATE TABLE to_bad (a integer, xmin text); -- differential: error=42701
ALTER TABLE to_a ADD COLUMN tableoid integer; -- differential: error=42701
ALTER TABLE to_a RENAME COLUMN v TO ctid; -- differential: error=42701
CREATE TABLE to_bad AS SELECT 1 AS cmax; -- differential: error=42701
SELECT tableoid::regclass, v FROM to_a ORDER BY id;
