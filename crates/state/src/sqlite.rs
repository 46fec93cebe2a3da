//! The embedded engine: one SQLite file in ORIENT_HOME (WAL, synced on commit), for one
//! replica. Writers are serialised by SQLite itself (`BEGIN IMMEDIATE`), which is also the
//! queue's lock.

use crate::model::{Columns, Row};
use crate::{Change, Conversation, Engine, LogHead, StateError, StateStore};
use rusqlite::{params, Connection, OptionalExtension, TransactionBehavior};
use std::path::Path;
use std::sync::{Mutex, MutexGuard};

/// Schema changes in order; `PRAGMA user_version` says how many were applied. The first is
/// the table of the stores written before migrations existed.
const MIGRATIONS: &[&str] = &[
    "CREATE TABLE IF NOT EXISTS conversations (
        id TEXT PRIMARY KEY,
        data TEXT NOT NULL,
        waiting INTEGER NOT NULL,
        handed_off INTEGER NOT NULL,
        updated INTEGER NOT NULL
    );
    CREATE INDEX IF NOT EXISTS conversations_waiting ON conversations (waiting);
    CREATE INDEX IF NOT EXISTS conversations_updated ON conversations (updated);",
    "ALTER TABLE conversations ADD COLUMN client TEXT;
    ALTER TABLE conversations ADD COLUMN suggestion TEXT;
    ALTER TABLE conversations ADD COLUMN urgent INTEGER NOT NULL DEFAULT 0;
    ALTER TABLE conversations ADD COLUMN claimed_by TEXT;
    ALTER TABLE conversations ADD COLUMN since INTEGER NOT NULL DEFAULT 0;
    UPDATE conversations SET urgent = coalesce(json_extract(data, '$.handoff.priority') = 'urgent', 0),
                             since = coalesce(json_extract(data, '$.handoff.since'), 0);
    CREATE INDEX conversations_queue ON conversations (waiting, claimed_by, urgent, since);
    CREATE TABLE settings (name TEXT PRIMARY KEY, value TEXT NOT NULL);",
    "CREATE TABLE log_heads (replica TEXT PRIMARY KEY, seq INTEGER NOT NULL, hash TEXT NOT NULL, updated INTEGER NOT NULL);",
    "ALTER TABLE conversations ADD COLUMN claimed_at INTEGER NOT NULL DEFAULT 0;",
];

pub struct SqliteStore {
    db: Mutex<Connection>,
}

const SELECT_ROW: &str = "SELECT data, client, suggestion FROM conversations";

fn row(r: &rusqlite::Row<'_>) -> rusqlite::Result<Row> {
    Ok(Row { data: r.get(0)?, client: r.get(1)?, suggestion: r.get(2)? })
}

/// Read rows; one unreadable row must not keep the others (a queue) out.
fn read_rows(rows: impl Iterator<Item = rusqlite::Result<Row>>) -> Result<Vec<Conversation>, StateError> {
    let mut out = Vec::new();
    for r in rows {
        match r?.read() {
            Ok(c) => out.push(c),
            Err(e) => tracing::error!("state store: a stored conversation is unreadable and was skipped: {e}"),
        }
    }
    Ok(out)
}

fn write(db: &Connection, c: &Conversation) -> Result<(), StateError> {
    let (row, col) = (Row::of(c)?, Columns::of(c));
    db.execute(
        "INSERT INTO conversations (id, data, client, suggestion, waiting, urgent, handed_off, claimed_by, claimed_at, since, updated)
         VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11)
         ON CONFLICT(id) DO UPDATE SET data = excluded.data, client = excluded.client, suggestion = excluded.suggestion,
           waiting = excluded.waiting, urgent = excluded.urgent, handed_off = excluded.handed_off,
           claimed_by = excluded.claimed_by, claimed_at = excluded.claimed_at, since = excluded.since, updated = excluded.updated",
        params![c.id, row.data, row.client, row.suggestion, col.waiting, col.urgent, col.handed_off, col.claimed_by, col.claimed_at, col.since, col.updated],
    )?;
    Ok(())
}

fn waiting(db: &Connection) -> Result<Vec<Conversation>, StateError> {
    let mut q = db.prepare(&format!("{SELECT_ROW} WHERE waiting = 1"))?;
    let rows = q.query_map([], row)?;
    read_rows(rows)
}

