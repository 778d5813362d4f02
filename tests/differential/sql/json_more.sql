-- json and jsonb as applications use them: output text exactly as PostgreSQL prints it,
-- operators, builders, aggregates, set-returning functions and modification functions.

CREATE TABLE jm_docs (id integer PRIMARY KEY, name text, doc jsonb, raw json, tags text[], price numeric(8, 2), active boolean, created timestamp);
INSERT INTO jm_docs VALUES (1, 'alpha', '{"type": "book", "title": "SQL", "pages": 320, "price": 29.90, "tags": ["db", "sql"], "meta": {"lang": "en", "isbn": null}}', '{"type":"book",  "pages":320, "nested": {"a": [1, 2,  3]}}', ARRAY['db', 'sql'], 29.90, true, '2024-01-15 10:30:00');
INSERT INTO jm_docs VALUES (2, 'beta', '{"type": "dvd", "title": "Movie", "minutes": 120, "price": 9.5, "tags": ["film"], "meta": {"lang": "fr"}}', '[1, "two", {"three": 3}, null, true]', ARRAY['film'], 9.50, false, '2024-02-01 08:00:00');
INSERT INTO jm_docs VALUES (3, 'gamma', '{"type": "book", "title": "Python", "pages": 500, "price": 45, "tags": [], "meta": {}}', '"just a string"', ARRAY[]::text[], 45.00, true, '2024-03-10 12:00:00');
INSERT INTO jm_docs VALUES (4, 'delta', '[1, 2.50, "x", null, {"k": "v"}]', '3.500', NULL, NULL, NULL, NULL);
INSERT INTO jm_docs VALUES (5, 'eps', NULL, NULL, NULL, 12.34, true, '2024-04-01 00:00:00');

-- output text of literals and casts
SELECT '{"b": 2, "a": 1, "aa": {"y": 1, "x": 2}}'::jsonb;
SELECT '{"b": 2,   "a": 1}'::json;
SELECT '[1, 1.0, 1.50, 1e3, -0.5, 10000000000000000000]'::jsonb;
SELECT '{"a": "\u00e9\n\t\"q\""}'::jsonb, '"\\"'::jsonb;
SELECT 'true'::jsonb, 'null'::jsonb, '"s"'::jsonb, '12.300'::jsonb;
SELECT '{"a": 1}'::jsonb::text, '{"a":   1}'::json::text, '{"a":1}'::json::jsonb, '{"a": 1}'::jsonb::json;
SELECT '[]'::jsonb, '{}'::jsonb, '[[]]'::jsonb, '[{}]'::json;
SELECT '{"a": [1, 2'::jsonb; -- differential: error=22P02
SELECT 'nope'::json; -- differential: error=22P02
SELECT id, doc FROM jm_docs ORDER BY id;
SELECT id, raw FROM jm_docs ORDER BY id;

-- -> and ->>
SELECT doc -> 'title', doc ->> 'title', doc -> 'pages', doc ->> 'price' FROM jm_docs ORDER BY id;
SELECT doc -> 'tags' -> 0, doc -> 'tags' ->> 1, doc -> 'tags' -> -1 FROM jm_docs WHERE id = 1;
SELECT doc -> 'meta' -> 'lang', doc -> 'meta' ->> 'isbn', doc -> 'meta' -> 'isbn' FROM jm_docs ORDER BY id;
SELECT doc -> 0, doc -> 1, doc ->> 1, doc -> 4 -> 'k', doc -> 10, doc -> -2 FROM jm_docs WHERE id = 4;
SELECT raw -> 'nested', raw -> 'nested' -> 'a', raw ->> 'pages' FROM jm_docs WHERE id = 1;
SELECT raw -> 2, raw ->> 1, raw -> 3, raw ->> 3, raw -> 4 FROM jm_docs WHERE id = 2;
SELECT raw -> 'x', raw -> 0 FROM jm_docs WHERE id = 3;
SELECT '{"a":1,"a":2}'::json -> 'a', '{"a":1,"a":2}'::jsonb -> 'a';
SELECT '{"a": {"b": {"c": [10, 20]}}}'::jsonb -> 'a' -> 'b' -> 'c' ->> 1;
SELECT '[1, 2, 3]'::jsonb -> 'a', '{"a": 1}'::jsonb -> 0, '"s"'::jsonb -> 0;
SELECT name FROM jm_docs WHERE doc ->> 'type' = 'book' ORDER BY name;
SELECT name FROM jm_docs WHERE (doc ->> 'pages')::integer > 400;
SELECT name, (doc ->> 'price')::numeric * 2 FROM jm_docs WHERE doc ? 'price' ORDER BY name;
SELECT doc ->> 'type', count(*) FROM jm_docs WHERE doc ->> 'type' IS NOT NULL GROUP BY doc ->> 'type' ORDER BY 1;
SELECT name FROM jm_docs ORDER BY doc ->> 'title' NULLS LAST, id;

-- #> and #>>, json_extract_path
SELECT doc #> '{meta,lang}', doc #>> '{meta,lang}', doc #> '{tags,0}', doc #>> '{tags,1}' FROM jm_docs ORDER BY id;
SELECT doc #> '{}', doc #>> '{4,k}', doc #> '{0}' FROM jm_docs WHERE id = 4;
SELECT raw #> '{nested,a}', raw #>> '{nested,a,2}', raw #> '{nested,x}' FROM jm_docs WHERE id = 1;
SELECT '{"a": [{"b": 1}, {"b": 2}]}'::jsonb #> '{a,1,b}', '{"a": [{"b": 1}]}'::jsonb #> '{a,x}';
SELECT json_extract_path('{"a": {"b": "c"}}', 'a', 'b'), json_extract_path_text('{"a": {"b": "c"}}', 'a', 'b');
SELECT jsonb_extract_path(doc, 'meta', 'lang'), jsonb_extract_path_text(doc, 'tags', '0') FROM jm_docs ORDER BY id;
SELECT jsonb_extract_path('{"a": [1, 2]}'::jsonb, 'a'), jsonb_extract_path_text('{"a": null}'::jsonb, 'a');

