-- More statements and DDL: data-modifying WITH, temporary tables, sequences and identity,
-- custom settings, foreign-key actions and deferrable constraints.

CREATE TABLE dm_orders (id integer PRIMARY KEY, customer text NOT NULL, total numeric(10,2), status text DEFAULT 'new');
CREATE TABLE dm_archive (id integer PRIMARY KEY, customer text, total numeric(10,2), archived_by text);
CREATE TABLE dm_log (n serial PRIMARY KEY, what text, ref integer);
INSERT INTO dm_orders VALUES (1, 'ann', 10.50, 'paid'), (2, 'bob', 20.00, 'new'), (3, 'ann', 5.25, 'paid'),
    (4, 'cid', NULL, 'new'), (5, 'bob', 99.99, 'cancelled');

-- Data-modifying statements in WITH
WITH moved AS (DELETE FROM dm_orders WHERE status = 'cancelled' RETURNING id, customer, total)
INSERT INTO dm_archive (id, customer, total, archived_by) SELECT id, customer, total, 'cleanup' FROM moved;
SELECT id, customer, total, archived_by FROM dm_archive ORDER BY id;
SELECT count(*) FROM dm_orders;
WITH paid AS (UPDATE dm_orders SET status = 'shipped' WHERE status = 'paid' RETURNING id, total)
SELECT count(*) AS n, sum(total) AS amount FROM paid;
SELECT id, status FROM dm_orders ORDER BY id;
WITH ins AS (INSERT INTO dm_orders (id, customer, total) VALUES (6, 'dan', 7.00), (7, 'eve', 8.00) RETURNING id, status)
SELECT id, status FROM ins ORDER BY id;
WITH ins AS (INSERT INTO dm_orders (id, customer) VALUES (8, 'fay') RETURNING *) SELECT * FROM ins;
WITH d AS (DELETE FROM dm_orders WHERE id = 8 RETURNING id) SELECT id * 10 AS tenfold FROM d;
WITH d AS (DELETE FROM dm_orders WHERE id = 999 RETURNING id) SELECT count(*) FROM d;
WITH u AS (UPDATE dm_orders SET total = total * 2 WHERE customer = 'dan' RETURNING id, total)
UPDATE dm_log SET ref = 0 WHERE false;
WITH u AS (UPDATE dm_orders SET total = total + 1 WHERE id = 6 RETURNING id, total)
INSERT INTO dm_log (what, ref) SELECT 'bumped to ' || total, id FROM u RETURNING what, ref;
WITH a AS (INSERT INTO dm_log (what, ref) VALUES ('first', 1) RETURNING n),
     b AS (INSERT INTO dm_log (what, ref) SELECT 'second', n FROM a RETURNING n, ref)
SELECT b.ref = a.n AS chained FROM a, b;
SELECT what, ref FROM dm_log ORDER BY n;
WITH src AS (SELECT id FROM dm_orders WHERE customer = 'ann'),
     upd AS (UPDATE dm_orders SET status = 'vip' WHERE id IN (SELECT id FROM src) RETURNING id)
