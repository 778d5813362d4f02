-- SELECT: joins, subqueries, set operations, aggregates, ORDER BY ... NULLS, LIMIT/OFFSET.

CREATE TABLE sel_dept (id integer PRIMARY KEY, name text NOT NULL);
CREATE TABLE sel_emp (
    id integer PRIMARY KEY,
    name text NOT NULL,
    dept_id integer REFERENCES sel_dept (id),
    salary integer,
    manager_id integer
);
INSERT INTO sel_dept VALUES (1, 'eng'), (2, 'sales'), (3, 'ops'), (4, 'empty');
INSERT INTO sel_emp VALUES
    (1, 'ann', 1, 120, NULL),
    (2, 'bob', 1, 100, 1),
    (3, 'cat', 2, 90, 1),
    (4, 'dan', 2, NULL, 3),
    (5, 'eve', 3, 80, 1),
    (6, 'fay', NULL, 70, 5),
    (7, 'gus', 1, 100, 2);

-- Projections and literals
SELECT 1;
SELECT 1 AS one, 'two' AS two, NULL AS nothing;
SELECT 1 + 2 * 3, (1 + 2) * 3, 7 / 2, 7 % 3, -7 / 2, 2 ^ 10;
SELECT name FROM sel_emp WHERE id = 1;
SELECT * FROM sel_dept ORDER BY id;
SELECT id, name FROM sel_emp WHERE salary > 95 ORDER BY id;
SELECT id FROM sel_emp WHERE salary IS NULL;
SELECT id FROM sel_emp WHERE dept_id IS NOT NULL AND salary BETWEEN 80 AND 100 ORDER BY id;
SELECT id FROM sel_emp WHERE name IN ('ann', 'eve', 'zed') ORDER BY id;
SELECT id FROM sel_emp WHERE name NOT IN ('ann', 'eve') ORDER BY id;
SELECT id FROM sel_emp WHERE name LIKE '_a%' ORDER BY id;
SELECT id FROM sel_emp WHERE name ILIKE 'A%';
SELECT DISTINCT dept_id FROM sel_emp;
SELECT DISTINCT ON (dept_id) dept_id, name FROM sel_emp ORDER BY dept_id, salary DESC NULLS LAST, id;
SELECT id, CASE WHEN salary >= 100 THEN 'high' WHEN salary >= 80 THEN 'mid' ELSE 'low' END AS band FROM sel_emp ORDER BY id;
SELECT id, COALESCE(salary, 0), NULLIF(salary, 100) FROM sel_emp ORDER BY id;
SELECT greatest(1, 5, 3), least(4, 2, 8), greatest('a', 'c', 'b');

-- ORDER BY, NULLS FIRST/LAST, LIMIT/OFFSET
SELECT id, salary FROM sel_emp ORDER BY salary, id;
SELECT id, salary FROM sel_emp ORDER BY salary DESC, id;
SELECT id, salary FROM sel_emp ORDER BY salary NULLS FIRST, id;
SELECT id, salary FROM sel_emp ORDER BY salary DESC NULLS LAST, id;
SELECT id, dept_id FROM sel_emp ORDER BY dept_id ASC NULLS FIRST, id DESC;
SELECT id FROM sel_emp ORDER BY id LIMIT 3;
SELECT id FROM sel_emp ORDER BY id LIMIT 3 OFFSET 2;
SELECT id FROM sel_emp ORDER BY id OFFSET 5;
SELECT id FROM sel_emp ORDER BY id LIMIT 0;
SELECT id FROM sel_emp ORDER BY id FETCH FIRST 2 ROWS ONLY;
SELECT name FROM sel_emp ORDER BY 1 DESC LIMIT 2;

-- Joins
SELECT e.name, d.name FROM sel_emp e JOIN sel_dept d ON d.id = e.dept_id ORDER BY e.id;
SELECT e.name, d.name FROM sel_emp e LEFT JOIN sel_dept d ON d.id = e.dept_id ORDER BY e.id;
SELECT e.name, d.name FROM sel_emp e RIGHT JOIN sel_dept d ON d.id = e.dept_id ORDER BY d.id, e.id;
SELECT e.name, d.name FROM sel_emp e FULL JOIN sel_dept d ON d.id = e.dept_id ORDER BY d.id NULLS FIRST, e.id;
SELECT count(*) FROM sel_emp CROSS JOIN sel_dept;
SELECT e.name, m.name AS manager FROM sel_emp e LEFT JOIN sel_emp m ON m.id = e.manager_id ORDER BY e.id;
SELECT d.name FROM sel_dept d JOIN sel_emp e USING (id) ORDER BY d.name;
SELECT e.name, d.name FROM sel_emp e, sel_dept d WHERE e.dept_id = d.id AND d.name = 'eng' ORDER BY e.name;