-- containment and key existence
SELECT name FROM jm_docs WHERE doc @> '{"type": "book"}' ORDER BY name;
SELECT name FROM jm_docs WHERE doc @> '{"tags": ["sql"]}';
SELECT name FROM jm_docs WHERE doc @> '{"meta": {"lang": "fr"}}';
SELECT '{"a": 1}'::jsonb <@ '{"a": 1, "b": 2}'::jsonb, '{"a": 1, "c": 3}'::jsonb <@ '{"a": 1, "b": 2}'::jsonb;
SELECT '[1, 2, 3]'::jsonb @> '[3, 1]'::jsonb, '[1, 2, 3]'::jsonb @> '[4]'::jsonb, '[1, [2, 3]]'::jsonb @> '[[3]]'::jsonb;
SELECT '{"a": 1}'::jsonb ? 'a', '{"a": 1}'::jsonb ? 'b', '["a", "b"]'::jsonb ? 'b', '"a"'::jsonb ? 'a';
SELECT '{"a": 1, "b": 2}'::jsonb ?| ARRAY['b', 'c'], '{"a": 1, "b": 2}'::jsonb ?& ARRAY['a', 'c'];
SELECT '{"a": 1, "b": 2}'::jsonb ?| '{x,y}', '{"a": 1, "b": 2}'::jsonb ?& '{a,b}';
SELECT name FROM jm_docs WHERE doc ? 'minutes';
SELECT name FROM jm_docs WHERE doc ?| ARRAY['pages', 'minutes'] ORDER BY id;
SELECT count(*) FROM jm_docs WHERE doc -> 'meta' ? 'isbn';

-- concatenation and deletion
SELECT '{"a": 1}'::jsonb || '{"a": 2, "b": 3}'::jsonb, '[1, 2]'::jsonb || '[3]'::jsonb;
SELECT '[1, 2]'::jsonb || '3'::jsonb, '1'::jsonb || '[2]'::jsonb, '{"a": 1}'::jsonb || '[1]'::jsonb, '"a"'::jsonb || '"b"'::jsonb;
SELECT doc || '{"seen": true}' FROM jm_docs WHERE id = 2;
SELECT '{"a": 1, "b": 2, "c": 3}'::jsonb - 'b', '{"a": 1}'::jsonb - 'zz', '["a", "b", "a"]'::jsonb - 'a';
SELECT '[1, 2, 3]'::jsonb - 1, '[1, 2, 3]'::jsonb - -1, '[1, 2, 3]'::jsonb - 5;
SELECT '{"a": 1, "b": 2, "c": 3}'::jsonb - ARRAY['a', 'c'];
SELECT '{"a": {"b": 1, "c": 2}}'::jsonb #- '{a,b}', '[1, [2, 3]]'::jsonb #- '{1,0}', '{"a": 1}'::jsonb #- '{x,y}';
SELECT doc - 'meta' - 'tags' FROM jm_docs WHERE id = 1;
SELECT '{"a": 1}'::jsonb - 0; -- differential: error=22023
SELECT '1'::jsonb - 'a'; -- differential: error=22023

-- typeof, array length, keys
SELECT json_typeof('{}'), json_typeof('[1]'), json_typeof('-1.5'), json_typeof('"x"'), json_typeof('true'), json_typeof('null');
SELECT jsonb_typeof(doc), jsonb_typeof(doc -> 'price'), jsonb_typeof(doc -> 'meta'), jsonb_typeof(doc -> 'nothing') FROM jm_docs ORDER BY id;
SELECT json_typeof(raw) FROM jm_docs ORDER BY id;
SELECT jsonb_array_length(doc -> 'tags') FROM jm_docs WHERE id < 4 ORDER BY id;
SELECT json_array_length('[1, [2, 3], {}]'), jsonb_array_length('[]');
SELECT jsonb_array_length('{"a": 1}'); -- differential: error=22023
SELECT json_array_length('5'); -- differential: error=22023
SELECT jsonb_object_keys(doc) AS k FROM jm_docs WHERE id = 1 ORDER BY k;
SELECT json_object_keys('{"b": 1, "a": 2, "b": 3}');
SELECT DISTINCT jsonb_object_keys(doc) FROM jm_docs WHERE jsonb_typeof(doc) = 'object' ORDER BY 1;
SELECT * FROM jsonb_object_keys('{"x": 1, "yy": 2}');
SELECT jsonb_object_keys('[1]'); -- differential: error=22023

