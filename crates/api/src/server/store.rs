//! Durable conversations: every conversation is written through to SQLite in ORIENT_HOME
//! (WAL, synced on commit), so a restart or a crash loses no one waiting for a counsellor and
//! no conversation a widget still polls. Memory stays the fast path; this is its backing.

use super::conversations::Conversation;
use rusqlite::{params, Connection, OptionalExtension};
use std::path::Path;
use std::sync::Mutex;

#[derive(Debug, thiserror::Error)]
pub enum StoreError {
    #[error("conversation store: {0}")]
    Sql(#[from] rusqlite::Error),
    #[error("conversation store: a stored conversation is unreadable: {0}")]
    Data(#[from] serde_json::Error),
    #[error("conversation store {path}: {source}")]
    Io { path: String, source: std::io::Error },
}

pub struct Store {
    db: Mutex<Connection>,
}

impl Store {
    pub fn open(path: &Path) -> Result<Store, StoreError> {
        // Conversations hold what people wrote and counsellors' replies: the directory and the
        // file are the owner's only (SQLite gives its -wal and -shm files the file's mode).
        use std::os::unix::fs::{DirBuilderExt, OpenOptionsExt, PermissionsExt};
        let io = |p: &Path, source| StoreError::Io { path: p.display().to_string(), source };
        if let Some(dir) = path.parent() {
            std::fs::DirBuilder::new().recursive(true).mode(0o700).create(dir).map_err(|e| io(dir, e))?;
            std::fs::set_permissions(dir, std::fs::Permissions::from_mode(0o700)).map_err(|e| io(dir, e))?;
        }
        std::fs::OpenOptions::new().create(true).append(true).mode(0o600).open(path).map_err(|e| io(path, e))?;
        std::fs::set_permissions(path, std::fs::Permissions::from_mode(0o600)).map_err(|e| io(path, e))?;
        let db = Connection::open(path)?;
        // WAL: readers never wait for the writer; FULL: a committed conversation survives a
        // crash of the machine, not only of the process (someone may be waiting for a reply).
        db.pragma_update(None, "journal_mode", "WAL")?;
        db.pragma_update(None, "synchronous", "FULL")?;
        db.busy_timeout(std::time::Duration::from_secs(5))?;
        db.execute_batch(
            "CREATE TABLE IF NOT EXISTS conversations (
                id TEXT PRIMARY KEY,
                data TEXT NOT NULL,
                waiting INTEGER NOT NULL,
                handed_off INTEGER NOT NULL,
                updated INTEGER NOT NULL
            );
            CREATE INDEX IF NOT EXISTS conversations_waiting ON conversations (waiting);
            CREATE INDEX IF NOT EXISTS conversations_updated ON conversations (updated);",
        )?;
        Ok(Store { db: Mutex::new(db) })
    }

    fn db(&self) -> std::sync::MutexGuard<'_, Connection> {
        self.db.lock().unwrap_or_else(|p| p.into_inner())
    }

    pub fn save(&self, c: &Conversation) -> Result<(), StoreError> {
        let data = serde_json::to_string(c)?;
        self.db().execute(
            "INSERT INTO conversations (id, data, waiting, handed_off, updated) VALUES (?1, ?2, ?3, ?4, ?5)
             ON CONFLICT(id) DO UPDATE SET data = excluded.data, waiting = excluded.waiting, handed_off = excluded.handed_off, updated = excluded.updated",
            params![c.id, data, c.is_waiting(), c.handoff.is_some(), c.updated as i64],
        )?;
        Ok(())
    }

    pub fn load(&self, id: &str) -> Result<Option<Conversation>, StoreError> {
        let data: Option<String> = self.db().query_row("SELECT data FROM conversations WHERE id = ?1", params![id], |r| r.get(0)).optional()?;
        Ok(match data {
            Some(d) => Some(serde_json::from_str(&d)?),
            None => None,
        })
    }

    /// Conversations waiting for a counsellor, or handed off and active since `since`.
    pub fn handed_off(&self, since: u64) -> Result<Vec<Conversation>, StoreError> {
        let db = self.db();
        let mut q = db.prepare("SELECT data FROM conversations WHERE waiting = 1 OR (handed_off = 1 AND updated >= ?1)")?;
        let rows = q.query_map(params![since as i64], |r| r.get::<_, String>(0))?;
        let mut out = Vec::new();
        for row in rows {
            // One unreadable row must not keep the others out of the queue.
            match serde_json::from_str(&row?) {
                Ok(c) => out.push(c),
                Err(e) => tracing::error!("conversation store: a stored conversation is unreadable and was skipped: {e}"),
            }
        }
        Ok(out)
    }

    /// Forget conversations idle since before `before` that nobody waits on.
    pub fn forget_idle(&self, before: u64) -> Result<usize, StoreError> {
        Ok(self.db().execute("DELETE FROM conversations WHERE waiting = 0 AND updated < ?1", params![before as i64])?)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn an_unreadable_row_is_skipped_and_the_others_are_restored() {
        let d = tempfile::tempdir().unwrap();
        let store = Store::open(&d.path().join("s.sqlite")).unwrap();
        let mut c: Conversation = serde_json::from_value(serde_json::json!({
            "id": "0123456789abcdef0123456789abcdef", "created": 1, "updated": 1, "messages": [],
            "handoff": { "priority": "urgent", "reason": "test", "since": 1, "status": "waiting" },
            "verdicts": [], "sources": [], "turns": 1, "next_seq": 1
        }))
        .unwrap();
        store.save(&c).unwrap();
        c.id = "fedcba9876543210fedcba9876543210".into();
        store.save(&c).unwrap();
        store.db().execute("UPDATE conversations SET data = '{broken' WHERE id = ?1", params![c.id]).unwrap();
        let back = store.handed_off(0).unwrap();
        assert_eq!(back.len(), 1);
        use std::os::unix::fs::PermissionsExt;
        assert_eq!(std::fs::metadata(d.path().join("s.sqlite")).unwrap().permissions().mode() & 0o777, 0o600);
        assert_eq!(back[0].id, "0123456789abcdef0123456789abcdef");
    }
}
