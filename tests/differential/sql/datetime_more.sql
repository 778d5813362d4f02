-- More dates, times, timestamps and intervals: non-ISO input, interval arithmetic and
-- comparison, extract/date_part, date_trunc, to_date/to_timestamp, make_*, age, time zones.

SET TimeZone = 'UTC';
SET DateStyle = 'ISO, MDY';
SET IntervalStyle = 'postgres';
CREATE TABLE dm_events (
    id integer PRIMARY KEY,
    title text,
    starts_at timestamptz,
    ends_at timestamptz,
    local_ts timestamp,
    day date,
    at_time time,
    duration interval
);
INSERT INTO dm_events VALUES
    (1, 'standup', '2024-03-01 09:00+00', '2024-03-01 09:15+00', '2024-03-01 09:00', '2024-03-01', '09:00', '15 minutes'),
    (2, 'review', '2024-03-01 14:00+00', '2024-03-01 16:30+00', '2024-03-01 14:00', '2024-03-01', '14:00', '2 hours 30 minutes'),
    (3, 'offsite', '2024-03-10 08:00+00', '2024-03-12 18:00+00', '2024-03-10 08:00', '2024-03-10', '08:00', '2 days 10 hours'),
    (4, 'retro', '2024-02-29 23:30+00', '2024-03-01 00:30+00', '2024-02-29 23:30', '2024-02-29', '23:30', '1 hour'),
    (5, 'planning', '2023-12-31 22:00+00', '2024-01-01 02:00+00', '2023-12-31 22:00', '2023-12-31', '22:00', '4 hours'),
    (6, 'unscheduled', NULL, NULL, NULL, NULL, NULL, NULL);

-- Non-ISO input (DateStyle ISO, MDY)
SELECT 'January 2, 2024'::date, 'Jan 2 2024'::date, '2 January 2024'::date, 'Feb 29, 2024'::date;
SELECT '1/2/2024'::date, '12/31/1999'::date, '20240102'::date, '2024-1-2'::date;
SELECT '02-Jan-2024'::date, 'Jan-02-2024'::date, 'Tue Jan 2 2024'::date, 'December 31, 1999'::date;
SELECT '2024.01.02'::date, '2024/01/02'::date;
SELECT '4:05 PM'::time, '12:00 AM'::time, '12:30 PM'::time, '11:59:59 pm'::time;
SELECT '04:05'::time, '4:05:06.5'::time, '23:59:59.999999'::time, '24:00:00'::time;
SELECT 'allballs'::time, '040506'::time;
SELECT '2024-01-02 4:05 PM'::timestamp, 'January 2, 2024 10:00'::timestamp, 'Jan 2 2024 10:00:30.25'::timestamp;
SELECT '2024-01-02 10:00 PST'::timestamptz, 'Jan 2 2024 10:00 EST'::timestamptz, '2024-01-02 10:00 Europe/Paris'::timestamptz;
SELECT '2024-01-02T10:00:00Z'::timestamptz, '2024-01-02 10:00:00.5+05:30'::timestamptz;
SELECT 'January 32, 2024'::date; -- differential: error=22008
SELECT '13:60'::time; -- differential: error=22008
SELECT '2024-02-30'::date; -- differential: error=22008
SELECT 'yesterdayish'::date; -- differential: error=22007

-- Interval arithmetic
SELECT interval '1 day' * 3, interval '1 hour' / 2, interval '2 days' - interval '1 hour', -interval '1 year';
SELECT interval '1 month' * 1.5, interval '1 day' * 0.5, interval '1 year' / 5, 3 * interval '20 minutes';
SELECT interval '1 hour 30 minutes' * 2.5, interval '10 days' / 3, interval '1 mon' / 7;
SELECT interval '1 day 2 hours' + interval '3 days 4 hours', interval '1 year' - interval '1 day';
SELECT -interval '1 day 02:00:00', -(interval '3 hours' - interval '5 hours');
SELECT interval '2 hours' * 0, interval '-5 minutes' * -2;
SELECT interval '1 hour' / 0; -- differential: error=22012
SELECT duration * 2, duration / 4 FROM dm_events ORDER BY id;
SELECT sum(duration), avg(duration) FROM dm_events;
SELECT '10:00'::time - '08:30'::time, '08:30'::time - '10:00'::time, time '23:00' + interval '2 hours';
SELECT time '01:00' - interval '90 minutes', time '12:00' + interval '1 day 3 hours';
SELECT date '2024-05-05' + time '12:34', time '06:00' + date '2024-05-05';
SELECT date '2024-03-01' - date '2024-02-01', date '2024-03-01' - 30, 7 + date '2024-12-28';
SELECT date '2024-01-31' + interval '1 month', date '2024-03-31' - interval '1 month';
SELECT timestamp '2024-01-31 10:00' + interval '1 month 1 day', timestamp '2024-02-29 00:00' + interval '1 year';
SELECT timestamp '2024-03-01 00:00' - timestamp '2024-02-28 12:00', timestamp '2024-01-01' - date '2023-12-25';
SELECT timestamp '2023-01-01 00:00' - timestamp '2024-03-15 06:30';
SELECT ends_at - starts_at FROM dm_events ORDER BY id;
SELECT id, starts_at + duration FROM dm_events ORDER BY id;
SELECT id, local_ts - interval '1 day' FROM dm_events WHERE id <= 3 ORDER BY id;