-- set-returning functions in FROM
SELECT * FROM jsonb_each('{"a": 1, "b": [true], "c": null}') ORDER BY key;
SELECT * FROM jsonb_each_text('{"a": 1, "b": [true], "c": null, "d": "s"}') ORDER BY key;
SELECT * FROM json_each('{"x": {"y":  1}, "w": "v"}') ORDER BY key;
SELECT key, value FROM json_each_text('{"x": 1.50, "w": "v"}') ORDER BY key;
SELECT * FROM jsonb_array_elements('[1, "two", {"three": 3}, [4], null]');
SELECT * FROM jsonb_array_elements_text('[1, "two", {"three": 3}, null]');
SELECT value FROM json_array_elements('[1,  {"a" : 2}]');
SELECT e FROM json_array_elements_text('["a", "b"]') AS e;
SELECT * FROM jsonb_array_elements('[10, 20, 30]') WITH ORDINALITY;
SELECT t.value, t.ordinality FROM jsonb_array_elements_text('["x", "y"]') WITH ORDINALITY AS t ORDER BY t.ordinality;
SELECT d.id, e.value FROM jm_docs d, jsonb_array_elements(d.doc -> 'tags') e WHERE d.id < 4 ORDER BY d.id, e.value;
SELECT d.name, t.tag FROM jm_docs d CROSS JOIN LATERAL jsonb_array_elements_text(d.doc -> 'tags') AS t(tag) ORDER BY d.name, t.tag;
SELECT d.id, kv.key, kv.value FROM jm_docs d, jsonb_each(d.doc -> 'meta') kv ORDER BY d.id, kv.key;
SELECT d.id, kv.key FROM jm_docs d, jsonb_each_text(d.doc) kv WHERE jsonb_typeof(d.doc) = 'object' AND kv.value = 'book' ORDER BY d.id;
SELECT count(*) FROM jm_docs d, jsonb_array_elements(d.doc -> 'tags') e;
SELECT e.k, e.v FROM jsonb_each('{"p": 1, "q": 2}') AS e(k, v) ORDER BY e.k;
SELECT * FROM jsonb_array_elements('{"a": 1}'); -- differential: error=22023
SELECT * FROM jsonb_each('[1, 2]'); -- differential: error=22023
SELECT * FROM json_each('3'); -- differential: error=22023

-- set-returning functions in the select list
SELECT jsonb_array_elements('[1, [2], {"a": 3}]');
SELECT jsonb_array_elements_text('["a", 1, null, true]');
SELECT json_array_elements('[{"a":1}, {"b" : 2}]');
SELECT id, jsonb_array_elements_text(doc -> 'tags') AS tag FROM jm_docs WHERE id < 3 ORDER BY id, tag;

-- builders
SELECT json_build_object('a', 1, 'b', 'two', 'c', NULL, 'd', true, 'e', 2.50);
SELECT jsonb_build_object('a', 1, 'b', 'two', 'c', NULL, 'd', true, 'e', 2.50);
SELECT json_build_object(), jsonb_build_object(), json_build_array(), jsonb_build_array();
SELECT json_build_object('nested', json_build_object('x', 1), 'arr', json_build_array(1, 2));
SELECT jsonb_build_object('nested', jsonb_build_object('x', 1), 'arr', jsonb_build_array(1, 2));
SELECT json_build_object('doc', '{"k":  "v"}'::json, 'b', '{"y": 1}'::jsonb);
SELECT json_build_object(1, 'one', 2.5, 'x', true, 'y');
SELECT jsonb_build_object('b', 1, 'a', 2, 'b', 3);
SELECT json_build_array(1, 'a', NULL, false, 1.10, ARRAY[1, 2], ARRAY['x', NULL]);
SELECT jsonb_build_array(1, 'a', NULL, false, 1.10, ARRAY[1, 2], ARRAY['x', NULL]);
SELECT json_build_object('id', id, 'name', name, 'active', active, 'price', price) FROM jm_docs ORDER BY id;
SELECT jsonb_build_object('id', id, 'tags', tags, 'created', created) FROM jm_docs ORDER BY id;
SELECT json_build_object('a'); -- differential: error=22023
SELECT json_build_object(NULL, 1); -- differential: error=22023
SELECT json_build_object('t', E'line\nbreak "quoted" \\ back');

-- to_json, to_jsonb, array_to_json
SELECT to_json('text'::text), to_json(42), to_json(3.140), to_json(true), to_json(NULL::text);
SELECT to_jsonb('text'::text), to_jsonb(42), to_jsonb(3.140), to_jsonb(false), to_jsonb(ARRAY[1, 2, 3]);
SELECT to_json(ARRAY['a', 'b']), to_json(ARRAY[1.5, 2]), to_json(ARRAY[true, false]);
SELECT to_json('2024-01-15 10:30:00'::timestamp), to_json('2024-01-15'::date), to_jsonb('2024-01-15 10:30:00.5'::timestamp);
SELECT to_json('NaN'::numeric), to_json(1.5::float8), to_json('Infinity'::float8), to_jsonb(2.5::real);
SELECT to_json('{"a": 1}'::json), to_json('{"b":   2}'::jsonb), to_jsonb('{"c":  3}'::json);
SELECT to_json(name), to_json(price), to_json(tags), to_json(created) FROM jm_docs ORDER BY id;
SELECT array_to_json(ARRAY[1, 2, 3]), array_to_json(ARRAY['x', 'y']), array_to_json(tags) FROM jm_docs WHERE id = 1;
SELECT to_json(E'tab\there'::text), to_json('a/b'::text);

