-- Schema privileges: USAGE to use a schema's relations (qualified names refused 42501, the
-- search path skips the schema), CREATE to create or move relations into it, GRANT/REVOKE ON
-- SCHEMA with grant options, nspacl, ALTER SCHEMA ... OWNER TO, has_schema_privilege.
-- Roles are shared by a PostgreSQL cluster (the corpus check runs this file on two databases
-- of one cluster): creating and dropping them is not compared.

CREATE ROLE spv_alice; -- differential: ignore
CREATE ROLE spv_bob; -- differential: ignore
CREATE SCHEMA spv_s;
CREATE TABLE spv_s.t (a int);
INSERT INTO spv_s.t VALUES (1), (2);
CREATE SEQUENCE spv_s.q;
CREATE TABLE spv_p (a int);
GRANT SELECT, INSERT ON spv_s.t TO spv_alice;
GRANT USAGE ON SEQUENCE spv_s.q TO spv_alice;
SELECT nspname, nspacl FROM pg_namespace WHERE nspname = 'spv_s'; -- differential: skip-oids

-- no USAGE: a qualified name is refused, found or not; the search path skips the schema
SET ROLE spv_alice;
SELECT * FROM spv_s.t; -- differential: error=42501
SELECT * FROM spv_s.nosuch; -- differential: error=42501
INSERT INTO spv_s.t VALUES (3); -- differential: error=42501
SELECT nextval('spv_s.q'); -- differential: error=42501
DROP TABLE spv_s.t; -- differential: error=42501
DROP TABLE IF EXISTS spv_s.nosuch; -- differential: error=42501
CREATE TABLE spv_s.x (a int); -- differential: error=42501
SET search_path = spv_s, public;
SELECT current_schemas(false), current_schema();
SELECT * FROM t; -- differential: error=42P01
SELECT has_schema_privilege('spv_s', 'USAGE'), has_schema_privilege('spv_s', 'CREATE');
RESET search_path;
RESET ROLE;

-- USAGE granted
GRANT USAGE ON SCHEMA spv_s TO spv_alice;
SELECT nspname, nspacl FROM pg_namespace WHERE nspname = 'spv_s'; -- differential: skip-oids
SET ROLE spv_alice;
SELECT * FROM spv_s.t ORDER BY a;
INSERT INTO spv_s.t VALUES (3);
SELECT nextval('spv_s.q');
SET search_path = spv_s, public;
SELECT current_schemas(false), current_schema();
SELECT count(*) FROM t;
CREATE TABLE y (a int); -- differential: error=42501
CREATE TABLE spv_s.x (a int); -- differential: error=42501
CREATE VIEW spv_s.v AS SELECT 1 AS one; -- differential: error=42501
CREATE SEQUENCE spv_s.q2; -- differential: error=42501
RESET search_path;
RESET ROLE;

-- CREATE granted
GRANT CREATE ON SCHEMA spv_s TO spv_alice;
SET ROLE spv_alice;
CREATE TABLE spv_s.x (a int);
CREATE INDEX spv_x_a ON spv_s.x (a);
CREATE VIEW spv_s.v AS SELECT a FROM spv_s.x;
SELECT has_schema_privilege('spv_s', 'USAGE, CREATE'), has_schema_privilege('spv_s', 'CREATE WITH GRANT OPTION');
GRANT USAGE ON SCHEMA spv_s TO spv_bob;
DROP VIEW spv_s.v;
DROP TABLE spv_s.x;
RESET ROLE;
GRANT USAGE ON SCHEMA spv_s TO spv_alice WITH GRANT OPTION;
SET ROLE spv_alice;
GRANT USAGE ON SCHEMA spv_s TO spv_bob;
RESET ROLE;
SELECT nspname, nspacl FROM pg_namespace WHERE nspname = 'spv_s'; -- differential: skip-oids
REVOKE USAGE ON SCHEMA spv_s FROM spv_alice; -- differential: error=2BP01
REVOKE USAGE ON SCHEMA spv_s FROM spv_alice CASCADE;
SELECT nspname, nspacl FROM pg_namespace WHERE nspname = 'spv_s'; -- differential: skip-oids
GRANT SELECT ON SCHEMA spv_s TO spv_alice; -- differential: error=0LP01
GRANT USAGE ON SCHEMA spv_nosuch TO spv_alice; -- differential: error=3F000
SELECT has_schema_privilege('spv_nosuch', 'USAGE'); -- differential: error=3F000
SELECT has_schema_privilege('spv_alice', 'spv_s', 'CREATE'), has_schema_privilege('spv_bob', 'spv_s', 'USAGE');

-- ownership: the owner's items move to the new owner
SET ROLE spv_alice;
ALTER SCHEMA spv_s OWNER TO spv_alice; -- differential: error=42501
DROP SCHEMA spv_s; -- differential: error=42501
ALTER SCHEMA spv_s RENAME TO spv_s2; -- differential: error=42501
RESET ROLE;
GRANT USAGE ON SCHEMA spv_s TO spv_alice WITH GRANT OPTION;
ALTER SCHEMA spv_s OWNER TO spv_alice;
SELECT nspname, pg_get_userbyid(nspowner), nspacl FROM pg_namespace WHERE nspname = 'spv_s'; -- differential: skip-oids
ALTER SCHEMA spv_s OWNER TO postgres;
SELECT nspname, pg_get_userbyid(nspowner), nspacl FROM pg_namespace WHERE nspname = 'spv_s'; -- differential: skip-oids
REVOKE ALL ON SCHEMA spv_s FROM spv_alice CASCADE;

DROP SCHEMA spv_s CASCADE; -- differential: ignore
DROP TABLE spv_p;
DROP ROLE spv_alice; -- differential: ignore
DROP ROLE spv_bob; -- differential: ignore
