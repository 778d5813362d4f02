-- to_number(text, text) as PostgreSQL 15 reads numbers by a format: digit positions, the
-- decimal point, group separators, signs (S, MI, PL, SG, PR), FM, L, TH, and the lenient
-- walk that skips one input character per other format character; format errors (42601).

SELECT to_number('12,345.6', '99G999D9');
SELECT to_number('12,345.6', '99,999.9');
SELECT to_number('12345.6', '99G999D9');
SELECT to_number('12345', '99999');
SELECT to_number('-12345', '99999');
SELECT to_number('-12345', 'S99999');
SELECT to_number('12345-', '99999MI');
SELECT to_number('12345-', '99999S');
SELECT to_number('<123>', '999PR');
SELECT to_number('123', '999PR');
SELECT to_number('+123', 'S999');
SELECT to_number('  123', '999');
SELECT to_number('123.456', '999.99');
SELECT to_number('123.456', '999.999999');
SELECT to_number('1.5', '9.9');
SELECT to_number('.5', '9.9');
SELECT to_number('0.5', '0.9');
SELECT to_number('12', '9999');
SELECT to_number('12345', '999');
SELECT to_number('1,234,567', '9G999G999');
SELECT to_number('1 234', '9G999');
SELECT to_number('$1,234.50', 'L9G999D99');
SELECT to_number('1234.5', '9999');
SELECT to_number('1234.5', '9999.');
SELECT to_number('abc', '999'); -- differential: error=22P02
SELECT to_number('', '999'); -- differential: error=22P02
SELECT to_number('1e3', '9EEEE'); -- differential: error=0A000
SELECT to_number('-1.5', '9.9');
SELECT to_number('1.5-', '9.9MI');
SELECT to_number('1.5+', '9.9PL');
SELECT to_number('1.5-', '9.9SG');
SELECT to_number('1.5+', '9.9SG');
SELECT to_number('12.34', 'FM99.99');
SELECT to_number('0012', '0000');
SELECT to_number('12x34', '99X99');
SELECT to_number('12 34', '99 99');
SELECT to_number('-0.12', 'S0.99');
SELECT to_number('123,456', '999,999');
SELECT to_number('123456', '999,999');
SELECT to_number('1,2,3', '9,9,9');
SELECT to_number('12th', '99th');
SELECT to_number('-.1', 'S.9'); -- differential: error=22P02
SELECT to_number('12.', '99.');
SELECT to_number('  -12', '999');
SELECT to_number('12345', '99.999'); -- differential: error=22003
SELECT to_number('12.5-', '99.9S');
SELECT to_number('12.5+', '99.9S');
SELECT to_number('-12.5', 'S99.9');
SELECT to_number('1,234', 'FM9,999');
SELECT to_number('1,234', 'FM9G999');
SELECT to_number('12', '9.9.9'); -- differential: error=42601
SELECT to_number('12', 'S9S'); -- differential: error=42601
SELECT to_number('12', 'MI9S'); -- differential: error=42601
SELECT to_number('12', 'PR9'); -- differential: error=42601
SELECT to_number('12', '9PR9'); -- differential: error=42601
SELECT to_number(' ', '999'); -- differential: error=22P02
SELECT to_number('-', '999'); -- differential: error=22P02
SELECT to_number('12', '');
SELECT to_number('12', 'fm99');
SELECT to_number('12', 'Fm99'); -- differential: error=22P02
SELECT to_number('1"2', '9"x"9');
SELECT to_number('12.34', '99D99');
SELECT to_number('12.34', '9,9.99');
SELECT to_number('0.00', '9.99');
SELECT to_number('-0', '9');
SELECT to_number('12.30', '99.99');
SELECT to_number('<12.5>', '99.9PR');
SELECT to_number('12.5', 'L99.9');
SELECT to_number('abc12', '999'); -- differential: error=22P02
SELECT to_number('12abc', '99999');
SELECT to_number('1.2.3', '9.9.9.9'); -- differential: error=42601
SELECT to_number('99999999999999999999.5', '99999999999999999999.9');
SELECT to_number('.', '9.9'); -- differential: error=22P02
SELECT to_number('+-5', 'S9'); -- differential: error=22P02
SELECT to_number('5-', '9MI');
SELECT to_number('-5-', 'S9MI'); -- differential: error=42601
SELECT to_number(x, '9G999D99') FROM (VALUES ('1,234.56'), ('-7.5'), (NULL)) v(x) ORDER BY 1;
SELECT pg_typeof(to_number('12', '99')), to_number('12', NULL) IS NULL;
