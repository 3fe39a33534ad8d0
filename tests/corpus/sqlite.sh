# sqlite: the sqlite3 shell and Python's sqlite3, with WAL (its -shm file is
# mmapped), transactions and two connections.
set -e
sqlite3 db.sqlite <<'SQL'
PRAGMA journal_mode=WAL;
CREATE TABLE t(id INTEGER PRIMARY KEY, name TEXT, score REAL);
WITH RECURSIVE n(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM n WHERE i < 1000)
INSERT INTO t(name, score) SELECT 'n' || (i % 10), i * 0.5 FROM n;
SELECT name, COUNT(*), SUM(score) FROM t GROUP BY name ORDER BY name LIMIT 3;
SQL
python3 - <<'PY'
import sqlite3
a = sqlite3.connect("db.sqlite"); b = sqlite3.connect("db.sqlite")
print(a.execute("PRAGMA journal_mode").fetchone()[0])
with a:
    a.execute("UPDATE t SET score = score * 2 WHERE name = 'n1'")
print(b.execute("SELECT SUM(score) FROM t WHERE name = 'n1'").fetchone()[0])
a.execute("BEGIN"); a.execute("DELETE FROM t WHERE id > 900")
print(b.execute("SELECT COUNT(*) FROM t").fetchone()[0])
a.rollback()
a.execute("CREATE INDEX i ON t(name)"); a.commit()
print(b.execute("SELECT COUNT(*) FROM t").fetchone()[0], a.execute("PRAGMA integrity_check").fetchone()[0])
a.execute("VACUUM INTO 'copy.sqlite'")
print(sqlite3.connect("copy.sqlite").execute("SELECT MAX(id) FROM t").fetchone()[0])
PY
sqlite3 -csv copy.sqlite 'SELECT id, name FROM t ORDER BY id LIMIT 2'
