//! The server's one writer of the transparency log (P11). Requests hand their records to a
//! thread that writes whatever has arrived and then syncs once (group commit): a reply is
//! acknowledged only once its record is on disk, without one fsync per request. The thread
//! owns the file for the server's lifetime, so retention (a daily purge, or one asked for by
//! an operator) and verification go through it too; on shutdown it signs a last checkpoint.

use ed25519_dalek::VerifyingKey;
use guardrails::log::{LogConfig, LogError, TransparencyLog, VerifyOptions, VerifyReport};
use serde_json::{json, Value};
use std::path::PathBuf;
use std::sync::mpsc;
use std::time::{Duration, Instant};
use tokio::sync::oneshot;

enum Command {
    Append { kind: String, data: Value, done: oneshot::Sender<Result<(), String>> },
    Verify { published: Option<(u64, String)>, done: oneshot::Sender<Result<VerifyReport, String>> },
    Head { done: oneshot::Sender<Result<(u64, String), String>> },
    Purge { by: &'static str, done: oneshot::Sender<Result<Vec<PathBuf>, String>> },
    Close { done: oneshot::Sender<Result<(), String>> },
}

#[derive(Clone)]
pub struct LogWriter {
    tx: mpsc::Sender<Command>,
    pub path: PathBuf,
    /// The replica this chain belongs to (named in each record).
    pub replica: Option<String>,
    /// Key that identifies conversations in the log by a pseudonym.
    pseudonym_key: [u8; 32],
}

/// The file can only say it is consistent with itself; the writer also knows what it wrote. A
/// file cut back to an earlier checkpoint, emptied or replaced ends elsewhere than the head
/// held in memory.
fn against_head(mut report: VerifyReport, log: &TransparencyLog) -> VerifyReport {
    let (seq, head) = log.head();
    if seq > 0 && (report.last_seq != Some(seq) || report.head.as_deref() != Some(head)) {
        report.problems.push(guardrails::log::Problem {
            line: report.records + 1,
            kind: "truncated".into(),
            detail: format!("the file ends at record {:?} but this server wrote up to record {seq}: cut back, emptied or replaced", report.last_seq),
        });
        report.ok = false;
    }
    report
}

/// Records written between two syncs at most.
const MAX_GROUP: usize = 512;
/// How often the writer applies the retention period by itself.
const PURGE_EVERY: Duration = Duration::from_secs(24 * 3600);

impl LogWriter {
    /// Open the log (failing at once if another process owns it) and start the writer thread.
    /// `trusted_key`: what `verify` checks the checkpoints against.
    pub fn start(mut config: LogConfig, trusted_key: Option<VerifyingKey>, pseudonym_key: [u8; 32]) -> Result<LogWriter, LogError> {
        config.sync = false;
        let path = config.path.clone();
        let checkpoint_every = config.checkpoint_every;
        let replica = config.replica.clone();
        let mut log = TransparencyLog::open(config)?;
        let (tx, rx) = mpsc::channel::<Command>();
        std::thread::Builder::new()
            .name("transparency-log".into())
            .spawn(move || {
                // Files are cut daily, so that retention, which deletes whole files, reaches
                // records and not only files that filled up.
                let purge = |log: &mut TransparencyLog, by: &str| -> Result<Vec<PathBuf>, String> {
                    log.rotate_if_older_than(PURGE_EVERY).map_err(|e| e.to_string())?;
                    let removed = log.purge().map_err(|e| e.to_string())?;
                    let names: Vec<String> = removed.iter().filter_map(|p| p.file_name().map(|n| n.to_string_lossy().into_owned())).collect();
                    // An operator's purge is always recorded; the schedule's only when it removed something.
                    if by != "schedule" || !names.is_empty() {
                        log.append("purge", json!({ "by": by, "retention_days": log.retention().as_secs() / 86_400, "removed": names }))
                            .map_err(|e| e.to_string())?;
                    }
                    Ok(removed)
                };
                if let Err(e) = purge(&mut log, "schedule") {
                    tracing::error!("transparency log purge: {e}");
                }
                let mut last_purge = Instant::now();
                loop {
                    // Checked on every turn of the loop, busy or idle.
                    if last_purge.elapsed() >= PURGE_EVERY {
                        last_purge = Instant::now();
                        if let Err(e) = purge(&mut log, "schedule").and_then(|_| log.sync().map_err(|e| e.to_string())) {
                            tracing::error!("transparency log purge: {e}");
                        }
                    }
                    let first = match rx.recv_timeout(Duration::from_secs(60)) {
                        Ok(c) => c,
                        Err(mpsc::RecvTimeoutError::Timeout) => continue,
                        Err(mpsc::RecvTimeoutError::Disconnected) => break,
                    };
                    let mut batch = vec![first];
                    while batch.len() < MAX_GROUP {
                        match rx.try_recv() {
                            Ok(c) => batch.push(c),
                            Err(_) => break,
                        }
                    }
                    let mut acks = Vec::new();
                    let mut closing = None;
                    for cmd in batch {
                        match cmd {
                            Command::Append { kind, data, done } => {
                                let r = log.append(&kind, data).map(|_| ()).map_err(|e| e.to_string());
                                acks.push((done, r));
                            }
                            Command::Verify { published, done } => {
                                let published = published.as_ref().map(|(seq, hash)| (*seq, hash.as_str()));
                                let opts = VerifyOptions { trusted_key: trusted_key.as_ref(), checkpoint_every, published_head: published };
                                let r = log.sync().and_then(|_| guardrails::log::verify(log.path(), &opts)).map_err(|e| e.to_string());
                                let _ = done.send(r.map(|report| against_head(report, &log)));
                            }
                            // Synced first: a head is published only once it is on disk.
                            Command::Head { done } => {
                                let _ = done.send(log.sync().map(|_| (log.head().0, log.head().1.to_string())).map_err(|e| e.to_string()));
                            }
                            Command::Purge { by, done } => {
                                let _ = done.send(purge(&mut log, by).and_then(|r| log.sync().map(|_| r).map_err(|e| e.to_string())));
                            }
                            Command::Close { done } => closing = Some(done),
                        }
                    }
                    let synced = log.sync().map_err(|e| e.to_string());
                    for (done, r) in acks {
                        let _ = done.send(r.and(synced.clone()));
                    }
                    if let Some(done) = closing {
                        let _ = done.send(log.close().map_err(|e| e.to_string()));
                        return;
                    }
                }
            })
            .map_err(|source| LogError::Io { path: path.display().to_string(), source })?;
        Ok(LogWriter { tx, path, replica, pseudonym_key })
    }

