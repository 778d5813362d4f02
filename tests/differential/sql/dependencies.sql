-- Object dependencies: DROP ... RESTRICT / CASCADE over views, foreign keys and nextval
-- defaults, ALTER TABLE DROP COLUMN / ALTER COLUMN TYPE under a view, renames under a view.
-- (The harness compares SQLSTATEs; tests/integration/test_dependencies.py compares messages,
-- DETAIL lines and NOTICEs.)

CREATE TABLE dep_t (id serial PRIMARY KEY, a int, b text);
INSERT INTO dep_t (a, b) VALUES (1, 'one'), (2, 'two'), (3, 'three');
CREATE VIEW dep_v AS SELECT id, a FROM dep_t;
CREATE VIEW dep_w AS SELECT * FROM dep_v WHERE a > 1;
CREATE VIEW dep_x AS SELECT b FROM dep_t;
DROP TABLE dep_t; -- differential: error=2BP01
DROP TABLE dep_t RESTRICT; -- differential: error=2BP01
DROP VIEW dep_v; -- differential: error=2BP01
SELECT * FROM dep_w ORDER BY id;
DROP VIEW dep_w;
SELECT * FROM dep_v ORDER BY id;
DROP TABLE dep_t CASCADE;
SELECT relname FROM pg_class WHERE relname LIKE 'dep\_%' ORDER BY 1;
SELECT * FROM dep_v; -- differential: error=42P01

-- Several objects in one statement; a view reading both.
CREATE TABLE dep_a (id int PRIMARY KEY);
CREATE TABLE dep_b (id int, aid int REFERENCES dep_a);
CREATE VIEW dep_ab AS SELECT dep_a.id FROM dep_a JOIN dep_b ON dep_a.id = dep_b.id;
DROP TABLE dep_a; -- differential: error=2BP01
DROP TABLE dep_a, dep_b; -- differential: error=2BP01
DROP TABLE dep_a, dep_b CASCADE;
SELECT count(*) FROM pg_class WHERE relname IN ('dep_a', 'dep_b', 'dep_ab');
CREATE TABLE dep_a (id int PRIMARY KEY);
CREATE TABLE dep_b (id int, aid int REFERENCES dep_a);
DROP TABLE dep_a; -- differential: error=2BP01
DROP TABLE dep_b, dep_a;

-- Sequences: nextval defaults, serial, identity, a view of a sequence.
CREATE SEQUENCE dep_s;
CREATE TABLE dep_u (id int DEFAULT nextval('dep_s'), n int);
DROP SEQUENCE dep_s; -- differential: error=2BP01
CREATE VIEW dep_sv AS SELECT last_value FROM dep_s;
DROP SEQUENCE dep_s; -- differential: error=2BP01
DROP SEQUENCE dep_s CASCADE;
INSERT INTO dep_u (n) VALUES (1);
SELECT id, n FROM dep_u;
SELECT column_default FROM information_schema.columns WHERE table_name = 'dep_u' ORDER BY ordinal_position; -- differential: skip-oids
CREATE TABLE dep_ser (id serial, c int);
DROP SEQUENCE dep_ser_id_seq; -- differential: error=2BP01
CREATE VIEW dep_serv AS SELECT * FROM dep_ser_id_seq;
DROP TABLE dep_ser; -- differential: error=2BP01
DROP SEQUENCE dep_ser_id_seq CASCADE;
SELECT column_default FROM information_schema.columns WHERE table_name = 'dep_ser' ORDER BY ordinal_position; -- differential: skip-oids
CREATE TABLE dep_ident (id int GENERATED ALWAYS AS IDENTITY);
DROP SEQUENCE dep_ident_id_seq; -- differential: error=2BP01
DROP SEQUENCE dep_ident_id_seq CASCADE; -- differential: error=2BP01
DROP TABLE dep_ident;

