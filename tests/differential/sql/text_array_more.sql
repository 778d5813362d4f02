-- Text, bytea, arrays and row values beyond the basics: what applications and ORMs send.

CREATE TABLE ta_t (id integer PRIMARY KEY, name text, tags text[], nums integer[], data bytea, code char(3));
INSERT INTO ta_t VALUES (1, 'Alice', '{red,green}', '{3,1,2}', '\x0001ff', 'ab');
INSERT INTO ta_t VALUES (2, 'bob', ARRAY['blue'], ARRAY[5], '\x', 'xyz');
INSERT INTO ta_t VALUES (3, NULL, '{}', '{}', NULL, NULL);
INSERT INTO ta_t VALUES (4, 'Émile Zola', '{"a b","c,d",NULL}', '{7,NULL,9}', 'abc'::bytea, 'q');

-- Character codes and hex
SELECT ascii(''), ascii('é'), chr(233), chr(8364), to_hex(0), to_hex(4096);
SELECT to_hex(2147483647), to_hex(-256), to_hex(9223372036854775807::bigint), to_hex(-1::bigint);
SELECT chr(0); -- differential: error=54000
SELECT to_hex(id), ascii(name) FROM ta_t ORDER BY id;

-- Quoting
SELECT quote_ident('abc'), quote_ident('Abc'), quote_ident('select'), quote_ident('a"b'), quote_ident('1abc');
SELECT quote_literal('plain'), quote_literal(E'back\\slash'), quote_literal(42), quote_literal(NULL);
SELECT quote_nullable('x'), quote_nullable(NULL::text), quote_nullable(12), quote_nullable(E'a\\b');
SELECT quote_ident(name), quote_nullable(name) FROM ta_t ORDER BY id;

-- Prefix tests
SELECT starts_with('abc', ''), starts_with('abc', 'abcd'), starts_with(NULL, 'a'), 'xyz' ^@ 'y';
SELECT id FROM ta_t WHERE name ^@ 'A' ORDER BY id;
SELECT id, starts_with(name, 'b') FROM ta_t ORDER BY id;

-- Lengths of non-ASCII text
SELECT length('日本語'), octet_length('日本語'), bit_length('日本語'), char_length('ñ');
SELECT length(name), octet_length(name), bit_length(name) FROM ta_t ORDER BY id;
SELECT octet_length('\x0102'::bytea), length('\x010203'::bytea), bit_length('\x01'::bytea);

-- Case mapping of non-ASCII letters
SELECT lower('ÉCOLE'), upper('straße'), upper('ñandú'), lower('ΑΒΓ'), initcap('élan vital');
SELECT initcap('hello_world'), initcap('o''neil'), initcap('ÉCOLE normale'), initcap('3rd street');
SELECT upper(name), lower(name), initcap(name) FROM ta_t ORDER BY id;

-- char(n) types
SELECT pg_typeof(code), pg_typeof('a'::char(2)), pg_typeof('a'::character varying), pg_typeof('a'::"char") FROM ta_t WHERE id = 1;
SELECT pg_typeof('a'::name), pg_typeof(ARRAY['a']), pg_typeof('{1}'::int[]), pg_typeof(ARRAY[1.5]);
SELECT code, length(code), code || '|', octet_length(code) FROM ta_t ORDER BY id;

-- Padding
SELECT lpad('7', 3, '0'), rpad('ab', 5, '-'), lpad('abcdef', 3), rpad('abcdef', 2), lpad('x', 4), lpad('x', 5, 'ab');
SELECT lpad('a', 0), lpad('a', -1), rpad('', 3, 'z'), lpad('ü', 3, 'ö');
SELECT lpad(id::text, 4, '0'), rpad(coalesce(name, '?'), 8, '.') FROM ta_t ORDER BY id;

-- Hashes
SELECT md5(''), md5('hello'), md5('ü');
SELECT md5('abc'::bytea), md5('\x'::bytea), md5(data) FROM ta_t WHERE id = 1;
SELECT sha224('abc'::bytea), sha512('abc'::bytea);
SELECT sha256(''::bytea), sha256(data) FROM ta_t WHERE id = 1;
SELECT encode(sha256('abc'::bytea), 'hex'), encode(sha224('x'::bytea), 'base64');

