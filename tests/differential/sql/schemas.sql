-- Schemas other than public and search_path: CREATE/ALTER/DROP SCHEMA, schema-qualified
-- DDL and DML, the same name in two schemas, name resolution along the search path.

CREATE SCHEMA sc_a;
CREATE SCHEMA sc_a; -- differential: error=42P06
CREATE SCHEMA IF NOT EXISTS sc_a;
CREATE SCHEMA public; -- differential: error=42P06
CREATE SCHEMA pg_mine; -- differential: error=42939
CREATE SCHEMA sc_b AUTHORIZATION CURRENT_USER;
CREATE SCHEMA sc_c;
SELECT nspname FROM pg_namespace WHERE nspname LIKE 'sc\_%' ORDER BY 1;
SELECT schema_name FROM information_schema.schemata WHERE schema_name LIKE 'sc\_%' ORDER BY 1;
SELECT nspname, nspowner = (SELECT oid FROM pg_roles WHERE rolname = current_user) FROM pg_namespace WHERE nspname = 'sc_b';
SELECT count(*) FROM pg_namespace WHERE nspname LIKE 'sc\_%' AND oid >= 16384;

-- Qualified DDL and DML; the same table name in two schemas.
CREATE TABLE sc_a.items (id serial PRIMARY KEY, name text NOT NULL UNIQUE, qty int DEFAULT 1);
CREATE TABLE sc_b.items (id int PRIMARY KEY, label text);
CREATE TABLE sc_items (id int PRIMARY KEY, note text);
CREATE TABLE sc_nowhere.items (id int); -- differential: error=3F000
INSERT INTO sc_a.items (name) VALUES ('apple'), ('pear') RETURNING id, name, qty;
INSERT INTO sc_b.items VALUES (1, 'one'), (2, 'two');
INSERT INTO sc_items VALUES (1, 'public one');
SELECT id, name, qty FROM sc_a.items ORDER BY id;
SELECT id, label FROM sc_b.items ORDER BY id;
SELECT items.id, sc_a.items.name FROM sc_a.items ORDER BY 1;
SELECT a.name, b.label FROM sc_a.items a JOIN sc_b.items b ON a.id = b.id ORDER BY 1;
UPDATE sc_a.items SET qty = qty + 1 WHERE name = 'pear' RETURNING name, qty;
DELETE FROM sc_b.items WHERE id = 2;
SELECT count(*) FROM sc_b.items;
INSERT INTO sc_a.items (name) VALUES ('apple'); -- differential: error=23505
INSERT INTO sc_a.items (id, name) VALUES (10, 'kiwi') ON CONFLICT (name) DO UPDATE SET qty = 9;
INSERT INTO sc_a.items (id, name) VALUES (11, 'kiwi') ON CONFLICT (name) DO UPDATE SET qty = excluded.id RETURNING name, qty;
SELECT * FROM sc_nowhere.items; -- differential: error=42P01
SELECT * FROM sc_c.items; -- differential: error=42P01
SELECT * FROM items; -- differential: error=42P01

-- Indexes live in their table's schema; sequences; views.
CREATE INDEX sc_items_qty ON sc_a.items (qty);
CREATE INDEX sc_items_qty ON sc_b.items (id);
CREATE INDEX sc_items_qty ON sc_a.items (name); -- differential: error=42P07
SELECT schemaname, tablename, indexname, indexdef FROM pg_indexes WHERE schemaname LIKE 'sc\_%' ORDER BY 1, 2, 3;
SELECT schemaname, tablename FROM pg_tables WHERE schemaname LIKE 'sc\_%' ORDER BY 1, 2;
SELECT table_schema, table_name, column_name, column_default::text FROM information_schema.columns WHERE table_schema LIKE 'sc\_%' ORDER BY 1, 2, column_name;
SELECT c.relname, n.nspname, c.relkind FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace WHERE n.nspname LIKE 'sc\_%' ORDER BY 2, 1;
CREATE SEQUENCE sc_a.counter START 5;
SELECT nextval('sc_a.counter'), nextval('sc_a.counter');
SELECT nextval('counter'); -- differential: error=42P01
SELECT currval('sc_a.items_id_seq');
SELECT pg_get_serial_sequence('sc_a.items', 'id');
SELECT 'sc_a.items'::regclass, 'sc_a.items_pkey'::regclass, 'sc_items'::regclass;
SELECT 'sc_a.items'::regclass::oid = (SELECT c.oid FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace WHERE n.nspname = 'sc_a' AND c.relname = 'items');
SELECT 'sc_c.items'::regclass; -- differential: error=42P01
CREATE VIEW sc_b.big AS SELECT name, qty FROM sc_a.items WHERE qty > 1;
SELECT * FROM sc_b.big ORDER BY name;
SELECT schemaname, viewname FROM pg_views WHERE schemaname LIKE 'sc\_%';
SELECT sequence_schema, sequence_name FROM information_schema.sequences WHERE sequence_schema LIKE 'sc\_%' ORDER BY 2;