-- aggregates
SELECT json_agg(id ORDER BY id) FROM jm_docs;
SELECT jsonb_agg(id ORDER BY id DESC) FROM jm_docs;
SELECT json_agg(name ORDER BY name), jsonb_agg(name ORDER BY name) FROM jm_docs;
SELECT json_agg(active ORDER BY id), jsonb_agg(price ORDER BY id) FROM jm_docs;
SELECT json_agg(doc -> 'title' ORDER BY id) FROM jm_docs WHERE id < 4;
SELECT json_agg(tags ORDER BY id) FROM jm_docs WHERE id < 4;
SELECT jsonb_agg(tags ORDER BY id) FROM jm_docs WHERE id < 4;
SELECT json_agg(x) FROM (SELECT 1 AS x WHERE false) s;
SELECT active, json_agg(name ORDER BY name) FROM jm_docs GROUP BY active ORDER BY active NULLS LAST;
SELECT json_object_agg(name, id ORDER BY id) FROM jm_docs;
SELECT jsonb_object_agg(name, price) FROM jm_docs;
SELECT json_object_agg(name, doc -> 'type' ORDER BY id) FROM jm_docs WHERE id < 4;
SELECT jsonb_object_agg(k, v) FROM (VALUES ('a', 1), ('b', 2), ('a', 3)) AS t(k, v);
SELECT json_object_agg(k, v) FROM (VALUES ('x', true), ('y', NULL)) AS t(k, v);
SELECT jsonb_object_agg(k, v) FROM (VALUES (NULL::text, 1)) AS t(k, v); -- differential: error=22023
SELECT json_agg(json_build_object('id', id, 'name', name) ORDER BY id) FROM jm_docs WHERE id < 3;
SELECT jsonb_agg(jsonb_build_object('id', id, 'name', name) ORDER BY id) FROM jm_docs WHERE id < 3;
SELECT json_agg(DISTINCT doc ->> 'type') FROM jm_docs WHERE doc ->> 'type' IS NOT NULL;
SELECT jsonb_agg(id ORDER BY id) FILTER (WHERE active) FROM jm_docs;
SELECT jsonb_agg(e ORDER BY e) FROM jsonb_array_elements('[3, 1, 2]') AS e;

-- jsonb_set, jsonb_insert, jsonb_strip_nulls, jsonb_pretty
SELECT jsonb_set('{"a": 1, "b": {"c": 2}}', '{b,c}', '3'), jsonb_set('{"a": 1}', '{x}', '"new"');
SELECT jsonb_set('{"a": 1}', '{x}', '"new"', false), jsonb_set('{"a": [1, 2, 3]}', '{a,1}', '20');
SELECT jsonb_set('{"a": [1, 2]}', '{a,5}', '9'), jsonb_set('{"a": [1, 2]}', '{a,-5}', '0');
SELECT jsonb_set('{"a": 1}', '{x,y}', '1'), jsonb_set('[1, 2]', '{0}', '{"z": true}');
SELECT jsonb_set(doc, '{meta,lang}', '"de"') FROM jm_docs WHERE id = 2;
SELECT jsonb_set(doc, '{price}', to_jsonb(price * 2)) FROM jm_docs WHERE id = 1;
SELECT jsonb_insert('{"a": [0, 1, 2]}', '{a,1}', '"new"'), jsonb_insert('{"a": [0, 1, 2]}', '{a,1}', '"new"', true);
SELECT jsonb_insert('{"a": 1}', '{b}', '2');
SELECT jsonb_insert('{"a": 1}', '{a}', '2'); -- differential: error=22023
SELECT jsonb_strip_nulls('{"a": 1, "b": null, "c": {"d": null, "e": [null, 2]}}');
SELECT json_strip_nulls('{"a": 1, "b": null, "c": [null, {"x": null, "y": 2}]}');
SELECT jsonb_strip_nulls(doc) FROM jm_docs WHERE id = 1;
SELECT jsonb_pretty('{"a": 1, "b": [1, 2, {"c": null}], "d": {}, "e": []}');
SELECT jsonb_pretty('[]'), jsonb_pretty('5'), jsonb_pretty('"s"');
SELECT jsonb_pretty(doc) FROM jm_docs WHERE id = 2;

-- storing and updating json columns
UPDATE jm_docs SET doc = jsonb_set(doc, '{price}', '19.99') WHERE id = 1;
UPDATE jm_docs SET doc = doc || '{"stock": 7}' WHERE id = 2;
UPDATE jm_docs SET doc = doc - 'minutes' WHERE id = 2;
UPDATE jm_docs SET doc = jsonb_build_object('empty', true) WHERE id = 5;
SELECT id, doc FROM jm_docs WHERE id IN (1, 2, 5) ORDER BY id;
INSERT INTO jm_docs (id, name, doc, raw) VALUES (6, 'zeta', jsonb_build_object('n', 1.50, 'l', jsonb_build_array('x')), json_build_object('n', 1.50)) RETURNING doc, raw;
INSERT INTO jm_docs (id, name, doc) SELECT 7, 'eta', jsonb_agg(id ORDER BY id) FROM jm_docs WHERE id < 3 RETURNING doc;
SELECT id, doc FROM jm_docs WHERE id >= 6 ORDER BY id;
SELECT id FROM jm_docs WHERE doc = '{"empty": true}'::jsonb;
SELECT id FROM jm_docs WHERE doc -> 'n' = '1.50'::jsonb;
SELECT pg_typeof(doc -> 'a'), pg_typeof(raw -> 'a'), pg_typeof(doc ->> 'a'), pg_typeof(to_json(1)), pg_typeof(jsonb_build_array(1)) FROM jm_docs WHERE id = 1;

-- rows as json: row_to_json, to_json(t), json_agg(t)
SELECT row_to_json(t) FROM (SELECT id, name, active FROM jm_docs WHERE id < 3) t ORDER BY t.id;
SELECT row_to_json(d) FROM jm_docs d WHERE id = 3;
SELECT json_agg(t) FROM (SELECT id, name FROM jm_docs WHERE id < 4 ORDER BY id) t;
SELECT jsonb_agg(t ORDER BY t.id DESC) FROM (SELECT id, price FROM jm_docs WHERE id < 4) t;
SELECT to_json(t), to_jsonb(t) FROM (SELECT 1 AS a, 'x' AS b, NULL::int AS c) t;
SELECT row_to_json(ROW(1, 'two', true)), to_json(ROW(1.50, NULL));
SELECT json_build_object('item', t) FROM (SELECT id, tags FROM jm_docs WHERE id = 1) t;
SELECT coalesce(json_agg(t), '[]') FROM (SELECT id FROM jm_docs WHERE id > 100) t;
SELECT json_build_object('id', d.id, 'tags', (SELECT json_agg(e ORDER BY e) FROM jsonb_array_elements_text(d.doc -> 'tags') e)) FROM jm_docs d WHERE d.id < 3 ORDER BY d.id;