-- encode / decode
SELECT encode('hello'::bytea, 'base64'), encode('hello'::bytea, 'hex'), encode('a\000b'::bytea, 'escape');
SELECT decode('aGVsbG8=', 'base64'), decode('48656c6c6f', 'hex'), decode('a\\b', 'escape');
SELECT encode(decode('00ff', 'hex'), 'base64'), convert_to('ü', 'UTF8'), convert_from('\xc3bc', 'UTF8');
SELECT encode(data, 'hex'), encode(data, 'escape') FROM ta_t ORDER BY id;
SELECT decode('zz', 'hex'); -- differential: error=22023
SELECT encode('a'::bytea, 'nope'); -- differential: error=22023

-- get_byte / set_byte / bytea substring and concatenation
SELECT get_byte('\x00ff'::bytea, 0), get_byte(data, 2), set_byte(data, 1, 7) FROM ta_t WHERE id = 1;
SELECT get_byte('\x00'::bytea, 5); -- differential: error=2202E
SELECT substring('\x0102030405'::bytea FROM 3), substring('\x0102030405'::bytea FOR 2), substr('\x0102030405'::bytea, 2, 3);
SELECT '\x01'::bytea || '\x02'::bytea, data || '\xff'::bytea, '\x'::bytea || data FROM ta_t WHERE id = 1;
SELECT data || data, pg_typeof(data || data) FROM ta_t ORDER BY id;
SELECT position('\x02'::bytea IN '\x010203'::bytea), '\x0102'::bytea = '\x0102'::bytea, '\x01'::bytea < '\x02'::bytea;
SELECT id, data FROM ta_t WHERE data = '\x0001ff'::bytea;
SELECT length(data), octet_length(data) FROM ta_t ORDER BY id;

-- overlay
SELECT overlay('Txxxxas' PLACING 'hom' FROM 2 FOR 4), overlay('abcdef' PLACING 'XY' FROM 3), overlay('abc' PLACING '' FROM 2 FOR 1);
SELECT overlay('\x010203'::bytea PLACING '\xff'::bytea FROM 2 FOR 1);

-- Trimming with characters
SELECT btrim('xxabcxx', 'x'), ltrim('zzyabc', 'zy'), rtrim('abc123', '0123456789'), btrim('  a  ');
SELECT trim(BOTH 'x' FROM 'xaxx'), trim(LEADING FROM '  a '), trim(TRAILING '.' FROM 'end...'), trim('ab' FROM 'abcba');
SELECT ltrim('ééa', 'é'), rtrim(name, 'e') FROM ta_t ORDER BY id;
SELECT btrim('\x0001020100'::bytea, '\x00'::bytea);

-- Regular expressions
SELECT regexp_replace('a1b22c333', '[0-9]+', '#'), regexp_replace('a1b22c333', '[0-9]+', '#', 'g'), regexp_replace('ABC', 'b', 'x', 'i');
SELECT regexp_replace('John Smith', '(\w+) (\w+)', '\2, \1'), regexp_replace('aaa', 'a', 'b', 2);
SELECT regexp_match('foo123bar', '\d+'), regexp_match('abc', 'x'), regexp_match('key=val', '(\w+)=(\w+)');
SELECT (regexp_match('2024-05-06', '(\d+)-(\d+)-(\d+)'))[2];
SELECT regexp_matches('a1b2c3', '[0-9]', 'g');
SELECT regexp_matches('x=1, y=2', '(\w)=(\d)', 'g');
SELECT regexp_split_to_table('a,b,,c', ',');
SELECT regexp_split_to_array('one  two three', '\s+'), regexp_split_to_array('abc', '');
SELECT regexp_count('banana', 'an'), regexp_count('ABAB', 'b', 1, 'i'), regexp_instr('banana', 'an'), regexp_instr('banana', 'an', 1, 2);
SELECT regexp_substr('abc123def456', '\d+'), regexp_substr('abc123def456', '\d+', 1, 2), regexp_like('Hello', 'h', 'i'), regexp_like('Hello', '^h');
SELECT 'abc' ~ '^a', 'abc' ~* '^A', 'abc' !~ 'z', 'abc' !~* 'B';
SELECT id FROM ta_t WHERE name ~ '^[A-Z]' ORDER BY id;
SELECT substring('foobar' FROM 'o+b'), substring('foobar' FROM '(o)(b)'), substring('x' FROM 'y');
SELECT regexp_replace('a.b.c', '\.', '-', 'g'), regexp_replace(name, '[aeiou]', '*', 'g') FROM ta_t ORDER BY id;