impl SqliteStore {
    pub fn open(path: &Path) -> Result<SqliteStore, StateError> {
        // Conversations hold what people wrote and counsellors' replies: the directory and the
        // file are the owner's only (SQLite gives its -wal and -shm files the file's mode).
        use std::os::unix::fs::{DirBuilderExt, OpenOptionsExt, PermissionsExt};
        let io = |p: &Path, source| StateError::Io { path: p.display().to_string(), source };
        if let Some(dir) = path.parent() {
            std::fs::DirBuilder::new().recursive(true).mode(0o700).create(dir).map_err(|e| io(dir, e))?;
            std::fs::set_permissions(dir, std::fs::Permissions::from_mode(0o700)).map_err(|e| io(dir, e))?;
        }
        std::fs::OpenOptions::new().create(true).append(true).mode(0o600).open(path).map_err(|e| io(path, e))?;
        std::fs::set_permissions(path, std::fs::Permissions::from_mode(0o600)).map_err(|e| io(path, e))?;
        let mut db = Connection::open(path)?;
        // WAL: readers never wait for the writer; FULL: a committed conversation survives a
        // crash of the machine, not only of the process (someone may be waiting for a reply).
        db.pragma_update(None, "journal_mode", "WAL")?;
        db.pragma_update(None, "synchronous", "FULL")?;
        db.busy_timeout(std::time::Duration::from_secs(5))?;
        let tx = db.transaction_with_behavior(TransactionBehavior::Exclusive)?;
        let applied: usize = tx.query_row("PRAGMA user_version", [], |r| r.get::<_, i64>(0))? as usize;
        for (n, m) in MIGRATIONS.iter().enumerate().skip(applied) {
            tx.execute_batch(m)?;
            tx.pragma_update(None, "user_version", (n + 1) as i64)?;
        }
        tx.commit()?;
        Ok(SqliteStore { db: Mutex::new(db) })
    }

    fn db(&self) -> MutexGuard<'_, Connection> {
        self.db.lock().unwrap_or_else(|p| p.into_inner())
    }

    #[cfg(test)]
    pub(crate) fn execute(&self, sql: &str, id: &str) {
        self.db().execute(sql, params![id]).unwrap();
    }
}

impl StateStore for SqliteStore {
    fn engine(&self) -> Engine {
        Engine::Sqlite
    }

    fn load(&self, id: &str) -> Result<Option<Conversation>, StateError> {
        let r = self.db().query_row(&format!("{SELECT_ROW} WHERE id = ?1"), params![id], row).optional()?;
        Ok(r.map(Row::read).transpose()?)
    }

    fn update(&self, id: &str, queue: bool, change: &mut Change<'_>) -> Result<Option<Conversation>, StateError> {
        let mut db = self.db();
        let tx = db.transaction_with_behavior(TransactionBehavior::Immediate)?;
        let current = tx.query_row(&format!("{SELECT_ROW} WHERE id = ?1"), params![id], row).optional()?.map(Row::read).transpose()?;
        let others = if queue { waiting(&tx)? } else { Vec::new() };
        let Some(new) = change(current, &others) else {
            return Ok(None);
        };
        write(&tx, &new)?;
        tx.commit()?;
        Ok(Some(new))
    }

    fn handed_off(&self, since: u64) -> Result<Vec<Conversation>, StateError> {
        let db = self.db();
        let mut q = db.prepare(&format!("{SELECT_ROW} WHERE waiting = 1 OR (handed_off = 1 AND updated >= ?1)"))?;
        let rows = q.query_map(params![since as i64], row)?;
        read_rows(rows)
    }

    fn claim_next(&self, counsellor: &str, now: u64, lapsed_before: u64) -> Result<Option<Conversation>, StateError> {
        let mut db = self.db();
        let tx = db.transaction_with_behavior(TransactionBehavior::Immediate)?;
        let mut next = None;
        for skip in 0..crate::CLAIM_SKIPS {
            let sql = format!("{SELECT_ROW} WHERE waiting = 1 AND (claimed_by IS NULL OR claimed_at < ?1) ORDER BY urgent DESC, since ASC LIMIT 1 OFFSET ?2");
            let Some(r) = tx.query_row(&sql, params![lapsed_before as i64, skip], row).optional()? else { break };
            match r.read() {
                Ok(c) => {
                    next = Some(c);
                    break;
                }
                Err(e) => tracing::error!("state store: an unreadable waiting conversation was skipped: {e}"),
            }
        }
        let Some(mut c) = next else { return Ok(None) };
        if let Some(h) = c.handoff.as_mut() {
            h.claim(counsellor, now);
        }
        write(&tx, &c)?;
        tx.commit()?;
        Ok(Some(c))
    }

