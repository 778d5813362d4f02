-- Date/time types: date, time, timestamp, timestamptz, interval. Session time zone UTC.

SET TimeZone = 'UTC';
SET DateStyle = 'ISO, MDY';
SET IntervalStyle = 'postgres';
CREATE TABLE dt_t (
    id integer PRIMARY KEY,
    d date,
    t time,
    ts timestamp,
    tz timestamptz,
    iv interval
);
INSERT INTO dt_t VALUES (1, '2024-02-29', '13:45:10', '2024-02-29 13:45:10', '2024-02-29 13:45:10+00', '1 day 2 hours');
INSERT INTO dt_t VALUES (2, '1999-12-31', '00:00:00', '1999-12-31 23:59:59.999999', '1999-12-31 23:59:59+02', '-3 hours');
INSERT INTO dt_t VALUES (3, '2000-01-01', '23:59:59.5', '2000-01-01 00:00:00', '2000-01-01 00:00:00-05:30', '1 year 2 mons 3 days 04:05:06');
INSERT INTO dt_t VALUES (4, NULL, NULL, NULL, NULL, NULL);
INSERT INTO dt_t VALUES (5, '0044-03-15', '12:00', '1970-01-01', '1970-01-01 00:00:00 UTC', '0');
SELECT id, d, t, ts, tz, iv FROM dt_t ORDER BY id;
INSERT INTO dt_t (id, d) VALUES (6, '2023-02-29'); -- differential: error=22008
INSERT INTO dt_t (id, d) VALUES (6, 'not a date'); -- differential: error=22007
INSERT INTO dt_t (id, t) VALUES (6, '25:00:00'); -- differential: error=22008

-- Input formats
SELECT '2024-01-02'::date, 'January 2, 2024'::date, '20240102'::date, '2024-1-2'::date;
SELECT '2024-01-02 03:04:05'::timestamp, '2024-01-02T03:04:05'::timestamp, '2024-01-02 03:04:05.123456'::timestamp;
SELECT '2024-01-02 03:04:05+03'::timestamptz, '2024-01-02 03:04:05 -08:00'::timestamptz;
SELECT '04:05'::time, '04:05:06.789'::time, '4:05 PM'::time;
SELECT 'infinity'::timestamp, '-infinity'::date, 'epoch'::timestamp;
SELECT DATE '2024-03-01', TIMESTAMP '2024-03-01 10:00', TIME '10:00', INTERVAL '90 minutes';

-- Arithmetic
SELECT '2024-02-28'::date + 1, '2024-03-01'::date - 1, '2024-03-01'::date - '2024-01-01'::date;
SELECT '2024-01-31'::date + interval '1 month', '2024-01-31 10:00'::timestamp + interval '1 day 1 hour';
SELECT '2024-01-01 00:00'::timestamp - '2023-12-25 12:00'::timestamp;
SELECT '2024-01-01'::timestamptz - interval '1 hour', '10:00'::time + interval '3 hours';
SELECT '10:00'::time - '08:30'::time, date '2024-05-05' + time '12:34';
SELECT interval '1 day' * 3, interval '1 hour' / 2, interval '2 days' - interval '1 hour', -interval '1 year';
SELECT interval '25 hours', interval '1.5 days', interval '36 months', interval '1 year -1 day';
SELECT justify_hours(interval '27 hours'), justify_days(interval '45 days'), justify_interval(interval '1 mon -1 hour');
SELECT interval '1 day' = interval '24 hours', interval '1 month' = interval '30 days';

-- Extraction and truncation
SELECT extract(year FROM d), extract(month FROM d), extract(day FROM d), extract(dow FROM d), extract(doy FROM d) FROM dt_t WHERE id = 1;
SELECT extract(epoch FROM tz), extract(hour FROM ts), extract(minute FROM t) FROM dt_t WHERE id = 1;
SELECT extract(epoch FROM interval '1 day 1 second'), extract(hours FROM interval '30 hours');
SELECT date_part('year', '2024-06-15'::date), date_part('quarter', '2024-06-15'::date);
SELECT date_trunc('month', '2024-06-15 13:14:15'::timestamp), date_trunc('hour', '2024-06-15 13:14:15'::timestamp), date_trunc('year', '2024-06-15'::date);
SELECT date_trunc('day', '2024-06-15 13:14:15+00'::timestamptz);
SELECT to_char('2024-06-05 14:03:09'::timestamp, 'YYYY-MM-DD HH24:MI:SS'), to_char('2024-06-05'::date, 'Dy DD Mon YYYY');
SELECT to_date('05/06/2024', 'DD/MM/YYYY'), to_timestamp('2024-06-05 14:03', 'YYYY-MM-DD HH24:MI');
SELECT to_timestamp(0), to_timestamp(1700000000.5);
SELECT make_date(2024, 2, 29), make_time(1, 2, 3.5), make_timestamp(2024, 1, 2, 3, 4, 5);
SELECT make_interval(days => 10, hours => 2), age('2024-03-01'::timestamp, '2023-01-15'::timestamp);

-- Time zones
SELECT tz FROM dt_t WHERE id = 2;
SET TimeZone = 'America/New_York';
SELECT tz FROM dt_t WHERE id = 2;
SELECT '2024-07-01 12:00'::timestamptz, '2024-01-01 12:00'::timestamptz;
SELECT '2024-07-01 12:00+00'::timestamptz AT TIME ZONE 'UTC', '2024-07-01 12:00'::timestamp AT TIME ZONE 'UTC';
SHOW TimeZone;
SET TimeZone = 'UTC';
SELECT '2024-07-01 12:00'::timestamptz, timezone('Asia/Tokyo', '2024-07-01 12:00+00'::timestamptz);
SELECT '2024-07-01 12:00'::timestamp::timestamptz, '2024-07-01 23:30+00'::timestamptz::date;

-- Comparisons, ordering, aggregates
SELECT id FROM dt_t WHERE d < '2000-01-01' ORDER BY id;
SELECT id, ts FROM dt_t ORDER BY ts NULLS FIRST, id;
SELECT min(d), max(d), min(iv), max(iv) FROM dt_t;
SELECT '2024-01-01'::date = '2024-01-01 00:00'::timestamp, '2024-01-01'::date < '2024-01-01 00:00:01'::timestamp;
SELECT (DATE '2024-01-01', DATE '2024-02-01') OVERLAPS (DATE '2024-01-15', DATE '2024-03-01');
SELECT d::timestamp, ts::date, ts::time, tz::timestamp FROM dt_t WHERE id = 3;
SELECT count(*) FROM generate_series('2024-01-01'::timestamp, '2024-01-31'::timestamp, interval '1 day');
SELECT g::date FROM generate_series('2024-02-27'::timestamp, '2024-03-02'::timestamp, '1 day') g ORDER BY g;
SELECT now() IS NOT NULL, current_date = current_date, current_timestamp <= now() + interval '1 minute';
SELECT now(); -- differential: skip-rows

RESET TimeZone;
RESET DateStyle;
RESET IntervalStyle;
DROP TABLE dt_t;