SELECT count(*) FROM upd;
WITH d AS (DELETE FROM dm_log WHERE what LIKE 'bumped%' RETURNING what) DELETE FROM dm_log WHERE what IN (SELECT 'first' FROM d);
SELECT what FROM dm_log ORDER BY n;
WITH d AS (DELETE FROM dm_log) SELECT 1 AS ran;
SELECT count(*) FROM dm_log;
WITH x (order_id, amount) AS (UPDATE dm_orders SET total = 0 WHERE id = 7 RETURNING id, total)
SELECT order_id, amount FROM x;
WITH x AS (UPDATE dm_orders SET total = 1 WHERE id = 7 RETURNING id, total::text AS t) SELECT pg_typeof(t), t FROM x;
WITH d AS (DELETE FROM dm_orders WHERE id = 4) SELECT * FROM d; -- differential: error=0A000
SELECT * FROM (WITH d AS (DELETE FROM dm_orders WHERE id = 4 RETURNING id) SELECT id FROM d) s; -- differential: error=0A000
WITH d AS (DELETE FROM dm_orders WHERE id = 2 RETURNING id)
INSERT INTO dm_archive (id, customer) SELECT 5, 'dup' FROM d; -- differential: error=23505
SELECT count(*) FROM dm_orders WHERE id = 2;
BEGIN;
WITH d AS (DELETE FROM dm_orders WHERE id = 2 RETURNING id, customer, total)
INSERT INTO dm_archive (id, customer, total) SELECT id, customer, total FROM d;
SELECT id, customer FROM dm_archive ORDER BY id;
ROLLBACK;
SELECT count(*) FROM dm_archive;
SELECT count(*) FROM dm_orders WHERE id = 2;
WITH d AS (DELETE FROM dm_orders WHERE id = 3 RETURNING id, customer)
INSERT INTO dm_archive (id, customer) SELECT id, customer FROM d ON CONFLICT (id) DO NOTHING;
WITH moved AS (DELETE FROM dm_archive WHERE archived_by IS NULL RETURNING id, customer, total)
INSERT INTO dm_orders (id, customer, total) SELECT id, customer, total FROM moved RETURNING id, customer;
SELECT id, customer, status FROM dm_orders ORDER BY id;
-- PostgreSQL reads dm_orders as it was before the statement; pgha refuses (0A000).
WITH u AS (UPDATE dm_orders SET total = 0 WHERE false RETURNING id) SELECT (SELECT count(*) FROM dm_orders) AS n, (SELECT count(*) FROM u) AS changed;
WITH u AS (UPDATE dm_orders SET total = total WHERE id = 6 RETURNING id) UPDATE dm_orders SET status = 'touched' WHERE id IN (SELECT id FROM u);
SELECT id, status FROM dm_orders WHERE id = 6;

-- Temporary tables
CREATE TEMP TABLE dm_tmp (id integer PRIMARY KEY, label text DEFAULT 'tmp');
INSERT INTO dm_tmp (id) VALUES (1), (2);
SELECT id, label FROM dm_tmp ORDER BY id;
INSERT INTO dm_tmp VALUES (1, 'dup'); -- differential: error=23505
UPDATE dm_tmp SET label = 'changed' WHERE id = 2;
DELETE FROM dm_tmp WHERE id = 1 RETURNING id, label;
SELECT count(*) FROM dm_tmp;
SELECT relname, relpersistence, relkind FROM pg_class WHERE relname IN ('dm_tmp', 'dm_orders') ORDER BY relname;
SELECT table_name::text, table_type::text FROM information_schema.tables WHERE table_name = 'dm_tmp';
CREATE TEMP TABLE dm_tmp (x integer); -- differential: error=42P07
CREATE TEMP TABLE IF NOT EXISTS dm_tmp (x integer);
CREATE TEMP TABLE dm_orders (id integer, note text);
INSERT INTO dm_orders VALUES (100, 'the temporary one');
SELECT id, note FROM dm_orders;
SELECT count(*) FROM public.dm_orders;
INSERT INTO pg_temp.dm_orders VALUES (101, 'qualified');
SELECT id, note FROM pg_temp.dm_orders ORDER BY id;
UPDATE public.dm_orders SET status = status WHERE id = 6;
SELECT o.id FROM public.dm_orders AS o WHERE o.id = 6;
SELECT * FROM pg_temp.dm_no_such; -- differential: error=42P01
CREATE TABLE pg_temp.dm_qualified (x integer);
INSERT INTO dm_qualified VALUES (1);
DROP TABLE pg_temp.dm_qualified;
DROP TABLE dm_orders;
SELECT count(*) > 0 AS permanent_again FROM dm_orders;
BEGIN;
CREATE TEMP TABLE dm_txn (x integer);
INSERT INTO dm_txn VALUES (1);
ROLLBACK;
SELECT * FROM dm_txn; -- differential: error=42P01
BEGIN;
CREATE TEMP TABLE dm_gone (x integer) ON COMMIT DROP;
INSERT INTO dm_gone VALUES (1), (2);
SELECT sum(x) FROM dm_gone;
COMMIT;
SELECT * FROM dm_gone; -- differential: error=42P01
CREATE TEMP TABLE dm_rows (x integer) ON COMMIT DELETE ROWS;
BEGIN;
INSERT INTO dm_rows VALUES (1), (2), (3);
SELECT count(*) FROM dm_rows;
COMMIT;
SELECT count(*) FROM dm_rows;
CREATE TEMP TABLE dm_keep (x integer) ON COMMIT PRESERVE ROWS;
INSERT INTO dm_keep VALUES (5);
SELECT x FROM dm_keep;
CREATE TABLE dm_perm_oc (x integer) ON COMMIT DROP; -- differential: error=42P16
CREATE INDEX dm_tmp_label ON dm_tmp (label);
ALTER TABLE dm_tmp ADD COLUMN extra integer;
INSERT INTO dm_tmp (id, extra) VALUES (3, 33) RETURNING id, label, extra;
SELECT id, label, extra FROM dm_tmp ORDER BY id;
CREATE TEMP TABLE dm_tmp_child (id integer REFERENCES dm_tmp (id) ON DELETE CASCADE);
INSERT INTO dm_tmp_child VALUES (3);
INSERT INTO dm_tmp_child VALUES (42); -- differential: error=23503
DELETE FROM dm_tmp WHERE id = 3;
SELECT count(*) FROM dm_tmp_child;
CREATE TEMP TABLE dm_tmp_ref (id integer REFERENCES dm_archive (id)); -- differential: error=42P16
WITH d AS (DELETE FROM dm_tmp RETURNING id, label) INSERT INTO dm_keep SELECT id FROM d;
SELECT x FROM dm_keep ORDER BY x;
TRUNCATE dm_keep;
SELECT count(*) FROM dm_keep;
DROP TABLE dm_tmp_child, dm_tmp;
DROP TABLE dm_tmp; -- differential: error=42P01
DROP TABLE IF EXISTS dm_tmp;
DISCARD TEMP;
SELECT * FROM dm_rows; -- differential: error=42P01