-- Interval comparison
SELECT interval '1 day' = interval '24 hours', interval '1 month' = interval '30 days';
SELECT interval '1 year' = interval '360 days', interval '1 year' > interval '364 days';
SELECT interval '90 minutes' < interval '2 hours', interval '1 day' <> interval '1 day 1 second';
SELECT interval '36 hours' >= interval '1 day 12 hours', interval '-1 day' < interval '0';
SELECT id FROM dm_events WHERE duration > interval '2 hours' ORDER BY id;
SELECT id FROM dm_events WHERE duration <= '1 hour' ORDER BY id;
SELECT id FROM dm_events WHERE ends_at - starts_at = duration ORDER BY id;
SELECT count(*) FROM dm_events WHERE duration = interval '60 minutes';

-- justify_*
SELECT justify_hours(interval '27 hours'), justify_days(interval '45 days'), justify_interval(interval '1 mon -1 hour');
SELECT justify_hours(interval '-50 hours'), justify_days(interval '-65 days'), justify_interval(interval '-1 mon 40 days');
SELECT justify_interval(interval '100 hours'), justify_hours(interval '1 day 25:00:00'), justify_days(interval '1 year 400 days');
SELECT justify_interval(ends_at - starts_at) FROM dm_events ORDER BY id;

-- extract / date_part
SELECT extract(epoch FROM interval '1 day 1 second'), extract(hours FROM interval '30 hours');
SELECT extract(epoch FROM interval '1 year'), extract(epoch FROM interval '1 mon'), extract(epoch FROM interval '-2 days 03:00');
SELECT extract(minute FROM interval '1 hour 75 minutes'), extract(second FROM interval '90.5 seconds'), extract(day FROM interval '45 days');
SELECT extract(year FROM interval '27 months'), extract(month FROM interval '27 months'), extract(milliseconds FROM interval '1.25 seconds');
SELECT extract(epoch FROM timestamptz '2024-02-29 13:45:10+00'), extract(epoch FROM timestamp '1970-01-02 00:00:00.5');
SELECT extract(epoch FROM date '2024-01-01'), extract(year FROM date '2024-06-15'), extract(doy FROM date '2024-12-31');
SELECT extract(second FROM timestamp '2024-01-01 10:20:30.5'), extract(milliseconds FROM timestamp '2024-01-01 10:20:30.5'), extract(microseconds FROM time '10:20:30.5');
SELECT extract(dow FROM date '2024-06-16'), extract(isodow FROM date '2024-06-16'), extract(week FROM date '2024-01-01'), extract(isoyear FROM date '2024-12-30');
SELECT extract(quarter FROM date '2024-08-01'), extract(century FROM date '2001-01-01'), extract(millennium FROM date '2000-12-31'), extract(decade FROM date '1999-06-01');
SELECT extract(hour FROM time '17:45'), extract(minute FROM time '17:45:30'), extract(epoch FROM time '01:00:01');
SELECT extract(hour FROM starts_at), extract(day FROM day), extract(epoch FROM duration) FROM dm_events ORDER BY id;
SELECT date_part('year', date '2024-06-15'), date_part('quarter', date '2024-06-15'), date_part('hour', timestamp '2024-06-15 13:14:15');
SELECT date_part('epoch', timestamptz '2024-01-01 00:00:00.25+00'), date_part('second', timestamp '2024-01-01 00:00:07.5');
SELECT date_part('day', interval '40 days 3 hours'), date_part('epoch', interval '1 hour'), date_part('minute', time '10:42');
SELECT date_part('dow', day), count(*) FROM dm_events GROUP BY 1 ORDER BY 1;
SELECT extract(foo FROM date '2024-01-01'); -- differential: error=22023
SELECT extract(hour FROM date '2024-01-01'); -- differential: error=0A000
SELECT extract(dow FROM interval '1 day'); -- differential: error=0A000
SELECT extract(epoch FROM timestamp 'infinity'), extract(year FROM date '-infinity'), extract(month FROM timestamp 'infinity');