-- casts out of jsonb, comparisons, grouping
SELECT (doc -> 'pages')::integer, (doc -> 'price')::numeric, (doc -> 'title')::text FROM jm_docs WHERE id = 1;
SELECT ('true'::jsonb)::boolean, ('12.5'::jsonb)::float8, ('"x"'::jsonb)::text;
SELECT ('"x"'::jsonb)::integer; -- differential: error=22023
SELECT '{"a": 1}'::jsonb = '{"a": 1}'::jsonb, '{"a": 1}'::jsonb <> '{"a": 2}'::jsonb, '[1, 2]'::jsonb = '[1, 2]'::jsonb;
SELECT doc -> 'type' AS t, count(*) FROM jm_docs WHERE doc ? 'type' GROUP BY doc -> 'type' ORDER BY count(*) DESC, 1;
SELECT DISTINCT doc -> 'meta' -> 'lang' FROM jm_docs WHERE doc -> 'meta' ? 'lang';
SELECT id FROM jm_docs WHERE doc -> 'tags' = '[]'::jsonb;
SELECT id FROM jm_docs WHERE doc ->> 'title' LIKE 'P%';
SELECT id FROM jm_docs WHERE doc IS NULL ORDER BY id;
SELECT json_build_object('a', 1)::text, jsonb_build_object('a', 1)::text, '{"a": 1}'::jsonb::text::jsonb;
SELECT length(doc::text) FROM jm_docs WHERE id = 3;
SELECT jsonb_typeof(doc -> 'tags' -> 0), doc -> 'tags' ->> 0 || '!' FROM jm_docs WHERE id = 1;

-- jsonb ordering and comparison by value
SELECT id, doc -> 'price' FROM jm_docs WHERE doc ? 'price' ORDER BY doc -> 'price';
SELECT id FROM jm_docs WHERE doc -> 'price' > '10'::jsonb ORDER BY id;
SELECT '1.0'::jsonb = '1'::jsonb, '2'::jsonb < '10'::jsonb, '"b"'::jsonb > '"a"'::jsonb, '[1, 2]'::jsonb < '[1, 3]'::jsonb;
SELECT '{"a": 1}'::jsonb < '{"a": 1, "b": 0}'::jsonb, 'null'::jsonb < '"s"'::jsonb, 'true'::jsonb > '1'::jsonb, '[1]'::jsonb < '{}'::jsonb;
SELECT v FROM (VALUES ('10'::jsonb), ('9'::jsonb), ('"x"'::jsonb), ('null'::jsonb), ('[1]'::jsonb), ('{"a": 1}'::jsonb), ('true'::jsonb), ('2.5'::jsonb)) AS t(v) ORDER BY v;
SELECT v FROM (VALUES ('[1, 2, 3]'::jsonb), ('[9]'::jsonb), ('[1, 1]'::jsonb)) AS t(v) ORDER BY v DESC;

-- schema and everyday patterns
CREATE INDEX jm_docs_gin ON jm_docs USING gin (doc);
CREATE INDEX jm_docs_type ON jm_docs ((doc ->> 'type'));
ALTER TABLE jm_docs ADD COLUMN settings jsonb NOT NULL DEFAULT '{"theme":  "dark", "n": 1.0}';
SELECT id, settings FROM jm_docs ORDER BY id;
UPDATE jm_docs SET settings = settings || jsonb_build_object('n', (settings ->> 'n')::numeric + 1) WHERE id = 1;
UPDATE jm_docs SET settings = jsonb_set(settings, '{theme}', to_jsonb('light'::text)) WHERE id = 2;
SELECT id, settings FROM jm_docs WHERE id < 3 ORDER BY id;
SELECT id FROM jm_docs d WHERE EXISTS (SELECT 1 FROM jsonb_array_elements_text(d.doc -> 'tags') t WHERE t = 'sql');
SELECT string_agg(doc ->> 'title', ', ' ORDER BY id) FROM jm_docs WHERE doc ? 'title';
SELECT array_agg(doc -> 'type' ORDER BY id) FROM jm_docs WHERE doc ? 'type';
SELECT coalesce(doc -> 'missing', '{}'), coalesce(doc -> 'type', '"none"') FROM jm_docs WHERE id = 1;
SELECT CASE WHEN doc ? 'pages' THEN doc -> 'pages' ELSE 'null'::jsonb END FROM jm_docs WHERE id IN (1, 2) ORDER BY id;
SELECT jsonb_build_object('a', 1) || jsonb_build_object('b', jsonb_build_array(true, NULL));
SELECT jsonb_agg(DISTINCT doc -> 'type') FROM jm_docs WHERE doc ? 'type';
SELECT '{"a": 1}'::jsonb @> '{}'::jsonb, '[]'::jsonb <@ '[1]'::jsonb, '{"a": [1, 2]}'::jsonb @> '{"a": [2]}'::jsonb;
SELECT doc ->> 'title' AS title FROM jm_docs WHERE doc ->> 'missing' IS NULL AND doc ? 'title' ORDER BY title;
SELECT json_object('{a, 1, b, 2}'), json_object('{a, b}', '{1, 2}'), jsonb_object('{a, 1, b, 2}');
SELECT '[1, 2, 3]'::json ->> 2, '{"a": {"b": 2}}'::json #>> '{a,b}', '{"a": null}'::json ->> 'a';
SELECT jsonb_set('{"a": {"b": 1}}', '{a,c,d}', '1'), jsonb_set('{"a": 1}', '{a}', 'null');
SELECT jsonb_set('{"a": 1}', '{a}', NULL), jsonb_build_array(jsonb_set('[]', '{0}', '1'));
SELECT json_object('{a, NULL}'), json_object('{}'::text[]), jsonb_object('{x, y}', '{1, NULL}');
SELECT json_object('{a, 1, b}'); -- differential: error=2202E
SELECT id, json_agg(id) OVER (ORDER BY id), jsonb_agg(name) OVER (ORDER BY id ROWS BETWEEN 1 PRECEDING AND CURRENT ROW) FROM jm_docs ORDER BY id;
SELECT id, jsonb_object_agg(name, id) OVER (PARTITION BY active ORDER BY id) FROM jm_docs ORDER BY id;

