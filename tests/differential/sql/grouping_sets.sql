-- GROUP BY GROUPING SETS, ROLLUP and CUBE (PostgreSQL 15 "7.2.4"): one group per set, the
-- grouping columns outside a set NULL, GROUPING() as its bit mask, HAVING per group, ORDER BY
-- and LIMIT over the whole result.

CREATE TABLE gs_sales (region text, product text, year int, qty int, price numeric(8,2));
INSERT INTO gs_sales VALUES ('north', 'apple', 2023, 10, 1.50), ('north', 'pear', 2023, 5, 2.00), ('north', 'apple', 2024, 7, 1.60), ('south', 'apple', 2023, 3, 1.55), ('south', 'fig', 2024, 8, 3.10), ('south', 'fig', 2024, 2, 3.20), (NULL, 'apple', 2024, 1, 1.70);
SELECT region, product, sum(qty) FROM gs_sales GROUP BY ROLLUP (region, product) ORDER BY region, product;
SELECT region, product, sum(qty) FROM gs_sales GROUP BY CUBE (region, product) ORDER BY 1, 2, 3;
SELECT region, year, count(*) FROM gs_sales GROUP BY GROUPING SETS ((region), (year), ()) ORDER BY region, year, 3;
SELECT region, product, GROUPING(region, product) AS g, sum(qty) AS total FROM gs_sales GROUP BY ROLLUP (region, product) ORDER BY g, region, product;
SELECT region, GROUPING(region), sum(qty * price) FROM gs_sales GROUP BY ROLLUP (region) ORDER BY 1, 2;
SELECT region, product, year, sum(qty) FROM gs_sales GROUP BY region, ROLLUP (product, year) ORDER BY 1, 2, 3;
SELECT region, product, sum(qty) FROM gs_sales GROUP BY GROUPING SETS ((region, product), (region), ()) HAVING sum(qty) > 5 ORDER BY 1, 2;
SELECT region, sum(qty) FROM gs_sales GROUP BY ROLLUP (region) ORDER BY 2 DESC LIMIT 2;
SELECT coalesce(region, 'all') AS r, count(DISTINCT product) FROM gs_sales GROUP BY ROLLUP (region) ORDER BY 1, 2;
SELECT region, product, max(qty) FROM gs_sales WHERE year = 2024 GROUP BY CUBE (region, product) ORDER BY 1, 2, 3;
SELECT year, sum(qty) FROM gs_sales GROUP BY GROUPING SETS (year, ()) ORDER BY year;
SELECT region, product, sum(qty) FROM gs_sales GROUP BY ROLLUP ((region, product)) ORDER BY 1, 2;
SELECT count(*) FROM (SELECT region, sum(qty) FROM gs_sales GROUP BY CUBE (region, year)) s;
SELECT region, sum(qty), avg(price)::numeric(8,4) FROM gs_sales GROUP BY GROUPING SETS ((region), ()) ORDER BY region NULLS FIRST, 2;
SELECT region AS r, product AS p, sum(qty) FROM gs_sales GROUP BY ROLLUP (region, product) ORDER BY r, p;
SELECT region, GROUPING(region) FROM gs_sales GROUP BY region ORDER BY 1;
SELECT region, GROUPING(product) FROM gs_sales GROUP BY ROLLUP (region); -- differential: error=42803
SELECT (SELECT count(*) FROM (SELECT region FROM gs_sales GROUP BY ROLLUP (region)) x) AS n;
WITH s AS (SELECT * FROM gs_sales WHERE qty > 2) SELECT product, sum(qty) FROM s GROUP BY ROLLUP (product) ORDER BY 1;
SELECT region, year, sum(qty) FROM gs_sales GROUP BY GROUPING SETS ((region), (year), (region, year)) ORDER BY 1, 2, 3;
SELECT year, product, count(*) FROM gs_sales GROUP BY GROUPING SETS (year, product, ()) ORDER BY 1, 2, 3;
SELECT 1 AS one FROM gs_sales HAVING true;
SELECT 'x' AS x FROM gs_sales WHERE false HAVING true;
SELECT 1 FROM gs_sales HAVING false;
SELECT count(*) FROM gs_sales HAVING count(*) > 3;
