-- to_char of dates and timestamps: template patterns, fill mode, ordinals, quoted text, and
-- timestamptz printed in the session's TimeZone.

SELECT to_char('2024-06-05 14:03:09.123456'::timestamp, 'YYYY-MM-DD HH24:MI:SS.US');
SELECT to_char('2024-06-05 14:03:09'::timestamp, 'Dy DD Mon YYYY'), to_char('2024-06-05'::date, 'Day, FMMonth FMDDth YYYY');
SELECT to_char('2024-06-05 14:03:09'::timestamp, 'Day|MONTH|month|mon|MON|DY|dy');
SELECT to_char('2024-06-05 00:03:09'::timestamp, 'HH12:MI AM pm a.m. P.M. HH HH24');
SELECT to_char('2024-06-05 14:03:09.123456'::timestamp, 'MS US FF1 FF3 FF6');
SELECT to_char('2024-06-05 14:03:09'::timestamp, 'DDD IDDD IW WW W D ID Q CC J');
SELECT to_char('2024-06-05 14:03:09'::timestamp, 'RM rm FMRM'), to_char('2024-12-31'::date, 'RM');
SELECT to_char('2024-06-05 14:03:09'::timestamp, '"Year" YYYY "at" HH24\h');
SELECT to_char('2024-06-05 14:03:09'::timestamp, '\"YYYY\" "a\"b" HH24');
SELECT to_char('2024-06-05 14:03:09'::timestamp, 'Y,YYY YYY YY Y IYYY IYY IY I');
SELECT to_char('2024-06-05 14:03:09'::timestamp, 'SSSS SSSSS'), to_char('2024-06-05 14:03:09'::timestamp, 'FMDD/FMMM/YYYY');
SELECT to_char('2024-06-01'::date, 'DDTH ddth FMDDth'), to_char('2024-06-02'::date, 'DDth'), to_char('2024-06-03'::date, 'DDth'), to_char('2024-06-11'::date, 'DDth'), to_char('2024-06-22'::date, 'DDth');
SELECT to_char('2024-01-01'::date, 'IYYY-IW-ID'), to_char('2021-01-03'::date, 'IYYY-IW-ID YYYY-WW');
SELECT to_char('2024-06-05 14:03:09'::timestamp, 'AD ad A.D. bc');
SELECT to_char('2024-06-05 14:03:09'::timestamp, 'TZ|tz|OF');
SELECT to_char('infinity'::timestamp, 'YYYY');
SELECT to_char(NULL::timestamp, 'YYYY'), to_char('2024-06-05'::date, NULL);
SET TimeZone = 'America/New_York';
SELECT to_char('2024-07-01 12:00:00+00'::timestamptz, 'YYYY-MM-DD HH24:MI:SS TZ OF TZH:TZM');
SELECT to_char('2024-01-01 03:30:00+00'::timestamptz, 'YYYY-MM-DD HH24:MI tz');
SELECT '2024-07-01 12:00:00+00'::timestamptz::text;
SET TimeZone = 'Asia/Kolkata';
SELECT to_char('2024-07-01 12:00:00+00'::timestamptz, 'HH24:MI OF TZH TZM');
RESET TimeZone;
SELECT to_char('2024-07-01 12:00:00+00'::timestamptz, 'HH24:MI TZ OF');