-- json(b)_to_record(set)
SELECT * FROM jsonb_to_recordset('[{"a": 1, "b": "x"}, {"a": 2, "c": true}, {"b": null}]') AS x(a int, b text, c boolean);
SELECT * FROM json_to_recordset('[{"id": 10, "price": 9.90, "tags": ["p", "q"], "doc": {"k":  1}}]') AS r(id bigint, price numeric, tags text[], doc json);
SELECT x.name, x.qty * 2 FROM jsonb_to_recordset('[{"name": "n1", "qty": 3}, {"name": "n2", "qty": 4}]') AS x(name text, qty integer) ORDER BY x.name;
SELECT * FROM jsonb_to_record('{"a": 1, "b": {"c": 2}, "d": "2024-01-01"}') AS t(a int, b jsonb, d date, e text);
SELECT * FROM json_to_record('{"a": "5", "a": 6}') AS t(a int);
INSERT INTO jm_docs (id, name, price) SELECT id, name, price FROM jsonb_to_recordset('[{"id": 20, "name": "r1", "price": 1.5}, {"id": 21, "name": "r2"}]') AS r(id int, name text, price numeric) RETURNING id, name, price;
SELECT * FROM jsonb_to_recordset('{"a": 1}') AS x(a int); -- differential: error=22023
SELECT * FROM jsonb_to_recordset('[{"a": 1.5}]') AS x(a int); -- differential: error=22P02

-- subscripts, arrays of json, values of other types
SELECT doc['type'], doc['tags'][1], doc['meta']['lang'] FROM jm_docs WHERE id = 1;
SELECT doc[0], doc[4]['k'], doc['x'] FROM jm_docs WHERE id = 4;
SELECT 'sql' = ANY(ARRAY(SELECT jsonb_array_elements_text(doc -> 'tags'))) FROM jm_docs WHERE id = 1;
SELECT id FROM jm_docs WHERE doc -> 'type' IN ('"book"', '"dvd"') ORDER BY id;
SELECT jsonb_build_object('d', '2024-01-15'::date, 'i', '1 day'::interval, 'u', 'a0eebc99-9c0b-4ef8-bb6d-6bb9bd380a11'::uuid, 'b', '\x01'::bytea);
SELECT to_jsonb(array_agg(id ORDER BY id)), array_to_json(array_agg(doc ORDER BY id)) FROM jm_docs WHERE id < 3;
SELECT json_build_array(1.5::float8, 2::smallint, 3::bigint, 'x'::varchar, 'y'::char(3));
UPDATE jm_docs SET doc['stock'] = '5' WHERE id = 1;
UPDATE jm_docs SET doc['meta']['lang'] = '"es"', doc['extra']['deep'] = 'true' WHERE id = 2;
UPDATE jm_docs SET doc[1] = '"B"', doc[7] = '7' WHERE id = 4;
UPDATE jm_docs SET doc['a'] = NULL WHERE id = 3;
SELECT id, doc FROM jm_docs WHERE id <= 4 ORDER BY id;
UPDATE jm_docs SET doc['title']['x'] = '1' WHERE id = 1; -- differential: error=22023
UPDATE jm_docs SET tags[1] = 'x' WHERE id = 1; -- differential: ignore

