//! PostgreSQL, shared by every replica. Rows are locked for a change (`SELECT … FOR UPDATE`),
//! admissions to the queue take a transaction-scoped advisory lock, and claims skip the rows
//! another counsellor is claiming (`FOR UPDATE SKIP LOCKED`).
//!
//! The connections' sockets are driven by a small runtime of the store's own; queries are
//! awaited on the calling thread, so the store is called the same way from a request handler
//! and from a plain thread, without nesting one tokio runtime in another.

use crate::model::{Columns, Row};
use crate::{Change, Conversation, Engine, LogHead, StateError, StateStore};
use std::sync::Mutex;
use std::time::Duration;
use tokio_postgres::{Client, GenericClient, NoTls};

/// Schema changes in order; `orient_migrations` records those applied.
const MIGRATIONS: &[&str] = &[
    "CREATE TABLE conversations (
        id TEXT PRIMARY KEY,
        data TEXT NOT NULL,
        client TEXT,
        suggestion TEXT,
        waiting BOOLEAN NOT NULL,
        urgent BOOLEAN NOT NULL,
        handed_off BOOLEAN NOT NULL,
        claimed_by TEXT,
        since BIGINT NOT NULL,
        updated BIGINT NOT NULL
    );
    CREATE INDEX conversations_queue ON conversations (waiting, claimed_by, urgent, since);
    CREATE INDEX conversations_updated ON conversations (updated);
    CREATE TABLE settings (name TEXT PRIMARY KEY, value TEXT NOT NULL);",
    "CREATE TABLE log_heads (replica TEXT PRIMARY KEY, seq BIGINT NOT NULL, hash TEXT NOT NULL, updated BIGINT NOT NULL);",
    "ALTER TABLE conversations ADD COLUMN claimed_at BIGINT NOT NULL DEFAULT 0;",
];

/// Advisory lock keys (any constants unique to orient).
const MIGRATION_LOCK: i64 = 0x6f72_6965_6e74_0001;
const QUEUE_LOCK: i64 = 0x6f72_6965_6e74_0002;

/// Idle connections kept for reuse.
const POOL: usize = 8;

const SELECT_ROW: &str = "SELECT data, client, suggestion FROM conversations";

pub struct PgStore {
    /// Drives the connections; shut down in the background on drop (never blocking a caller).
    rt: Option<tokio::runtime::Runtime>,
    config: tokio_postgres::Config,
    idle: Mutex<Vec<Client>>,
}

fn row(r: &tokio_postgres::Row) -> Result<Row, tokio_postgres::Error> {
    Ok(Row { data: r.try_get(0)?, client: r.try_get(1)?, suggestion: r.try_get(2)? })
}

/// Read rows; one unreadable row must not keep the others (a queue) out.
fn read_rows(rows: &[tokio_postgres::Row]) -> Result<Vec<Conversation>, StateError> {
    let mut out = Vec::new();
    for r in rows {
        match row(r)?.read() {
            Ok(c) => out.push(c),
            Err(e) => tracing::error!("state store: a stored conversation is unreadable and was skipped: {e}"),
        }
    }
    Ok(out)
}

async fn write(db: &impl GenericClient, c: &Conversation) -> Result<(), StateError> {
    let (row, col) = (Row::of(c)?, Columns::of(c));
    db.execute(
        "INSERT INTO conversations (id, data, client, suggestion, waiting, urgent, handed_off, claimed_by, claimed_at, since, updated)
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11)
         ON CONFLICT (id) DO UPDATE SET data = excluded.data, client = excluded.client, suggestion = excluded.suggestion,
           waiting = excluded.waiting, urgent = excluded.urgent, handed_off = excluded.handed_off,
           claimed_by = excluded.claimed_by, claimed_at = excluded.claimed_at, since = excluded.since, updated = excluded.updated",
        &[
            &c.id,
            &row.data,
            &row.client,
            &row.suggestion,
            &col.waiting,
            &col.urgent,
            &col.handed_off,
            &col.claimed_by,
            &col.claimed_at,
            &col.since,
            &col.updated,
        ],
    )
    .await?;
    Ok(())
}

