// A schema round trip through the PostgreSQL JDBC driver, printed as text so that a test can
// compare pgha's answers with PostgreSQL 15's line by line.
// Usage: java -cp postgresql.jar:. SchemaRoundTrip JDBC_URL USER
import java.math.BigDecimal;
import java.sql.*;
import java.util.*;

public class SchemaRoundTrip {
    static void out(String s) { System.out.println(s); }

    static String cell(ResultSet rs, int i) throws SQLException {
        Object v = rs.getObject(i);
        return v == null ? "NULL" : v.getClass().getSimpleName() + ":" + v;
    }

    static void dump(ResultSet rs, String... columns) throws SQLException {
        List<String> rows = new ArrayList<>();
        while (rs.next()) {
            StringBuilder b = new StringBuilder();
            for (String c : columns) b.append(c).append('=').append(rs.getString(c)).append(' ');
            rows.add(b.toString().trim());
        }
        Collections.sort(rows);
        for (String r : rows) out("  " + r);
    }

    public static void main(String[] args) throws Exception {
        try (Connection c = DriverManager.getConnection(args[0], args[1], "")) {
            try (Statement s = c.createStatement()) {
                s.execute("CREATE TABLE jd_customer (id serial PRIMARY KEY, name varchar(40) NOT NULL UNIQUE, "
                        + "vip boolean NOT NULL DEFAULT false, balance numeric(10,2), joined timestamp)");
                s.execute("CREATE TABLE jd_order (id bigserial PRIMARY KEY, customer_id integer NOT NULL "
                        + "REFERENCES jd_customer (id) ON DELETE CASCADE, amount numeric(10,2) NOT NULL, note text)");
                s.execute("CREATE INDEX jd_order_customer ON jd_order (customer_id)");
                s.execute("CREATE INDEX jd_order_amount_note ON jd_order (amount DESC, note)");
            }
            c.setAutoCommit(false);
            try (PreparedStatement p = c.prepareStatement(
                    "INSERT INTO jd_customer (name, vip, balance, joined) VALUES (?, ?, ?, ?)",
                    Statement.RETURN_GENERATED_KEYS)) {
                String[] names = {"ann", "bob", "cy", "dee", "eve", "fay", "gus"};
                for (int i = 0; i < names.length; i++) {  // past prepareThreshold: server-side prepare
                    p.setString(1, names[i]);
                    p.setBoolean(2, i % 2 == 0);
                    p.setBigDecimal(3, new BigDecimal(i + ".25"));
                    p.setTimestamp(4, Timestamp.valueOf("2024-03-0" + (i + 1) + " 12:30:00"));
                    p.executeUpdate();
                    try (ResultSet keys = p.getGeneratedKeys()) {
                        keys.next();
                        out("key " + keys.getInt(1));
                    }
                }
            }
            try (PreparedStatement p = c.prepareStatement(
                    "INSERT INTO jd_order (customer_id, amount, note) VALUES (?, ?, ?)")) {
                for (int i = 1; i <= 6; i++) {
                    p.setInt(1, (i % 3) + 1);
                    p.setBigDecimal(2, new BigDecimal(i * 10 + ".50"));
                    p.setString(3, i % 2 == 0 ? null : "note " + i);
                    p.addBatch();
                }
                out("batch " + Arrays.toString(p.executeBatch()));
            }
            c.commit();

            try (PreparedStatement p = c.prepareStatement(
                    "SELECT c.name, c.vip, c.balance, c.joined, count(o.id) AS orders, sum(o.amount) AS total "
                    + "FROM jd_customer c LEFT JOIN jd_order o ON o.customer_id = c.id "
                    + "WHERE c.balance >= ? GROUP BY c.id ORDER BY c.name")) {
                p.setBigDecimal(1, new BigDecimal("1"));
                try (ResultSet rs = p.executeQuery()) {
                    ResultSetMetaData md = rs.getMetaData();
                    for (int i = 1; i <= md.getColumnCount(); i++)
                        out("column " + md.getColumnLabel(i) + " " + md.getColumnTypeName(i) + " "
                                + md.getColumnType(i) + " " + md.getColumnClassName(i));
                    while (rs.next()) {
                        StringBuilder b = new StringBuilder("row");
                        for (int i = 1; i <= md.getColumnCount(); i++) b.append(' ').append(cell(rs, i));
                        out(b.toString());
                    }
                }
            }

            // Errors: the SQLSTATE the driver reports, and the transaction goes on after a savepoint.
            Savepoint sp = c.setSavepoint();
            try (Statement s = c.createStatement()) {
                s.executeUpdate("INSERT INTO jd_customer (name) VALUES ('ann')");
                out("no error");
            } catch (SQLException e) {
                out("error " + e.getSQLState());
                c.rollback(sp);
            }
            try (Statement s = c.createStatement()) {
                s.executeUpdate("INSERT INTO jd_order (customer_id, amount) VALUES (99, 1)");
            } catch (SQLException e) {
                out("error " + e.getSQLState());
                c.rollback();
            }
            try (Statement s = c.createStatement(); ResultSet rs = s.executeQuery("SELECT count(*) FROM jd_order")) {
                rs.next();
                out("orders " + rs.getLong(1));
            }
            c.commit();

            DatabaseMetaData md = c.getMetaData();
            out("product " + md.getDatabaseProductName());
            out("tables");
            dump(md.getTables(null, "public", "jd_%", new String[] {"TABLE"}), "TABLE_NAME", "TABLE_TYPE");
            for (String t : new String[] {"jd_customer", "jd_order"}) {
                out("columns " + t);
                dump(md.getColumns(null, "public", t, "%"), "COLUMN_NAME", "TYPE_NAME", "DATA_TYPE",
                        "COLUMN_SIZE", "DECIMAL_DIGITS", "NULLABLE", "COLUMN_DEF", "IS_AUTOINCREMENT",
                        "ORDINAL_POSITION");
                out("primary key " + t);
                dump(md.getPrimaryKeys(null, "public", t), "COLUMN_NAME", "KEY_SEQ", "PK_NAME");
                out("indexes " + t);
                dump(md.getIndexInfo(null, "public", t, false, false), "INDEX_NAME", "NON_UNIQUE",
                        "COLUMN_NAME", "ORDINAL_POSITION", "ASC_OR_DESC", "TYPE");
            }
            out("imported keys jd_order");
            dump(md.getImportedKeys(null, "public", "jd_order"), "PKTABLE_NAME", "PKCOLUMN_NAME",
                    "FKCOLUMN_NAME", "KEY_SEQ", "UPDATE_RULE", "DELETE_RULE", "FK_NAME", "PK_NAME");

            try (Statement s = c.createStatement()) {
                s.execute("DELETE FROM jd_customer WHERE name = 'bob'");
                try (ResultSet rs = s.executeQuery("SELECT count(*) FROM jd_order")) {
                    rs.next();
                    out("orders after cascade " + rs.getLong(1));
                }
                s.execute("DROP TABLE jd_order");
                s.execute("DROP TABLE jd_customer");
            }
            c.commit();
            out("done");
        }
    }
}