-- Columns under a view.
CREATE TABLE dep_c (id int, c int, d int, e text);
INSERT INTO dep_c VALUES (1, 10, 100, 'x');
CREATE VIEW dep_cv AS SELECT c FROM dep_c;
CREATE VIEW dep_cnt AS SELECT count(*) FROM dep_c;
ALTER TABLE dep_c DROP COLUMN c; -- differential: error=2BP01
ALTER TABLE dep_c ALTER COLUMN c TYPE bigint; -- differential: error=0A000
ALTER TABLE dep_c DROP COLUMN d;
ALTER TABLE dep_c ALTER COLUMN e TYPE varchar(5);
SELECT * FROM dep_cv;
SELECT * FROM dep_cnt;
ALTER TABLE dep_c DROP COLUMN c CASCADE;
SELECT * FROM dep_c;
SELECT * FROM dep_cv; -- differential: error=42P01

-- A column a foreign key of another table references.
CREATE TABLE dep_fp (id int PRIMARY KEY, k int UNIQUE);
CREATE TABLE dep_fc (pid int REFERENCES dep_fp, pk int REFERENCES dep_fp (k));
ALTER TABLE dep_fp DROP COLUMN id; -- differential: error=2BP01
ALTER TABLE dep_fp DROP COLUMN k CASCADE;
INSERT INTO dep_fc VALUES (NULL, 5);
SELECT conname FROM pg_constraint WHERE conrelid = 'dep_fc'::regclass ORDER BY 1;
CREATE TABLE dep_fs (id int PRIMARY KEY, parent int);
ALTER TABLE dep_fs ADD FOREIGN KEY (parent) REFERENCES dep_fs (id);
ALTER TABLE dep_fs DROP COLUMN id; -- differential: error=2BP01
ALTER TABLE dep_fs DROP COLUMN parent;
DROP TABLE dep_fp, dep_fc, dep_fs;

-- A PRIMARY KEY or UNIQUE constraint a foreign key relies on.
CREATE TABLE dep_kp (id int PRIMARY KEY, k int UNIQUE);
CREATE TABLE dep_kc (pid int REFERENCES dep_kp, pk int REFERENCES dep_kp (k));
ALTER TABLE dep_kp DROP CONSTRAINT dep_kp_pkey; -- differential: error=2BP01
ALTER TABLE dep_kp DROP CONSTRAINT dep_kp_k_key CASCADE;
ALTER TABLE dep_kp DROP CONSTRAINT dep_kp_pkey CASCADE;
INSERT INTO dep_kc VALUES (7, 8);
SELECT count(*) FROM pg_constraint WHERE conrelid IN ('dep_kc'::regclass, 'dep_kp'::regclass);
DROP TABLE dep_kp, dep_kc;

-- Renames: the views follow.
CREATE TABLE dep_r (id serial, x int, z text);
CREATE VIEW dep_rv AS SELECT x, id FROM dep_r;
CREATE VIEW dep_rw AS SELECT dep_r.z, dep_rv.x FROM dep_r JOIN dep_rv ON dep_r.id = dep_rv.id;
ALTER TABLE dep_r RENAME COLUMN x TO y;
SELECT pg_get_viewdef('dep_rv'::regclass);
ALTER TABLE dep_r RENAME TO dep_r2;
SELECT pg_get_viewdef('dep_rv'::regclass);
SELECT pg_get_viewdef('dep_rw'::regclass);
INSERT INTO dep_r2 (y, z) VALUES (5, 'five');
SELECT * FROM dep_rv;
SELECT * FROM dep_rw;
ALTER VIEW dep_rv RENAME TO dep_rv2;
SELECT pg_get_viewdef('dep_rw'::regclass);
SELECT * FROM dep_rw;
ALTER SEQUENCE dep_r_id_seq RENAME TO dep_r_seq;
INSERT INTO dep_r2 (y) VALUES (6);
SELECT id, y FROM dep_r2 ORDER BY id;
DROP TABLE dep_r2; -- differential: error=2BP01
DROP TABLE dep_r2 CASCADE;