-- LIKE with ESCAPE, ILIKE, SIMILAR TO
SELECT '10%' LIKE '10!%' ESCAPE '!', '10x' LIKE '10!%' ESCAPE '!', 'a_b' LIKE 'a#_b' ESCAPE '#', 'axb' LIKE 'a#_b' ESCAPE '#';
SELECT 'a\b' LIKE 'a\\b', 'ab' LIKE 'a\b', '%' LIKE '\%', 'abc' NOT LIKE 'a%';
SELECT 'ABC' ILIKE 'a%', 'Émile' ILIKE 'é%', 'abc' NOT ILIKE 'A_C', name ILIKE '%o%' FROM ta_t ORDER BY id;
SELECT 'abc' LIKE 'a%' ESCAPE '', 'a%c' LIKE 'a%%c' ESCAPE '%';
SELECT 'abc' SIMILAR TO 'a(b|c)c', 'abc' SIMILAR TO 'a%', 'abc' SIMILAR TO '(a|x)_c', 'abd' NOT SIMILAR TO 'a[bc]c';
SELECT 'a.c' SIMILAR TO 'a.c', 'abc' SIMILAR TO 'a.c', 'aaa' SIMILAR TO 'a{2,}', '12' SIMILAR TO '[0-9]+';
SELECT 'a_c' SIMILAR TO 'a#_c' ESCAPE '#', 'abc' SIMILAR TO 'a#_c' ESCAPE '#';

-- string_agg
SELECT string_agg(name, ', ' ORDER BY name) FROM ta_t;
SELECT string_agg(name, '|' ORDER BY id DESC) FROM ta_t WHERE name IS NOT NULL;
SELECT string_agg(DISTINCT code, ',' ORDER BY code) FROM ta_t;
SELECT string_agg(name, ',') FROM ta_t WHERE false;
SELECT string_agg(data, '\x2c'::bytea ORDER BY id) FROM ta_t WHERE id < 3;
SELECT id % 2 AS parity, string_agg(id::text, '+' ORDER BY id) FROM ta_t GROUP BY id % 2 ORDER BY parity;

-- format
SELECT format('Hello %s, you are %s', 'Ann', 42), format('%I.%I', 'public', 'My Table'), format('%L', 'it''s');
SELECT format('%L', NULL), format('%s', NULL), format('%%'), format('%2$s %1$s', 'a', 'b');
SELECT format('|%5s|%-5s|', 'ab', 'cd'), format('%s', ARRAY[1, 2]), format('%1$s %1$s', 'x');
SELECT format('%z', 1); -- differential: error=22023
SELECT format('%s %s', 'only one'); -- differential: error=22023
SELECT format('INSERT INTO %I VALUES (%L)', coalesce(name, 'n'), id) FROM ta_t ORDER BY id;
SELECT format('%I', NULL); -- differential: error=22004

-- Other common text functions
SELECT split_part('a.b.c', '.', 3), strpos('hello', 'l'), position('lo' IN 'hello'), replace('aaa', 'a', 'bb');
SELECT left(name, 3), right(name, 3), reverse(name), repeat(code, 2) FROM ta_t ORDER BY id;
SELECT concat_ws(',', VARIADIC ARRAY['a', 'b']), concat(VARIADIC ARRAY['x', NULL, 'z']);
SELECT 'abc' < 'abd', 'a' || 1 || true, text 'x' || 'y', 'Z' > 'a';
SELECT string_to_array('a,b,,c', ','), string_to_array('a,b,*', ',', '*'), string_to_array('abc', NULL);
SELECT to_char(123, '00000'), translate('12-34', '-', ''), initcap(lower('JOHN DOE'));

-- Array literals and their column names
SELECT '{1,2,3}'::int[], '{a,b}'::varchar[], '{1.5,2}'::numeric[], '{t,f}'::boolean[];
SELECT '{1,2}'::bigint[] AS big, '{{1,2},{3,4}}'::int[] AS m, '{}'::int[] AS e;
SELECT CAST('{x,y}' AS text[]), ARRAY['a', NULL, 'c'], ARRAY[]::integer[];
SELECT ARRAY[[1, 2], [3, 4]], ARRAY[ARRAY[1], ARRAY[2]], ARRAY[1.5, 2], ARRAY['a b', 'c"d', ''];
SELECT '{"with space", "quo\"te", NULL, "NULL"}'::text[];
SELECT ARRAY[true, false], ARRAY[1::smallint], ARRAY[1::bigint, 2], ARRAY['2024-01-02'::date];
SELECT tags, nums FROM ta_t ORDER BY id;
SELECT '{1,2'::int[]; -- differential: error=22P02
SELECT '{a}'::int[]; -- differential: error=22P02

