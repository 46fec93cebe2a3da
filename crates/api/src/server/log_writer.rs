//! The server's one writer of the transparency log (P11). Requests hand their records to a
//! thread that writes whatever has arrived and then syncs once (group commit): a reply is
//! acknowledged only once its record is on disk, without one fsync per request.

use guardrails::log::{LogConfig, TransparencyLog, VerifyReport};
use serde_json::Value;
use std::path::PathBuf;
use std::sync::mpsc;
use tokio::sync::oneshot;

enum Command {
    Append { kind: String, data: Value, done: oneshot::Sender<Result<(), String>> },
    Verify { done: oneshot::Sender<Result<VerifyReport, String>> },
}

#[derive(Clone)]
pub struct LogWriter {
    tx: mpsc::Sender<Command>,
    pub path: PathBuf,
}

/// Records written between two syncs at most.
const MAX_GROUP: usize = 512;

impl LogWriter {
    /// Open the log (taking its lock for the server's lifetime) and start the writer thread.
    pub fn start(mut config: LogConfig) -> anyhow::Result<LogWriter> {
        config.sync = false;
        let path = config.path.clone();
        let mut log = TransparencyLog::open(config)?;
        let (tx, rx) = mpsc::channel::<Command>();
        std::thread::Builder::new().name("transparency-log".into()).spawn(move || {
            while let Ok(first) = rx.recv() {
                let mut batch = vec![first];
                while batch.len() < MAX_GROUP {
                    match rx.try_recv() {
                        Ok(c) => batch.push(c),
                        Err(_) => break,
                    }
                }
                let mut acks = Vec::new();
                for cmd in batch {
                    match cmd {
                        Command::Append { kind, data, done } => {
                            let r = log.append(&kind, data).map(|_| ()).map_err(|e| e.to_string());
                            acks.push((done, r));
                        }
                        Command::Verify { done } => {
                            let r = log.sync().map_err(|e| e.to_string()).and_then(|_| guardrails::log::verify(log.path(), None).map_err(|e| e.to_string()));
                            let _ = done.send(r);
                        }
                    }
                }
                let synced = log.sync().map_err(|e| e.to_string());
                for (done, r) in acks {
                    let _ = done.send(r.and(synced.clone()));
                }
            }
        })?;
        Ok(LogWriter { tx, path })
    }

    /// Append a record and wait until it is on disk.
    pub async fn append(&self, kind: &str, data: Value) -> Result<(), String> {
        let (done, wait) = oneshot::channel();
        self.tx.send(Command::Append { kind: kind.into(), data, done }).map_err(|_| "the log writer stopped".to_string())?;
        wait.await.map_err(|_| "the log writer stopped".to_string())?
    }

    /// Verify the current log file as written so far (hash chain, sequence, checkpoints).
    pub async fn verify(&self) -> Result<VerifyReport, String> {
        let (done, wait) = oneshot::channel();
        self.tx.send(Command::Verify { done }).map_err(|_| "the log writer stopped".to_string())?;
        wait.await.map_err(|_| "the log writer stopped".to_string())?
    }
}