-- jsonpath basics
SELECT jsonb_path_query('{"a": [1, 2, 3]}', '$.a[*] ? (@ > 1)');
SELECT * FROM jsonb_path_query('{"items": [{"n": "x", "p": 5}, {"n": "y", "p": 15}]}', '$.items[*] ? (@.p > 10).n');
SELECT jsonb_path_exists(doc, '$.tags[*] ? (@ == "sql")') FROM jm_docs WHERE id < 4 ORDER BY id;
SELECT id FROM jm_docs WHERE doc @? '$.meta.lang' ORDER BY id;
SELECT id FROM jm_docs WHERE doc @@ '$.price > 10' ORDER BY id;
SELECT jsonb_path_query_first(doc, '$.tags[0]'), jsonb_path_query_array(doc, '$.tags[*]') FROM jm_docs WHERE id < 4 ORDER BY id;
SELECT jsonb_path_match('{"a": 3}', '$.a > 2'), jsonb_path_match('{"a": 3}', 'exists($.b)');
SELECT jsonb_path_query_array('[1, 2, 3, 4, 5]', '$[1 to 3]'), jsonb_path_query_array('[1, 2, 3]', '$[last]'), jsonb_path_query_array('{"a": {"b": 1, "c": 2}}', '$.a.*');
SELECT jsonb_path_query_array('{"a": [1, "x", null, true, {"k": 1}, [2]]}', '$.a[*].type()'), jsonb_path_query_first('{"a": [1, 2]}', '$.a.size()');
SELECT jsonb_path_query_array('{"a": [1.5, -2]}', '$.a[0] * 2 - 1 / 4'), jsonb_path_query_array('{"a": [1.5, -2]}', '$.a[*].abs()'), jsonb_path_query_first('{"a": 7}', '$.a % 4');
SELECT jsonb_path_query_array('[{"s": "abc"}, {"s": "xbc"}]', '$[*] ? (@.s starts with "a").s'), jsonb_path_query_array('["Abc", "abd", "x"]', '$[*] ? (@ like_regex "^ab" flag "i")');
SELECT jsonb_path_query_array('{"a": 1}', '$.a + $x', '{"x": 10}'), jsonb_path_exists('{"a": [1, 2]}', '$.a[*] ? (@ >= $min)', '{"min": 2}');
SELECT jsonb_path_query_array('{"a": [{"b": 1}, {"b": 2}, {"c": 3}]}', '$.a.b'), jsonb_path_query_array('{"a": {"b": 1}}', 'lax $.a[0].b');
SELECT jsonb_path_query_array('[1, 2, 3]', '$[*] ? (@ > 1 && @ < 3 || @ == 1)'), jsonb_path_query_array('[1, null, "s"]', '$[*] ? (@ == null)');
SELECT jsonb_path_query('{"a": 1}', 'strict $.b'); -- differential: error=2203A
SELECT jsonb_path_query('{"a": 1}', 'strict $.b', '{}', true);
SELECT jsonb_path_query('{"a": 1}', '$.a +'); -- differential: error=42601
SELECT d.id, x.lang FROM jm_docs d, jsonb_to_record(d.doc -> 'meta') AS x(lang text, isbn text) WHERE d.id < 4 ORDER BY d.id;
SELECT d.id, r.* FROM jm_docs d CROSS JOIN LATERAL jsonb_to_recordset(jsonb_build_array(d.doc, d.doc)) AS r(title text, pages int) WHERE d.id = 1;
CREATE TABLE jm_items (id integer PRIMARY KEY, label text, qty integer DEFAULT 1, meta jsonb);
INSERT INTO jm_items SELECT * FROM jsonb_populate_recordset(NULL::jm_items, '[{"id": 1, "label": "a", "qty": 3, "meta": {"x": 1}}, {"id": 2, "label": "b"}]') RETURNING *;
SELECT * FROM json_populate_record(NULL::jm_items, '{"id": 9, "label": "z", "extra": true}');
SELECT p.label, p.qty FROM jsonb_populate_recordset(NULL::jm_items, '[{"label": "q", "qty": "7"}]') AS p;
SELECT jsonb_set_lax('{"a": 1, "b": 2}', '{a}', NULL), jsonb_set_lax('{"a": 1, "b": 2}', '{a}', NULL, true, 'delete_key'), jsonb_set_lax('{"a": 1}', '{a}', NULL, true, 'return_target');
SELECT jsonb_set_lax('{"a": 1}', '{a}', NULL, true, 'raise_exception'); -- differential: error=22004
SELECT jsonb_set_lax('{"a": 1}', '{a}', '5');
SELECT raw = '{"a": 1}' FROM jm_docs WHERE id = 1; -- differential: error=42883
SELECT '[1]'::json = '[1]'::json; -- differential: error=42883
SELECT '{"a": 1}'::json || '{"b": 2}', '[1]'::json || 'x';
SELECT raw::jsonb = '{"type": "book", "pages": 320, "nested": {"a": [1, 2, 3]}}'::jsonb FROM jm_docs WHERE id = 1;

