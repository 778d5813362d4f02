-- Common table expressions (incl. recursive and data-modifying) and window functions.

CREATE TABLE cw_sales (id integer PRIMARY KEY, region text, month integer, amount integer);
INSERT INTO cw_sales VALUES
    (1, 'north', 1, 100), (2, 'north', 2, 150), (3, 'north', 3, 150),
    (4, 'south', 1, 80), (5, 'south', 2, NULL), (6, 'south', 3, 120),
    (7, 'west', 1, 200);
CREATE TABLE cw_tree (id integer PRIMARY KEY, parent integer, name text);
INSERT INTO cw_tree VALUES (1, NULL, 'root'), (2, 1, 'a'), (3, 1, 'b'), (4, 2, 'a1'), (5, 4, 'a1x'), (6, 3, 'b1');

-- Plain CTEs
WITH totals AS (SELECT region, sum(amount) AS total FROM cw_sales GROUP BY region)
SELECT region, total FROM totals WHERE total > 150 ORDER BY region;
WITH a AS (SELECT 1 AS x), b AS (SELECT x + 1 AS y FROM a) SELECT x, y FROM a, b;
WITH big AS MATERIALIZED (SELECT id FROM cw_sales WHERE amount >= 150) SELECT count(*) FROM big;
WITH big AS NOT MATERIALIZED (SELECT id FROM cw_sales WHERE amount >= 150) SELECT id FROM big ORDER BY id;
WITH cte (n, m) AS (VALUES (1, 2), (3, 4)) SELECT n + m FROM cte;

-- Recursive CTEs
WITH RECURSIVE nums(n) AS (SELECT 1 UNION ALL SELECT n + 1 FROM nums WHERE n < 10) SELECT sum(n), count(*) FROM nums;
WITH RECURSIVE fib(a, b) AS (SELECT 0::bigint, 1::bigint UNION ALL SELECT b, a + b FROM fib WHERE b < 100) SELECT a FROM fib ORDER BY a;
WITH RECURSIVE sub AS (
    SELECT id, name, 0 AS depth, name AS path FROM cw_tree WHERE parent IS NULL
    UNION ALL
    SELECT t.id, t.name, s.depth + 1, s.path || '/' || t.name FROM cw_tree t JOIN sub s ON t.parent = s.id
)
SELECT id, depth, path FROM sub ORDER BY path;
WITH RECURSIVE up AS (
    SELECT id, parent FROM cw_tree WHERE id = 5
    UNION
    SELECT t.id, t.parent FROM cw_tree t JOIN up ON t.id = up.parent
)
SELECT id FROM up ORDER BY id;
WITH RECURSIVE r(n) AS (SELECT 1 UNION SELECT n FROM r) SELECT n FROM r;

-- Data-modifying CTEs
WITH moved AS (DELETE FROM cw_sales WHERE region = 'west' RETURNING id, amount) SELECT id, amount FROM moved;
WITH ins AS (INSERT INTO cw_sales VALUES (8, 'west', 2, 210) RETURNING id) SELECT count(*) FROM ins;
WITH upd AS (UPDATE cw_sales SET amount = amount + 1 WHERE region = 'south' RETURNING id, amount) SELECT id, amount FROM upd ORDER BY id;
SELECT id, region, month, amount FROM cw_sales ORDER BY id;

-- Window functions
SELECT id, region, amount, row_number() OVER (PARTITION BY region ORDER BY month) FROM cw_sales ORDER BY id;
SELECT id, amount, rank() OVER (ORDER BY amount DESC NULLS LAST), dense_rank() OVER (ORDER BY amount DESC NULLS LAST) FROM cw_sales ORDER BY id;
SELECT id, region, sum(amount) OVER (PARTITION BY region) AS region_total FROM cw_sales ORDER BY id;
SELECT id, region, sum(amount) OVER (PARTITION BY region ORDER BY month) AS running FROM cw_sales ORDER BY id;
SELECT id, sum(amount) OVER (ORDER BY id ROWS BETWEEN 1 PRECEDING AND 1 FOLLOWING) FROM cw_sales ORDER BY id;
SELECT id, sum(amount) OVER (ORDER BY id ROWS UNBOUNDED PRECEDING) FROM cw_sales ORDER BY id;
SELECT id, count(*) OVER (), count(amount) OVER () FROM cw_sales ORDER BY id;
SELECT id, lag(amount) OVER (ORDER BY id), lead(amount, 2, -1) OVER (ORDER BY id) FROM cw_sales ORDER BY id;
SELECT id, first_value(amount) OVER w, last_value(amount) OVER w, nth_value(amount, 2) OVER w
  FROM cw_sales WINDOW w AS (PARTITION BY region ORDER BY month ROWS BETWEEN UNBOUNDED PRECEDING AND UNBOUNDED FOLLOWING) ORDER BY id;
SELECT id, ntile(3) OVER (ORDER BY id), percent_rank() OVER (ORDER BY id), cume_dist() OVER (ORDER BY id) FROM cw_sales ORDER BY id;
SELECT id, avg(amount) OVER (PARTITION BY region) FROM cw_sales ORDER BY id;
SELECT region, month, amount FROM (
    SELECT region, month, amount, row_number() OVER (PARTITION BY region ORDER BY amount DESC NULLS LAST, month) AS rn FROM cw_sales
) ranked WHERE rn = 1 ORDER BY region;
SELECT id, amount, sum(amount) OVER (ORDER BY amount RANGE BETWEEN UNBOUNDED PRECEDING AND CURRENT ROW) FROM cw_sales ORDER BY id;
SELECT row_number() OVER (ORDER BY id) FROM cw_sales WHERE row_number() OVER () > 1; -- differential: error=42P20

DROP TABLE cw_tree;
DROP TABLE cw_sales;
