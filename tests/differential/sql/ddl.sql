-- DDL: CREATE/DROP TABLE, IF [NOT] EXISTS, defaults, ALTER TABLE, indexes, views, TRUNCATE.
-- Tables are prefixed ddl_ so this file does not interfere with the others.

DROP TABLE IF EXISTS ddl_items;
CREATE TABLE ddl_items (
    id integer PRIMARY KEY,
    name text NOT NULL,
    qty integer DEFAULT 0,
    price numeric(10, 2) DEFAULT 1.50,
    active boolean DEFAULT true,
    note varchar(20)
);
CREATE TABLE IF NOT EXISTS ddl_items (id integer);
CREATE TABLE ddl_items (id integer); -- differential: error=42P07
INSERT INTO ddl_items (id, name) VALUES (1, 'one');
SELECT id, name, qty, price, active, note FROM ddl_items;
INSERT INTO ddl_items VALUES (2, 'two', 5, 9.99, false, 'n2');
SELECT * FROM ddl_items ORDER BY id;
INSERT INTO ddl_items (id, name, qty) VALUES (3, 'three', DEFAULT);
SELECT id, qty FROM ddl_items WHERE id = 3;

-- ALTER TABLE
ALTER TABLE ddl_items ADD COLUMN created date DEFAULT '2024-01-01';
SELECT id, created FROM ddl_items ORDER BY id;
ALTER TABLE ddl_items ADD COLUMN tag text;
SELECT id, tag FROM ddl_items ORDER BY id;
ALTER TABLE ddl_items ADD COLUMN IF NOT EXISTS tag text;
ALTER TABLE ddl_items RENAME COLUMN tag TO label;
SELECT label FROM ddl_items WHERE id = 1;
SELECT tag FROM ddl_items; -- differential: error=42703
ALTER TABLE ddl_items DROP COLUMN label;
ALTER TABLE ddl_items DROP COLUMN IF EXISTS label;
ALTER TABLE ddl_items DROP COLUMN label; -- differential: error=42703
ALTER TABLE ddl_items ALTER COLUMN qty SET DEFAULT 7;
INSERT INTO ddl_items (id, name) VALUES (4, 'four');
SELECT qty FROM ddl_items WHERE id = 4;
ALTER TABLE ddl_items ALTER COLUMN qty DROP DEFAULT;
INSERT INTO ddl_items (id, name) VALUES (5, 'five');
SELECT qty FROM ddl_items WHERE id = 5;
ALTER TABLE ddl_items ALTER COLUMN note SET NOT NULL; -- differential: error=23502
ALTER TABLE ddl_items ALTER COLUMN qty TYPE bigint;
SELECT id, qty FROM ddl_items ORDER BY id;
ALTER TABLE ddl_items RENAME TO ddl_products;
SELECT count(*) FROM ddl_products;
SELECT count(*) FROM ddl_items; -- differential: error=42P01

-- ADD PRIMARY KEY / ADD CONSTRAINT on an existing table
CREATE TABLE ddl_nokey (a integer NOT NULL, b text);
INSERT INTO ddl_nokey VALUES (1, 'x'), (2, 'y');
ALTER TABLE ddl_nokey ADD PRIMARY KEY (a);
INSERT INTO ddl_nokey VALUES (1, 'dup'); -- differential: error=23505
ALTER TABLE ddl_nokey ADD CONSTRAINT ddl_nokey_b_key UNIQUE (b);
INSERT INTO ddl_nokey VALUES (3, 'x'); -- differential: error=23505
ALTER TABLE ddl_nokey ADD CONSTRAINT ddl_nokey_a_pos CHECK (a > 0);
INSERT INTO ddl_nokey VALUES (-1, 'neg'); -- differential: error=23514
ALTER TABLE ddl_nokey DROP CONSTRAINT ddl_nokey_a_pos;
INSERT INTO ddl_nokey VALUES (-1, 'neg');
SELECT a, b FROM ddl_nokey ORDER BY a;

-- Indexes
CREATE INDEX ddl_products_name_idx ON ddl_products (name);
CREATE INDEX IF NOT EXISTS ddl_products_name_idx ON ddl_products (name);
CREATE UNIQUE INDEX ddl_products_note_uq ON ddl_products (note);
INSERT INTO ddl_products (id, name, note) VALUES (10, 'ten', 'n2'); -- differential: error=23505
INSERT INTO ddl_products (id, name, note) VALUES (10, 'ten', NULL);
CREATE INDEX ddl_products_multi ON ddl_products (active, price DESC);
SELECT name FROM ddl_products WHERE name = 'two';
DROP INDEX ddl_products_multi;
DROP INDEX IF EXISTS ddl_products_multi;
DROP INDEX ddl_products_multi; -- differential: error=42704

-- Views
CREATE VIEW ddl_cheap AS SELECT id, name, price FROM ddl_products WHERE price < 5;
SELECT id, name, price FROM ddl_cheap ORDER BY id;
CREATE OR REPLACE VIEW ddl_cheap AS SELECT id, name, price FROM ddl_products WHERE price < 100;
SELECT count(*) FROM ddl_cheap;
DROP VIEW ddl_cheap;
DROP VIEW IF EXISTS ddl_cheap;

-- TRUNCATE
TRUNCATE ddl_nokey;
SELECT count(*) FROM ddl_nokey;
TRUNCATE TABLE ddl_products, ddl_nokey;
SELECT count(*) FROM ddl_products;

-- Schemas of the temporary kind
CREATE TEMP TABLE ddl_tmp (x integer);
INSERT INTO ddl_tmp VALUES (1), (2);
SELECT sum(x) FROM ddl_tmp;
DROP TABLE ddl_tmp;

DROP TABLE ddl_products;
DROP TABLE IF EXISTS ddl_products;
DROP TABLE ddl_products; -- differential: error=42P01
DROP TABLE ddl_nokey;