-- CREATE TABLE AS and SELECT INTO
CREATE TABLE dm_copy AS SELECT id, customer, total FROM dm_orders WHERE id < 5;
SELECT id, customer, total FROM dm_copy ORDER BY id;
SELECT column_name::text, data_type::text, numeric_precision, numeric_scale FROM information_schema.columns WHERE table_name = 'dm_copy' ORDER BY ordinal_position;
CREATE TABLE dm_copy AS SELECT 1; -- differential: error=42P07
CREATE TABLE IF NOT EXISTS dm_copy AS SELECT 1;
CREATE TABLE dm_copy2 (order_id, who) AS SELECT id, customer FROM dm_orders WITH NO DATA;
SELECT count(*) FROM dm_copy2;
SELECT order_id, who FROM dm_copy2;
CREATE TABLE dm_copy3 (a, b, c) AS SELECT 1, 2; -- differential: error=42601
SELECT customer, count(*) AS n, 'label' AS tag INTO dm_summary FROM dm_orders GROUP BY customer;
SELECT customer, n, tag, pg_typeof(n), pg_typeof(tag) FROM dm_summary ORDER BY customer;
SELECT 7 AS seven INTO TEMP dm_tmp_into;
SELECT seven FROM dm_tmp_into;
CREATE TEMP TABLE dm_tmp_as AS SELECT seven * 2 AS fourteen FROM dm_tmp_into;
SELECT fourteen FROM dm_tmp_as;
CREATE TABLE dm_from_temp AS SELECT fourteen FROM dm_tmp_as;
SELECT fourteen FROM dm_from_temp;
CREATE TABLE dm_series AS SELECT g, g * g AS sq FROM generate_series(1, 4) AS g;
SELECT sum(sq) FROM dm_series;
CREATE TABLE dm_with AS WITH w AS (SELECT 3 AS v) SELECT v FROM w;
SELECT v FROM dm_with;
DROP TABLE dm_copy, dm_copy2, dm_summary, dm_from_temp, dm_series, dm_with;
DROP TABLE dm_tmp_into, dm_tmp_as;