-- Foreign keys across schemas.
CREATE TABLE sc_c.orders (id int PRIMARY KEY, item int REFERENCES sc_a.items (id) ON DELETE CASCADE);
INSERT INTO sc_c.orders VALUES (1, 1), (2, 2);
INSERT INTO sc_c.orders VALUES (3, 99); -- differential: error=23503
DELETE FROM sc_a.items WHERE id = 2;
SELECT id, item FROM sc_c.orders ORDER BY id;
SELECT conname, pg_get_constraintdef(oid) FROM pg_constraint WHERE conrelid = 'sc_c.orders'::regclass ORDER BY 1;

-- A schema renamed with its relations.
CREATE SCHEMA sc_old;
CREATE TABLE sc_old.t (id serial PRIMARY KEY, v text UNIQUE);
CREATE TABLE sc_old.child (id int PRIMARY KEY, t_id int REFERENCES sc_old.t);
CREATE TABLE sc_refs_old (id int REFERENCES sc_old.t);
CREATE INDEX sc_old_lower ON sc_old.t (lower(v));
CREATE SEQUENCE sc_old.numbers;
CREATE VIEW sc_old.tv AS SELECT id, v FROM sc_old.t WHERE id > 0;
INSERT INTO sc_old.t (v) VALUES ('A'), ('b');
SELECT nextval('sc_old.numbers');
ALTER SCHEMA sc_old RENAME TO sc_new;
SELECT id, v FROM sc_new.t ORDER BY id;
SELECT * FROM sc_old.t; -- differential: error=42P01
INSERT INTO sc_new.t (v) VALUES ('c') RETURNING id;
INSERT INTO sc_new.child VALUES (1, 99); -- differential: error=23503
INSERT INTO sc_new.t (v) VALUES ('b'); -- differential: error=23505
SELECT nextval('sc_new.numbers');
SELECT id, v FROM sc_new.tv ORDER BY id;
SELECT pg_get_viewdef('sc_new.tv'::regclass);
SELECT indexname, indexdef FROM pg_indexes WHERE schemaname = 'sc_new' ORDER BY 1;
SELECT column_default::text FROM information_schema.columns WHERE table_schema = 'sc_new' AND table_name = 't' AND column_name = 'id';
SELECT conname, pg_get_constraintdef(oid) FROM pg_constraint WHERE contype = 'f' AND conname IN ('child_t_id_fkey', 'sc_refs_old_id_fkey') ORDER BY 1;
DROP SCHEMA sc_new CASCADE;
DROP TABLE sc_refs_old;

-- ALTER ... SET SCHEMA: a table takes its indexes, constraints and owned sequences along.
CREATE TABLE sc_mover (id serial PRIMARY KEY, v text UNIQUE);
CREATE TABLE sc_mover_child (m int REFERENCES sc_mover);
INSERT INTO sc_mover (v) VALUES ('a');
ALTER TABLE sc_mover SET SCHEMA sc_c;
SELECT * FROM sc_mover; -- differential: error=42P01
INSERT INTO sc_c.sc_mover (v) VALUES ('b') RETURNING id;
INSERT INTO sc_mover_child VALUES (99); -- differential: error=23503
SELECT schemaname, indexname FROM pg_indexes WHERE tablename = 'sc_mover' ORDER BY 2;
SELECT sequence_schema, sequence_name FROM information_schema.sequences WHERE sequence_name = 'sc_mover_id_seq';
ALTER SEQUENCE sc_c.sc_mover_id_seq SET SCHEMA public; -- differential: error=0A000
ALTER TABLE sc_c.sc_mover SET SCHEMA sc_nowhere; -- differential: error=3F000
ALTER TABLE IF EXISTS sc_no_table SET SCHEMA sc_c;
ALTER TABLE sc_c.sc_mover SET SCHEMA public;
SELECT id, v FROM sc_mover ORDER BY id;
DROP TABLE sc_mover_child, sc_mover;