-- an application's queries over a user document
CREATE TABLE jm_pr (id serial PRIMARY KEY, data jsonb, info json);
INSERT INTO jm_pr (data, info) VALUES ('{"user": {"name": "Ann", "age": 31, "emails": ["a@x.io", "b@x.io"]}, "active": true, "score": 9.75}', '{"k": [1, {"z": null}]}');
INSERT INTO jm_pr (data, info) VALUES ('{"user": {"name": "Bob", "age": 25, "emails": []}, "active": false, "score": 7}', '[]');
INSERT INTO jm_pr (data, info) VALUES ('{"user": {"name": "Cy"}, "active": null}', 'null');
SELECT data -> 'user' ->> 'name' AS name, (data -> 'user' ->> 'age')::int + 1 AS next_age FROM jm_pr ORDER BY id;
SELECT data #>> '{user,emails,0}' FROM jm_pr ORDER BY id;
SELECT id, jsonb_array_length(data #> '{user,emails}') FROM jm_pr WHERE data #> '{user,emails}' IS NOT NULL ORDER BY id;
SELECT count(*) FILTER (WHERE (data ->> 'active')::boolean) FROM jm_pr;
SELECT avg((data ->> 'score')::numeric) FROM jm_pr;
SELECT max(data ->> 'score'), min((data -> 'score')::numeric) FROM jm_pr;
SELECT data -> 'user' -> 'name' FROM jm_pr ORDER BY data -> 'user' -> 'name' DESC;
SELECT jsonb_build_object('names', jsonb_agg(data -> 'user' -> 'name' ORDER BY id), 'n', count(*)) FROM jm_pr;
SELECT json_build_object('id', id, 'data', data) FROM jm_pr WHERE id = 2;
SELECT json_agg(json_build_object('id', id, 'info', info) ORDER BY id) FROM jm_pr;
SELECT info -> 'k' -> 1 -> 'z', info #> '{k,1}', json_typeof(info -> 'k') FROM jm_pr WHERE id = 1;
SELECT json_array_length(info) FROM jm_pr WHERE id = 2;
SELECT e ->> 0 FROM jm_pr, jsonb_array_elements(data #> '{user,emails}') WITH ORDINALITY AS t(e, n) ORDER BY n;
SELECT t.e, t.n FROM jm_pr, jsonb_array_elements_text(data #> '{user,emails}') WITH ORDINALITY AS t(e, n) WHERE jm_pr.id = 1 ORDER BY t.n;
SELECT data - '{user,score}'::text[] FROM jm_pr WHERE id = 1;
SELECT data @> '{"user": {"name": "Ann"}}', data <@ '{}' FROM jm_pr ORDER BY id;
SELECT to_jsonb(jm_pr) - 'info' FROM jm_pr WHERE id = 3;
SELECT row_to_json(jm_pr) FROM jm_pr WHERE id = 3;
SELECT jsonb_agg(jm_pr ORDER BY id) FROM jm_pr WHERE id > 1;
SELECT array_to_json(ARRAY[data -> 'score', data -> 'active']) FROM jm_pr WHERE id = 1;
SELECT data ->> 'missing' IS NULL, data -> 'active' = 'null'::jsonb FROM jm_pr ORDER BY id;
SELECT id FROM jm_pr WHERE data -> 'user' ? 'age' AND (data #>> '{user,age}')::int > 30;
SELECT jsonb_each_text.key, jsonb_each_text.value FROM jm_pr, jsonb_each_text(data -> 'user') WHERE jm_pr.id = 2 ORDER BY 1;
SELECT k FROM jm_pr, jsonb_object_keys(data) AS k WHERE id = 1 ORDER BY k;
SELECT data['user']['name'] FROM jm_pr ORDER BY id;
SELECT jsonb_typeof(data['active']) FROM jm_pr ORDER BY id;
SELECT json_build_array(id, data -> 'score') FROM jm_pr ORDER BY id;
SELECT jsonb_strip_nulls(data) FROM jm_pr WHERE id = 3;
SELECT jsonb_pretty(jsonb_build_object('a', jsonb_build_array())) ;
SELECT string_agg(key, ',' ORDER BY key) FROM jm_pr, jsonb_each(data) WHERE id = 1;
SELECT id, value FROM jm_pr, jsonb_each(data) WHERE jsonb_typeof(value) = 'number' ORDER BY id;
SELECT DISTINCT jsonb_typeof(value) FROM jm_pr, jsonb_each(data) ORDER BY 1;
SELECT (SELECT json_agg(x) FROM generate_series(1, 3) x);
SELECT json_agg(x ORDER BY x DESC) FROM generate_series(1, 3) AS x;
SELECT jsonb_object_agg(x, x * x) FROM generate_series(1, 3) AS x;
SELECT to_json(x), to_jsonb(x) FROM generate_series(1, 2) AS x;
SELECT jsonb_build_object('t', now() IS NOT NULL);
SELECT '{"a": "b"}'::jsonb ->> 'a' || 'c';
SELECT jsonb_path_query_array(data, '$.user.emails[*] ? (@ like_regex "^a")') FROM jm_pr WHERE id = 1;
SELECT data -> 'user' -> 'emails' -> 0 ->> 0 FROM jm_pr WHERE id = 1;
SELECT jsonb_array_elements(data -> 'user' -> 'emails') ->> 0 FROM jm_pr WHERE id = 1;

-- lateral joins and sub-queries over json arrays
CREATE TABLE jm_lat (id int PRIMARY KEY, data jsonb);
INSERT INTO jm_lat VALUES (1, '{"tags": ["a", "b"]}'), (2, '{"tags": []}'), (3, NULL);
SELECT jm_lat.id, e.value FROM jm_lat LEFT JOIN LATERAL jsonb_array_elements_text(jm_lat.data -> 'tags') e ON true ORDER BY jm_lat.id, e.value;
SELECT jm_lat.id, e FROM jm_lat LEFT JOIN jsonb_array_elements_text(jm_lat.data -> 'tags') AS e ON true ORDER BY 1, 2;
SELECT jm_lat.id, count(e.value) FROM jm_lat LEFT JOIN LATERAL jsonb_array_elements(jm_lat.data -> 'tags') e ON true GROUP BY jm_lat.id ORDER BY jm_lat.id;
SELECT * FROM jsonb_each('{}');
SELECT * FROM jsonb_array_elements(NULL);
SELECT jm_lat.id, x.* FROM jm_lat JOIN LATERAL jsonb_each(jm_lat.data) x ON x.key = 'tags' ORDER BY jm_lat.id;
SELECT id, (SELECT count(*) FROM jsonb_array_elements(data -> 'tags')) FROM jm_lat ORDER BY id;
SELECT id, (SELECT string_agg(t, '+') FROM jsonb_array_elements_text(data -> 'tags') t) FROM jm_lat ORDER BY id;
SELECT id FROM jm_lat WHERE 'b' IN (SELECT jsonb_array_elements_text(data -> 'tags'));
SELECT id, jsonb_array_length(coalesce(data -> 'tags', '[]')) FROM jm_lat ORDER BY id;
WITH x AS (SELECT jsonb_build_object('id', id, 'tags', data -> 'tags') AS j FROM jm_lat) SELECT jsonb_agg(j ORDER BY j ->> 'id') FROM x;
SELECT jsonb_agg(e) FROM (SELECT jsonb_array_elements(data -> 'tags') AS e FROM jm_lat) s;
SELECT json_agg(r) FROM (SELECT id, data -> 'tags' AS tags FROM jm_lat ORDER BY id) r;
SELECT json_build_object('rows', (SELECT json_agg(r) FROM (SELECT id FROM jm_lat ORDER BY id) r));
