-- boolean, bytea, uuid, json and jsonb (basic operators -> ->> @> ? and friends).

CREATE TABLE misc_t (id integer PRIMARY KEY, b boolean, raw bytea, u uuid, j json, jb jsonb);
INSERT INTO misc_t VALUES (1, true, '\xdeadbeef', 'a0eebc99-9c0b-4ef8-bb6d-6bb9bd380a11', '{"a": 1, "b": [1, 2]}', '{"a": 1, "b": [1, 2], "c": {"d": "x"}}');
INSERT INTO misc_t VALUES (2, false, 'abc', 'A0EEBC99-9C0B-4EF8-BB6D-6BB9BD380A12', '[1, "two", null]', '[1, "two", null]');
INSERT INTO misc_t VALUES (3, NULL, NULL, NULL, NULL, NULL);
INSERT INTO misc_t VALUES (4, 'yes', '', '{a0eebc99-9c0b4ef8-bb6d6bb9-bd380a13}', '"str"', '{"z": 26, "a": 1, "a": 2}');
INSERT INTO misc_t VALUES (5, 'off', '\x00ff', 'a0eebc999c0b4ef8bb6d6bb9bd380a14', '3.50', '{"n": 3.50, "t": true, "f": false, "nul": null}');
SELECT id, b, raw, u, j, jb FROM misc_t ORDER BY id;

-- boolean
SELECT true, false, 't'::boolean, 'FALSE'::boolean, '1'::boolean, 'on'::boolean, 'n'::boolean;
SELECT 'maybe'::boolean; -- differential: error=22P02
SELECT true AND NULL, false AND NULL, true OR NULL, false OR NULL, NOT NULL::boolean;
SELECT id FROM misc_t WHERE b ORDER BY id;
SELECT id FROM misc_t WHERE NOT b;
SELECT id FROM misc_t WHERE b IS NOT TRUE ORDER BY id;
SELECT id FROM misc_t WHERE b IS UNKNOWN;
SELECT true > false, true::integer, 0::boolean, 2::boolean, 'true'::boolean::text;
SELECT b, count(*) FROM misc_t GROUP BY b ORDER BY b NULLS LAST;

-- bytea
SELECT '\x4142'::bytea, 'AB'::bytea, E'\\x00'::bytea, length('\xdeadbeef'::bytea), octet_length('abc'::bytea);
SELECT raw || '\x01'::bytea FROM misc_t WHERE id = 1;
SELECT get_byte('\x0102'::bytea, 1), set_byte('\x0102'::bytea, 0, 255), substring('\x01020304'::bytea FROM 2 FOR 2);
SELECT encode('\xdeadbeef'::bytea, 'hex'), encode('hello'::bytea, 'base64'), decode('68656c6c6f', 'hex'), decode('aGVsbG8=', 'base64');
SELECT md5('\x00'::bytea), sha256('abc'::bytea);
SELECT '\xzz'::bytea; -- differential: error=22023
SELECT '\x00'::bytea < '\x01'::bytea, 'abc'::bytea = 'abc'::bytea;

-- uuid
SELECT u FROM misc_t ORDER BY u NULLS LAST;
SELECT 'a0eebc99-9c0b-4ef8-bb6d-6bb9bd380a11'::uuid = 'A0EEBC99-9C0B-4EF8-BB6D-6BB9BD380A11'::uuid;
SELECT 'not-a-uuid'::uuid; -- differential: error=22P02
SELECT u::text FROM misc_t WHERE id = 2;
SELECT count(*) FROM misc_t WHERE u > 'a0eebc99-9c0b-4ef8-bb6d-6bb9bd380a12';
SELECT length(gen_random_uuid()::text), pg_typeof(gen_random_uuid());

-- json: stored as text, kept verbatim
SELECT j -> 'a', j -> 'b', j ->> 'a', j -> 'b' -> 1, j -> 'missing' FROM misc_t WHERE id = 1;
SELECT j -> 1, j ->> 1, j ->> 2, j -> 5 FROM misc_t WHERE id = 2;
SELECT '{"a":1,  "b":2}'::json, '{"a":1,  "b":2}'::json::text;
SELECT json_build_object('k', 1, 'l', ARRAY[1, 2]), json_build_array(1, 'a', NULL, true);
SELECT json_typeof('{}'), json_typeof('[]'), json_typeof('1'), json_typeof('"s"'), json_typeof('null');
SELECT json_array_length('[1, 2, 3]');
SELECT '{"a": }'::json; -- differential: error=22P02

-- jsonb: normalised (keys sorted by length then bytes, last duplicate wins)
SELECT jb FROM misc_t WHERE id IN (4, 5) ORDER BY id;
SELECT jb -> 'c', jb -> 'c' ->> 'd', jb #> '{c,d}', jb #>> '{b,1}', jb -> 'b' -> 0 FROM misc_t WHERE id = 1;
SELECT jb ->> 'n', jb -> 'n', jb -> 't', jb ->> 'nul', jb -> 'nul' FROM misc_t WHERE id = 5;
SELECT id FROM misc_t WHERE jb @> '{"a": 1}' ORDER BY id;
SELECT id FROM misc_t WHERE jb @> '[1]';
SELECT id FROM misc_t WHERE '{"a": 1}' <@ jb ORDER BY id;
SELECT id FROM misc_t WHERE jb ? 'c';
SELECT id FROM misc_t WHERE jb ?| ARRAY['z', 'c'] ORDER BY id;
SELECT id FROM misc_t WHERE jb ?& ARRAY['a', 'b'];
SELECT '{"a": 1}'::jsonb || '{"b": 2}'::jsonb, '{"a": 1, "b": 2}'::jsonb - 'a', '[1, 2, 3]'::jsonb - 0;
SELECT '{"b": 1, "a": [1, 2.0, "x"]}'::jsonb, '  [ 1 , 2 ]  '::jsonb, '1.0'::jsonb, '"\u00e9"'::jsonb;
SELECT '{"a": 1}'::jsonb = '{ "a" : 1 }'::jsonb, '[1, 2]'::jsonb = '[2, 1]'::jsonb;
SELECT jsonb_typeof(jb), jsonb_typeof(jb -> 'a') FROM misc_t WHERE id = 1;
SELECT jsonb_build_object('x', 1, 'y', 'two'), jsonb_build_array(1, NULL), to_jsonb('text'::text), to_jsonb(1.5);
SELECT jsonb_set('{"a": 1}'::jsonb, '{b}', '2'), jsonb_pretty('{"a": [1]}'::jsonb);
SELECT key, value FROM jsonb_each('{"a": 1, "b": "x"}'::jsonb) ORDER BY key;
SELECT jsonb_array_elements('[1, "a", {"b": null}]'::jsonb);
SELECT jsonb_object_keys('{"b": 1, "a": 2}'::jsonb);
SELECT jsonb_agg(id ORDER BY id), jsonb_object_agg(id, b) FROM misc_t WHERE id < 3;
SELECT json_agg(x ORDER BY x) FROM (VALUES (3), (1), (2)) v(x);
SELECT count(*) FROM misc_t WHERE jb -> 'a' = '1'::jsonb;
SELECT (jb ->> 'a')::integer + 1 FROM misc_t WHERE id = 1;
SELECT '{"a": 1'::jsonb; -- differential: error=22P02

DROP TABLE misc_t;