impl PgStore {
    pub fn open(url: &str) -> Result<PgStore, StateError> {
        // The parser's message may quote the URL, password included: not repeated here.
        let mut config: tokio_postgres::Config =
            url.parse().map_err(|_| StateError::Config("the PostgreSQL URL cannot be read (postgres://user:password@host:port/database)".into()))?;
        // An unreachable server is said at once, not after the kernel's TCP timeout.
        config.connect_timeout(Duration::from_secs(5));
        config.application_name("orient");
        // A stalled peer (a replica holding a lock across a partition, a connection a NAT
        // dropped) must fail a request in seconds, not after TCP gives up.
        config.keepalives(true).keepalives_idle(Duration::from_secs(30));
        config.options("-c lock_timeout=5000 -c statement_timeout=10000 -c idle_in_transaction_session_timeout=30000");
        let rt = tokio::runtime::Builder::new_multi_thread()
            .worker_threads(1)
            .thread_name("orient-postgres")
            .enable_all()
            .build()
            .map_err(|source| StateError::Io { path: "the PostgreSQL runtime".into(), source })?;
        let store = PgStore { rt: Some(rt), config, idle: Mutex::new(Vec::new()) };
        store.migrate()?;
        Ok(store)
    }

    fn migrate(&self) -> Result<(), StateError> {
        self.with(async |db| {
            let tx = db.transaction().await?;
            // Replicas starting together apply each change once.
            tx.execute("SELECT pg_advisory_xact_lock($1)", &[&MIGRATION_LOCK]).await?;
            tx.batch_execute("CREATE TABLE IF NOT EXISTS orient_migrations (version INTEGER PRIMARY KEY, applied BIGINT NOT NULL)").await?;
            let applied: i32 = tx.query_one("SELECT coalesce(max(version), 0) FROM orient_migrations", &[]).await?.try_get(0)?;
            for (n, m) in MIGRATIONS.iter().enumerate().skip(applied as usize) {
                tx.batch_execute(m).await?;
                tx.execute("INSERT INTO orient_migrations (version, applied) VALUES ($1, $2)", &[&(n as i32 + 1), &(crate::now() as i64)]).await?;
            }
            tx.commit().await?;
            Ok(())
        })
    }

    /// A connection from the pool, or a new one.
    fn connection(&self) -> Result<Client, StateError> {
        let reused = {
            let mut idle = self.idle.lock().unwrap_or_else(|p| p.into_inner());
            idle.retain(|c| !c.is_closed());
            idle.pop()
        };
        if let Some(c) = reused {
            return Ok(c);
        }
        let config = self.config.clone();
        let rt = self.rt.as_ref().ok_or(StateError::Stopped)?;
        let connecting = rt.spawn(async move {
            let (client, connection) = config.connect(NoTls).await?;
            tokio::spawn(async move {
                if let Err(e) = connection.await {
                    tracing::warn!("state store (PostgreSQL): connection closed: {e}");
                }
            });
            Ok::<_, tokio_postgres::Error>(client)
        });
        Ok(futures_executor::block_on(connecting).map_err(|_| StateError::Stopped)??)
    }

    /// Run `f` on a connection, awaited on this thread; the connection goes back to the pool
    /// unless it broke.
    fn with<T>(&self, f: impl AsyncFnOnce(&mut Client) -> Result<T, StateError>) -> Result<T, StateError> {
        let mut client = self.connection()?;
        let result = futures_executor::block_on(f(&mut client));
        if !client.is_closed() {
            let mut idle = self.idle.lock().unwrap_or_else(|p| p.into_inner());
            if idle.len() < POOL {
                idle.push(client);
            }
        }
        result
    }
}

impl Drop for PgStore {
    fn drop(&mut self) {
        if let Some(rt) = self.rt.take() {
            rt.shutdown_background();
        }
    }
}

impl StateStore for PgStore {
    fn engine(&self) -> Engine {
        Engine::Postgres
    }

    fn load(&self, id: &str) -> Result<Option<Conversation>, StateError> {
        self.with(async |db| {
            let r = db.query_opt(&format!("{SELECT_ROW} WHERE id = $1"), &[&id]).await?;
            Ok(r.map(|r| row(&r)).transpose()?.map(Row::read).transpose()?)
        })
    }

