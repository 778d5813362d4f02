-- Privileges: GRANT/REVOKE on tables, views, sequences and schema public, enforcement under
-- SET ROLE (42501), ownership, relacl, has_*_privilege, role membership.
-- Roles are shared by a PostgreSQL cluster (the corpus check runs this file on two databases
-- of one cluster, statement by statement): creating and dropping them is not compared.

CREATE ROLE pv_alice; -- differential: ignore
CREATE ROLE pv_bob; -- differential: ignore
CREATE ROLE pv_grp; -- differential: ignore
CREATE TABLE pv_t (id serial PRIMARY KEY, a text);
INSERT INTO pv_t (a) VALUES ('one'), ('two');
CREATE TABLE pv_u (id int, b text);
CREATE SEQUENCE pv_s;
CREATE VIEW pv_v AS SELECT id, a FROM pv_t;
SELECT relname, relacl FROM pg_class WHERE relname LIKE 'pv\_%' ORDER BY relname; -- differential: skip-oids

-- nothing granted: every access is refused
SET ROLE pv_alice;
SELECT current_user, session_user;
SHOW role;
SELECT * FROM pv_t; -- differential: error=42501
SELECT count(*) FROM pv_u; -- differential: error=42501
SELECT 1 WHERE EXISTS (SELECT 1 FROM pv_t); -- differential: error=42501
SELECT * FROM pv_v; -- differential: error=42501
INSERT INTO pv_u VALUES (1, 'x'); -- differential: error=42501
UPDATE pv_u SET b = 'y'; -- differential: error=42501
DELETE FROM pv_u; -- differential: error=42501
TRUNCATE pv_u; -- differential: error=42501
SELECT nextval('pv_s'); -- differential: error=42501
SELECT currval('pv_s'); -- differential: error=42501
SELECT setval('pv_s', 10); -- differential: error=42501
SELECT last_value FROM pv_s; -- differential: error=42501
DROP TABLE pv_t; -- differential: error=42501
ALTER TABLE pv_t ADD COLUMN c int; -- differential: error=42501
CREATE INDEX pv_t_a ON pv_t (a); -- differential: error=42501
DROP VIEW pv_v; -- differential: error=42501
ALTER SEQUENCE pv_s RESTART; -- differential: error=42501
CREATE TABLE pv_mine (x int); -- differential: error=42501
GRANT SELECT ON pv_t TO pv_bob; -- differential: error=42501
SELECT has_table_privilege('pv_t', 'SELECT'), has_table_privilege('pv_t', 'INSERT, UPDATE'), has_sequence_privilege('pv_s', 'USAGE'), has_schema_privilege('public', 'CREATE'), has_schema_privilege('public', 'USAGE');
RESET ROLE;
SELECT current_user;
SHOW role;

-- grants
GRANT SELECT ON pv_t TO pv_alice;
GRANT INSERT, UPDATE ON pv_u TO pv_alice WITH GRANT OPTION;
GRANT SELECT ON pv_v TO pv_bob;
GRANT USAGE ON SEQUENCE pv_s TO pv_alice;
GRANT SELECT ON SEQUENCE pv_s TO PUBLIC;
GRANT USAGE ON pv_t TO pv_alice; -- differential: error=0LP01
GRANT INSERT ON SEQUENCE pv_s TO pv_alice; -- differential: error=0LP01
GRANT SELECT ON SEQUENCE pv_t TO pv_alice; -- differential: error=42809
GRANT SELECT ON pv_nosuch TO pv_alice; -- differential: error=42P01
GRANT SELECT ON pv_t TO pv_nosuchrole; -- differential: error=42704
GRANT SELECT ON pv_t TO PUBLIC WITH GRANT OPTION; -- differential: error=0LP01
SELECT relname, relacl FROM pg_class WHERE relname LIKE 'pv\_%' ORDER BY relname; -- differential: skip-oids