-- date_trunc
SELECT date_trunc('month', timestamp '2024-06-15 13:14:15'), date_trunc('hour', timestamp '2024-06-15 13:14:15'), date_trunc('year', date '2024-06-15');
SELECT date_trunc('week', timestamp '2024-06-15 13:14:15'), date_trunc('quarter', timestamp '2024-08-15'), date_trunc('minute', timestamp '2024-06-15 13:14:15.9');
SELECT date_trunc('decade', timestamp '2024-06-15'), date_trunc('century', timestamp '2024-06-15'), date_trunc('millennium', timestamp '2024-06-15');
SELECT date_trunc('second', timestamp '2024-06-15 13:14:15.987'), date_trunc('milliseconds', timestamp '2024-06-15 13:14:15.987654');
SELECT date_trunc('day', timestamptz '2024-06-15 13:14:15+00'), date_trunc('month', date '2024-02-29');
SELECT date_trunc('hour', interval '3 days 04:05:06'), date_trunc('year', interval '2 years 5 months'), date_trunc('minute', interval '90 seconds');
SELECT date_trunc('day', starts_at), count(*) FROM dm_events WHERE starts_at IS NOT NULL GROUP BY 1 ORDER BY 1;
SELECT date_trunc('month', local_ts)::date AS month, count(*) FROM dm_events GROUP BY 1 ORDER BY 1 NULLS LAST;
SELECT date_trunc('fortnight', timestamp '2024-06-15'); -- differential: error=22023
SELECT date_trunc('day', timestamptz '2024-06-15 13:14:15+00', 'Asia/Tokyo');

-- to_date / to_timestamp
SELECT to_date('05/06/2024', 'DD/MM/YYYY'), to_timestamp('2024-06-05 14:03', 'YYYY-MM-DD HH24:MI');
SELECT to_date('2024-06-05', 'YYYY-MM-DD'), to_date('20240605', 'YYYYMMDD'), to_date('June 5, 2024', 'Month DD, YYYY');
SELECT to_date('05 Jun 2024', 'DD Mon YYYY'), to_date('2024-157', 'YYYY-DDD'), to_date('24-06-05', 'YY-MM-DD');
SELECT to_timestamp('2024-06-05 02:03:04 PM', 'YYYY-MM-DD HH:MI:SS AM'), to_timestamp('05.06.2024 23:59:58', 'DD.MM.YYYY HH24:MI:SS');
SELECT to_timestamp('2024-06-05 14:03:04.123', 'YYYY-MM-DD HH24:MI:SS.MS'), to_timestamp('2024-06-05 14:03:04.123456', 'YYYY-MM-DD HH24:MI:SS.US');
SELECT to_timestamp('20240605140304', 'YYYYMMDDHH24MISS'), to_timestamp('2024-06-05 14:03 +02', 'YYYY-MM-DD HH24:MI TZH');
SELECT to_date('2024-13-01', 'YYYY-MM-DD'); -- differential: error=22008
SELECT to_timestamp(0), to_timestamp(1700000000.5), to_timestamp(-86400), to_timestamp(1e9);
SELECT to_timestamp(1718000000)::date, to_timestamp(1718000000.123456);

-- make_*
SELECT make_date(2024, 2, 29), make_time(1, 2, 3.5), make_timestamp(2024, 1, 2, 3, 4, 5);
SELECT make_timestamp(2024, 12, 31, 23, 59, 59.999), make_time(23, 59, 59.999999), make_date(1, 1, 1);
SELECT make_timestamptz(2024, 7, 1, 12, 0, 0), make_timestamptz(2024, 7, 1, 12, 0, 0, 'America/New_York');
SELECT make_interval(days => 10, hours => 2), age('2024-03-01'::timestamp, '2023-01-15'::timestamp);
SELECT make_interval(1, 2, 3, 4, 5, 6, 7.5), make_interval(), make_interval(mins => 90), make_interval(secs => 0.25);
SELECT make_interval(years => 1, months => -1), make_interval(weeks => 2, days => -1);
SELECT make_date(2023, 2, 29); -- differential: error=22008
SELECT make_time(25, 0, 0); -- differential: error=22008

-- age
SELECT age(timestamp '2024-03-31', timestamp '2024-02-29'), age(timestamp '2024-01-01', timestamp '2024-03-15 12:00');
SELECT age(date '2024-06-15', date '2000-02-29'), age(timestamp '2024-02-28 23:00', timestamp '2024-01-30 01:00');
SELECT age(timestamptz '2024-03-01 00:00+00', timestamptz '2023-03-01 12:00+00');
SELECT age(timestamp '2020-01-01') > interval '1 year';
SELECT id, age(ends_at, starts_at) FROM dm_events ORDER BY id;

