-- Transactions: BEGIN/COMMIT/ROLLBACK, savepoints, failed transactions (25P02), isolation.

CREATE TABLE tx_t (id integer PRIMARY KEY, v text);

BEGIN;
INSERT INTO tx_t VALUES (1, 'committed');
SELECT count(*) FROM tx_t;
COMMIT;
SELECT id, v FROM tx_t ORDER BY id;

BEGIN;
INSERT INTO tx_t VALUES (2, 'rolled back');
SELECT count(*) FROM tx_t;
ROLLBACK;
SELECT id, v FROM tx_t ORDER BY id;

START TRANSACTION;
UPDATE tx_t SET v = 'updated' WHERE id = 1;
END;
SELECT v FROM tx_t WHERE id = 1;

BEGIN TRANSACTION;
DELETE FROM tx_t;
ABORT;
SELECT count(*) FROM tx_t;

BEGIN WORK;
COMMIT WORK;

-- Savepoints
BEGIN;
INSERT INTO tx_t VALUES (10, 'a');
SAVEPOINT s1;
INSERT INTO tx_t VALUES (11, 'b');
SAVEPOINT s2;
INSERT INTO tx_t VALUES (12, 'c');
ROLLBACK TO SAVEPOINT s2;
SELECT id FROM tx_t ORDER BY id;
ROLLBACK TO s1;
SELECT id FROM tx_t ORDER BY id;
INSERT INTO tx_t VALUES (13, 'd');
SAVEPOINT s3;
INSERT INTO tx_t VALUES (14, 'e');
RELEASE SAVEPOINT s3;
SAVEPOINT s4;
RELEASE s4;
ROLLBACK TO s3; -- differential: error=3B001
ROLLBACK;
SELECT id FROM tx_t ORDER BY id;

BEGIN;
INSERT INTO tx_t VALUES (20, 'x');
SAVEPOINT sp;
INSERT INTO tx_t VALUES (20, 'dup'); -- differential: error=23505
SELECT 1; -- differential: error=25P02
ROLLBACK TO SAVEPOINT sp;
SELECT id, v FROM tx_t WHERE id = 20;
INSERT INTO tx_t VALUES (21, 'y');
COMMIT;
SELECT id, v FROM tx_t ORDER BY id;

-- A failed transaction block: every statement fails with 25P02 until the end
BEGIN;
INSERT INTO tx_t VALUES (30, 'p');
SELECT 1 / 0; -- differential: error=22012
SELECT 1; -- differential: error=25P02
INSERT INTO tx_t VALUES (31, 'q'); -- differential: error=25P02
SAVEPOINT late; -- differential: error=25P02
COMMIT;
SELECT count(*) FROM tx_t WHERE id >= 30;

BEGIN;
INSERT INTO tx_t VALUES (40, 'r');
SELECT nosuch FROM tx_t; -- differential: error=42703
ROLLBACK;
SELECT count(*) FROM tx_t WHERE id = 40;

-- Transaction control outside a transaction (warnings only) and misuse
COMMIT;
ROLLBACK;
SAVEPOINT outside; -- differential: error=25P01
RELEASE SAVEPOINT nosuch; -- differential: error=25P01
BEGIN;
RELEASE SAVEPOINT nosuch; -- differential: error=3B001
ROLLBACK;
BEGIN;
BEGIN;
COMMIT;

-- Isolation levels and read-only transactions
BEGIN ISOLATION LEVEL REPEATABLE READ;
SHOW transaction_isolation;
SELECT count(*) FROM tx_t;
COMMIT;
BEGIN ISOLATION LEVEL SERIALIZABLE, READ WRITE;
INSERT INTO tx_t VALUES (50, 's');
COMMIT;
BEGIN READ ONLY;
SELECT count(*) FROM tx_t;
INSERT INTO tx_t VALUES (51, 't'); -- differential: error=25006
ROLLBACK;
START TRANSACTION ISOLATION LEVEL READ COMMITTED;
SHOW transaction_isolation;
SET TRANSACTION ISOLATION LEVEL REPEATABLE READ;
SHOW transaction_isolation;
COMMIT;
SHOW transaction_isolation;

-- DDL is transactional
BEGIN;
CREATE TABLE tx_ddl (x integer);
INSERT INTO tx_ddl VALUES (1);
ROLLBACK;
SELECT * FROM tx_ddl; -- differential: error=42P01
BEGIN;
DROP TABLE tx_t;
ROLLBACK;
SELECT count(*) FROM tx_t;

DROP TABLE tx_t;