-- Sequences and identity columns
CREATE SEQUENCE dm_seq START 10;
BEGIN;
SELECT nextval('dm_seq');
ROLLBACK;
SELECT nextval('dm_seq');
BEGIN;
SELECT setval('dm_seq', 50);
ROLLBACK;
SELECT nextval('dm_seq');
SELECT setval('dm_seq', 7, false), nextval('dm_seq'), currval('dm_seq');
CREATE TABLE dm_ident (id integer GENERATED BY DEFAULT AS IDENTITY, v text);
INSERT INTO dm_ident (v) VALUES ('a'), ('b') RETURNING id;
ALTER TABLE dm_ident ALTER COLUMN id RESTART WITH 100;
INSERT INTO dm_ident (v) VALUES ('c') RETURNING id;
ALTER TABLE dm_ident ALTER COLUMN id SET INCREMENT BY 10;
INSERT INTO dm_ident (v) VALUES ('d') RETURNING id;
ALTER TABLE dm_ident ALTER COLUMN id SET GENERATED ALWAYS;
INSERT INTO dm_ident (id, v) VALUES (1, 'e'); -- differential: error=428C9
INSERT INTO dm_ident (v) VALUES ('e') RETURNING id;
ALTER TABLE dm_ident ALTER COLUMN id RESTART;
INSERT INTO dm_ident (v) VALUES ('f') RETURNING id;
ALTER TABLE dm_ident ALTER COLUMN v RESTART WITH 1; -- differential: error=55000
ALTER TABLE dm_ident ALTER COLUMN id DROP IDENTITY;
ALTER TABLE dm_ident ALTER COLUMN id DROP IDENTITY; -- differential: error=55000
ALTER TABLE dm_ident ALTER COLUMN id DROP IDENTITY IF EXISTS;
INSERT INTO dm_ident (v) VALUES ('g'); -- differential: error=23502
ALTER TABLE dm_ident ALTER COLUMN id ADD GENERATED BY DEFAULT AS IDENTITY (START WITH 500);
INSERT INTO dm_ident (v) VALUES ('h') RETURNING id;
ALTER TABLE dm_ident ALTER COLUMN id ADD GENERATED ALWAYS AS IDENTITY; -- differential: error=55000
SELECT id, v FROM dm_ident ORDER BY id, v;
CREATE TABLE dm_plain (n integer);
ALTER TABLE dm_plain ALTER COLUMN n ADD GENERATED ALWAYS AS IDENTITY; -- differential: error=55000
DROP TABLE dm_plain;

-- Custom settings
SET dm.flag = 'on';
SHOW dm.flag;
RESET dm.flag;
SHOW dm.flag;
BEGIN;
SET dm.inside = 'x';
SHOW dm.inside;
ROLLBACK;
SHOW dm.inside;
SELECT current_setting('dm.inside');
SET dm.other = 'y';
RESET ALL;
SELECT current_setting('dm.other');
SELECT current_setting('dm.never_set', true) IS NULL AS missing;
BEGIN;
SET LOCAL dm.local = 'z';
SHOW dm.local;
COMMIT;
SHOW dm.local;

-- Foreign-key actions
CREATE TABLE dm_parent (id integer PRIMARY KEY, name text);
INSERT INTO dm_parent VALUES (0, 'fallback'), (1, 'one'), (2, 'two'), (3, 'three');
CREATE TABLE dm_child (
    id integer PRIMARY KEY,
    p_default integer DEFAULT 0 REFERENCES dm_parent (id) ON DELETE SET DEFAULT ON UPDATE SET DEFAULT,
    p_null integer REFERENCES dm_parent (id) ON DELETE SET NULL,
    p_cascade integer REFERENCES dm_parent (id) ON UPDATE CASCADE ON DELETE CASCADE
);
INSERT INTO dm_child VALUES (10, 1, 1, 2), (11, 2, 2, 3), (12, 3, NULL, NULL);
DELETE FROM dm_parent WHERE id = 1;
SELECT id, p_default, p_null, p_cascade FROM dm_child ORDER BY id;
UPDATE dm_parent SET id = 30 WHERE id = 3;
SELECT id, p_default, p_null, p_cascade FROM dm_child ORDER BY id;
DELETE FROM dm_parent WHERE id = 30;
SELECT id, p_default, p_null, p_cascade FROM dm_child ORDER BY id;
DELETE FROM dm_parent WHERE id = 0; -- differential: error=23503
CREATE TABLE dm_orphan (ref integer);
INSERT INTO dm_orphan VALUES (2), (77);
ALTER TABLE dm_orphan ADD FOREIGN KEY (ref) REFERENCES dm_parent (id); -- differential: error=23503
DELETE FROM dm_orphan WHERE ref = 77;
ALTER TABLE dm_orphan ADD FOREIGN KEY (ref) REFERENCES dm_parent (id);
INSERT INTO dm_orphan VALUES (78); -- differential: error=23503