-- Subscripts and slices
SELECT nums[1], nums[2], nums[0], nums[9], tags[1] FROM ta_t ORDER BY id;
SELECT nums[2:3], nums[:2], nums[2:], tags[1:1] FROM ta_t ORDER BY id;
SELECT (ARRAY[1, 2, 3, 4])[2:3], (ARRAY['a', 'b', 'c'])[3], ('{5,6,7}'::int[])[1];
SELECT (ARRAY[[1, 2], [3, 4]])[2][1], (ARRAY[[1, 2], [3, 4]])[1:1][1:2];
SELECT id FROM ta_t WHERE tags[1] = 'red';

-- Array dimensions
SELECT array_length(nums, 1), array_length(nums, 2), cardinality(nums), array_dims(nums), array_lower(nums, 1), array_upper(nums, 1) FROM ta_t ORDER BY id;
SELECT array_length(ARRAY[[1, 2, 3], [4, 5, 6]], 2), array_dims(ARRAY[[1, 2, 3], [4, 5, 6]]), cardinality(ARRAY[[1, 2], [3, 4]]);
SELECT array_ndims(ARRAY[1]), array_ndims(ARRAY[[1], [2]]), array_upper(ARRAY[[1, 2], [3, 4]], 2), array_dims('{}'::int[]);

-- Containment and overlap
SELECT ARRAY[1, 2, 3] @> ARRAY[1, 3], ARRAY[1] <@ ARRAY[1, 2], ARRAY[1, 2] && ARRAY[2, 5], ARRAY[1] && ARRAY[]::int[];
SELECT ARRAY['a'] <@ ARRAY['b'], '{}'::int[] <@ ARRAY[1], ARRAY[1, 1] @> ARRAY[1], ARRAY[NULL::int] @> ARRAY[NULL::int];
SELECT id FROM ta_t WHERE tags @> ARRAY['red'] ORDER BY id;
SELECT id FROM ta_t WHERE tags && '{blue,green}' ORDER BY id;
SELECT id FROM ta_t WHERE nums <@ ARRAY[1, 2, 3, 5] ORDER BY id;
SELECT ARRAY[1, 2] = ARRAY[1, 2], ARRAY[1, 2] <> ARRAY[2, 1], ARRAY[1, 2] < ARRAY[1, 3], ARRAY[2] > ARRAY[1, 9];

-- Concatenation and array functions, with their result types
SELECT ARRAY['a'] || ARRAY['b', 'c'], ARRAY['a'] || 'b'::text, 'z'::text || ARRAY['y'], ARRAY[1] || ARRAY[[2]];
SELECT nums || 4, 0 || nums, tags || ARRAY['x'] FROM ta_t ORDER BY id;
SELECT array_append(nums, 10), array_prepend(0, nums), array_cat(nums, ARRAY[8, 9]) FROM ta_t ORDER BY id;
SELECT array_remove(ARRAY[1, 2, 1, 3], 1), array_remove(ARRAY['a', NULL], NULL), array_replace(ARRAY[1, 2, 1], 1, 9), array_replace(ARRAY['x', 'y'], 'y', 'z');
SELECT array_position(ARRAY['a', 'b', 'a'], 'a'), array_position(ARRAY['a', 'b', 'a'], 'a', 2), array_positions(ARRAY[1, 2, 1], 1), array_position(ARRAY[1], 5);
SELECT pg_typeof(array_append(ARRAY[1], 2)), pg_typeof(array_prepend('a'::text, ARRAY['b'])), pg_typeof(array_cat(ARRAY[1.5], ARRAY[2])), pg_typeof(array_remove(ARRAY['a'], 'a')), pg_typeof(array_positions(ARRAY[1], 1));
SELECT array_append(tags, 'new'), array_remove(tags, 'red'), array_replace(nums, 1, 100) FROM ta_t ORDER BY id;
SELECT array_to_string(tags, ',', '*'), array_to_string(nums, '-') FROM ta_t ORDER BY id;
SELECT array_fill(0, ARRAY[3]), array_fill('x'::text, ARRAY[2]);
SELECT trim_array(ARRAY[1, 2, 3], 1), trim_array(ARRAY[1], 1);

-- unnest in FROM (lateral) and in the select list
SELECT id, x FROM ta_t, unnest(nums) AS x ORDER BY id, x;
SELECT id, tag FROM ta_t CROSS JOIN LATERAL unnest(tags) AS tag ORDER BY id, tag;
SELECT t.id, u.v, u.n FROM ta_t t, unnest(t.tags) WITH ORDINALITY AS u(v, n) ORDER BY t.id, u.n;
SELECT id, x FROM ta_t LEFT JOIN LATERAL unnest(nums) AS x ON true ORDER BY id, x;
SELECT * FROM unnest(ARRAY[1, 2], ARRAY['a', 'b', 'c']) AS u(n, s) ORDER BY n;
SELECT unnest(ARRAY['x', 'y']) AS letter, 1 AS one;
SELECT x, count(*) FROM ta_t, unnest(tags) AS x GROUP BY x ORDER BY x;
SELECT sum(x) FROM ta_t, unnest(nums) AS x;
SELECT unnest FROM unnest(ARRAY[3, 4]) ORDER BY 1;

