-- Text types: text, varchar(n), char(n); string functions and operators.

CREATE TABLE txt_t (id integer PRIMARY KEY, t text, v varchar(5), c char(4));
INSERT INTO txt_t VALUES (1, 'hello', 'abc', 'ab');
INSERT INTO txt_t VALUES (2, '', '', '');
INSERT INTO txt_t VALUES (3, NULL, NULL, NULL);
INSERT INTO txt_t VALUES (4, 'Ünïcødé ✓', 'ñañá', 'ü');
INSERT INTO txt_t VALUES (5, 'x', 'abcdef', 'a'); -- differential: error=22001
INSERT INTO txt_t VALUES (5, 'x', 'abc  ', 'a');
INSERT INTO txt_t VALUES (6, 'x', 'abcde     ', 'a');
INSERT INTO txt_t VALUES (7, 'x', 'y', 'abcde'); -- differential: error=22001
SELECT id, t, v, c FROM txt_t ORDER BY id;
SELECT id, length(t), length(v), length(c), octet_length(t), char_length(c) FROM txt_t ORDER BY id;
SELECT id, c || '|', v || '|' FROM txt_t ORDER BY id;
SELECT pg_typeof(t), pg_typeof(v), pg_typeof(c), pg_typeof(t || v) FROM txt_t WHERE id = 1;
SELECT 'abc'::varchar(2), 'abc'::char(2), 'a'::char(3) = 'a  '::char(3), 'a'::text = 'a '::text;
SELECT c FROM txt_t WHERE c = 'ab';

-- Concatenation and case
SELECT 'a' || 'b' || 'c', 'x' || NULL, concat('x', NULL, 'y', 1), concat_ws('-', 'a', NULL, 'b');
SELECT 'n=' || 42, 42 || '!', 1.5 || '';
SELECT upper('abc'), lower('ÀBC'), initcap('hello wORLD foo-bar');

-- Substrings and positions
SELECT substring('abcdef' FROM 2 FOR 3), substring('abcdef', 3), substr('abcdef', 2, 2), substr('abc', 5);
SELECT left('abcdef', 2), right('abcdef', 2), left('abc', -1), right('abc', -1);
SELECT position('c' IN 'abcabc'), strpos('abcabc', 'ca'), position('z' IN 'abc');
SELECT split_part('a,b,c', ',', 2), split_part('a,b,c', ',', 5), split_part('a,b,c', ',', -1);
SELECT replace('banana', 'an', 'AN'), translate('hello', 'el', 'ip'), reverse('abc'), repeat('ab', 3);

-- Trimming and padding
SELECT trim('  x  '), ltrim('  x  '), rtrim('  x  '), trim(BOTH 'x' FROM 'xxaxx'), btrim('xyaxy', 'xy');
SELECT lpad('7', 3, '0'), rpad('ab', 5, '*'), lpad('abcdef', 3), rpad('', 2);

-- Pattern matching
SELECT 'abc' LIKE 'a%', 'abc' LIKE 'A%', 'abc' ILIKE 'A%', 'a_c' LIKE 'a\_c', 'abc' NOT LIKE '%z%';
SELECT 'abc' ~ '^a.c$', 'ABC' ~* 'abc', 'abc' !~ 'z';
SELECT regexp_replace('a1b22c333', '[0-9]+', '#', 'g'), regexp_replace('aaa', 'a', 'b');
SELECT 'foo' SIMILAR TO 'f(o)+';
SELECT id FROM txt_t WHERE t LIKE 'h%';

-- Comparison and ordering (C collation)
SELECT 'a' < 'b', 'B' < 'a', 'abc' < 'abd', '' < 'a', 'a' < 'aa';
SELECT t FROM txt_t WHERE t IS NOT NULL ORDER BY t;
SELECT v FROM txt_t ORDER BY v DESC NULLS LAST, id;
SELECT min(t), max(t) FROM txt_t;

-- Misc functions
SELECT md5('abc'), md5('');
SELECT ascii('A'), chr(66), to_hex(255), to_hex(-1);
SELECT quote_ident('a b'), quote_literal('it''s'), quote_nullable(NULL);
SELECT format('%s-%s', 'a', 1), format('%I.%L', 'my col', 'v''al');
SELECT starts_with('abcdef', 'abc'), 'abc' ^@ 'ab';
SELECT string_to_array('a,b,,c', ','), array_to_string(ARRAY['x', 'y', NULL], '/', '?');
SELECT length('ü'), octet_length('ü'), bit_length('ab');
SELECT 'abc'::bytea::text;
SELECT E'a\\b', E'\x41', 'a\b', E'tab\there';
SELECT U&'\0041\00DF';
SELECT $$dollar 'quoted'$$, $q$with $$ inside$q$;

DROP TABLE txt_t;