-- Deferrable constraints
CREATE TABLE dm_rank (pos integer UNIQUE DEFERRABLE, name text);
INSERT INTO dm_rank VALUES (1, 'a'), (2, 'b'), (3, 'c');
UPDATE dm_rank SET pos = pos + 1;
SELECT pos, name FROM dm_rank ORDER BY pos;
UPDATE dm_rank SET pos = 2 WHERE name = 'c'; -- differential: error=23505
INSERT INTO dm_rank VALUES (9, 'z') ON CONFLICT (pos) DO NOTHING; -- differential: error=55000
INSERT INTO dm_rank VALUES (9, 'z') ON CONFLICT DO NOTHING; -- differential: error=55000
BEGIN;
SET CONSTRAINTS ALL DEFERRED;
UPDATE dm_rank SET pos = 3 WHERE name = 'a';
UPDATE dm_rank SET pos = 2 WHERE name = 'b';
COMMIT;
SELECT pos, name FROM dm_rank ORDER BY pos;
BEGIN;
SET CONSTRAINTS dm_rank_pos_key DEFERRED;
UPDATE dm_rank SET pos = 4 WHERE name = 'a';
COMMIT; -- differential: error=23505
SELECT pos, name FROM dm_rank ORDER BY pos;
BEGIN;
SET CONSTRAINTS ALL DEFERRED;
UPDATE dm_rank SET pos = 4 WHERE name = 'a';
SET CONSTRAINTS ALL IMMEDIATE; -- differential: error=23505
ROLLBACK;
SET CONSTRAINTS ALL DEFERRED;
CREATE TABLE dm_later (k integer PRIMARY KEY DEFERRABLE INITIALLY DEFERRED);
BEGIN;
INSERT INTO dm_later VALUES (1), (1);
DELETE FROM dm_later;
INSERT INTO dm_later VALUES (1), (1);
DELETE FROM dm_later WHERE k = 1;
INSERT INTO dm_later VALUES (5);
COMMIT;
SELECT k FROM dm_later;
CREATE TABLE dm_bad_ref (k integer REFERENCES dm_later (k)); -- differential: error=55000
CREATE TABLE dm_bad_check (n integer, CHECK (n > 0) DEFERRABLE); -- differential: error=0A000
CREATE TABLE dm_misplaced (n integer CHECK (n > 0) DEFERRABLE); -- differential: error=42601
CREATE TABLE dm_fk_parent (id integer PRIMARY KEY);
CREATE TABLE dm_fk_child (pid integer REFERENCES dm_fk_parent DEFERRABLE INITIALLY DEFERRED);
BEGIN;
INSERT INTO dm_fk_child VALUES (1);
INSERT INTO dm_fk_parent VALUES (1);
COMMIT;
BEGIN;
INSERT INTO dm_fk_child VALUES (2);
COMMIT; -- differential: error=23503
SELECT pid FROM dm_fk_child;
SELECT conname, condeferrable, condeferred FROM pg_constraint WHERE conname IN ('dm_rank_pos_key', 'dm_later_pkey', 'dm_fk_child_pid_fkey', 'dm_parent_pkey') ORDER BY conname;
BEGIN;
SET CONSTRAINTS dm_parent_pkey DEFERRED; -- differential: error=42809
ROLLBACK;
BEGIN;
SET CONSTRAINTS dm_no_such DEFERRED; -- differential: error=42704
ROLLBACK;