-- AT TIME ZONE and timezone()
SELECT '2024-07-01 12:00+00'::timestamptz AT TIME ZONE 'UTC', '2024-07-01 12:00'::timestamp AT TIME ZONE 'UTC';
SELECT timezone('Asia/Tokyo', '2024-07-01 12:00+00'::timestamptz), timezone('America/New_York', '2024-01-15 12:00'::timestamp);
SELECT timestamptz '2024-03-10 06:59+00' AT TIME ZONE 'America/New_York', timestamptz '2024-03-10 07:00+00' AT TIME ZONE 'America/New_York';
SELECT timestamp '2024-11-03 01:30' AT TIME ZONE 'America/New_York', timestamp '2024-03-10 02:30' AT TIME ZONE 'America/New_York';
SELECT timestamptz '2024-07-01 12:00+00' AT TIME ZONE 'EST', timestamptz '2024-07-01 12:00+00' AT TIME ZONE 'Europe/Berlin';
SELECT timestamp '2024-07-01 12:00' AT TIME ZONE 'Asia/Kolkata', date '2024-07-01' AT TIME ZONE 'UTC';
SELECT id, starts_at AT TIME ZONE 'Europe/London', local_ts AT TIME ZONE 'Australia/Sydney' FROM dm_events ORDER BY id;
SELECT (timestamptz '2024-07-01 12:00+00' AT TIME ZONE 'Asia/Tokyo')::date;
SELECT timestamp '2024-07-01 12:00' AT TIME ZONE 'Nowhere/Land'; -- differential: error=22023

-- Session time zones
SET TimeZone = 'America/New_York';
SELECT timestamptz '2024-07-01 12:00+00', timestamptz '2024-01-01 12:00+00';
SELECT '2024-07-01 12:00'::timestamptz, '2024-07-01 12:00'::timestamp::timestamptz;
SELECT timestamptz '2024-07-01 02:00+00' AT TIME ZONE 'UTC', timestamp '2024-07-01 02:00' AT TIME ZONE 'UTC';
SELECT extract(hour FROM timestamptz '2024-07-01 02:00+00'), extract(day FROM timestamptz '2024-07-01 02:00+00'), extract(timezone FROM timestamptz '2024-07-01 02:00+00');
SELECT date_trunc('day', timestamptz '2024-07-01 02:00+00'), date_trunc('month', timestamptz '2024-07-01 02:00+00');
SELECT timestamptz '2024-03-09 12:00-05' + interval '1 day', timestamptz '2024-03-09 12:00-05' + interval '24 hours';
SELECT timestamptz '2024-07-01 02:00+00'::date, timestamptz '2024-07-01 02:00+00'::time;
SELECT to_timestamp(0), make_timestamptz(2024, 1, 15, 9, 30, 0);
SELECT id, starts_at FROM dm_events WHERE starts_at IS NOT NULL ORDER BY starts_at;
SET TimeZone = 'Asia/Kolkata';
SELECT timestamptz '2024-07-01 12:00+00', extract(timezone_hour FROM timestamptz '2024-07-01 12:00+00'), extract(timezone_minute FROM timestamptz '2024-07-01 12:00+00');
SET TimeZone = 'UTC';

-- Comparisons between date, timestamp and timestamptz
SELECT '2024-01-01'::date = '2024-01-01 00:00'::timestamp, '2024-01-01'::date < '2024-01-01 00:00:01'::timestamp;
SELECT date '2024-01-02' > timestamp '2024-01-01 23:59:59', timestamp '2024-01-01 12:00' = timestamptz '2024-01-01 12:00+00';
SELECT date '2024-01-01' = timestamptz '2024-01-01 00:00+00', date '2024-01-01' <> timestamptz '2024-01-01 00:00+01';
SELECT id FROM dm_events WHERE day >= timestamp '2024-03-01 00:00' ORDER BY id;
SELECT id FROM dm_events WHERE local_ts < date '2024-03-01' ORDER BY id;
SELECT id FROM dm_events WHERE starts_at >= date '2024-03-01' AND starts_at < date '2024-03-02' ORDER BY id;
SELECT id FROM dm_events WHERE day = local_ts::date ORDER BY id;
SELECT id FROM dm_events WHERE starts_at > '2024-03-01' ORDER BY id;

-- OVERLAPS
SELECT (DATE '2024-01-01', DATE '2024-02-01') OVERLAPS (DATE '2024-01-15', DATE '2024-03-01');
SELECT (DATE '2024-01-01', DATE '2024-02-01') OVERLAPS (DATE '2024-02-01', DATE '2024-03-01');
SELECT (TIMESTAMP '2024-01-01 10:00', INTERVAL '2 hours') OVERLAPS (TIMESTAMP '2024-01-01 11:00', INTERVAL '1 hour');
SELECT (TIME '09:00', TIME '10:00') OVERLAPS (TIME '09:30', TIME '09:45'), (DATE '2024-03-01', DATE '2024-01-01') OVERLAPS (DATE '2024-02-01', DATE '2024-02-02');
SELECT a.id, b.id FROM dm_events a, dm_events b WHERE a.id < b.id AND (a.starts_at, a.ends_at) OVERLAPS (b.starts_at, b.ends_at) ORDER BY 1, 2;

