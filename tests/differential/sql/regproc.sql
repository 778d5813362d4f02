-- The OID alias types regproc (a function by name) and regprocedure (by name and argument
-- types): input from names and signatures, output from OIDs, casts to and from oid, integers
-- and text, comparisons, to_regproc/to_regprocedure, arrays, the catalog rows, the errors.

-- Input and output
SELECT 'now'::regproc, 'now'::regproc::oid, 'now()'::regprocedure, 'now()'::regprocedure::oid;
SELECT 'abs(integer)'::regprocedure, 'abs(int4)'::regprocedure::oid, 'pg_catalog.abs(integer)'::regprocedure;
SELECT 1397::regproc, 1397::regprocedure, 1397::oid::regprocedure::text, 1397::regproc::text;
SELECT '1397'::regproc, '1397'::regprocedure, 0::regproc, 0::regprocedure, '-'::regproc, '-'::regprocedure;
SELECT 999999::regproc, 999999::regprocedure, 999999::regproc::text;
SELECT 'substr(text,integer,integer)'::regprocedure, 'substr( text , int4 )'::regprocedure;
SELECT 'date_part(text, timestamp with time zone)'::regprocedure, 'round(numeric,integer)'::regprocedure, 'int4("char")'::regprocedure;
SELECT 'round(numeric, int)'::regprocedure, 'pg_catalog.round(pg_catalog.numeric, integer)'::regprocedure;
SELECT '"upper"(text)'::regprocedure, 'UPPER(TEXT)'::regprocedure, 'now ( )'::regprocedure, ' now()'::regprocedure;
SELECT 'date_part(text, timestamp(3))'::regprocedure, 'length(character(4))'::regprocedure, 'length(bpchar)'::regprocedure;
SELECT '"now"'::regproc, 'NOW'::regproc, 'pg_catalog.now'::regproc, 'pg_catalog."now"'::regproc;
SELECT 'now'::regproc::regprocedure, 'abs(integer)'::regprocedure::regproc, 'now()'::regprocedure::regproc;
SELECT 'upper(text)'::regprocedure::regproc, 'version'::regproc, 'version()'::regprocedure;
SELECT pg_typeof('now'::regproc), pg_typeof('now()'::regprocedure), pg_typeof(1::regproc);

-- Casts to and from oid, integers and text
SELECT 'now'::regproc::int4, 'now()'::regprocedure::int8, 'now'::regproc::oid::int8, 1299::int8::regproc;
SELECT 'now'::regproc::text, 'now()'::regprocedure::varchar, 'abs(integer)'::regprocedure::text || '!';
SELECT 'now'::text::regproc, 'abs(integer)'::varchar::regprocedure;
SELECT x::regprocedure FROM (VALUES ('now()'), ('abs(bigint)'), ('upper(text)')) v(x) ORDER BY 1;
SELECT x::regproc::text FROM (VALUES ('now'), ('version')) v(x) ORDER BY 1;

-- Comparisons
SELECT 'now'::regproc = 1299, 'now'::regproc = 1299::oid, 1299 = 'now()'::regprocedure;
SELECT 'abs(integer)'::regprocedure <> 'abs(bigint)'::regprocedure, 'abs(integer)'::regprocedure > 'abs(bigint)'::regprocedure;
SELECT 'now'::regproc = 'now'::regproc, 'now'::regproc >= 'now()'::regprocedure, 'now'::regproc < 'abs(integer)'::regprocedure;

-- Arrays
SELECT ARRAY['now'::regproc, NULL], ARRAY['abs(integer)'::regprocedure, 'now()'], '{1299,0}'::regproc[];
SELECT ARRAY['abs(integer)'::regprocedure, 'upper(text)']::text, pg_typeof(ARRAY['now'::regproc]);

-- to_regproc and to_regprocedure: NULL instead of the error for unknown or ambiguous names
SELECT to_regproc('now'), to_regproc('abs'), to_regproc('nosuch'), to_regproc('pg_catalog.now'), to_regproc(NULL);
SELECT to_regproc('1299'), to_regproc('-'), to_regproc('nosuch.now'), to_regproc('public.now');
SELECT to_regprocedure('abs(integer)'), to_regprocedure('abs(text)'), to_regprocedure('nosuch()'), to_regprocedure(NULL);
SELECT to_regprocedure('now()'), to_regprocedure('pg_catalog.abs(int8)'), to_regprocedure('nosuch.now()');
SELECT pg_typeof(to_regproc('now')), pg_typeof(to_regprocedure('now()'));
SELECT to_regprocedure('abs(nosuchtype)'); -- differential: error=42704
SELECT to_regprocedure('abs'); -- differential: error=22P02
SELECT to_regprocedure('1299'); -- differential: error=22P02

