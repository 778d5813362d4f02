-- Session commands: SET/SHOW/RESET, set_config, VACUUM/ANALYZE, DISCARD, comments, empty statements.

SHOW server_version_num; -- differential: skip-rows
SHOW server_encoding;
SHOW client_encoding;
SHOW standard_conforming_strings;
SHOW integer_datetimes;
SHOW DateStyle;
SHOW IntervalStyle;
SHOW TimeZone;
SHOW search_path;
SHOW transaction_isolation;
SHOW default_transaction_isolation;
SHOW application_name;
SHOW extra_float_digits;
SHOW datestyle;
SHOW no_such_parameter; -- differential: error=42704

SET application_name = 'differential';
SHOW application_name;
SET application_name TO 'second';
SHOW application_name;
RESET application_name;
SHOW application_name;
SET search_path = public;
SHOW search_path;
SET search_path TO DEFAULT;
SHOW search_path;
SET SESSION TimeZone = 'Europe/Paris';
SHOW TimeZone;
SET TIME ZONE 'UTC';
SHOW TimeZone;
SET TIME ZONE LOCAL;
SET extra_float_digits = 3;
SELECT 0.1::float8;
SET extra_float_digits = 0;
SELECT 0.1::float8, 1.0::float8 / 3;
RESET extra_float_digits;
SELECT 1.0::float8 / 3;
SET statement_timeout = '5s';
SHOW statement_timeout;
SET statement_timeout = 0;
SET LOCAL statement_timeout = '1s';
SET client_min_messages = warning;
SHOW client_min_messages;
SET no_such_parameter = 1; -- differential: error=42704
SET DateStyle = 'bogus'; -- differential: error=22023
SET extra_float_digits = 'x'; -- differential: error=22023
SET my.custom = 'value';
SHOW my.custom;
SELECT current_setting('my.custom');
RESET ALL;
SHOW client_min_messages;
SHOW my.custom;

-- SET LOCAL only lasts for the transaction
BEGIN;
SET LOCAL application_name = 'local';
SHOW application_name;
COMMIT;
SHOW application_name;
BEGIN;
SET application_name = 'rolled';
ROLLBACK;
SHOW application_name;

-- VACUUM / ANALYZE
CREATE TABLE ses_t (id integer PRIMARY KEY, v text);
INSERT INTO ses_t SELECT g, 'v' || g FROM generate_series(1, 50) g;
DELETE FROM ses_t WHERE id % 2 = 0;
VACUUM;
VACUUM ses_t;
VACUUM ANALYZE ses_t;
VACUUM (ANALYZE) ses_t;
ANALYZE;
ANALYZE ses_t;
ANALYZE ses_t (v);
VACUUM no_such_table; -- differential: error=42P01
BEGIN;
VACUUM ses_t; -- differential: error=25001
ROLLBACK;
SELECT count(*) FROM ses_t;

-- Comments and empty statements
SELECT /* inline comment */ 1 AS one;
SELECT 2 AS two -- trailing comment
;
;
DISCARD ALL;
SHOW application_name;

DROP TABLE ses_t;