-- isfinite and infinity
SELECT isfinite(date '2024-01-01'), isfinite(date 'infinity'), isfinite(timestamp '-infinity'), isfinite(interval '1 day');
SELECT timestamp 'infinity' > timestamp '2024-01-01', date '-infinity' < date '0001-01-01', 'infinity'::timestamptz;
SELECT date 'infinity' + 1, timestamp 'infinity' + interval '1 day';

-- Typical application queries
SELECT title FROM dm_events WHERE starts_at BETWEEN '2024-03-01' AND '2024-03-02' ORDER BY starts_at;
SELECT title, to_char(starts_at, 'YYYY-MM-DD HH24:MI'), to_char(duration, 'HH24:MI') FROM dm_events WHERE id < 3 ORDER BY id;
SELECT date_trunc('day', starts_at)::date AS d, sum(duration) FROM dm_events WHERE starts_at IS NOT NULL GROUP BY 1 ORDER BY 1;
SELECT title, extract(epoch FROM ends_at - starts_at) / 60 AS minutes FROM dm_events WHERE id < 6 ORDER BY id;
SELECT title FROM dm_events WHERE extract(dow FROM starts_at) IN (0, 6) ORDER BY id;
SELECT title FROM dm_events WHERE day > date '2024-03-01' - interval '7 days' ORDER BY id;
SELECT count(*) FILTER (WHERE duration >= interval '1 hour'), count(*) FILTER (WHERE duration < interval '1 hour') FROM dm_events;
SELECT d::date FROM generate_series(date '2024-02-27', date '2024-03-02', interval '1 day') AS d ORDER BY 1;
SELECT g FROM generate_series(timestamp '2024-01-01 00:00', timestamp '2024-01-01 03:00', interval '90 minutes') AS g ORDER BY 1;
SELECT date '2024-01-31' + (n || ' months')::interval FROM generate_series(0, 3) AS n ORDER BY 1;
SELECT CAST('2024-06-15 13:14:15' AS timestamp)::time, CAST('13:14' AS time) + interval '46 minutes';
SELECT interval '1 day 02:03:04'::text, (interval '90 minutes')::time, time '01:30'::interval;

-- Intervals ordered and compared by value
SELECT id, duration FROM dm_events ORDER BY duration, id;
SELECT id, duration FROM dm_events ORDER BY duration DESC NULLS LAST, id;
SELECT min(duration), max(duration), min(ends_at - starts_at), max(ends_at - starts_at) FROM dm_events;
SELECT id FROM dm_events WHERE duration BETWEEN interval '1 hour' AND interval '1 day' ORDER BY id;
SELECT id FROM dm_events WHERE duration NOT BETWEEN '30 minutes' AND '3 hours' ORDER BY id;
SELECT id FROM dm_events WHERE duration IN (interval '60 minutes', interval '0.25 hours') ORDER BY id;
SELECT greatest(interval '1 day', interval '23 hours'), least(interval '1 mon', interval '31 days'), greatest(interval '1 hour', NULL);
SELECT id, rank() OVER (ORDER BY duration DESC) FROM dm_events WHERE duration IS NOT NULL ORDER BY id;
SELECT sum(duration) OVER (ORDER BY id) FROM dm_events ORDER BY id;
SELECT interval '1 day' > '23 hours', '25 hours' > interval '1 day', interval '1 year 1 day' > interval '12 mons 23:59:59';
SELECT timestamp '2024-01-01 10:00' AT TIME ZONE '+05', timestamptz '2024-01-01 10:00+00' AT TIME ZONE '-03:00';
SELECT timestamptz '2024-01-01 10:00+00' AT TIME ZONE 'UTC+3', timestamp '2024-01-01 10:00' AT TIME ZONE INTERVAL '+02:00';
SELECT to_char(interval '30 hours 5 minutes', 'HH24:MI'), to_char(interval '-1 hour', 'HH24:MI'), to_char(interval '3 days 04:05:06', 'DD "days" HH24:MI:SS');
SELECT to_timestamp('2024-06-05T14:03:04Z', 'YYYY-MM-DD"T"HH24:MI:SS"Z"'), to_date('2024 Jun 5', 'YYYY Mon DD'), to_date('5-6-2024', 'DD-MM-YYYY');
SELECT pg_typeof(date '2024-01-01' + time '10:00'), pg_typeof(time '10:00' - time '09:00'), pg_typeof(date '2024-01-01' - timestamp '2023-01-01');
SELECT pg_typeof(date_trunc('day', date '2024-01-01')), pg_typeof(extract(year FROM date '2024-01-01')), pg_typeof(date_part('year', date '2024-01-01'));
SELECT pg_typeof(timestamptz '2024-01-01 00:00+00' AT TIME ZONE 'UTC'), pg_typeof(timestamp '2024-01-01' AT TIME ZONE 'UTC');
SELECT now() - interval '1 day' < now(), current_date - 1 < current_date, current_date + interval '1 hour' > current_date;
SELECT date '2024-02-29' + interval '1 year', date '2024-01-31' + interval '1 month' * 2, '2024-03-31'::date - '1 month'::interval;
SELECT timestamptz '2024-01-01 00:00+00' - timestamptz '2023-12-31 00:00-05', justify_hours(interval '-1 day 25 hours');
SELECT extract(epoch FROM interval '-1 year -1 mon'), extract(quarter FROM interval '7 months'), extract(julian FROM date '2024-01-01');
SELECT overlaps(date '2024-01-01', date '2024-02-01', date '2024-01-15', date '2024-03-01'), isfinite(timestamptz 'infinity');