-- A view's column renamed: the views reading it follow.
CREATE TABLE dep_rdt (id int, a int);
INSERT INTO dep_rdt VALUES (1, 2);
CREATE VIEW dep_rdv AS SELECT a, id FROM dep_rdt;
CREATE VIEW dep_rdw AS SELECT a FROM dep_rdv;
CREATE VIEW dep_rdx AS SELECT * FROM dep_rdv;
ALTER VIEW dep_rdv RENAME COLUMN a TO b;
ALTER VIEW dep_rdv RENAME COLUMN b TO id; -- differential: error=42701
ALTER VIEW dep_rdv RENAME COLUMN zz TO id; -- differential: error=42703
ALTER TABLE dep_rdt RENAME COLUMN zz TO id; -- differential: error=42703
ALTER TABLE dep_rdv RENAME COLUMN b TO c;
SELECT pg_get_viewdef('dep_rdv'::regclass);
SELECT pg_get_viewdef('dep_rdw'::regclass);
SELECT * FROM dep_rdw;
SELECT * FROM dep_rdx;
ALTER VIEW dep_rdt RENAME COLUMN a TO q;
SELECT * FROM dep_rdw;
DROP TABLE dep_rdt CASCADE;

-- A renamed column a view shows under its old name; a view's own column names.
CREATE TABLE dep_st (id int, a int);
INSERT INTO dep_st VALUES (1, 2);
CREATE VIEW dep_vstar AS SELECT * FROM dep_st;
CREATE VIEW dep_vqual AS SELECT dep_st.*, dep_st.a AS a2, a AS a3 FROM dep_st;
ALTER TABLE dep_st RENAME COLUMN a TO aa;
SELECT * FROM dep_vstar;
SELECT * FROM dep_vqual;
SELECT pg_get_viewdef('dep_vqual'::regclass);
ALTER TABLE dep_st RENAME TO dep_st2;
SELECT * FROM dep_vqual;
SELECT pg_get_viewdef('dep_vqual'::regclass);
CREATE VIEW dep_vl (x, b) AS SELECT aa, id AS b FROM dep_st2;
SELECT pg_get_viewdef('dep_vl'::regclass);
CREATE VIEW dep_vl2 (x, y) AS SELECT aa AS q, count(*) FROM dep_st2 GROUP BY aa;
SELECT pg_get_viewdef('dep_vl2'::regclass);
DROP TABLE dep_st2 CASCADE;

-- A WITH query named as the renamed table is not renamed.
CREATE TABLE dep_cte (id int);
INSERT INTO dep_cte VALUES (7);
CREATE VIEW dep_vc AS WITH dep_cte AS (SELECT 1 AS id) SELECT dep_cte.id, c2.id AS other FROM dep_cte, public.dep_cte c2;
ALTER TABLE dep_cte RENAME TO dep_cte2;
SELECT * FROM dep_vc;
DROP TABLE dep_cte2 CASCADE;

-- A view's * stands for the columns its tables had when it was made.
CREATE TABLE dep_ac (a int);
INSERT INTO dep_ac VALUES (1);
CREATE VIEW dep_acv AS SELECT * FROM dep_ac;
CREATE VIEW dep_acw AS SELECT x.*, y.* FROM dep_ac x JOIN (SELECT * FROM dep_ac) y ON x.a = y.a; -- differential: error=42701
CREATE VIEW dep_acw AS SELECT x.*, y.a AS a2 FROM dep_ac x JOIN (SELECT * FROM dep_ac) y ON x.a = y.a;
ALTER TABLE dep_ac ADD COLUMN b int DEFAULT 1;
SELECT * FROM dep_acv;
ALTER TABLE dep_ac ADD COLUMN c int;
SELECT * FROM dep_acv;
SELECT * FROM dep_acw;
ALTER TABLE dep_ac RENAME COLUMN a TO z;
SELECT * FROM dep_acv;
SELECT pg_get_viewdef('dep_acv'::regclass);
ALTER TABLE dep_ac DROP COLUMN b;
ALTER TABLE dep_ac DROP COLUMN z; -- differential: error=2BP01
DROP TABLE dep_ac CASCADE;