-- ALTER, TRUNCATE, COPY on qualified tables.
ALTER TABLE sc_b.items ADD COLUMN extra int DEFAULT 7;
SELECT id, label, extra FROM sc_b.items ORDER BY id;
ALTER TABLE sc_b.items RENAME COLUMN label TO title;
ALTER TABLE sc_b.items RENAME TO things;
SELECT id, title FROM sc_b.things;
SELECT * FROM sc_b.items; -- differential: error=42P01
ALTER INDEX sc_b.sc_items_qty RENAME TO sc_things_id;
SELECT indexname FROM pg_indexes WHERE schemaname = 'sc_b' ORDER BY 1;
ALTER SEQUENCE sc_a.counter RESTART WITH 100;
SELECT nextval('sc_a.counter');
COPY sc_b.things TO STDOUT;
TRUNCATE sc_b.things;
SELECT count(*) FROM sc_b.things;

-- search_path.
SHOW search_path;
SELECT current_schema(), current_schemas(false), current_schemas(true);
SET search_path TO sc_a, public;
SHOW search_path;
SELECT current_schema(), current_schemas(false), current_schemas(true);
SELECT id, name FROM items ORDER BY id;
SELECT id, note FROM sc_items;
SELECT nextval('counter');
SELECT 'items'::regclass, 'sc_b.things'::regclass, 'sc_items'::regclass;
SELECT relname FROM pg_class WHERE relname IN ('items', 'things') AND pg_table_is_visible(oid) ORDER BY 1;
CREATE TABLE made_here (x int);
SELECT schemaname FROM pg_tables WHERE tablename = 'made_here';
INSERT INTO made_here VALUES (1);
SELECT x FROM sc_a.made_here;
PREPARE sc_count AS SELECT count(*) FROM items;
EXECUTE sc_count;
CREATE TABLE sc_b.copy_of AS SELECT id, name FROM items WHERE id < 3;
SELECT id, name FROM sc_b.copy_of ORDER BY id;
CREATE TABLE sc_c.shaped (LIKE sc_a.items INCLUDING ALL);
SELECT indexname FROM pg_indexes WHERE schemaname = 'sc_c' ORDER BY 1;
CREATE TEMP TABLE items (t int);
INSERT INTO items VALUES (42);
SELECT t FROM items;
SELECT count(*) FROM sc_a.items;
DROP TABLE items;
SELECT count(*) FROM items;
SET search_path TO sc_b, sc_a;
EXECUTE sc_count;
DEALLOCATE sc_count;
SELECT current_schemas(false);
SELECT title FROM things ORDER BY 1;
SELECT count(*) FROM items;
SELECT * FROM sc_items; -- differential: error=42P01
SELECT * FROM public.sc_items;
SET search_path TO sc_nowhere, sc_c;
SELECT current_schema(), current_schemas(false);
SELECT id FROM orders ORDER BY id;
SET search_path TO sc_nowhere;
SELECT current_schema();
CREATE TABLE lost (x int); -- differential: error=3F000
SET search_path TO "$user", public;
SHOW search_path;
SELECT current_schemas(false);
RESET search_path;
SELECT id FROM sc_items;

-- DROP.
DROP TABLE sc_a.made_here;
DROP TABLE IF EXISTS sc_a.made_here;
DROP TABLE IF EXISTS sc_nowhere.made_here;
DROP TABLE sc_nowhere.made_here; -- differential: error=3F000
DROP SCHEMA sc_nowhere; -- differential: error=3F000
DROP SCHEMA IF EXISTS sc_nowhere;
DROP SCHEMA sc_c; -- differential: error=2BP01
DROP SCHEMA sc_c RESTRICT; -- differential: error=2BP01
CREATE SCHEMA sc_empty;
ALTER SCHEMA sc_empty RENAME TO sc_renamed;
ALTER SCHEMA sc_empty RENAME TO sc_again; -- differential: error=3F000
ALTER SCHEMA sc_renamed RENAME TO sc_a; -- differential: error=42P06
ALTER SCHEMA sc_renamed OWNER TO CURRENT_USER;
SELECT nspname FROM pg_namespace WHERE nspname LIKE 'sc\_%' ORDER BY 1;
DROP SCHEMA sc_renamed;
DROP SCHEMA sc_a CASCADE;
SELECT id FROM sc_c.orders ORDER BY id;
SELECT conname FROM pg_constraint WHERE conrelid = 'sc_c.orders'::regclass;
DROP SCHEMA sc_b, sc_c CASCADE;
SELECT nspname FROM pg_namespace WHERE nspname LIKE 'sc\_%' ORDER BY 1;
SELECT count(*) FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace WHERE n.nspname LIKE 'sc\_%';
DROP TABLE sc_items;