-- Non-ISO input stored in columns, and what queries do with it
CREATE TABLE dm_p2 (id int PRIMARY KEY, d date, ts timestamp, tz timestamptz, iv interval, t time);
INSERT INTO dm_p2 VALUES (1, 'March 5, 2024', 'March 5, 2024 4:05 PM', 'Mar 5 2024 16:05 PST', '1 hour 30 mins', '4:05 PM');
INSERT INTO dm_p2 VALUES (2, '03/06/2024', '03/06/2024 10:00', '2024-03-06 10:00 Europe/Paris', '2 days', '10:00 AM');
SELECT * FROM dm_p2 ORDER BY id;
SELECT extract(epoch FROM tz)::bigint, extract(epoch FROM ts)::int, floor(extract(epoch FROM iv) / 60) FROM dm_p2 ORDER BY id;
SELECT date_trunc('hour', ts) + interval '30 minutes', date_trunc('day', tz) + interval '1 day' FROM dm_p2 ORDER BY id;
SELECT timestamp '2024-01-01' + 1; -- differential: error=42883
SELECT date '2024-01-01' + 1.5; -- differential: error=42883
SELECT interval '1 day' + 1; -- differential: error=42883
SELECT time '10:00' + time '01:00'; -- differential: error=42725
SELECT d - ts, ts - d, tz - d FROM dm_p2 ORDER BY id;
SELECT extract(epoch FROM (tz - ts)) FROM dm_p2 ORDER BY id;
SELECT id, iv FROM dm_p2 WHERE iv > '1 hour' ORDER BY iv DESC;
SELECT round(extract(epoch FROM iv) / 3600, 2) FROM dm_p2 ORDER BY id;
SELECT to_char(d, 'FMMonth FMDD, YYYY'), to_char(ts, 'HH12:MI AM'), to_char(tz, 'YYYY-MM-DD"T"HH24:MI:SSOF') FROM dm_p2 ORDER BY id;
SELECT date_part('doy', d)::int, extract(week FROM ts)::int FROM dm_p2 ORDER BY id;
SELECT count(*) FROM dm_p2 WHERE tz BETWEEN now() - interval '100 years' AND now();
SELECT d, count(*) FROM dm_p2 GROUP BY d HAVING d > '2024-03-01' ORDER BY d;
SELECT (ts::date - d) AS days FROM dm_p2 ORDER BY id;
SELECT ts::time, tz::time, t + interval '8 hours' FROM dm_p2 ORDER BY id;
SELECT date '2024-01-01' + make_interval(months => 2, days => 3);
SELECT make_timestamp(2024, 1, 1, 0, 0, 0) + interval '1 day' * 3;
SELECT to_timestamp(extract(epoch FROM tz)) = tz FROM dm_p2 ORDER BY id;
SELECT interval '1 day' / 1.5, interval '1 mon' * 0.1, interval '1 hour' * 1e-6;
SELECT interval '1 min' * 60 = interval '1 hour', interval '1 day' - interval '24 hours' = interval '0';
SELECT '1 day'::interval::text, '90 minutes'::interval::text, '-1 mon +1 day'::interval;
SELECT justify_interval('1 mon 35 days 25 hours'), justify_days('1 mon 35 days');
SELECT extract(minutes FROM ts), extract(MINUTE FROM ts), extract('minute' FROM ts) FROM dm_p2 ORDER BY id;
SELECT date_trunc('HOUR', ts), date_trunc('Day', d) FROM dm_p2 ORDER BY id;
SELECT age(tz, ts) FROM dm_p2 ORDER BY id;
SELECT to_char(age(timestamp '2024-06-01', timestamp '1990-03-15'), 'YY "years"');
SELECT extract(year FROM age(date '2024-06-01', date '1990-03-15'));
SELECT timezone('UTC', ts), timezone('UTC', tz) FROM dm_p2 ORDER BY id;
SELECT tz AT TIME ZONE 'America/Los_Angeles' AT TIME ZONE 'UTC' FROM dm_p2 ORDER BY id;
SELECT '2024-01-01'::timestamptz AT TIME ZONE 'Asia/Tokyo';
SELECT make_time(12, 30, 0) > '12:00', make_date(2024, 1, 1) = '2024-01-01';
SELECT time '10:00' BETWEEN time '09:00' AND time '11:00', date '2024-01-01' BETWEEN '2023-12-01' AND '2024-02-01';
SELECT CASE WHEN iv > interval '1 day' THEN 'long' ELSE 'short' END FROM dm_p2 ORDER BY id;
SELECT coalesce(iv, interval '0'), nullif(iv, interval '2 days') FROM dm_p2 ORDER BY id;
SELECT array_agg(iv ORDER BY iv) FROM dm_p2;
SELECT string_agg(to_char(d, 'Mon DD'), ', ' ORDER BY d) FROM dm_p2;
UPDATE dm_p2 SET iv = iv * 2, ts = ts + interval '1 hour' WHERE id = 1;
SELECT iv, ts FROM dm_p2 WHERE id = 1;
UPDATE dm_p2 SET d = d + 7 WHERE id = 2 RETURNING d;
DROP TABLE dm_p2;