SET ROLE pv_alice;
SELECT a FROM pv_t ORDER BY id;
SELECT t1.a FROM pv_t t1 JOIN pv_t t2 USING (id) ORDER BY id;
INSERT INTO pv_u VALUES (1, 'x');
INSERT INTO pv_u VALUES (2, 'y') RETURNING id; -- differential: error=42501
UPDATE pv_u SET b = 'z';
UPDATE pv_u SET b = b || '!'; -- differential: error=42501
UPDATE pv_u SET b = 'z' WHERE id = 1; -- differential: error=42501
DELETE FROM pv_u; -- differential: error=42501
SELECT nextval('pv_s');
SELECT currval('pv_s');
SELECT last_value FROM pv_s;
SELECT setval('pv_s', 10); -- differential: error=42501
INSERT INTO pv_t (a) VALUES ('three'); -- differential: error=42501
GRANT INSERT ON pv_u TO pv_bob;
GRANT SELECT ON pv_t TO pv_bob;
SELECT has_table_privilege('pv_u', 'INSERT WITH GRANT OPTION'), has_table_privilege('pv_t', 'SELECT WITH GRANT OPTION'), has_table_privilege('pv_bob', 'pv_u', 'INSERT');
SELECT grantor, grantee, table_name, privilege_type, is_grantable, with_hierarchy FROM information_schema.table_privileges WHERE table_name LIKE 'pv\_%' ORDER BY table_name, grantee, privilege_type; -- differential: skip-oids
SELECT grantor, grantee, table_name, privilege_type, is_grantable FROM information_schema.role_table_grants WHERE table_name LIKE 'pv\_%' ORDER BY table_name, grantee, privilege_type; -- differential: skip-oids
RESET ROLE;
SELECT relname, relacl FROM pg_class WHERE relname = 'pv_u'; -- differential: skip-oids
SELECT grantor, grantee, table_name, privilege_type, is_grantable, with_hierarchy FROM information_schema.table_privileges WHERE table_schema = 'public' AND table_name LIKE 'pv\_%' ORDER BY table_name, grantee, privilege_type; -- differential: skip-oids

-- a view reads its tables with its owner's privileges
SET ROLE pv_bob;
SELECT a FROM pv_v ORDER BY id;
SELECT a FROM pv_t ORDER BY id; -- differential: error=42501
RESET ROLE;

-- REVOKE, grant options and CASCADE
REVOKE INSERT ON pv_u FROM pv_alice; -- differential: error=2BP01
REVOKE GRANT OPTION FOR INSERT ON pv_u FROM pv_alice CASCADE;
SELECT relname, relacl FROM pg_class WHERE relname = 'pv_u'; -- differential: skip-oids
REVOKE ALL ON pv_u FROM pv_alice;
REVOKE SELECT ON SEQUENCE pv_s FROM PUBLIC;
SELECT relname, relacl FROM pg_class WHERE relname IN ('pv_u', 'pv_s') ORDER BY relname; -- differential: skip-oids
GRANT SELECT ON ALL TABLES IN SCHEMA public TO pv_bob;
SET ROLE pv_bob;
SELECT count(*) FROM pv_u;
SELECT last_value FROM pv_s; -- differential: error=42501
RESET ROLE;
REVOKE ALL ON ALL TABLES IN SCHEMA public FROM pv_bob;

-- membership
GRANT pv_grp TO pv_bob;
GRANT SELECT ON pv_u TO pv_grp;
SET ROLE pv_bob;
SELECT count(*) FROM pv_u;
SELECT pg_has_role('pv_grp', 'MEMBER'), pg_has_role('pv_alice', 'MEMBER');
SET ROLE pv_grp;
SELECT current_user;
SET ROLE pv_alice; -- (the session user, a superuser, may take any role)
SELECT current_user;
RESET ROLE;
GRANT pv_bob TO pv_grp; -- differential: error=0LP01
REVOKE pv_grp FROM pv_bob;
SET ROLE pv_bob;
SELECT count(*) FROM pv_u; -- differential: error=42501
RESET ROLE;
SET ROLE pv_nosuchrole; -- differential: error=22023

-- schema public: CREATE is the database owner's until granted
GRANT CREATE ON SCHEMA public TO pv_alice;
SELECT nspname, nspacl FROM pg_namespace WHERE nspname = 'public'; -- differential: skip-oids
SET ROLE pv_alice;
CREATE TABLE pv_mine (x int);
INSERT INTO pv_mine VALUES (1);
CREATE TABLE pv_ref (x int REFERENCES pv_t (id)); -- differential: error=42501
CREATE INDEX pv_mine_x ON pv_mine (x);
SELECT pg_get_userbyid(relowner) FROM pg_class WHERE relname IN ('pv_mine', 'pv_mine_x') ORDER BY relname;
SELECT tableowner FROM pg_tables WHERE tablename = 'pv_mine';
RESET ROLE;
SET ROLE pv_bob;
DROP TABLE pv_mine; -- differential: error=42501
RESET ROLE;
DROP ROLE pv_alice; -- differential: error=2BP01
SET ROLE pv_alice;
DROP TABLE pv_mine;
RESET ROLE;
REVOKE CREATE ON SCHEMA public FROM pv_alice;
SELECT nspname, nspacl FROM pg_namespace WHERE nspname = 'public'; -- differential: skip-oids

SET SESSION AUTHORIZATION pv_alice;
SELECT current_user, session_user;
SET ROLE pv_bob; -- differential: error=42501
RESET SESSION AUTHORIZATION;
SELECT current_user, session_user;

DROP VIEW pv_v;
DROP TABLE pv_t;
DROP TABLE pv_u;
DROP SEQUENCE pv_s;
DROP ROLE pv_alice; -- differential: ignore
DROP ROLE pv_bob; -- differential: ignore
DROP ROLE pv_grp; -- differential: ignore