-- Aggregates and GROUP BY / HAVING
SELECT count(*), count(salary), sum(salary), min(salary), max(salary) FROM sel_emp;
SELECT avg(salary) FROM sel_emp;
SELECT dept_id, count(*), sum(salary) FROM sel_emp GROUP BY dept_id ORDER BY dept_id NULLS LAST;
SELECT dept_id, count(*) FROM sel_emp GROUP BY dept_id HAVING count(*) > 1 ORDER BY dept_id;
SELECT d.name, count(e.id) FROM sel_dept d LEFT JOIN sel_emp e ON e.dept_id = d.id GROUP BY d.name ORDER BY d.name;
SELECT count(DISTINCT salary) FROM sel_emp;
SELECT string_agg(name, ',' ORDER BY name) FROM sel_emp;
SELECT dept_id, array_agg(id ORDER BY id) FROM sel_emp GROUP BY dept_id ORDER BY dept_id NULLS FIRST;
SELECT bool_and(salary > 50), bool_or(salary > 110) FROM sel_emp;
SELECT sum(salary) FROM sel_emp WHERE id > 100;
SELECT count(*) FILTER (WHERE salary >= 100) AS rich, count(*) AS everyone FROM sel_emp;

-- Subqueries
SELECT name FROM sel_emp WHERE salary = (SELECT max(salary) FROM sel_emp);
SELECT name FROM sel_emp WHERE dept_id IN (SELECT id FROM sel_dept WHERE name <> 'eng') ORDER BY name;
SELECT d.name FROM sel_dept d WHERE EXISTS (SELECT 1 FROM sel_emp e WHERE e.dept_id = d.id) ORDER BY d.name;
SELECT d.name FROM sel_dept d WHERE NOT EXISTS (SELECT 1 FROM sel_emp e WHERE e.dept_id = d.id);
SELECT e.name, (SELECT d.name FROM sel_dept d WHERE d.id = e.dept_id) AS dept FROM sel_emp e ORDER BY e.id;
SELECT s.dept_id, s.total FROM (SELECT dept_id, sum(salary) AS total FROM sel_emp GROUP BY dept_id) AS s WHERE s.total > 100 ORDER BY s.dept_id;
SELECT name FROM sel_emp WHERE salary > ALL (SELECT salary FROM sel_emp WHERE dept_id = 2 AND salary IS NOT NULL);
SELECT name FROM sel_emp WHERE salary = ANY (SELECT salary FROM sel_emp WHERE dept_id = 1) ORDER BY name;
SELECT (SELECT id FROM sel_emp WHERE id > 100);

-- Set operations
SELECT dept_id FROM sel_emp UNION SELECT id FROM sel_dept;
SELECT dept_id FROM sel_emp UNION ALL SELECT id FROM sel_dept;
SELECT id FROM sel_dept INTERSECT SELECT dept_id FROM sel_emp;
SELECT id FROM sel_dept EXCEPT SELECT dept_id FROM sel_emp;
SELECT id FROM sel_dept EXCEPT ALL SELECT dept_id FROM sel_emp;
SELECT name FROM sel_emp WHERE id < 3 UNION SELECT name FROM sel_dept ORDER BY name;
SELECT 1 AS x UNION SELECT 2 UNION SELECT 1 ORDER BY x DESC;

-- generate_series and VALUES
SELECT * FROM generate_series(1, 5);
SELECT g FROM generate_series(10, 0, -3) AS g ORDER BY g;
SELECT g, g * g AS sq FROM generate_series(1, 4) g;
SELECT sum(g) FROM generate_series(1, 100) AS g;
SELECT * FROM (VALUES (1, 'a'), (2, 'b'), (3, NULL)) AS v(n, s) ORDER BY n;
VALUES (1, 'one'), (2, 'two');
SELECT count(*) FROM generate_series(1, 1000) g WHERE g % 7 = 0;

-- Column naming rules
SELECT count(*), sum(id), max(name), id + 1, upper(name) FROM sel_emp GROUP BY id, name ORDER BY id LIMIT 1;
SELECT e.id, d.id FROM sel_emp e JOIN sel_dept d ON d.id = e.dept_id ORDER BY e.id LIMIT 2;
SELECT 'x'::text, 1::bigint, CAST(2 AS smallint), 3.5::float8;

DROP TABLE sel_emp;
DROP TABLE sel_dept;
