//! The service's shared state: conversations and their messages, the counsellor queue (with
//! who claimed each person), counsellor replies and suggestions.
//!
//! One contract ([`StateStore`]), two engines: SQLite in ORIENT_HOME, the embedded default for
//! one replica, and PostgreSQL, which several replicas share. A replica keeps none of this in
//! memory: every read goes to the store and every change is one transaction on the
//! conversation's row, so a follow-up, a counsellor's reply or a handoff lands the same on any
//! replica, and a replica killed mid-turn loses nothing it acknowledged.

mod conversations;
mod model;
mod postgres;
mod sqlite;
pub mod testing;

pub use conversations::{Claim, Conversations, Limits, NewMessages, Queue, QueueItem, Queued, Reply, URGENT_CAP_FACTOR};
pub use model::{Conversation, HandoffState, HandoffStatus, Message, Speaker, Suggestion, CLAIM_LAPSES_AFTER_S};

use std::path::PathBuf;
use std::sync::Arc;
use std::time::{SystemTime, UNIX_EPOCH};

#[derive(Debug, thiserror::Error)]
pub enum StateError {
    #[error("state store (SQLite): {0}")]
    Sqlite(#[from] rusqlite::Error),
    #[error("state store (PostgreSQL): {0}")]
    Postgres(#[from] tokio_postgres::Error),
    #[error("state store: a stored conversation is unreadable: {0}")]
    Data(#[from] serde_json::Error),
    #[error("state store {path}: {source}")]
    Io { path: String, source: std::io::Error },
    #[error("state store: {0}")]
    Config(String),
    #[error("state store (PostgreSQL): the connection task stopped")]
    Stopped,
}

/// Where the state lives: `[state] url` in orient.toml or `ORIENT_STATE_URL`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Location {
    /// The embedded default: one SQLite file (WAL), for one replica.
    Sqlite(PathBuf),
    /// A PostgreSQL server shared by every replica (`postgres://user@host/db`).
    Postgres(String),
}

impl Location {
    /// `url` empty: SQLite at `default_sqlite`; `sqlite:PATH`, or `postgres://…` /
    /// `postgresql://…`. Anything else is refused, never guessed.
    pub fn parse(url: &str, default_sqlite: PathBuf) -> Result<Location, StateError> {
        let url = url.trim();
        if url.is_empty() {
            Ok(Location::Sqlite(default_sqlite))
        } else if let Some(path) = url.strip_prefix("sqlite:") {
            Ok(Location::Sqlite(PathBuf::from(path.trim_start_matches("//"))))
        } else if url.starts_with("postgres://") || url.starts_with("postgresql://") {
            Ok(Location::Postgres(url.to_string()))
        } else {
            // Only the scheme is repeated: the rest may hold a password.
            let scheme = url.split_once(':').map_or("(none)", |(s, _)| s);
            Err(StateError::Config(format!("unknown state store URL scheme {scheme:?}: use postgres://… or sqlite:PATH (empty: SQLite in ORIENT_HOME)")))
        }
    }

    /// For messages: never the password of a URL.
    pub fn describe(&self) -> String {
        match self {
            Location::Sqlite(p) => format!("SQLite {}", p.display()),
            Location::Postgres(url) => {
                // Host and database only: no user, password (it may hold '@') or query string.
                let rest = url.split_once("://").map_or(url.as_str(), |(_, r)| r);
                let rest = rest.split('?').next().unwrap_or_default();
                format!("PostgreSQL {}", rest.rsplit_once('@').map_or(rest, |(_, host)| host))
            }
        }
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Engine {
    Sqlite,
    Postgres,
}

/// The change `update` makes: given the conversation as stored (or `None`) and, when asked,
/// the conversations waiting for a counsellor, what to write back (`None`: nothing).
pub type Change<'a> = dyn FnMut(Option<Conversation>, &[Conversation]) -> Option<Conversation> + 'a;

/// The head of one replica's transparency log, published in the shared store so that an
/// auditor can check every chain of a deployment, and see a chain cut back behind it.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
pub struct LogHead {
    pub replica: String,
    pub seq: u64,
    pub hash: String,
    /// When it was published (seconds since the epoch).
    pub updated: u64,
}

/// The contract every engine keeps.
pub trait StateStore: Send + Sync {
    fn engine(&self) -> Engine;

    fn load(&self, id: &str) -> Result<Option<Conversation>, StateError>;

    /// Read, change and write one conversation in one transaction; the row stays locked
    /// meanwhile on every replica. With `queue`, the queue's lock is held too and `change` sees
    /// the conversations waiting for a counsellor: two admissions at once, on any replicas,
    /// cannot pass a cap that has room for one. Returns what was written.
    fn update(&self, id: &str, queue: bool, change: &mut Change<'_>) -> Result<Option<Conversation>, StateError>;

    /// Conversations waiting for a counsellor, or handed off and active since `since`.
    fn handed_off(&self, since: u64) -> Result<Vec<Conversation>, StateError>;

    /// Claim for `counsellor`, at `now`, the first waiting conversation nobody holds (never
    /// claimed, or claimed before `lapsed_before`; urgent first, oldest first); counsellors
    /// claiming at once each get a different one. Unreadable rows are skipped.
    fn claim_next(&self, counsellor: &str, now: u64, lapsed_before: u64) -> Result<Option<Conversation>, StateError>;

    /// Forget conversations idle since before `before` that nobody waits on, then the oldest
    /// of those nobody waits on beyond `keep`. Returns how many were forgotten.
    fn forget_idle(&self, before: u64, keep: usize) -> Result<usize, StateError>;

    /// Conversations stored.
    fn count(&self) -> Result<usize, StateError>;

    /// A random secret shared by every replica of the store, made on first use.
    fn secret(&self, name: &str) -> Result<Vec<u8>, StateError>;

    /// Publish a replica's log head; a head never moves back (an older one is ignored).
    fn publish_log_head(&self, head: &LogHead) -> Result<(), StateError>;

    /// Every replica's last published log head.
    fn log_heads(&self) -> Result<Vec<LogHead>, StateError>;
}

/// How many unreadable rows `claim_next` steps over before it gives up.
pub(crate) const CLAIM_SKIPS: i64 = 8;

/// The upsert both engines run: a head only moves forward.
pub(crate) const PUBLISH_LOG_HEAD: &str = "INSERT INTO log_heads (replica, seq, hash, updated) VALUES ($1, $2, $3, $4)
     ON CONFLICT (replica) DO UPDATE SET seq = excluded.seq, hash = excluded.hash, updated = excluded.updated
     WHERE excluded.seq >= log_heads.seq";

/// Open (and migrate) the store at `location`.
pub fn open(location: &Location) -> Result<Arc<dyn StateStore>, StateError> {
    Ok(match location {
        Location::Sqlite(path) => Arc::new(sqlite::SqliteStore::open(path)?),
        Location::Postgres(url) => Arc::new(postgres::PgStore::open(url)?),
    })
}

pub fn now() -> u64 {
    SystemTime::now().duration_since(UNIX_EPOCH).map(|d| d.as_secs()).unwrap_or(0)
}

/// A new unguessable conversation id: holding it is what lets a widget read the replies.
pub fn new_id() -> String {
    hex::encode(rand::random::<[u8; 16]>())
}

pub(crate) fn valid_id(id: &str) -> bool {
    id.len() == 32 && id.bytes().all(|b| b.is_ascii_hexdigit())
}

/// Sort key of the queue: waiting before answered, urgent first, in order of arrival.
pub(crate) fn queue_order(c: &Conversation) -> (bool, bool, u64) {
    let h = c.handoff.as_ref();
    (!c.is_waiting(), !h.is_some_and(HandoffState::is_urgent), h.map_or(0, |h| h.since))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn locations_are_read_strictly_and_described_without_passwords() {
        let d = PathBuf::from("/home/s.sqlite");
        assert_eq!(Location::parse("", d.clone()).unwrap(), Location::Sqlite(d.clone()));
        assert_eq!(Location::parse("sqlite:/tmp/x.db", d.clone()).unwrap(), Location::Sqlite("/tmp/x.db".into()));
        let pg = Location::parse("postgres://orient:secret@db:5432/orient", d.clone()).unwrap();
        assert_eq!(pg.describe(), "PostgreSQL db:5432/orient");
        let pg = Location::parse("postgres://orient:p@ss@db/orient?password=x", d.clone()).unwrap();
        assert_eq!(pg.describe(), "PostgreSQL db/orient");
        let err = Location::parse("postgre://orient:secret@db", d).unwrap_err().to_string();
        assert!(err.contains("postgre") && !err.contains("secret"), "{err}");
    }
}
