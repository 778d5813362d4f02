-- Catalog rows that drivers read: index column options, pg_get_indexdef, the foreign key's
-- index, _pg_expandarray (JDBC's DatabaseMetaData), preset settings.

CREATE TABLE ci_parent (id integer PRIMARY KEY, code text UNIQUE, a integer, b integer);
CREATE TABLE ci_child (id bigint PRIMARY KEY, parent_id integer REFERENCES ci_parent (id), code text REFERENCES ci_parent (code), qty integer);
CREATE TABLE ci_pair (x integer, y integer, PRIMARY KEY (y, x));
CREATE INDEX ci_parent_a_desc ON ci_parent (a DESC, b);
CREATE INDEX ci_parent_nulls ON ci_parent (a NULLS FIRST, b DESC NULLS LAST);
CREATE INDEX ci_parent_desc_nulls_last ON ci_parent (b DESC NULLS LAST);
CREATE UNIQUE INDEX ci_child_qty ON ci_child (qty DESC);
SELECT c.relname, i.indoption::text, i.indkey::text, i.indisunique, i.indisprimary FROM pg_index i JOIN pg_class c ON c.oid = i.indexrelid WHERE c.relname LIKE 'ci\_%' ORDER BY c.relname;
SELECT pg_get_indexdef('ci_parent_a_desc'::regclass), pg_get_indexdef('ci_parent_nulls'::regclass), pg_get_indexdef('ci_parent_desc_nulls_last'::regclass);
SELECT pg_get_indexdef('ci_child_qty'::regclass), pg_get_indexdef('ci_pair_pkey'::regclass);
SELECT pg_get_indexdef('ci_parent_a_desc'::regclass, 1, false), pg_get_indexdef('ci_parent_a_desc'::regclass, 2, true);
SELECT indexname, indexdef FROM pg_indexes WHERE tablename LIKE 'ci\_%' ORDER BY indexname;
SELECT c.relname, c.relpages, c.reltuples FROM pg_class c WHERE c.relname IN ('ci_parent_pkey', 'ci_parent_a_desc', 'ci_child_qty') ORDER BY c.relname;
SELECT con.conname, ic.relname FROM pg_constraint con JOIN pg_class ic ON ic.oid = con.conindid WHERE con.conrelid = 'ci_child'::regclass ORDER BY con.conname;
SELECT con.conname, con.conindid = 0 FROM pg_constraint con WHERE con.conrelid = 'ci_parent'::regclass ORDER BY con.conname;
SELECT i.indoption[0], i.indoption[1], i.indkey[0], i.indkey[1], i.indkey[2] FROM pg_index i WHERE i.indexrelid = 'ci_parent_nulls'::regclass;
SELECT (information_schema._pg_expandarray(i.indkey)).n AS n, (information_schema._pg_expandarray(i.indkey)).x AS x FROM pg_index i WHERE i.indexrelid = 'ci_pair_pkey'::regclass ORDER BY n;
SELECT information_schema._pg_expandarray(i.indkey) AS keys FROM pg_index i WHERE i.indexrelid = 'ci_parent_nulls'::regclass; -- differential: skip-oids
SELECT result.column_name, result.key_seq, result.pk_name FROM (SELECT a.attname AS column_name, (information_schema._pg_expandarray(i.indkey)).n AS key_seq, ci.relname AS pk_name, information_schema._pg_expandarray(i.indkey) AS keys, a.attnum AS a_attnum FROM pg_class ct JOIN pg_attribute a ON (ct.oid = a.attrelid) JOIN pg_index i ON (a.attrelid = i.indrelid) JOIN pg_class ci ON (ci.oid = i.indexrelid) WHERE ct.relname = 'ci_pair' AND i.indisprimary) result WHERE result.a_attnum = (result.keys).x ORDER BY result.key_seq;
SELECT tmp.index_name, tmp.ordinal_position, trim(both '"' from pg_get_indexdef(tmp.ci_oid, tmp.ordinal_position, false)) AS column_name, CASE tmp.am_name WHEN 'btree' THEN CASE tmp.i_indoption[tmp.ordinal_position - 1] & 1::smallint WHEN 1 THEN 'D' ELSE 'A' END ELSE NULL END AS asc_or_desc FROM (SELECT ci.relname AS index_name, (information_schema._pg_expandarray(i.indkey)).n AS ordinal_position, ci.oid AS ci_oid, i.indoption AS i_indoption, am.amname AS am_name FROM pg_class ct JOIN pg_index i ON (ct.oid = i.indrelid) JOIN pg_class ci ON (ci.oid = i.indexrelid) JOIN pg_am am ON (ci.relam = am.oid) WHERE ct.relname = 'ci_parent') AS tmp ORDER BY tmp.index_name, tmp.ordinal_position;
SELECT name, setting FROM pg_settings WHERE name IN ('max_index_keys', 'max_identifier_length', 'max_function_args', 'block_size') ORDER BY name;
SHOW max_index_keys;
SHOW block_size;
SET max_index_keys = 10; -- differential: error=55P02
INSERT INTO ci_parent VALUES (1, 'a', NULL, 2), (2, 'b', 5, NULL), (3, 'c', 5, 1);
SELECT id FROM ci_parent ORDER BY a DESC, b;
SELECT id FROM ci_parent ORDER BY a NULLS FIRST, b DESC NULLS LAST;
DROP INDEX ci_parent_nulls;
SELECT count(*) FROM pg_index WHERE indexrelid::regclass::text LIKE 'ci\_parent%';
DROP TABLE ci_child;
DROP TABLE ci_pair;
DROP TABLE ci_parent;