    fn forget_idle(&self, before: u64, keep: usize) -> Result<usize, StateError> {
        let db = self.db();
        let idle = db.execute("DELETE FROM conversations WHERE waiting = 0 AND updated < ?1", params![before as i64])?;
        let over = db.execute(
            "DELETE FROM conversations WHERE waiting = 0 AND id IN (SELECT id FROM conversations WHERE waiting = 0 ORDER BY updated DESC LIMIT -1 OFFSET ?1)",
            params![keep as i64],
        )?;
        Ok(idle + over)
    }

    fn count(&self) -> Result<usize, StateError> {
        Ok(self.db().query_row("SELECT count(*) FROM conversations", [], |r| r.get::<_, i64>(0))? as usize)
    }

    fn secret(&self, name: &str) -> Result<Vec<u8>, StateError> {
        let db = self.db();
        let fresh = hex::encode(rand::random::<[u8; 32]>());
        db.execute("INSERT INTO settings (name, value) VALUES (?1, ?2) ON CONFLICT(name) DO NOTHING", params![name, fresh])?;
        let value: String = db.query_row("SELECT value FROM settings WHERE name = ?1", params![name], |r| r.get(0))?;
        hex::decode(value).map_err(|e| StateError::Config(format!("the stored secret {name} is not hex: {e}")))
    }

    fn publish_log_head(&self, h: &LogHead) -> Result<(), StateError> {
        // SQLite reads `$1` as a numbered parameter too: one statement for both engines.
        self.db().execute(crate::PUBLISH_LOG_HEAD, params![h.replica, h.seq as i64, h.hash, h.updated as i64])?;
        Ok(())
    }

    fn log_heads(&self) -> Result<Vec<LogHead>, StateError> {
        let db = self.db();
        let mut q = db.prepare("SELECT replica, seq, hash, updated FROM log_heads ORDER BY replica")?;
        let rows =
            q.query_map([], |r| Ok(LogHead { replica: r.get(0)?, seq: r.get::<_, i64>(1)? as u64, hash: r.get(2)?, updated: r.get::<_, i64>(3)? as u64 }))?;
        Ok(rows.collect::<Result<_, _>>()?)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use rusqlite::params;

    #[test]
    fn a_store_written_before_migrations_is_migrated_and_keeps_its_queue() {
        let d = tempfile::tempdir().unwrap();
        let path = d.path().join("conversations.sqlite");
        {
            // The schema and a row as the first stores wrote them.
            let db = Connection::open(&path).unwrap();
            db.execute_batch(MIGRATIONS[0]).unwrap();
            let data = r#"{"id":"0123456789abcdef0123456789abcdef","created":1,"updated":5,"messages":[],
                "handoff":{"priority":"urgent","reason":"t","since":4,"status":"waiting"},"verdicts":[],"sources":[],"turns":1,"next_seq":1}"#;
            db.execute("INSERT INTO conversations VALUES (?1, ?2, 1, 1, 5)", params!["0123456789abcdef0123456789abcdef", data]).unwrap();
        }
        let store = SqliteStore::open(&path).unwrap();
        let claimed = store.claim_next("c1", 10, 0).unwrap().expect("the old waiting row is in the queue");
        assert_eq!(claimed.handoff.unwrap().claimed_by.as_deref(), Some("c1"));
        // Opening again applies nothing twice.
        drop(store);
        assert_eq!(SqliteStore::open(&path).unwrap().count().unwrap(), 1);
    }

    #[test]
    fn an_unreadable_row_is_skipped_and_the_others_are_restored() {
        let d = tempfile::tempdir().unwrap();
        let store = SqliteStore::open(&d.path().join("s.sqlite")).unwrap();
        let mut c: Conversation = serde_json::from_value(serde_json::json!({
            "id": "0123456789abcdef0123456789abcdef", "created": 1, "updated": 1, "messages": [],
            "handoff": { "priority": "urgent", "reason": "test", "since": 1, "status": "waiting" },
            "verdicts": [], "sources": [], "turns": 1, "next_seq": 1
        }))
        .unwrap();
        store.update(&c.id.clone(), false, &mut |_, _| Some(c.clone())).unwrap();
        c.id = "fedcba9876543210fedcba9876543210".into();
        store.update(&c.id.clone(), false, &mut |_, _| Some(c.clone())).unwrap();
        store.execute("UPDATE conversations SET data = '{broken' WHERE id = ?1", &c.id);
        let back = store.handed_off(0).unwrap();
        assert_eq!(back.len(), 1);
        use std::os::unix::fs::PermissionsExt;
        assert_eq!(std::fs::metadata(d.path().join("s.sqlite")).unwrap().permissions().mode() & 0o777, 0o600);
        assert_eq!(back[0].id, "0123456789abcdef0123456789abcdef");
    }
}
