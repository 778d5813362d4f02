-- DML: INSERT/UPDATE/DELETE, RETURNING, ON CONFLICT, multi-row and INSERT ... SELECT.

CREATE TABLE dml_t (id integer PRIMARY KEY, name text, qty integer NOT NULL DEFAULT 0);
INSERT INTO dml_t VALUES (1, 'apple', 3);
INSERT INTO dml_t VALUES (2, 'banana', 5), (3, 'cherry', 7), (4, NULL, 0);
INSERT INTO dml_t (id, name) VALUES (5, 'date') RETURNING id, name, qty;
INSERT INTO dml_t (id, name, qty) VALUES (6, 'elder', 1), (7, 'fig', 2) RETURNING *;
INSERT INTO dml_t (id, name, qty) VALUES (8, 'grape', 4) RETURNING qty * 2 AS doubled, upper(name);
SELECT * FROM dml_t ORDER BY id;

UPDATE dml_t SET qty = qty + 1 WHERE id = 1;
UPDATE dml_t SET qty = qty + 10 WHERE qty > 4;
UPDATE dml_t SET name = 'none' WHERE name IS NULL RETURNING id, name;
UPDATE dml_t SET qty = 0 WHERE id = 999;
UPDATE dml_t SET qty = qty * 2, name = name || '!' WHERE id IN (1, 2) RETURNING id, name, qty;
SELECT id, name, qty FROM dml_t ORDER BY id;

DELETE FROM dml_t WHERE id = 8;
DELETE FROM dml_t WHERE id = 8;
DELETE FROM dml_t WHERE qty = 0 RETURNING id;
SELECT count(*) FROM dml_t;

-- ON CONFLICT
INSERT INTO dml_t VALUES (1, 'again', 1) ON CONFLICT DO NOTHING;
INSERT INTO dml_t VALUES (1, 'again', 1) ON CONFLICT (id) DO NOTHING;
INSERT INTO dml_t VALUES (1, 'again', 1) ON CONFLICT (id) DO NOTHING RETURNING id;
INSERT INTO dml_t VALUES (1, 'upserted', 100) ON CONFLICT (id) DO UPDATE SET name = EXCLUDED.name, qty = dml_t.qty + EXCLUDED.qty;
SELECT id, name, qty FROM dml_t WHERE id = 1;
INSERT INTO dml_t VALUES (1, 'x', 1), (20, 'new', 20) ON CONFLICT (id) DO UPDATE SET qty = EXCLUDED.qty RETURNING id, name, qty;
INSERT INTO dml_t VALUES (1, 'cond', 5) ON CONFLICT (id) DO UPDATE SET qty = EXCLUDED.qty WHERE dml_t.qty > 1000;
SELECT id, name, qty FROM dml_t WHERE id IN (1, 20) ORDER BY id;
INSERT INTO dml_t VALUES (1, 'x', 1) ON CONFLICT (name) DO NOTHING; -- differential: error=42P10

-- INSERT ... SELECT and copying tables
CREATE TABLE dml_copy (id integer, name text, qty integer);
INSERT INTO dml_copy SELECT id, name, qty FROM dml_t WHERE qty > 5;
SELECT id, name, qty FROM dml_copy ORDER BY id;
INSERT INTO dml_copy (id) SELECT g FROM generate_series(100, 104) AS g;
SELECT count(*), count(name), min(id), max(id) FROM dml_copy;
UPDATE dml_copy SET name = 'gen' WHERE name IS NULL;
SELECT name, count(*) FROM dml_copy GROUP BY name ORDER BY name;

-- UPDATE ... FROM and DELETE ... USING
UPDATE dml_copy c SET qty = t.qty FROM dml_t t WHERE c.id = t.id AND c.id < 100;
DELETE FROM dml_copy c USING dml_t t WHERE c.id = t.id AND t.qty > 100;
SELECT id, name, qty FROM dml_copy ORDER BY id;
DELETE FROM dml_copy;
SELECT count(*) FROM dml_copy;

-- Quoting and special values
INSERT INTO dml_copy VALUES (1, 'it''s', 1), (2, '', 2), (3, NULL, NULL);
SELECT id, name, name IS NULL AS isnull, length(name) FROM dml_copy ORDER BY id;
INSERT INTO dml_copy (id, name) VALUES (4, E'tab\there'), (5, 'line1
line2');
SELECT id, name FROM dml_copy WHERE id >= 4 ORDER BY id;

-- Constraint errors from DML
INSERT INTO dml_t (id, name, qty) VALUES (50, 'n', NULL); -- differential: error=23502
INSERT INTO dml_t (id, name) VALUES (2, 'dup'); -- differential: error=23505
UPDATE dml_t SET id = 3 WHERE id = 2; -- differential: error=23505
INSERT INTO dml_t (id, nosuch) VALUES (60, 1); -- differential: error=42703
INSERT INTO dml_t (id, qty) VALUES (61, 'abc'); -- differential: error=22P02
INSERT INTO dml_t VALUES (62, 'a', 1, 2); -- differential: error=42601

DROP TABLE dml_copy;
DROP TABLE dml_t;
