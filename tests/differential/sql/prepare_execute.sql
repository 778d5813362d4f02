-- SQL-level PREPARE / EXECUTE / DEALLOCATE (constant parameters).

CREATE TABLE pe_t (i integer, t text, at date);
PREPARE pe_ins(integer, text, date) AS INSERT INTO pe_t VALUES ($1, $2, $3);
EXECUTE pe_ins(1, 'a', '2024-01-02');
EXECUTE pe_ins(-2, NULL, NULL);
EXECUTE pe_ins('3', 'c'::text, '2024-03-04'::date);
PREPARE pe_sel AS SELECT i, t, at FROM pe_t ORDER BY i;
EXECUTE pe_sel;
PREPARE pe_q(integer) AS SELECT i + $1 AS j FROM pe_t WHERE i > $1 ORDER BY 1;
EXECUTE pe_q(0);
EXECUTE pe_q(2);
PREPARE pe_upd(text) AS UPDATE pe_t SET t = $1 WHERE t IS NULL RETURNING i, t;
EXECUTE pe_upd('z');
EXECUTE pe_missing; -- differential: error=26000
EXECUTE pe_q; -- differential: error=42601
PREPARE pe_q AS SELECT 1; -- differential: error=42P05
DEALLOCATE pe_q;
EXECUTE pe_q(1); -- differential: error=26000
DEALLOCATE ALL;
EXECUTE pe_sel; -- differential: error=26000