-- More DDL and statement forms
CREATE TABLE dm_people (id integer PRIMARY KEY, email text, deleted_at date, qty integer DEFAULT 1);
INSERT INTO dm_people DEFAULT VALUES; -- differential: error=23502
CREATE TABLE dm_defaults (id serial, label text DEFAULT 'none', n integer);
INSERT INTO dm_defaults DEFAULT VALUES RETURNING id, label, n;
INSERT INTO dm_defaults DEFAULT VALUES RETURNING id;
CREATE UNIQUE INDEX dm_people_email_lower ON dm_people (lower(email));
INSERT INTO dm_people (id, email) VALUES (1, 'Ann@example.com');
INSERT INTO dm_people (id, email) VALUES (2, 'ann@EXAMPLE.com'); -- differential: error=23505
CREATE UNIQUE INDEX dm_people_qty_live ON dm_people (qty) WHERE deleted_at IS NULL;
INSERT INTO dm_people (id, email, deleted_at) VALUES (3, 'old@example.com', '2020-01-01');
INSERT INTO dm_people (id, email) VALUES (4, 'new@example.com'); -- differential: error=23505
INSERT INTO dm_people (id, email, qty) VALUES (5, 'five@example.com', 5) ON CONFLICT (qty) WHERE deleted_at IS NULL DO NOTHING;
INSERT INTO dm_people (id, email, qty) VALUES (6, 'six@example.com', 5) ON CONFLICT (qty) WHERE deleted_at IS NULL DO NOTHING;
CREATE INDEX ON dm_people (upper(email));
CREATE INDEX ON dm_people ((qty * 2));
SELECT indexname, indexdef FROM pg_indexes WHERE tablename = 'dm_people' ORDER BY indexname;
ALTER INDEX dm_people_upper_idx RENAME TO dm_people_up;
ALTER INDEX IF EXISTS dm_no_index RENAME TO dm_other;
DROP INDEX dm_people_up;
ALTER TABLE dm_people RENAME COLUMN email TO mail;
SELECT indexname FROM pg_indexes WHERE tablename = 'dm_people' ORDER BY indexname;
ALTER TABLE dm_people ADD CONSTRAINT dm_people_qty_pos CHECK (qty > 0);
ALTER TABLE dm_people RENAME CONSTRAINT dm_people_qty_pos TO dm_people_qty_positive;
UPDATE dm_people SET qty = 0 WHERE id = 1; -- differential: error=23514
ALTER TABLE dm_people VALIDATE CONSTRAINT dm_people_qty_positive;
ALTER TABLE dm_people ALTER COLUMN qty SET STATISTICS 200;
ALTER TABLE dm_people OWNER TO CURRENT_USER;
UPDATE dm_people SET (mail, qty) = ('multi@example.com', 7) WHERE id = 1 RETURNING id, mail, qty;
UPDATE dm_people SET (mail, qty) = (SELECT 'sub@example.com', 8) WHERE id = 1 RETURNING mail, qty;
UPDATE dm_people SET (mail, qty) = (1, 2, 3) WHERE id = 1; -- differential: error=42601
UPDATE dm_people AS p SET (qty) = (SELECT count(*) FROM dm_people q WHERE q.id <= p.id) RETURNING id, qty;
CREATE VIEW dm_people_v AS SELECT id, mail FROM dm_people;
ALTER VIEW dm_people_v RENAME TO dm_people_view;
SELECT id, mail FROM dm_people_view ORDER BY id;
DROP VIEW dm_people_view;
LOCK TABLE dm_people; -- differential: error=25P01
BEGIN;
LOCK TABLE dm_people IN SHARE ROW EXCLUSIVE MODE;
LOCK TABLE dm_people, dm_defaults IN ACCESS SHARE MODE;
UPDATE dm_people SET qty = qty + 1 WHERE id = 1;
COMMIT;
BEGIN;
LOCK TABLE dm_missing; -- differential: error=42P01
ROLLBACK;
CREATE TABLE dm_like_plain (LIKE dm_people);
INSERT INTO dm_like_plain (id) VALUES (1) RETURNING id, mail, qty;
CREATE TABLE dm_like_all (LIKE dm_people INCLUDING ALL, note text);
INSERT INTO dm_like_all (id, mail) VALUES (1, 'x@y') RETURNING id, mail, qty, note;
INSERT INTO dm_like_all (id, mail) VALUES (2, 'X@Y'); -- differential: error=23505
INSERT INTO dm_like_all (id, mail, qty) VALUES (3, 'z@y', 0); -- differential: error=23514
SELECT indexname, indexdef FROM pg_indexes WHERE tablename = 'dm_like_all' ORDER BY indexname;
SELECT conname, contype FROM pg_constraint WHERE conrelid = 'dm_like_all'::regclass ORDER BY conname;
CREATE TABLE dm_like_defaults (LIKE dm_defaults INCLUDING DEFAULTS);
INSERT INTO dm_like_defaults (n) VALUES (1) RETURNING id, label, n;
CREATE TABLE dm_like_missing (LIKE dm_nope); -- differential: error=42P01
DROP TABLE dm_like_plain, dm_like_all, dm_like_defaults;
DROP TABLE dm_people, dm_defaults;

DROP TABLE dm_fk_child;
DROP TABLE dm_fk_parent;
DROP TABLE dm_later;
DROP TABLE dm_rank;
DROP TABLE dm_orphan;
DROP TABLE dm_child;
DROP TABLE dm_parent;
DROP TABLE dm_ident;
DROP SEQUENCE dm_seq;
DROP TABLE dm_log;
DROP TABLE dm_archive;
DROP TABLE dm_orders;