-- CREATE OR REPLACE VIEW keeps the columns other views read.
CREATE TABLE dep_rp (a int, b text, c numeric(5,2));
CREATE VIEW dep_rpv AS SELECT a, b FROM dep_rp;
CREATE VIEW dep_rpw AS SELECT b FROM dep_rpv;
CREATE OR REPLACE VIEW dep_rpv AS SELECT a FROM dep_rp; -- differential: error=42P16
CREATE OR REPLACE VIEW dep_rpv AS SELECT a, c AS b FROM dep_rp; -- differential: error=42P16
CREATE OR REPLACE VIEW dep_rpv AS SELECT a, c FROM dep_rp; -- differential: error=42P16
CREATE OR REPLACE VIEW dep_rpv AS SELECT a, b, c FROM dep_rp;
SELECT * FROM dep_rpw;
DROP TABLE dep_rp CASCADE;

-- Relations a view names in constants: nextval('s'), 't'::regclass.
CREATE SEQUENCE dep_ns;
CREATE VIEW dep_nv AS SELECT nextval('dep_ns') AS n;
CREATE TABLE dep_rt (id int);
CREATE VIEW dep_rcv AS SELECT 'dep_rt'::regclass::oid > 0 AS ok;
DROP SEQUENCE dep_ns; -- differential: error=2BP01
DROP TABLE dep_rt; -- differential: error=2BP01
ALTER SEQUENCE dep_ns RENAME TO dep_ns2;
SELECT * FROM dep_nv;
ALTER TABLE dep_rt RENAME TO dep_rt2;
SELECT * FROM dep_rcv;
DROP SEQUENCE dep_ns2 CASCADE;
DROP TABLE dep_rt2 CASCADE;

-- Schemas: views of other schemas go with a schema's tables.
CREATE SCHEMA dep_sx;
CREATE TABLE dep_sx.t (id int PRIMARY KEY);
CREATE TABLE dep_fk (tid int REFERENCES dep_sx.t);
CREATE VIEW dep_pubv AS SELECT id FROM dep_sx.t;
CREATE VIEW dep_sx.v AS SELECT id FROM dep_sx.t;
DROP TABLE dep_sx.t; -- differential: error=2BP01
DROP SCHEMA dep_sx; -- differential: error=2BP01
DROP SCHEMA dep_sx CASCADE;
SELECT count(*) FROM pg_class WHERE relname IN ('dep_pubv', 'v');
INSERT INTO dep_fk VALUES (1);
DROP TABLE dep_fk, dep_u, dep_ser, dep_c CASCADE;

-- pg_depend and pg_rewrite rows of a view's rule, as tools that list dependent views read them.
CREATE TABLE dep_dt (id int, a int, b int);
CREATE VIEW dep_dv AS SELECT a FROM dep_dt;
CREATE VIEW dep_dw AS SELECT count(*) FROM dep_dv;
SELECT d.classid::regclass, d.objsubid, d.refclassid::regclass, d.refobjid::regclass, d.refobjsubid, d.deptype FROM pg_depend d JOIN pg_rewrite r ON r.oid = d.objid WHERE r.ev_class IN ('dep_dv'::regclass, 'dep_dw'::regclass) ORDER BY r.ev_class, 4, 5, 6;
SELECT relname, relhasrules FROM pg_class WHERE relname LIKE 'dep\_d_' ORDER BY 1;
SELECT rulename, ev_class::regclass FROM pg_rewrite WHERE ev_class IN ('dep_dv'::regclass, 'dep_dw'::regclass) ORDER BY 2;
SELECT DISTINCT v.relname, a.attname FROM pg_depend d JOIN pg_rewrite r ON d.objid = r.oid JOIN pg_class v ON r.ev_class = v.oid JOIN pg_class t ON d.refobjid = t.oid LEFT JOIN pg_attribute a ON a.attrelid = t.oid AND a.attnum = d.refobjsubid WHERE t.relname = 'dep_dt' ORDER BY 1;
DROP TABLE dep_dt CASCADE;