-- date_bin, and intervals ordered by position or made distinct by value
SELECT date_bin('15 minutes', timestamp '2024-01-01 10:17:30', timestamp '2024-01-01 00:00'), date_bin('1 hour', timestamptz '2024-01-01 10:17:30+00', timestamptz '2001-01-01 00:00+00');
SELECT date_bin('1 day', timestamp '2024-01-01 10:17:30', timestamp '2024-01-02 06:00'), date_bin('90 minutes', timestamp '2024-01-01 00:00', timestamp '2024-01-01 00:45');
SELECT date_bin('15 minutes', starts_at, timestamptz '2024-01-01 00:00+00') AS slot, count(*) FROM dm_events WHERE starts_at IS NOT NULL GROUP BY 1 ORDER BY 1;
SELECT date_bin('1 month', timestamp '2024-01-01', timestamp '2000-01-01'); -- differential: error=0A000
SELECT date_bin('0 minutes', timestamp '2024-01-01', timestamp '2000-01-01'); -- differential: error=22008
SELECT x FROM (VALUES (interval '1 mon'), (interval '25 hours'), (interval '1 day')) v(x) ORDER BY 1;
SELECT DISTINCT duration FROM dm_events WHERE duration IS NOT NULL ORDER BY 1;
SELECT ends_at - starts_at AS span FROM dm_events WHERE starts_at IS NOT NULL ORDER BY 1 DESC;

-- Series and ranges across daylight saving time, and mixed date/timestamp ranges
SET TimeZone = 'America/New_York';
SELECT g FROM generate_series(timestamptz '2024-03-09 00:00', timestamptz '2024-03-11 00:00', interval '1 day') g ORDER BY g;
SELECT g FROM generate_series(timestamptz '2024-01-31 09:00', timestamptz '2024-05-01', interval '1 month') g ORDER BY g;
SELECT count(*) FROM generate_series(timestamptz '2024-11-02 00:00', timestamptz '2024-11-04 00:00', interval '6 hours');
SELECT id FROM dm_events WHERE starts_at BETWEEN date '2024-03-01' AND date '2024-03-10' ORDER BY id;
SET TimeZone = 'UTC';
SELECT timestamp '2024-03-02 00:00' BETWEEN date '2024-03-01' AND date '2024-03-02', date '2024-01-01' IN (timestamp '2024-01-01', timestamp '2024-01-02');
SELECT id FROM dm_events WHERE local_ts NOT BETWEEN date '2024-03-01' AND date '2024-03-02' ORDER BY id;