    fn update(&self, id: &str, queue: bool, change: &mut Change<'_>) -> Result<Option<Conversation>, StateError> {
        self.with(async |db| {
            let tx = db.transaction().await?;
            if queue {
                tx.execute("SELECT pg_advisory_xact_lock($1)", &[&QUEUE_LOCK]).await?;
            }
            let current = tx.query_opt(&format!("{SELECT_ROW} WHERE id = $1 FOR UPDATE"), &[&id]).await?;
            let current = current.map(|r| row(&r)).transpose()?.map(Row::read).transpose()?;
            let others = if queue { read_rows(&tx.query(&format!("{SELECT_ROW} WHERE waiting"), &[]).await?)? } else { Vec::new() };
            let Some(new) = change(current, &others) else {
                return Ok(None);
            };
            write(&tx, &new).await?;
            tx.commit().await?;
            Ok(Some(new))
        })
    }

    fn handed_off(&self, since: u64) -> Result<Vec<Conversation>, StateError> {
        self.with(async |db| read_rows(&db.query(&format!("{SELECT_ROW} WHERE waiting OR (handed_off AND updated >= $1)"), &[&(since as i64)]).await?))
    }

    fn claim_next(&self, counsellor: &str, now: u64, lapsed_before: u64) -> Result<Option<Conversation>, StateError> {
        self.with(async |db| {
            let tx = db.transaction().await?;
            let sql = format!(
                "{SELECT_ROW} WHERE waiting AND (claimed_by IS NULL OR claimed_at < $1) ORDER BY urgent DESC, since ASC LIMIT 1 OFFSET $2 FOR UPDATE SKIP LOCKED"
            );
            let mut next = None;
            for skip in 0..crate::CLAIM_SKIPS {
                let Some(r) = tx.query_opt(&sql, &[&(lapsed_before as i64), &skip]).await? else { break };
                match row(&r)?.read() {
                    Ok(c) => {
                        next = Some(c);
                        break;
                    }
                    Err(e) => tracing::error!("state store: an unreadable waiting conversation was skipped: {e}"),
                }
            }
            let Some(mut c) = next else {
                return Ok(None);
            };
            if let Some(h) = c.handoff.as_mut() {
                h.claim(counsellor, now);
            }
            write(&tx, &c).await?;
            tx.commit().await?;
            Ok(Some(c))
        })
    }

    fn forget_idle(&self, before: u64, keep: usize) -> Result<usize, StateError> {
        self.with(async |db| {
            let idle = db.execute("DELETE FROM conversations WHERE NOT waiting AND updated < $1", &[&(before as i64)]).await?;
            let over = db
                .execute(
                    "DELETE FROM conversations WHERE NOT waiting AND id IN (SELECT id FROM conversations WHERE NOT waiting ORDER BY updated DESC OFFSET $1)",
                    &[&(keep as i64)],
                )
                .await?;
            Ok((idle + over) as usize)
        })
    }

    fn count(&self) -> Result<usize, StateError> {
        self.with(async |db| Ok(db.query_one("SELECT count(*) FROM conversations", &[]).await?.try_get::<_, i64>(0)? as usize))
    }

    fn secret(&self, name: &str) -> Result<Vec<u8>, StateError> {
        let fresh = hex::encode(rand::random::<[u8; 32]>());
        self.with(async |db| {
            db.execute("INSERT INTO settings (name, value) VALUES ($1, $2) ON CONFLICT (name) DO NOTHING", &[&name, &fresh]).await?;
            let value: String = db.query_one("SELECT value FROM settings WHERE name = $1", &[&name]).await?.try_get(0)?;
            hex::decode(value).map_err(|e| StateError::Config(format!("the stored secret {name} is not hex: {e}")))
        })
    }

    fn publish_log_head(&self, h: &LogHead) -> Result<(), StateError> {
        self.with(async |db| {
            db.execute(crate::PUBLISH_LOG_HEAD, &[&h.replica, &(h.seq as i64), &h.hash, &(h.updated as i64)]).await?;
            Ok(())
        })
    }

    fn log_heads(&self) -> Result<Vec<LogHead>, StateError> {
        self.with(async |db| {
            let rows = db.query("SELECT replica, seq, hash, updated FROM log_heads ORDER BY replica", &[]).await?;
            rows.iter()
                .map(|r| {
                    Ok(LogHead { replica: r.try_get(0)?, seq: r.try_get::<_, i64>(1)? as u64, hash: r.try_get(2)?, updated: r.try_get::<_, i64>(3)? as u64 })
                })
                .collect()
        })
    }
}