-- The catalog: functions, types and casts
SELECT proname, oid::regprocedure, oid::regproc FROM pg_proc WHERE proname = 'abs' ORDER BY pg_proc.oid;
SELECT count(*) FROM pg_proc WHERE oid = 'now'::regproc;
SELECT p.oid::regprocedure::text FROM pg_proc p WHERE p.oid = 'substr(text,integer)'::regprocedure;
SELECT lanname, lanplcallfoid::regprocedure, lanvalidator::regproc, laninline::regprocedure, lanvalidator::regprocedure FROM pg_language ORDER BY 1;
SELECT oid, typname, typlen, typcategory, typarray FROM pg_type WHERE oid IN (24, 2202) ORDER BY 1;
SELECT oid, typname, typelem FROM pg_type WHERE oid IN (1008, 2207) ORDER BY 1;
SELECT typname, typinput, typoutput FROM pg_type WHERE typname IN ('regproc', 'int4') ORDER BY 1;
SELECT castsource::regtype, casttarget::regtype, castfunc::regprocedure, castcontext, castmethod FROM pg_cast WHERE casttarget IN ('regproc'::regtype, 'regprocedure'::regtype) ORDER BY 1, 2;
SELECT castsource::regtype, casttarget::regtype, castfunc, castcontext, castmethod FROM pg_cast WHERE castsource = 'regprocedure'::regtype ORDER BY 2;
SELECT format_type('regprocedure'::regtype, NULL), 'regprocedure'::regtype, 'regproc[]'::regtype, 'regprocedure[]'::regtype;
SELECT p.oid::regprocedure, obj_description(p.oid, 'pg_proc') FROM pg_proc p WHERE proname IN ('to_regproc', 'to_regprocedure') ORDER BY 1;
SELECT obj_description('regprocedure'::regtype, 'pg_type'), obj_description('regproc'::regtype, 'pg_type');

-- Errors
SELECT 'abs'::regproc; -- differential: error=42725
SELECT 'nosuch'::regproc; -- differential: error=42883
SELECT 'public.now'::regproc; -- differential: error=42883
SELECT 'nosuch.now'::regproc; -- differential: error=3F000
SELECT 'a.b.now'::regproc; -- differential: error=0A000
SELECT 'x.y.z.now'::regproc; -- differential: error=42601
SELECT '"NOW"'::regproc; -- differential: error=42883
SELECT 'nosuch()'::regprocedure; -- differential: error=42883
SELECT 'abs(text)'::regprocedure; -- differential: error=42883
SELECT 'nosuch.now()'::regprocedure; -- differential: error=3F000
SELECT 'abs(nosuchtype)'::regprocedure; -- differential: error=42704
SELECT 'abs'::regprocedure; -- differential: error=22P02
SELECT 'abs(integer'::regprocedure; -- differential: error=22P02
SELECT 'abs(integer) x'::regprocedure; -- differential: error=22P02
SELECT 'abs(integer,)'::regprocedure; -- differential: error=22P02
SELECT 'abs("integer)'::regprocedure; -- differential: error=22P02
SELECT 'abs(*)'::regprocedure; -- differential: error=42601
SELECT x::regproc FROM (VALUES ('nosuch')) v(x); -- differential: error=42883
SELECT x::regprocedure FROM (VALUES ('abs(text)')) v(x); -- differential: error=42883
SELECT 'now'::regproc + 1; -- differential: error=42883
SELECT -'now()'::regprocedure; -- differential: error=42883
SELECT 'abs(integer)'::regprocedure * 2; -- differential: error=42883

-- pg_operator: oprcode and its kin are regproc
SELECT oprname, oprkind, oprresult::regtype, oprcode, oprrest, oprjoin, obj_description(oid, 'pg_operator') FROM pg_operator WHERE oprleft = 'int4'::regtype AND oprright = 'int4'::regtype ORDER BY 1;
SELECT o.oprname, c.oprname AS commutator, n.oprname AS negator FROM pg_operator o LEFT JOIN pg_operator c ON c.oid = o.oprcom LEFT JOIN pg_operator n ON n.oid = o.oprnegate WHERE o.oprleft = 'date'::regtype AND o.oprright = 'date'::regtype ORDER BY 1;
SELECT oprname, oprright::regtype, oprcode FROM pg_operator WHERE oprkind = 'l' AND oprright IN ('int4'::regtype, 'numeric'::regtype) ORDER BY 1, 2;