-- array_agg
SELECT array_agg(id ORDER BY id) FROM ta_t;
SELECT array_agg(name ORDER BY id) FROM ta_t;
SELECT array_agg(DISTINCT x ORDER BY x) FROM ta_t, unnest(nums) AS x;
SELECT array_agg(code ORDER BY code NULLS LAST), pg_typeof(array_agg(code)) FROM ta_t;
SELECT array_agg(id) FILTER (WHERE id > 2), array_agg(id) FILTER (WHERE id > 9) FROM ta_t;
SELECT pg_typeof(array_agg(id)), pg_typeof(array_agg(name)), pg_typeof(array_agg(1.5)) FROM ta_t;
SELECT id % 2 AS k, array_agg(name ORDER BY name) FROM ta_t GROUP BY id % 2 ORDER BY k;
SELECT array_agg(x) FROM (VALUES (1), (NULL), (3)) v(x);

-- ANY / ALL
SELECT id FROM ta_t WHERE id = ANY ('{1,3}') ORDER BY id;
SELECT id FROM ta_t WHERE id = ANY (ARRAY[2, 4]) ORDER BY id;
SELECT id FROM ta_t WHERE 'red' = ANY (tags) ORDER BY id;
SELECT id FROM ta_t WHERE id <> ALL (ARRAY[1, 2]) ORDER BY id;
SELECT 3 > ALL (ARRAY[1, 2]), 3 > ALL ('{}'::int[]), 1 = ANY ('{}'::int[]), NULL = ANY (ARRAY[1]), 1 = ANY (ARRAY[NULL, 1]), 2 = ANY (ARRAY[NULL, 1]);
SELECT 'b' LIKE ANY (ARRAY['a%', 'b%']), 'abc' LIKE ALL (ARRAY['a%', '%c']), id = SOME (nums) FROM ta_t ORDER BY id;
SELECT id FROM ta_t WHERE name ILIKE ANY (ARRAY['a%', 'B%']) ORDER BY id;

-- Row comparisons
SELECT (1, 2) = (1, 2), (1, 2) <> (1, 3), (1, 2) < (2, 1), (2, 1) <= (2, 1), (1, 'b') > (1, 'a'), (3, 0) >= (2, 9);
SELECT (1, NULL) = (1, 2), (1, NULL) = (2, 2), (1, NULL) < (2, 0), ROW(1, 2) IS NOT NULL, ROW(1, NULL) IS NOT NULL, ROW(NULL, NULL) IS NOT NULL;
SELECT (1, 2) IS DISTINCT FROM (1, NULL), (NULL, 1) IS NOT DISTINCT FROM (NULL, 1);
SELECT id FROM ta_t WHERE (id, name) > (2, 'a') ORDER BY id;
SELECT id FROM ta_t WHERE (id, code) = (1, 'ab');
SELECT id FROM ta_t WHERE (id, code) IN ((1, 'ab'), (2, 'xyz')) ORDER BY id;
SELECT ROW(1, 'a'), (1, 2.5, 'x');

-- Session
SELECT pg_backend_pid() = pg_backend_pid(), pg_typeof(pg_backend_pid()), inet_server_port() > 0, pg_typeof(inet_server_port());