-- Limits, errors and typmods
SELECT interval '2147483647 days' + interval '1 day'; -- differential: error=22008
SELECT interval '1 day' * 1e10; -- differential: error=22008
SELECT to_date('2024-02-30', 'YYYY-MM-DD'); -- differential: error=22008
SELECT to_date('abc', 'YYYY-MM-DD'); -- differential: error=22007
SELECT to_timestamp('2024-06-05 25:00', 'YYYY-MM-DD HH24:MI'); -- differential: error=22008
SELECT to_timestamp('2024-06-05 13:00 PM', 'YYYY-MM-DD HH:MI PM'); -- differential: error=22007
SELECT '2024-06-05 10:00 Mars/Base'::timestamptz; -- differential: error=22023
SELECT timestamp '2024-01-01' AT TIME ZONE 'Mars/Base'; -- differential: error=22023
SELECT extract(century FROM date '-infinity'), extract(day FROM date 'infinity'), date_part('epoch', date 'infinity');
SELECT timestamp 'infinity' - timestamp '2024-01-01'; -- differential: error=22008
SELECT date 'infinity' - date '2024-01-01'; -- differential: error=22008
SELECT isfinite(interval '1 day'), date 'infinity' > date '9999-12-31', timestamptz '-infinity' < timestamptz '0001-01-01 00:00+00';
SELECT '2024-06-05 10:00:00.1234567'::timestamp, '10:00:00.9999995'::time, '2024-06-05 23:59:59.9999999'::timestamp;
SELECT timestamp(0) '2024-06-05 10:00:00.6', time(2) '10:00:00.126', interval(0) '1.6 seconds';
SELECT interval '1 day 2 hours' hour to minute, interval '3 years 2 months' year, interval '1 2:03:04' day to second;
SELECT '1 day'::interval(0), cast('2024-06-05 10:00:00.55' as timestamp(1));
SELECT extract(epoch FROM timestamp '0001-01-01 00:00'), extract(epoch FROM timestamp '9999-12-31 23:59:59.999999');
SELECT extract(epoch FROM interval '178000000 years');
SELECT date '2000-02-29' + interval '1 year' * 4, date '2001-02-28' + interval '1 day';
SELECT justify_days(interval '2147483647 days');
SELECT '2024-13-01 10:00'::timestamp; -- differential: error=22008
SELECT '24:00:01'::time; -- differential: error=22008
SELECT make_timestamp(2024, 2, 30, 0, 0, 0); -- differential: error=22008
SELECT make_timestamp(2024, 1, 1, 24, 0, 0), make_time(24, 0, 0);
SELECT make_date(0, 1, 1); -- differential: error=22008
SELECT date_trunc('week', date '2024-01-01'), date_trunc('week', timestamp '2024-12-31');
SELECT to_char(date '2024-01-01', 'WW W IW'), extract(week FROM date '2021-01-03');
SELECT interval '1 week 2 days', interval '1.5 weeks', interval '0.1 seconds', interval '1 millisecond 5 microseconds';
SELECT interval '1 mon' - interval '1 day' * 30, interval '1 day' - interval '25 hours';

-- Constraints, defaults and views over date/time expressions
CREATE TABLE dm_ck (id int PRIMARY KEY, iv interval CHECK (iv > interval '0'), d date, ts timestamp, CHECK (ts >= d), due timestamptz DEFAULT now() + interval '1 day');
INSERT INTO dm_ck (id, iv, d, ts) VALUES (1, '1 hour', '2024-01-01', '2024-01-01 00:00');
INSERT INTO dm_ck (id, iv, d, ts) VALUES (2, '-1 hour', '2024-01-01', '2024-01-01 00:00'); -- differential: error=23514
INSERT INTO dm_ck (id, iv, d, ts) VALUES (3, '1 hour', '2024-01-02', '2024-01-01 00:00'); -- differential: error=23514
SELECT id, iv, due > now() FROM dm_ck ORDER BY id;
CREATE VIEW dm_spans AS SELECT id, duration, duration * 2 AS doubled, local_ts + duration AS local_end FROM dm_events;
SELECT * FROM dm_spans ORDER BY duration NULLS FIRST, id;
SELECT max(doubled), min(local_end) FROM dm_spans;
SELECT id FROM dm_spans WHERE duration > interval '1 day' ORDER BY 1;
DROP VIEW dm_spans;
DROP TABLE dm_ck;

-- IntervalStyle (Rails sets iso_8601)
SET IntervalStyle = 'iso_8601';
SHOW IntervalStyle;
SELECT interval '1 day 2 hours', interval '1 year 2 months -3 days 04:05:06.5', interval '0', interval '-1.5 seconds', interval '1 mon -1 min';
SELECT interval '1 day' * 2, make_interval(hours => 36), duration FROM dm_events ORDER BY id;
SET IntervalStyle = 'sql_standard';
SELECT interval '1 day 2 hours', interval '1 year 2 months', interval '-1 day -02:00:00', interval '0', interval '1 year -1 day', interval '-1 year -2 mons';
SELECT interval '3 hours 4 minutes 5.25 seconds', interval '-00:00:01.5', interval '1 day -1 hour';
SET IntervalStyle = 'postgres_verbose';
SELECT interval '1 day 2 hours', interval '-1 day 02:00:00', interval '0', interval '1 second', interval '-1.5 seconds', interval '-1 year -2 mons 3 days';
SELECT interval '1 hour 1 min 1 sec', interval '2 years 10 mins';
SET IntervalStyle = 'bogus'; -- differential: error=22023
RESET IntervalStyle;
SELECT interval '1 day 2 hours';

-- An untyped operand of - takes the other side's type (date - date), of + an interval
SELECT timestamp '2024-01-01' - '1 day'; -- differential: error=22007
SELECT time '10:00' + '1 hour', '2024-01-02' - date '2024-01-01', date '2024-03-01' - '2024-01-01';
SELECT timestamp '2024-01-01 12:00' - '2023-12-31', interval '1 day' - '1 hour', timestamp '2024-01-01' + '1 day';
SELECT time '10:00' - '08:15';
SELECT now() - '1 day' < now(); -- differential: error=22007

DROP TABLE dm_events;
RESET TimeZone;
RESET DateStyle;
RESET IntervalStyle;
