-- Constraints: NOT NULL, PRIMARY KEY (single and composite), UNIQUE, FOREIGN KEY actions, CHECK.

CREATE TABLE con_parent (id integer PRIMARY KEY, code text UNIQUE NOT NULL);
CREATE TABLE con_child (
    id integer PRIMARY KEY,
    parent_id integer NOT NULL REFERENCES con_parent (id) ON DELETE CASCADE,
    other_id integer REFERENCES con_parent ON DELETE SET NULL,
    qty integer CHECK (qty > 0),
    CONSTRAINT con_child_qty_max CHECK (qty < 1000)
);
INSERT INTO con_parent VALUES (1, 'a'), (2, 'b'), (3, 'c');
INSERT INTO con_child VALUES (10, 1, 2, 5), (11, 1, NULL, 6), (12, 2, 3, 7);
INSERT INTO con_child VALUES (13, 9, NULL, 1); -- differential: error=23503
INSERT INTO con_child VALUES (13, 1, 9, 1); -- differential: error=23503
INSERT INTO con_child VALUES (13, NULL, NULL, 1); -- differential: error=23502
INSERT INTO con_child VALUES (13, 1, NULL, 0); -- differential: error=23514
INSERT INTO con_child VALUES (13, 1, NULL, 1000); -- differential: error=23514
INSERT INTO con_child VALUES (13, 1, NULL, NULL);
INSERT INTO con_parent VALUES (4, 'a'); -- differential: error=23505
INSERT INTO con_parent VALUES (4, NULL); -- differential: error=23502
INSERT INTO con_parent VALUES (4, 'd');
DELETE FROM con_parent WHERE id = 1;
SELECT id, parent_id, other_id, qty FROM con_child ORDER BY id;
DELETE FROM con_parent WHERE id = 3;
SELECT id, parent_id, other_id FROM con_child ORDER BY id;
UPDATE con_parent SET id = 20 WHERE id = 2; -- differential: error=23503
UPDATE con_parent SET code = 'bb' WHERE id = 2;

-- Composite keys and multi-column UNIQUE (NULLs are distinct)
CREATE TABLE con_pair (a integer, b integer, c text, PRIMARY KEY (a, b), UNIQUE (b, c));
INSERT INTO con_pair VALUES (1, 1, 'x'), (1, 2, 'x'), (2, 1, NULL), (3, 1, NULL);
INSERT INTO con_pair VALUES (1, 1, 'y'); -- differential: error=23505
INSERT INTO con_pair VALUES (4, 2, 'x'); -- differential: error=23505
INSERT INTO con_pair VALUES (NULL, 5, 'z'); -- differential: error=23502
SELECT a, b, c FROM con_pair ORDER BY a, b;
CREATE TABLE con_ref_pair (x integer, y integer, FOREIGN KEY (x, y) REFERENCES con_pair (a, b) ON UPDATE CASCADE);
INSERT INTO con_ref_pair VALUES (1, 2), (NULL, 99);
INSERT INTO con_ref_pair VALUES (5, 5); -- differential: error=23503
UPDATE con_pair SET a = 10 WHERE a = 1 AND b = 2;
SELECT x, y FROM con_ref_pair ORDER BY x NULLS LAST;

-- ON DELETE RESTRICT / NO ACTION / SET DEFAULT
CREATE TABLE con_restrict (
    id integer PRIMARY KEY,
    p integer REFERENCES con_parent (id) ON DELETE RESTRICT,
    d integer DEFAULT 4 REFERENCES con_parent (id) ON DELETE SET DEFAULT
);
INSERT INTO con_restrict VALUES (1, 2, 2);
DELETE FROM con_parent WHERE id = 2; -- differential: error=23503
UPDATE con_restrict SET p = NULL;
DELETE FROM con_parent WHERE id = 2;
SELECT id, p, d FROM con_restrict;
SELECT id, parent_id FROM con_child ORDER BY id;
DELETE FROM con_parent WHERE id = 4; -- differential: error=23503

-- CHECK constraints with several columns, NULL passes a CHECK
CREATE TABLE con_range (lo integer, hi integer, CHECK (lo <= hi));
INSERT INTO con_range VALUES (1, 2), (NULL, 5), (3, NULL);
INSERT INTO con_range VALUES (5, 1); -- differential: error=23514
UPDATE con_range SET hi = 0 WHERE lo = 1; -- differential: error=23514
SELECT count(*) FROM con_range;

-- Constraints added later
ALTER TABLE con_range ADD CONSTRAINT con_range_lo_pos CHECK (lo > 0);
ALTER TABLE con_range ADD CONSTRAINT con_range_hi_big CHECK (hi > 100); -- differential: error=23514
ALTER TABLE con_range ALTER COLUMN lo SET NOT NULL; -- differential: error=23502
DELETE FROM con_range WHERE lo IS NULL;
ALTER TABLE con_range ALTER COLUMN lo SET NOT NULL;
INSERT INTO con_range VALUES (NULL, 1); -- differential: error=23502
ALTER TABLE con_range ALTER COLUMN lo DROP NOT NULL;
INSERT INTO con_range VALUES (NULL, 1);
ALTER TABLE con_range ADD UNIQUE (lo);
INSERT INTO con_range VALUES (1, 9); -- differential: error=23505
ALTER TABLE con_range ADD CONSTRAINT con_range_fk FOREIGN KEY (lo) REFERENCES con_parent (id); -- differential: error=23503

-- Deferred unique check across a multi-row UPDATE
CREATE TABLE con_shift (n integer UNIQUE);
INSERT INTO con_shift VALUES (1), (2), (3);
UPDATE con_shift SET n = n + 1; -- differential: error=23505
CREATE TABLE con_shift2 (n integer UNIQUE DEFERRABLE INITIALLY IMMEDIATE);
INSERT INTO con_shift2 VALUES (1), (2), (3);
UPDATE con_shift2 SET n = n + 1;
SELECT n FROM con_shift2 ORDER BY n;

DROP TABLE con_shift2;
DROP TABLE con_shift;
DROP TABLE con_range;
DROP TABLE con_restrict;
DROP TABLE con_ref_pair;
DROP TABLE con_pair;
DROP TABLE con_parent; -- differential: error=2BP01
DROP TABLE con_child;
DROP TABLE con_parent;