-- Arrays of two dimensions, array assignment, and a second table
CREATE TABLE ta_m (id integer PRIMARY KEY, arr integer[], txt text[], m integer[][], b bytea, c char(5), v varchar(10));
INSERT INTO ta_m VALUES (1, '{1,2,3}', '{a,b}', '{{1,2},{3,4}}', '\xdeadbeef', 'ab', 'xy');
INSERT INTO ta_m VALUES (2, ARRAY[4, 5], ARRAY['c'], ARRAY[[5, 6]], decode('cafe', 'hex'), 'abc', 'z');
INSERT INTO ta_m VALUES (3, NULL, NULL, NULL, NULL, NULL, NULL);
SELECT * FROM ta_m ORDER BY id;
SELECT m, m[1], m[2][2], m[1:1], array_dims(m), array_length(m, 1), array_length(m, 2), cardinality(m) FROM ta_m ORDER BY id;
SELECT '{{1,2},{3}}'::int[]; -- differential: error=22P02
SELECT unnest(m) FROM ta_m WHERE id = 1;
SELECT array_to_string(m, ',') FROM ta_m WHERE id = 1;
SELECT array_cat('{1}'::int[], '{{2}}'::int[]), '{{1,2}}'::int[] @> '{2}';
UPDATE ta_m SET arr = arr || 99 WHERE id = 1;
UPDATE ta_m SET arr = array_append(arr, 7), txt = array_prepend('z', txt) WHERE id = 2;
UPDATE ta_m SET arr[1] = 100 WHERE id = 1;
UPDATE ta_m SET arr[5] = 8 WHERE id = 2;
SELECT id, arr, txt FROM ta_m ORDER BY id;
SELECT id, unnest(arr) FROM ta_m ORDER BY 1, 2;
SELECT id, arr[array_length(arr, 1)] AS last FROM ta_m ORDER BY id;
SELECT ARRAY(SELECT id FROM ta_m ORDER BY id DESC), (SELECT array_agg(id) FROM ta_m WHERE id > 5);
SELECT array_agg(x ORDER BY x DESC) FROM unnest(ARRAY[3, 1, 2]) AS x;
SELECT x, ordinality FROM unnest(ARRAY['a', 'b']) WITH ORDINALITY AS x ORDER BY ordinality;
SELECT a.id, e FROM ta_m a, unnest(a.txt) e WHERE e <> 'a' ORDER BY 1, 2;
SELECT p.id, count(e) FROM ta_m p LEFT JOIN LATERAL unnest(p.arr) e ON true GROUP BY p.id ORDER BY p.id;
SELECT id, (SELECT sum(x) FROM unnest(arr) x) FROM ta_m ORDER BY id;
SELECT * FROM ta_m, unnest(txt) ORDER BY id, unnest;

-- Values of other types inside text functions
SELECT format('%s|%s|%s', 1.50, true, NULL::boolean), concat(true, NULL::boolean, 1.5::float8), concat('a', ARRAY[1, 2], 'b');
SELECT c, v, c || v, concat(c, v), length(c), c = 'ab', c LIKE 'ab%', upper(c), c::text || '|' FROM ta_m ORDER BY id;
SELECT lower(v), initcap(v), left(c, 1), lpad(c, 6, '*'), rpad(v, 4, '*'), octet_length(c), bit_length(c) FROM ta_m ORDER BY id;
SELECT string_agg(v, ',' ORDER BY v), array_agg(c ORDER BY c), string_agg(DISTINCT v, '-') FROM ta_m;
SELECT id, b, length(b), encode(b, 'base64'), get_byte(b, 0), md5(b), sha256(b) FROM ta_m ORDER BY id;
SELECT b || '\x00'::bytea, '\x01'::bytea || b, substring(b FROM 2 FOR 2), substr(b, 3) FROM ta_m ORDER BY id;
SELECT id, ROW(id, v), (id, c, b) FROM ta_m ORDER BY id;
SELECT id FROM ta_m WHERE (id, v) = (2, 'z');
SELECT regexp_replace('abc', '(b)', '[\1]'), regexp_replace('abc', 'b', '\&\&'), regexp_match('abc', '(x)?b');
SELECT regexp_matches('aXbX', 'x', 'gi');
SELECT length(NULL::text), upper(NULL), lpad(NULL, 3), md5(NULL), quote_ident(NULL), starts_with('a', NULL);

