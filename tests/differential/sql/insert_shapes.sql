-- INSERT whose source is narrower than the table: without a column list the source fills the
-- first columns and the rest take their defaults; with a column list it must give them all.
-- VALUES rows of different lengths are an error, never a silent truncation.

CREATE TABLE ish (id int PRIMARY KEY, code text, n int DEFAULT 7, at date);
INSERT INTO ish VALUES (1, 'a', 1);
INSERT INTO ish SELECT id + 100, code FROM ish;
INSERT INTO ish SELECT 200;
INSERT INTO ish VALUES (8), (9);
INSERT INTO ish VALUES (10, DEFAULT), (11, 'q');
SELECT * FROM ish ORDER BY id;
INSERT INTO ish (id, code, n) SELECT 5, 'x'; -- differential: error=42601
INSERT INTO ish (id, code, n) VALUES (6, 'y'); -- differential: error=42601
INSERT INTO ish VALUES (12), (13, 'z'); -- differential: error=42601
INSERT INTO ish VALUES (14, 'z'), (15); -- differential: error=42601
SELECT * FROM (VALUES (1), (2, 3)) v; -- differential: error=42601
VALUES (1, 2), (3); -- differential: error=42601
SELECT count(*) FROM ish;
INSERT INTO ish SELECT 300, 'c', 3, '2024-01-02', 'extra'; -- differential: error=42601
INSERT INTO ish WITH s AS (SELECT 400 AS id) SELECT id FROM s;
SELECT * FROM ish WHERE id >= 200 ORDER BY id;