    async fn ask<T>(&self, make: impl FnOnce(oneshot::Sender<Result<T, String>>) -> Command) -> Result<T, String> {
        let (done, wait) = oneshot::channel();
        self.tx.send(make(done)).map_err(|_| "the log writer stopped".to_string())?;
        wait.await.map_err(|_| "the log writer stopped".to_string())?
    }

    /// Append a record and wait until it is on disk.
    pub async fn append(&self, kind: &str, data: Value) -> Result<(), String> {
        self.ask(|done| Command::Append { kind: kind.into(), data, done }).await
    }

    /// Verify the current log file as written so far, against the configured key and the head
    /// this replica published.
    pub async fn verify(&self, published: Option<(u64, String)>) -> Result<VerifyReport, String> {
        self.ask(|done| Command::Verify { published, done }).await
    }

    /// The head on disk: `(seq, hash)`.
    pub async fn head(&self) -> Result<(u64, String), String> {
        self.ask(|done| Command::Head { done }).await
    }

    /// Delete rotated files past the retention period now.
    pub async fn purge(&self, by: &'static str) -> Result<Vec<PathBuf>, String> {
        self.ask(|done| Command::Purge { by, done }).await
    }

    /// Sign a last checkpoint and stop writing (shutdown).
    pub async fn close(&self) -> Result<(), String> {
        self.ask(|done| Command::Close { done }).await
    }

    /// How the log names a conversation: a keyed pseudonym, never the id that opens it.
    pub fn conversation(&self, id: &str) -> String {
        guardrails::log::pseudonym(&self.pseudonym_key, id)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test]
    async fn a_log_cut_back_under_the_server_fails_verification() {
        let d = tempfile::tempdir().unwrap();
        let mut cfg = LogConfig::new(d.path().join("t.jsonl"));
        cfg.checkpoint_every = 2;
        cfg.signing_key = Some(ed25519_dalek::SigningKey::from_bytes(&[5u8; 32]));
        let key = cfg.signing_key.as_ref().map(|k| k.verifying_key());
        let w = LogWriter::start(cfg, key, [1u8; 32]).unwrap();
        for i in 0..5 {
            w.append("turn", json!({ "n": i })).await.unwrap();
        }
        assert!(w.verify(None).await.unwrap().ok);
        // Cut back to its first checkpoint: the file alone still looks consistent.
        let text = std::fs::read_to_string(&w.path).unwrap();
        let kept: Vec<&str> = text.lines().take(3).collect();
        std::fs::write(&w.path, kept.join("\n") + "\n").unwrap();
        let r = w.verify(None).await.unwrap();
        assert!(!r.ok && r.problems.iter().any(|p| p.kind == "truncated"), "{:?}", r.problems);
    }
}