-- Ordering, comparison and casts of arrays; arrays of other element types
CREATE TABLE ta_w (id int PRIMARY KEY, g text, n numeric, d date, flags boolean[], nums int[]);
INSERT INTO ta_w VALUES (1, 'a', 1.5, '2024-01-02', '{t,f}', '{10,2}'), (2, 'a', 2, '2024-02-03', '{f}', '{9}'), (3, 'b', NULL, NULL, NULL, '{10,1}');
SELECT ARRAY[n], ARRAY[d], flags, ARRAY[n, 2.25] FROM ta_w ORDER BY id;
SELECT array_agg(n ORDER BY id), array_agg(d ORDER BY id), array_agg(flags[1] ORDER BY id) FROM ta_w;
SELECT id, string_agg(g, ',') OVER (ORDER BY id), array_agg(id) OVER (ORDER BY id) FROM ta_w ORDER BY id;
SELECT nums FROM ta_w ORDER BY nums;
SELECT nums FROM ta_w ORDER BY nums DESC;
SELECT ARRAY[10] > ARRAY[9], ARRAY[1,2] < ARRAY[1,2,3], ARRAY['b'] > ARRAY['a','z'];
SELECT DISTINCT g, array_agg(id ORDER BY id) FROM ta_w GROUP BY g ORDER BY g;
SELECT nums, count(*) FROM ta_w GROUP BY nums ORDER BY nums;
SELECT '{1,2}'::int[]::text, ARRAY[1,2]::text[], '{1,2}'::text[]::int[], ARRAY['1','2']::int[], string_to_array('1,2', ',')::int[];
SELECT id FROM ta_w WHERE nums IN ('{9}', '{10,1}') ORDER BY id;
SELECT id FROM ta_w WHERE nums = ARRAY[9] OR nums = '{10,2}' ORDER BY id;
SELECT format('%*s|', 5, 'x'), format('%-*s|', 4, 'y'), format('%1$I %1$L', 'A');
SELECT 'a%b' LIKE 'a\%b', 'a\b' LIKE 'a\\b' ESCAPE '', 'A' SIMILAR TO '[a-z]', 'abc' SIMILAR TO 'a|b', 'xy' SIMILAR TO '(x|y)*';
SELECT regexp_replace('a b  c', '\s+', ' ', 'g'), regexp_replace('foo', 'O', '0', 'gi'), 'abc' ~ NULL, NULL ~ 'a';
SELECT regexp_split_to_array('a, b ,c', '\s*,\s*'), regexp_match('ABC', 'b', 'i'), regexp_count('aaa', 'a*');
SELECT length(repeat('é', 3)), reverse('ñú'), strpos('añb', 'b'), substr('añb', 2, 1), position('ñ' IN 'añb'), left('añb', 2), right('añb', 1);
SELECT lpad('12', 5, '0') || rpad('x', 3), translate('añb', 'ñ', 'n'), replace('añaña', 'ñ', 'N');
SELECT id, nums[1] + nums[2] AS s, array_length(nums, 1) > 1 FROM ta_w ORDER BY id;
SELECT array_append(NULL::int[], 1), array_prepend(1, NULL), array_cat(NULL, ARRAY[1]), NULL::int[] || 1, ARRAY[1] || NULL::int;
SELECT array_remove(NULL::int[], 1), array_position(NULL::int[], 1), cardinality(NULL::int[]), array_length('{}'::int[], 1);
SELECT x FROM unnest('{a,b}'::text[]) x WHERE x > 'a';
SELECT sum(n) FILTER (WHERE n > 1), array_agg(DISTINCT g ORDER BY g) FROM ta_w;
SELECT upper(g) || id, lower('ÀÉÎ') = 'àéî', initcap('mcdonald''s farm') FROM ta_w ORDER BY id;
SELECT md5(g || id::text), encode(convert_to(g, 'UTF8'), 'hex') FROM ta_w ORDER BY id;
SELECT (SELECT array_agg(g ORDER BY g) FROM ta_w w2 WHERE w2.id <= w.id) FROM ta_w w ORDER BY id;
SELECT id = ANY (SELECT id FROM ta_w WHERE g = 'a'), id FROM ta_w ORDER BY id;
SELECT ARRAY(SELECT unnest(nums) ORDER BY 1) FROM ta_w ORDER BY id;
SELECT starts_with(g, 'a'), g ^@ 'b', octet_length(g), bit_length(g || 'é') FROM ta_w ORDER BY id;
SELECT quote_literal(n), quote_literal(d), quote_nullable(n), quote_ident(g) FROM ta_w ORDER BY id;
SELECT concat_ws(', ', g, n, d), concat(id, '-', n), format('%s/%s', d, n) FROM ta_w ORDER BY id;
SELECT row(id, g) = row(1, 'a'), (id, n) IS NULL, (id, n) IS NOT NULL FROM ta_w ORDER BY id;
SELECT id FROM ta_w WHERE (g, id) < ('b', 0) ORDER BY id;
SELECT CAST(ARRAY[1.5, 2] AS int[]), ARRAY[1, 2]::numeric[], ARRAY[1,2]::bigint[], '{1,2}'::int[]::text[], ARRAY['1', '2']::int[], '{t}'::bool[]::text[];
SELECT ARRAY[1.5, 2.5]::int[], '{a,b}'::varchar[]::text[], ARRAY[1]::text[] || 'x'::text;
SELECT ARRAY[1]::text[] || 'x'; -- differential: error=22P02

