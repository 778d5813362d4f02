-- SELECT DISTINCT ON: the first row of each group in the ORDER BY's order.

CREATE TABLE don_t (g integer, v integer, t text);
INSERT INTO don_t VALUES (1, 5, 'a'), (1, 7, 'b'), (2, 3, 'c'), (2, 9, 'd'), (NULL, 1, 'e'), (NULL, 2, 'f'), (3, 4, 'g');
SELECT DISTINCT ON (g) g, v, t FROM don_t ORDER BY g, v DESC;
SELECT DISTINCT ON (g) * FROM don_t ORDER BY g, v;
SELECT DISTINCT ON (g) g, t FROM don_t ORDER BY g NULLS FIRST, t DESC;
SELECT DISTINCT ON (1) g AS grp, t FROM don_t ORDER BY 1, t DESC LIMIT 2;
SELECT DISTINCT ON (grp) g AS grp, v FROM don_t ORDER BY grp, v LIMIT 2 OFFSET 1;
SELECT DISTINCT ON (g) t FROM don_t ORDER BY v; -- differential: error=42P10
SELECT DISTINCT ON (g % 2) g % 2 AS parity, v FROM don_t WHERE g IS NOT NULL ORDER BY g % 2, v DESC;
SELECT DISTINCT ON (g) g, max(v) AS top FROM don_t GROUP BY g, t ORDER BY g, max(v) DESC;
SELECT DISTINCT ON (g) g, count(*) OVER () AS total FROM don_t ORDER BY g, v;
SELECT DISTINCT ON (v, g) g, v FROM don_t ORDER BY g, v;
SELECT count(*) FROM (SELECT DISTINCT ON (g) g, v FROM don_t ORDER BY g, v) s;
SELECT s.t FROM (SELECT DISTINCT ON (g) g, t FROM don_t ORDER BY g, t DESC) s ORDER BY 1;
WITH w AS (SELECT * FROM don_t WHERE v > 2) SELECT DISTINCT ON (g) g, v FROM w ORDER BY g, v;
SELECT DISTINCT ON (a.g) a.g, b.t FROM don_t a JOIN don_t b ON b.g = a.g ORDER BY a.g, b.t DESC;
