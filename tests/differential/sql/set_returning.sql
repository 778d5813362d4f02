-- Set-returning functions in the select list.

CREATE TABLE srf_t (k integer);
INSERT INTO srf_t SELECT generate_series(1, 100);
SELECT count(*), sum(k), min(k), max(k) FROM srf_t;
SELECT generate_series(1, 3);
SELECT generate_series(1, 10, 4) AS g;
SELECT generate_series(3, 1);
SELECT generate_series(5, 1, -2);
SELECT generate_series(1, 3) FROM srf_t WHERE false;
SELECT k, generate_series(1, k) FROM srf_t WHERE k <= 3 ORDER BY 1, 2;
SELECT k * 10 AS tens, generate_series(k, k + 1) AS s FROM srf_t WHERE k IN (2, 5) ORDER BY 1, 2;
SELECT generate_series('2024-01-01'::timestamp, '2024-01-03'::timestamp, '1 day'::interval);
SELECT generate_series(1.5, 3.5, 1.0);
INSERT INTO srf_t SELECT generate_series(101, 103) RETURNING k;
SELECT unnest(ARRAY[1, 2, 3]);