-- Edge cases: empty and NULL arguments, SIMILAR substrings, bounds
SELECT format('%I.%I', 'select', 'Tab'), format('%L', E'a\\b'), format('%I', 'ok_name');
SELECT substring('foobar' SIMILAR '%#"o_b#"%' ESCAPE '#'), 'abc' SIMILAR TO '%(b|d)%', 'a+b' SIMILAR TO 'a\+b';
SELECT 'ab' LIKE 'a_', 'ab '::char(3) LIKE 'ab', 'ÉCOLE' ILIKE 'école', 'x' LIKE NULL, NULL LIKE 'x';
SELECT regexp_replace('abcABC', '[a-c]', '', 'gi'), regexp_matches('abc', '(a)(x)?'), regexp_replace('a.b', '.', '-');
SELECT 'abc' ~ '^(a|b)+c$', 'ABC' ~* 'b', regexp_match('foo bar', '(\w+) (\w+)');
SELECT regexp_match('foo bar', '(?<first>\w+)'); -- differential: error=2201B
SELECT left('abc', 0), right('abc', 0), substr('abc', 0, 2), substr('abc', -1, 3), substring('abc' FROM 0 FOR 2);
SELECT repeat('x', 0), repeat('x', -1), lpad('abc', 5, ''), split_part('abc', '', 1), split_part('', ',', 1);
SELECT ascii(NULL), chr(NULL), to_hex(NULL::int), starts_with('', ''), bit_length(''), octet_length(''::bytea);
SELECT string_agg(x, NULL) FROM (VALUES ('a'), ('b')) v(x);
SELECT string_agg(x, ',' ORDER BY x DESC NULLS LAST) FROM (VALUES ('a'), (NULL), ('b')) v(x);
SELECT array_to_string(ARRAY['a', NULL, 'c'], ',') , array_to_string(ARRAY[1, NULL]::int[], ',', 'N');
SELECT trim('  x  '), trim(LEADING 'ab' FROM 'abba'), ltrim('xxhixx', 'x'), rtrim('xxhixx', 'x'), btrim('é é', 'é');
SELECT encode('\x00'::bytea, 'base64'), decode('', 'hex'), encode(''::bytea, 'hex'), decode('AA==', 'base64');
SELECT md5('a') = md5('a'::bytea), sha384('abc'::bytea);
SELECT overlay('abc' PLACING 'XYZ' FROM 2), overlay('abc' PLACING 'X' FROM 5), overlay('abcdef' PLACING 'X' FROM 2 FOR 0);
SELECT set_byte('\x00'::bytea, 1, 1); -- differential: error=2202E
SELECT array_fill(7, ARRAY[2, 2]), array_fill(0, ARRAY[0]);
SELECT ARRAY[ARRAY[1, 2], ARRAY[3]]; -- differential: error=2202E
SELECT array_position(ARRAY[NULL, 1]::int[], NULL), array_positions(ARRAY[NULL, NULL]::int[], NULL), array_replace(ARRAY[NULL, 1], NULL, 2);
SELECT array_remove(ARRAY[[1,2],[3,4]], 1); -- differential: error=0A000
SELECT (ARRAY[1,2,3])[-1], (ARRAY[1,2,3])[NULL], (ARRAY[1,2,3])[2:1], (ARRAY[1,2,3])[0:2];
SELECT 1 = ALL ('{}'::int[]), 1 <> ALL (ARRAY[2, NULL]), 1 = ANY (NULL::int[]), 'a' = ANY ('{a,b}');
SELECT (1, 2) = (1, 2, 3); -- differential: error=42601

-- Several arrays in lockstep: unnest(a, b) of columns, set-returning functions side by side
CREATE TABLE ta_v (id int PRIMARY KEY, a int[], b text[]);
INSERT INTO ta_v VALUES (1, '{1,2}', '{x,y,z}'), (2, '{3}', '{w}');
SELECT id, u.n, u.s FROM ta_v, unnest(a, b) AS u(n, s) ORDER BY id, u.s;
SELECT id, unnest(a), unnest(b) FROM ta_v ORDER BY 1, 3;
SELECT id, e, ord FROM ta_v, unnest(b) WITH ORDINALITY AS t(e, ord) ORDER BY id, ord;
SELECT id, array_agg(e ORDER BY e DESC) FROM ta_v, unnest(b) e GROUP BY id ORDER BY id;
SELECT id FROM ta_v WHERE EXISTS (SELECT 1 FROM unnest(b) x WHERE x = 'w');
SELECT id, (SELECT string_agg(x, '+') FROM unnest(b) x) FROM ta_v ORDER BY id;
SELECT * FROM unnest(ARRAY[[1,2],[3,4]]) ORDER BY 1;
SELECT count(*) FROM ta_v, unnest(a);
