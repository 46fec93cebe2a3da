//! The transparency log (P11): append-only JSON lines, each record holding the SHA-256 of the
//! previous one (over a canonical form: keys sorted, no spaces), signed checkpoints every N
//! records (ed25519), rotation with the chain carried across files, retention purge, and a
//! verifier that says where a file was modified, cut, extended or reordered, and whether the
//! checkpoints were checked against a key the verifier trusts (never the key written in the log).
//!
//! Only redacted text is ever given to the log: the assistant redacts before it logs.

use ed25519_dalek::{Signature, Signer, SigningKey, Verifier, VerifyingKey};
use serde::Serialize;
use serde_json::{json, Value};
use sha2::{Digest, Sha256};
use std::fs::{File, OpenOptions};
use std::io::{BufRead, BufReader, Read, Write};
use std::path::{Path, PathBuf};
use std::time::{Duration, SystemTime, UNIX_EPOCH};

pub const GENESIS: &str = "0000000000000000000000000000000000000000000000000000000000000000";

#[derive(Debug, thiserror::Error)]
pub enum LogError {
    #[error("transparency log {path}: {source}")]
    Io { path: String, source: std::io::Error },
    #[error("transparency log {path} is damaged at line {line}: {detail}; run `orient log verify {path}`")]
    Damaged { path: String, line: usize, detail: String },
    #[error(
        "transparency log {path} is in use by another process (a running `orient serve` owns it): stop it, or ask it (POST /v1/admin/log/purge for a purge)"
    )]
    Busy { path: String },
}

/// What to do when another process holds the log.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum WhenBusy {
    /// Wait for it (short-lived writers taking turns).
    Wait,
    /// Fail at once with [`LogError::Busy`] (the server, which owns the log for its lifetime,
    /// and commands that would otherwise hang behind it).
    Fail,
}

/// Keys sorted at every level, no whitespace: the bytes that are hashed and signed.
pub fn canonical(v: &Value) -> String {
    match v {
        Value::Object(m) => {
            let mut keys: Vec<&String> = m.keys().collect();
            keys.sort();
            let inner: Vec<String> = keys.iter().map(|k| format!("{}:{}", Value::String((*k).clone()), canonical(&m[*k]))).collect();
            format!("{{{}}}", inner.join(","))
        }
        Value::Array(a) => format!("[{}]", a.iter().map(canonical).collect::<Vec<_>>().join(",")),
        other => other.to_string(),
    }
}

fn record_hash(record: &Value) -> String {
    let mut r = record.clone();
    if let Value::Object(m) = &mut r {
        m.remove("hash");
    }
    hex::encode(Sha256::digest(canonical(&r).as_bytes()))
}

/// The hash of a line as written: its bytes without the `"hash":"…",` member. Working on the
/// bytes, not on re-parsed values, keeps floating-point numbers exactly as they were hashed.
fn line_hash(line: &[u8], stored: &str) -> Option<String> {
    let text = std::str::from_utf8(line).ok()?.trim_end_matches('\n');
    let member = format!("\"hash\":\"{stored}\",");
    let at = text.find(&member)?;
    let without = format!("{}{}", &text[..at], &text[at + member.len()..]);
    Some(hex::encode(Sha256::digest(without.as_bytes())))
}

#[derive(Debug, Clone)]
pub struct LogConfig {
    pub path: PathBuf,
    /// A signed checkpoint after this many records.
    pub checkpoint_every: u64,
    /// Rotate once the file is larger than this.
    pub max_bytes: u64,
    /// Rotated files older than this are deleted by [`TransparencyLog::purge`].
    pub retention: Duration,
    /// ed25519 key for checkpoints (32-byte seed from configuration); none: unsigned checkpoints.
    pub signing_key: Option<SigningKey>,
    /// fsync after each record (crash safety); tests may turn it off.
    pub sync: bool,
    pub when_busy: WhenBusy,
    /// The replica writing this chain (one chain per replica of a deployment): named in every
    /// record, so that a record copied from another replica's chain shows.
    pub replica: Option<String>,
}

impl LogConfig {
    pub fn new(path: impl Into<PathBuf>) -> Self {
        LogConfig {
            path: path.into(),
            checkpoint_every: 100,
            max_bytes: 64 << 20,
            retention: Duration::from_secs(183 * 24 * 3600), // six months (charter P11)
            signing_key: None,
            sync: true,
            when_busy: WhenBusy::Fail,
            replica: None,
        }
    }
}

/// Parse a signing key from 64 hex characters (the seed).
pub fn signing_key_from_hex(hex_seed: &str) -> Option<SigningKey> {
    let bytes = hex::decode(hex_seed.trim()).ok()?;
    let seed: [u8; 32] = bytes.try_into().ok()?;
    Some(SigningKey::from_bytes(&seed))
}

/// Open the file now at `path`, created readable by its owner only (it holds what people
/// wrote, redacted, and counsellors' replies).
fn open_append(path: &Path) -> std::io::Result<File> {
    use std::os::unix::fs::OpenOptionsExt;
    OpenOptions::new().create(true).append(true).mode(0o600).open(path)
}

/// Take the log's lock: a file beside it (`<stem>.lock`), held as long as the log is open.
/// Locking a file apart from the data keeps rotation safe: while the data file is renamed and
/// a new one made, nobody can open the path and start a second chain in it.
fn take_lock(path: &Path, when_busy: WhenBusy) -> Result<File, LogError> {
    use std::os::unix::fs::OpenOptionsExt;
    let lock_path = path.with_extension("lock");
    let io = |source| LogError::Io { path: lock_path.display().to_string(), source };
    let file = OpenOptions::new().create(true).truncate(false).write(true).mode(0o600).open(&lock_path).map_err(io)?;
    match when_busy {
        WhenBusy::Wait => file.lock().map_err(io)?,
        WhenBusy::Fail => match file.try_lock() {
            Ok(()) => {}
            Err(std::fs::TryLockError::WouldBlock) => return Err(LogError::Busy { path: path.display().to_string() }),
            Err(std::fs::TryLockError::Error(e)) => return Err(io(e)),
        },
    }
    Ok(file)
}

pub struct TransparencyLog {
    config: LogConfig,
    /// Held while the log is open (see [`take_lock`]).
    _lock: File,
    file: File,
    seq: u64,
    last_hash: String,
    size: u64,
    /// Records since the last checkpoint.
    pending: u64,
    /// A write failed and its bytes may still be in the file: cut back to `size` first.
    dirty: bool,
    /// Time (ms) of the current file's first record, if it has one.
    first_ts: Option<u64>,
    /// Tests: the next write stops after this many bytes and fails (a full disk).
    #[cfg(test)]
    fail_next_write_after: Option<usize>,
}

/// Keep a torn line beside the log under a name no later recovery reuses.
fn set_aside(path: &Path, torn: &[u8]) -> std::io::Result<PathBuf> {
    use std::os::unix::fs::OpenOptionsExt;
    let mut n = 0;
    loop {
        let aside = path.with_extension(format!("torn.{}{}", now_ms(), if n == 0 { String::new() } else { format!(".{n}") }));
        match OpenOptions::new().write(true).create_new(true).mode(0o600).open(&aside) {
            Ok(mut f) => {
                f.write_all(torn)?;
                f.sync_all()?;
                return Ok(aside);
            }
            Err(e) if e.kind() == std::io::ErrorKind::AlreadyExists => n += 1,
            Err(e) => return Err(e),
        }
    }
}

/// A keyed pseudonym for an identifier written in the log (HMAC-SHA-256, 128 bits shown):
/// records of one conversation stay linked for auditors, but the log never holds the id that
/// opens the conversation.
pub fn pseudonym(key: &[u8], id: &str) -> String {
    use hmac::{Hmac, Mac};
    let mut mac = <Hmac<Sha256> as Mac>::new_from_slice(key).expect("HMAC takes keys of any length");
    mac.update(id.as_bytes());
    hex::encode(&mac.finalize().into_bytes()[..16])
}

fn now_ms() -> u64 {
    SystemTime::now().duration_since(UNIX_EPOCH).map(|d| d.as_millis() as u64).unwrap_or(0)
}

impl TransparencyLog {
    /// Open (or create) the log. A torn last line (a crash mid-write) is moved aside to
    /// `<file>.torn.<time>` (never overwriting an earlier one) and a `recovery` record says
    /// so: never silently accepted or dropped.
    pub fn open(config: LogConfig) -> Result<Self, LogError> {
        let path = config.path.clone();
        let io = |source| LogError::Io { path: path.display().to_string(), source };
        if let Some(dir) = path.parent() {
            std::fs::create_dir_all(dir).map_err(io)?;
        }
        // One writer at a time: the chain needs each record to see the one before it. The lock
        // is held while this log is open (processes appending at once wait their turn).
        let lock = take_lock(&path, config.when_busy)?;
        let file = open_append(&path).map_err(io)?;
        let (mut seq, mut last_hash, mut torn, mut pending, mut first_ts) = (0u64, GENESIS.to_string(), None, 0u64, None);
        let good_len = {
            let mut bytes = Vec::new();
            File::open(&path).and_then(|mut f| f.read_to_end(&mut bytes)).map_err(io)?;
            let mut offset = 0usize;
            for (i, raw) in bytes.split_inclusive(|&b| b == b'\n').enumerate() {
                let complete = raw.ends_with(b"\n");
                let parsed: Option<Value> = serde_json::from_slice(raw).ok();
                match (complete, parsed) {
                    (true, Some(v)) => {
                        seq = v["seq"].as_u64().unwrap_or(seq);
                        last_hash = v["hash"].as_str().unwrap_or(&last_hash).to_string();
                        pending = if v["kind"] == "checkpoint" { 0 } else { pending + 1 };
                        first_ts = first_ts.or(v["ts"].as_u64());
                        offset += raw.len();
                    }
                    (false, _) => {
                        torn = Some(raw.to_vec());
                        break;
                    }
                    (true, None) => {
                        return Err(LogError::Damaged { path: path.display().to_string(), line: i + 1, detail: "a line is not valid JSON".into() });
                    }
                }
            }
            offset as u64
        };
        if let Some(t) = &torn {
            set_aside(&path, t).map_err(io)?;
            file.set_len(good_len).map_err(io)?;
        }
        let mut log = TransparencyLog {
            config,
            _lock: lock,
            file,
            seq,
            last_hash,
            size: good_len,
            pending,
            dirty: false,
            first_ts,
            #[cfg(test)]
            fail_next_write_after: None,
        };
        if let Some(t) = torn {
            log.append(
                "recovery",
                json!({
                    "reason": "torn last line after a crash, moved aside",
                    "torn_bytes": t.len(),
                    "torn_sha256": hex::encode(Sha256::digest(&t)),
                }),
            )?;
        }
        Ok(log)
    }

    pub fn path(&self) -> &Path {
        &self.config.path
    }

    pub fn retention(&self) -> Duration {
        self.config.retention
    }

    pub fn head(&self) -> (u64, &str) {
        (self.seq, &self.last_hash)
    }

    /// Append one record; returns its hash.
    pub fn append(&mut self, kind: &str, data: Value) -> Result<String, LogError> {
        // A checkpoint or a rotation that a failed write left owed comes first: the spacing of
        // checkpoints is what shows that none was removed.
        if self.config.checkpoint_every > 0 && self.pending >= self.config.checkpoint_every {
            self.checkpoint()?;
        }
        if self.size > self.config.max_bytes {
            self.rotate()?;
        }
        let hash = self.write_record(kind, data)?;
        self.pending += 1;
        // The record is on file: a checkpoint that fails now does not make it "not recorded";
        // it is owed and tried again before the next record (where its failure is reported),
        // as is a rotation once the file is past its size.
        if self.config.checkpoint_every > 0 && self.pending >= self.config.checkpoint_every {
            let _ = self.checkpoint();
        }
        Ok(hash)
    }

    /// Chain one record after the head and write it.
    fn write_record(&mut self, kind: &str, data: Value) -> Result<String, LogError> {
        let seq = self.seq + 1;
        let ts = now_ms();
        let mut record = json!({ "seq": seq, "ts": ts, "prev": self.last_hash, "kind": kind, "data": data });
        if let Some(r) = &self.config.replica {
            record["replica"] = Value::String(r.clone());
        }
        let hash = record_hash(&record);
        record["hash"] = Value::String(hash.clone());
        self.write_line(&record)?;
        self.first_ts = self.first_ts.or(Some(ts));
        self.seq = seq;
        self.last_hash = hash.clone();
        Ok(hash)
    }

    fn write_line(&mut self, record: &Value) -> Result<(), LogError> {
        let mut line = canonical(record);
        line.push('\n');
        let path = self.config.path.display().to_string();
        let io = |source| LogError::Io { path: path.clone(), source };
        if self.dirty {
            self.file.set_len(self.size).map_err(io)?;
            self.dirty = false;
        }
        // One write per record: a crash leaves at most one torn line, which `open` detects.
        let sync = self.config.sync;
        let written = self.write_bytes(line.as_bytes()).and_then(|_| if sync { self.file.sync_data() } else { Ok(()) });
        if let Err(e) = written {
            // A short write (a full disk) may have left part of the line: cut it off now, so
            // the next record does not land after it and the file stays readable; if even
            // that fails, the next write tries again first.
            self.dirty = self.file.set_len(self.size).is_err();
            return Err(io(e));
        }
        self.size += line.len() as u64;
        Ok(())
    }

    fn write_bytes(&mut self, bytes: &[u8]) -> std::io::Result<()> {
        #[cfg(test)]
        if let Some(n) = self.fail_next_write_after.take() {
            self.file.write_all(&bytes[..n.min(bytes.len())])?;
            return Err(std::io::Error::new(std::io::ErrorKind::StorageFull, "no space left on device (test)"));
        }
        self.file.write_all(bytes)
    }

    /// Flush written records to disk. A writer that turns per-record `sync` off to commit
    /// records in groups calls this before it acknowledges them.
    pub fn sync(&mut self) -> Result<(), LogError> {
        self.file.sync_data().map_err(|source| LogError::Io { path: self.config.path.display().to_string(), source })
    }

    /// A checkpoint signs the current head: whoever holds the public key can check that the
    /// log up to here was not rewritten, even by someone able to recompute hashes.
    pub fn checkpoint(&mut self) -> Result<String, LogError> {
        let head = self.last_hash.clone();
        let data = match &self.config.signing_key {
            Some(k) => json!({
                "head": head, "covers_seq": self.seq,
                "signature": hex::encode(k.sign(head.as_bytes()).to_bytes()),
                "public_key": hex::encode(k.verifying_key().to_bytes()),
            }),
            None => json!({ "head": head, "covers_seq": self.seq, "signature": null }),
        };
        let hash = self.write_record("checkpoint", data)?;
        self.pending = 0;
        Ok(hash)
    }

    /// Sign what was written since the last checkpoint and flush: the log's clean end (a
    /// server's shutdown, a command's last record). Dropping the log does the same.
    pub fn close(mut self) -> Result<(), LogError> {
        self.finish()
    }

    fn finish(&mut self) -> Result<(), LogError> {
        if self.pending > 0 {
            self.checkpoint()?;
        }
        self.sync()
    }

    /// Close the current file under a dated name and continue in a fresh one whose first
    /// record carries the chain on.
    pub fn rotate(&mut self) -> Result<PathBuf, LogError> {
        self.checkpoint()?;
        let path = self.config.path.clone();
        let io = |source| LogError::Io { path: path.display().to_string(), source };
        let stem = path.file_stem().and_then(|s| s.to_str()).unwrap_or("transparency");
        let rotated = path.with_file_name(format!("{stem}.{:020}.jsonl", self.seq));
        // Under the log's lock: no writer can open the path between the rename and the new file.
        std::fs::rename(&path, &rotated).map_err(io)?;
        self.file = open_append(&path).map_err(io)?;
        self.size = 0;
        self.first_ts = None;
        self.append("rotation", json!({ "previous_file": rotated.file_name().and_then(|n| n.to_str()) }))?;
        Ok(rotated)
    }

    /// Rotate when the current file's first record is older than `age`: retention applies to
    /// whole files, so a quiet log that never reaches its size limit must still be cut, or its
    /// oldest records would outlive the retention period.
    pub fn rotate_if_older_than(&mut self, age: Duration) -> Result<Option<PathBuf>, LogError> {
        let old = self.first_ts.is_some_and(|t| now_ms().saturating_sub(t) > age.as_millis() as u64);
        if old {
            return self.rotate().map(Some);
        }
        Ok(None)
    }

    /// Delete rotated files older than the retention period; returns what was deleted.
    pub fn purge(&self) -> Result<Vec<PathBuf>, LogError> {
        self.purge_older_than(self.config.retention)
    }

    /// Delete rotated files older than `retention`; the current file is never deleted.
    pub fn purge_older_than(&self, retention: Duration) -> Result<Vec<PathBuf>, LogError> {
        let path = &self.config.path;
        let dir = path.parent().unwrap_or(Path::new("."));
        let stem = path.file_stem().and_then(|s| s.to_str()).unwrap_or("transparency").to_string();
        let mut removed = Vec::new();
        let entries = std::fs::read_dir(dir).map_err(|source| LogError::Io { path: dir.display().to_string(), source })?;
        for e in entries.flatten() {
            let p = e.path();
            let name = p.file_name().and_then(|n| n.to_str()).unwrap_or("");
            // Rotated files, and torn lines set aside after a crash.
            let rotated = name.ends_with(".jsonl") || name.starts_with(&format!("{stem}.torn."));
            if p == *path || !name.starts_with(&format!("{stem}.")) || !rotated {
                continue;
            }
            let old = e.metadata().and_then(|m| m.modified()).ok().and_then(|t| t.elapsed().ok()).is_some_and(|age| age > retention);
            if old {
                std::fs::remove_file(&p).map_err(|source| LogError::Io { path: p.display().to_string(), source })?;
                removed.push(p);
            }
        }
        Ok(removed)
    }
}

impl Drop for TransparencyLog {
    fn drop(&mut self) {
        let _ = self.finish();
    }
}

#[derive(Debug, Clone, Serialize, PartialEq)]
pub struct Problem {
    /// 1-based line number.
    pub line: usize,
    pub kind: String,
    pub detail: String,
}

/// What the checkpoints' signatures prove.
#[derive(Debug, Clone, Copy, Serialize, PartialEq, Eq)]
#[serde(rename_all = "snake_case")]
pub enum Signatures {
    /// Every checkpoint is signed and valid under the key the verifier was given.
    Verified,
    /// The log carries signatures but no key was given: they were not checked (a key written
    /// in the log proves nothing, whoever rewrote the log could write their own).
    NotChecked,
    /// Nothing in the log is signed: the chain shows accidents and clumsy edits, not a rewrite
    /// by someone able to recompute hashes.
    Unsigned,
}

#[derive(Debug, Clone, Serialize)]
pub struct VerifyReport {
    pub file: String,
    /// The replica the records name (none in a log written before replicas were named).
    pub replica: Option<String>,
    pub records: usize,
    pub checkpoints: usize,
    pub signed_checkpoints_valid: usize,
    pub signatures: Signatures,
    /// Records after the last checkpoint (a live log's tail, signed at the next checkpoint).
    pub unsigned_tail: usize,
    /// First sequence number (greater than 1 when earlier files were rotated or purged).
    pub first_seq: Option<u64>,
    pub last_seq: Option<u64>,
    pub head: Option<String>,
    pub ok: bool,
    pub problems: Vec<Problem>,
}

impl VerifyReport {
    /// One plain sentence on what this verification proves.
    pub fn summary(&self) -> String {
        let chain = if self.ok { "chain intact" } else { "TAMPERED OR DAMAGED" };
        let signed = match self.signatures {
            Signatures::Verified => format!("{} checkpoint signatures valid under the trusted key", self.signed_checkpoints_valid),
            Signatures::NotChecked => "signatures NOT checked (no trusted public key given)".to_string(),
            Signatures::Unsigned => "NOTHING IS SIGNED (no signing key configured): a rewrite with recomputed hashes would not show".to_string(),
        };
        format!("{chain}; {signed}")
    }
}

/// How to verify.
#[derive(Debug, Clone, Copy, Default)]
pub struct VerifyOptions<'a> {
    /// The public key the checkpoints must be signed with. Given: every checkpoint must carry
    /// a valid signature under it. Never taken from the log itself.
    pub trusted_key: Option<&'a VerifyingKey>,
    /// Records allowed between two checkpoints (the writer's `checkpoint_every`); more means
    /// checkpoints were removed. 0: not checked.
    pub checkpoint_every: u64,
    /// A head the writer published elsewhere (the shared state store): `(seq, hash)`. The
    /// record of that sequence number must carry that hash, and the file must reach it: a file
    /// cut back, even to one of its own checkpoints, fails.
    pub published_head: Option<(u64, &'a str)>,
}

/// Check a log file: every record's hash, the chain, the sequence, that checkpoints come
/// every `checkpoint_every` records, and their signatures under the trusted key.
pub fn verify(path: &Path, opts: &VerifyOptions) -> Result<VerifyReport, LogError> {
    let f = File::open(path).map_err(|source| LogError::Io { path: path.display().to_string(), source })?;
    let mut reader = BufReader::new(f);
    let mut problems = Vec::new();
    let (mut records, mut checkpoints, mut signed_ok, mut carrying_signature) = (0usize, 0usize, 0usize, 0usize);
    let (mut first_seq, mut last_seq): (Option<u64>, Option<u64>) = (None, None);
    let mut prev_hash: Option<String> = None;
    let mut since_checkpoint = 0usize;
    let mut line_no = 0usize;
    let mut replica: Option<String> = None;
    let mut buf = Vec::new();
    loop {
        buf.clear();
        let n = reader.read_until(b'\n', &mut buf).map_err(|source| LogError::Io { path: path.display().to_string(), source })?;
        if n == 0 {
            break;
        }
        line_no += 1;
        let complete = buf.ends_with(b"\n");
        let v: Value = match serde_json::from_slice(&buf) {
            Ok(v) if complete => v,
            Ok(_) | Err(_) if !complete => {
                problems.push(Problem { line: line_no, kind: "torn".into(), detail: "last line is incomplete (a crash mid-write?)".into() });
                break;
            }
            _ => {
                problems.push(Problem { line: line_no, kind: "malformed".into(), detail: "not a JSON record".into() });
                continue;
            }
        };
        records += 1;
        let seq = v["seq"].as_u64().unwrap_or(0);
        let stored = v["hash"].as_str().unwrap_or("").to_string();
        // Records written before replicas were named carry none; a chain names one replica.
        match (&replica, v["replica"].as_str()) {
            (None, Some(n)) => replica = Some(n.to_string()),
            (Some(r), Some(n)) if r != n => problems.push(Problem {
                line: line_no,
                kind: "replica".into(),
                detail: format!("record seq {seq} names replica {n} in the chain of {r} (copied from another replica's log?)"),
            }),
            _ => {}
        }
        if let Some((published, hash)) = opts.published_head {
            if seq == published && stored != hash {
                problems.push(Problem {
                    line: line_no,
                    kind: "published_head".into(),
                    detail: format!("record seq {seq} is not the one the writer published"),
                });
            }
        }
        if line_hash(&buf, &stored).as_deref() != Some(stored.as_str()) {
            problems.push(Problem { line: line_no, kind: "modified".into(), detail: format!("record seq {seq}: content does not match its hash") });
        }
        let prev = v["prev"].as_str().unwrap_or("");
        match (last_seq, &prev_hash) {
            (None, _) => {
                first_seq = Some(seq);
                if seq == 1 && prev != GENESIS {
                    problems.push(Problem { line: line_no, kind: "chain".into(), detail: "first record does not start from the genesis hash".into() });
                }
                // A file starts at the genesis record or, after a rotation, with a rotation record.
                if seq > 1 && v["kind"] != "rotation" {
                    problems.push(Problem { line: line_no, kind: "deleted".into(), detail: format!("records 1..{} are missing", seq - 1) });
                }
            }
            (Some(last), Some(ph)) => {
                if seq == last + 1 {
                    if prev != ph {
                        problems.push(Problem {
                            line: line_no,
                            kind: "chain".into(),
                            detail: format!("record seq {seq} does not follow the previous record (inserted or replaced?)"),
                        });
                    }
                } else if seq > last + 1 {
                    problems.push(Problem { line: line_no, kind: "deleted".into(), detail: format!("records {}..{} are missing", last + 1, seq - 1) });
                } else {
                    problems.push(Problem {
                        line: line_no,
                        kind: "reordered".into(),
                        detail: format!("record seq {seq} comes after seq {last} (inserted or moved)"),
                    });
                }
            }
            (Some(_), None) => {}
        }
        if v["kind"] == "checkpoint" {
            checkpoints += 1;
            since_checkpoint = 0;
            let d = &v["data"];
            let head = d["head"].as_str();
            if head.is_none() || prev_hash.as_deref() != head {
                problems.push(Problem { line: line_no, kind: "checkpoint".into(), detail: "checkpoint does not name the record before it".into() });
            }
            let sig = d["signature"].as_str();
            carrying_signature += usize::from(sig.is_some());
            if let Some(key) = opts.trusted_key {
                let sig = sig.and_then(|s| hex::decode(s).ok()).and_then(|b| <[u8; 64]>::try_from(b).ok()).map(|b| Signature::from_bytes(&b));
                match (sig, head) {
                    (Some(s), Some(h)) if key.verify(h.as_bytes(), &s).is_ok() => signed_ok += 1,
                    (None, _) => problems.push(Problem {
                        line: line_no,
                        kind: "signature".into(),
                        detail: "checkpoint carries no signature (removed, or written without the key)".into(),
                    }),
                    _ => {
                        problems.push(Problem { line: line_no, kind: "signature".into(), detail: "checkpoint signature does not match the trusted key".into() })
                    }
                }
            }
        } else {
            since_checkpoint += 1;
            if opts.checkpoint_every > 0 && since_checkpoint as u64 == opts.checkpoint_every + 1 {
                problems.push(Problem {
                    line: line_no,
                    kind: "checkpoint".into(),
                    detail: format!("more than {} records without a checkpoint (checkpoints removed?)", opts.checkpoint_every),
                });
            }
        }
        last_seq = Some(seq.max(last_seq.unwrap_or(0)));
        prev_hash = Some(stored);
    }
    if let Some((published, _)) = opts.published_head {
        if last_seq.is_some_and(|l| l < published) || (last_seq.is_none() && published > 0) {
            problems.push(Problem {
                line: line_no,
                kind: "cut_back".into(),
                detail: format!("the file ends at seq {} but the writer published seq {published}: records were removed", last_seq.unwrap_or(0)),
            });
        }
    }
    let signatures = match (opts.trusted_key, carrying_signature) {
        (Some(_), _) => Signatures::Verified,
        (None, 0) => Signatures::Unsigned,
        (None, _) => Signatures::NotChecked,
    };
    Ok(VerifyReport {
        file: path.display().to_string(),
        replica,
        records,
        checkpoints,
        signed_checkpoints_valid: signed_ok,
        signatures,
        unsigned_tail: since_checkpoint,
        first_seq,
        last_seq,
        head: prev_hash,
        ok: problems.is_empty(),
        problems,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn key() -> SigningKey {
        SigningKey::from_bytes(&[7u8; 32])
    }

    fn trusted() -> VerifyOptions<'static> {
        static KEY: std::sync::OnceLock<VerifyingKey> = std::sync::OnceLock::new();
        VerifyOptions { trusted_key: Some(KEY.get_or_init(|| key().verifying_key())), checkpoint_every: 4, ..Default::default() }
    }

    /// Recompute every hash after an edit, as someone rewriting the log would.
    fn rechain(recs: &mut [Value]) {
        let mut prev = GENESIS.to_string();
        for r in recs.iter_mut() {
            r["prev"] = json!(prev);
            if r["kind"] == "checkpoint" {
                r["data"]["head"] = json!(prev);
            }
            let h = record_hash(r);
            r["hash"] = json!(h.clone());
            prev = h;
        }
    }

    fn write_log(dir: &Path, n: usize) -> PathBuf {
        let mut cfg = LogConfig::new(dir.join("t.jsonl"));
        cfg.checkpoint_every = 4;
        cfg.signing_key = Some(key());
        cfg.sync = false;
        let mut log = TransparencyLog::open(cfg).unwrap();
        for i in 0..n {
            log.append("turn", json!({ "message": format!("question {i}"), "action": "answer" })).unwrap();
        }
        dir.join("t.jsonl")
    }

    fn lines(p: &Path) -> Vec<String> {
        std::fs::read_to_string(p).unwrap().lines().map(String::from).collect()
    }

    fn write_lines(p: &Path, l: &[String]) {
        std::fs::write(p, l.join("\n") + "\n").unwrap();
    }

    #[test]
    fn each_record_names_its_replica_and_a_log_cut_back_behind_its_published_head_fails() {
        let d = tempfile::tempdir().unwrap();
        let write = |name: &str, n: usize| {
            let mut cfg = LogConfig::new(d.path().join(format!("{name}.jsonl")));
            (cfg.checkpoint_every, cfg.signing_key, cfg.sync, cfg.replica) = (4, Some(key()), false, Some(name.to_string()));
            let mut log = TransparencyLog::open(cfg).unwrap();
            for i in 0..n {
                log.append("turn", json!({ "message": format!("{name} {i}") })).unwrap();
            }
            let head = (log.head().0, log.head().1.to_string());
            (d.path().join(format!("{name}.jsonl")), head)
        };
        let (a, (seq, hash)) = write("replica-a", 9);
        let published = VerifyOptions { published_head: Some((seq, &hash)), ..trusted() };
        let r = verify(&a, &published).unwrap();
        assert!(r.ok, "{:?}", r.problems);
        assert_eq!(r.replica.as_deref(), Some("replica-a"));
        // Cut back to one of its own checkpoints: the chain alone still verifies, the published
        // head does not.
        let all = lines(&a);
        let last_checkpoint = all.iter().rposition(|l| l.contains("\"kind\":\"checkpoint\"") && !std::ptr::eq(l, all.last().unwrap())).unwrap();
        write_lines(&a, &all[..=last_checkpoint]);
        assert!(verify(&a, &trusted()).unwrap().ok, "a file cut back to a checkpoint verifies on its own");
        let r = verify(&a, &published).unwrap();
        assert!(r.problems.iter().any(|p| p.kind == "cut_back"), "{:?}", r.problems);
        // Another replica's record does not pass in this chain.
        let (b, _) = write("replica-b", 2);
        let mut mixed = lines(&write("replica-c", 2).0);
        mixed.push(lines(&b)[1].clone());
        write_lines(&a, &mixed);
        assert!(verify(&a, &trusted()).unwrap().problems.iter().any(|p| p.kind == "replica"));
    }

    #[test]
    fn an_untouched_log_verifies_with_signed_checkpoints() {
        let d = tempfile::tempdir().unwrap();
        let p = write_log(d.path(), 10);
        let r = verify(&p, &trusted()).unwrap();
        assert!(r.ok, "{:?}", r.problems);
        assert_eq!(r.checkpoints, 3, "every 4 records, and on closing");
        assert_eq!(r.signed_checkpoints_valid, 3);
        assert_eq!(r.signatures, Signatures::Verified);
    }

    #[test]
    fn modification_deletion_insertion_reordering_are_located() {
        let d = tempfile::tempdir().unwrap();
        let p = write_log(d.path(), 8);
        let orig = lines(&p);

        let mut m = orig.clone();
        m[2] = m[2].replace("question 2", "question X");
        write_lines(&p, &m);
        let r = verify(&p, &VerifyOptions::default()).unwrap();
        assert_eq!((r.problems[0].line, r.problems[0].kind.as_str()), (3, "modified"));

        let mut del = orig.clone();
        del.remove(3);
        write_lines(&p, &del);
        let r = verify(&p, &VerifyOptions::default()).unwrap();
        assert!(r.problems.iter().any(|x| x.kind == "deleted" && x.line == 4), "{:?}", r.problems);

        let mut ins = orig.clone();
        ins.insert(2, orig[5].clone());
        write_lines(&p, &ins);
        let r = verify(&p, &VerifyOptions::default()).unwrap();
        assert_eq!(r.problems[0].line, 3, "{:?}", r.problems);
        assert!(r.problems.iter().any(|x| x.kind == "reordered"), "{:?}", r.problems);

        // A forged record with a valid hash of its own, slipped in with the next number.
        let mut forged: Value = serde_json::from_str(&orig[2]).unwrap();
        forged["data"] = json!({ "message": "forged" });
        forged["hash"] = json!(record_hash(&forged));
        let mut ins2 = orig.clone();
        ins2.insert(3, canonical(&forged));
        write_lines(&p, &ins2);
        let r = verify(&p, &VerifyOptions::default()).unwrap();
        assert!(r.problems.iter().any(|x| x.line == 4), "{:?}", r.problems);

        let mut swap = orig.clone();
        swap.swap(1, 2);
        write_lines(&p, &swap);
        let r = verify(&p, &VerifyOptions::default()).unwrap();
        assert!(!r.ok && r.problems[0].line == 2, "{:?}", r.problems);
    }

    #[test]
    fn records_with_floats_verify_exactly() {
        let d = tempfile::tempdir().unwrap();
        let mut cfg = LogConfig::new(d.path().join("f.jsonl"));
        cfg.sync = false;
        let mut log = TransparencyLog::open(cfg).unwrap();
        for i in 0..200 {
            let x = (i as f64).sqrt() * 1_234.567_890_123 / 7.0;
            log.append("turn", json!({ "ms": x, "cpu": x / 3.0, "tiny": x * 1e-9 })).unwrap();
        }
        let r = verify(&d.path().join("f.jsonl"), &VerifyOptions::default()).unwrap();
        assert!(r.ok, "{:?}", r.problems);
    }

    #[test]
    fn a_rewritten_chain_fails_the_signature_check() {
        // Someone recomputes every hash after editing: the chain is consistent again, but the
        // signed checkpoint no longer matches the head it signed.
        let d = tempfile::tempdir().unwrap();
        let p = write_log(d.path(), 4);
        let mut recs: Vec<Value> = lines(&p).iter().map(|l| serde_json::from_str(l).unwrap()).collect();
        recs[0]["data"]["message"] = json!("forged");
        rechain(&mut recs);
        write_lines(&p, &recs.iter().map(canonical).collect::<Vec<_>>());
        let r = verify(&p, &trusted()).unwrap();
        assert!(r.problems.iter().any(|x| x.kind == "signature"), "{:?}", r.problems);
    }

    #[test]
    fn a_torn_tail_is_reported_then_recovered_on_open() {
        let d = tempfile::tempdir().unwrap();
        let p = write_log(d.path(), 3);
        let mut bytes = std::fs::read(&p).unwrap();
        bytes.extend_from_slice(b"{\"seq\":4,\"ts\":1,\"pre");
        std::fs::write(&p, &bytes).unwrap();
        let r = verify(&p, &VerifyOptions::default()).unwrap();
        assert_eq!(r.problems.last().unwrap().kind, "torn");
        let mut cfg = LogConfig::new(&p);
        cfg.sync = false;
        let log = TransparencyLog::open(cfg).unwrap();
        assert_eq!(log.head().0, 5, "three turns, the closing checkpoint, then a recovery record");
        drop(log);
        let torn = |d: &Path| std::fs::read_dir(d).unwrap().flatten().filter(|e| e.file_name().to_string_lossy().starts_with("t.torn.")).count();
        assert_eq!(torn(d.path()), 1);
        let r = verify(&p, &VerifyOptions::default()).unwrap();
        assert!(r.ok, "{:?}", r.problems);
        assert!(std::fs::read_to_string(&p).unwrap().contains("\"kind\":\"recovery\""));
    }

    /// `writers` threads each opening the log `each` times to append one record, waiting
    /// their turn, rotating past `max_bytes`.
    fn race_writers(path: &Path, writers: usize, each: usize, max_bytes: u64) {
        let handles: Vec<_> = (0..writers)
            .map(|w| {
                let path = path.to_path_buf();
                std::thread::spawn(move || {
                    for i in 0..each {
                        let mut cfg = LogConfig::new(&path);
                        cfg.sync = false;
                        cfg.max_bytes = max_bytes;
                        cfg.when_busy = WhenBusy::Wait;
                        let mut log = TransparencyLog::open(cfg).unwrap();
                        log.append("turn", json!({ "writer": w, "i": i })).unwrap();
                    }
                })
            })
            .collect();
        for h in handles {
            h.join().unwrap();
        }
    }

    #[test]
    fn concurrent_writers_keep_one_chain() {
        let d = tempfile::tempdir().unwrap();
        let path = d.path().join("c.jsonl");
        race_writers(&path, 4, 5, u64::MAX);
        let r = verify(&path, &VerifyOptions::default()).unwrap();
        assert!(r.ok, "{:?}", r.problems);
        assert_eq!(r.records - r.checkpoints, 20);
        assert_eq!(r.unsigned_tail, 0, "each writer signs off when it closes");
    }

    #[test]
    fn rotation_carries_the_chain_and_purge_removes_old_files() {
        let d = tempfile::tempdir().unwrap();
        let mut cfg = LogConfig::new(d.path().join("t.jsonl"));
        cfg.max_bytes = 600;
        cfg.sync = false;
        cfg.retention = Duration::from_secs(0);
        let mut log = TransparencyLog::open(cfg).unwrap();
        for i in 0..12 {
            log.append("turn", json!({ "n": i })).unwrap();
        }
        let rotated: Vec<PathBuf> = std::fs::read_dir(d.path())
            .unwrap()
            .flatten()
            .map(|e| e.path())
            .filter(|p| p != &d.path().join("t.jsonl") && p.extension().is_some_and(|x| x == "jsonl"))
            .collect();
        assert!(!rotated.is_empty());
        let current = verify(&d.path().join("t.jsonl"), &VerifyOptions::default()).unwrap();
        assert!(current.ok && current.first_seq.unwrap() > 1, "{current:?}");
        std::thread::sleep(Duration::from_millis(20));
        let removed = log.purge().unwrap();
        assert_eq!(removed.len(), rotated.len());
        // A quiet log is cut by age too, so that its oldest records are purged in time.
        log.append("turn", json!({ "n": 99 })).unwrap();
        assert!(log.rotate_if_older_than(Duration::from_secs(3600)).unwrap().is_none());
        std::thread::sleep(Duration::from_millis(5));
        assert!(log.rotate_if_older_than(Duration::from_millis(1)).unwrap().is_some());
    }

    #[test]
    fn a_failed_write_is_cut_back_and_the_log_goes_on() {
        let d = tempfile::tempdir().unwrap();
        let path = d.path().join("w.jsonl");
        let mut cfg = LogConfig::new(&path);
        cfg.sync = false;
        let mut log = TransparencyLog::open(cfg.clone()).unwrap();
        log.append("turn", json!({ "n": 1 })).unwrap();
        let before = std::fs::metadata(&path).unwrap().len();
        log.fail_next_write_after = Some(17);
        assert!(log.append("turn", json!({ "n": 2 })).is_err());
        assert_eq!(std::fs::metadata(&path).unwrap().len(), before, "the partial line is cut off");
        log.append("turn", json!({ "n": 3 })).unwrap();
        drop(log);
        let r = verify(&path, &VerifyOptions::default()).unwrap();
        assert!(r.ok, "{:?}", r.problems);
        let log = TransparencyLog::open(cfg).expect("the next start accepts the log");
        assert_eq!(log.head().0, 3, "two turns and the closing checkpoint");
    }

    #[test]
    fn stripped_or_missing_checkpoints_fail_against_the_trusted_key() {
        let d = tempfile::tempdir().unwrap();
        let p = write_log(d.path(), 8);
        assert!(verify(&p, &trusted()).unwrap().ok);
        let orig: Vec<Value> = lines(&p).iter().map(|l| serde_json::from_str(l).unwrap()).collect();

        // Signatures nulled, hashes recomputed: the chain holds, the trusted key does not.
        let mut stripped = orig.clone();
        for r in stripped.iter_mut().filter(|r| r["kind"] == "checkpoint") {
            r["data"]["signature"] = Value::Null;
            r["data"]["public_key"] = Value::Null;
        }
        stripped[0]["data"]["message"] = json!("forged");
        rechain(&mut stripped);
        write_lines(&p, &stripped.iter().map(canonical).collect::<Vec<_>>());
        let r = verify(&p, &trusted()).unwrap();
        assert!(!r.ok && r.problems.iter().any(|x| x.kind == "signature"), "{:?}", r.problems);
        let r = verify(&p, &VerifyOptions::default()).unwrap();
        assert_eq!(r.signatures, Signatures::Unsigned);
        assert!(r.summary().contains("NOTHING IS SIGNED"), "{}", r.summary());

        // A forged key written into the log proves nothing: the trusted key is used.
        let mut rekeyed = orig.clone();
        let forger = SigningKey::from_bytes(&[9u8; 32]);
        rekeyed[0]["data"]["message"] = json!("forged");
        rechain(&mut rekeyed);
        let mut prev = GENESIS.to_string();
        for r in rekeyed.iter_mut() {
            r["prev"] = json!(prev);
            if r["kind"] == "checkpoint" {
                r["data"]["head"] = json!(prev);
                r["data"]["signature"] = json!(hex::encode(forger.sign(prev.as_bytes()).to_bytes()));
                r["data"]["public_key"] = json!(hex::encode(forger.verifying_key().to_bytes()));
            }
            let h = record_hash(r);
            r["hash"] = json!(h.clone());
            prev = h;
        }
        write_lines(&p, &rekeyed.iter().map(canonical).collect::<Vec<_>>());
        assert!(!verify(&p, &trusted()).unwrap().ok);
        assert_eq!(verify(&p, &VerifyOptions::default()).unwrap().signatures, Signatures::NotChecked);

        // Checkpoints removed altogether, hashes recomputed.
        let mut removed: Vec<Value> = orig.iter().filter(|r| r["kind"] != "checkpoint").cloned().collect();
        for (i, r) in removed.iter_mut().enumerate() {
            r["seq"] = json!(i + 1);
        }
        rechain(&mut removed);
        write_lines(&p, &removed.iter().map(canonical).collect::<Vec<_>>());
        let r = verify(&p, &trusted()).unwrap();
        assert!(r.problems.iter().any(|x| x.kind == "checkpoint"), "{:?}", r.problems);
    }

    #[test]
    fn each_recovery_keeps_its_own_torn_file() {
        let d = tempfile::tempdir().unwrap();
        let p = write_log(d.path(), 2);
        for _ in 0..2 {
            let mut bytes = std::fs::read(&p).unwrap();
            bytes.extend_from_slice(b"{\"seq\":99,\"ts\":1,\"pre");
            std::fs::write(&p, &bytes).unwrap();
            let mut cfg = LogConfig::new(&p);
            cfg.sync = false;
            cfg.signing_key = Some(key());
            drop(TransparencyLog::open(cfg).unwrap());
        }
        let torn = std::fs::read_dir(d.path()).unwrap().flatten().filter(|e| e.file_name().to_string_lossy().starts_with("t.torn.")).count();
        assert_eq!(torn, 2);
        assert!(verify(&p, &trusted()).unwrap().ok);
    }

    #[test]
    fn a_second_owner_is_told_at_once() {
        let d = tempfile::tempdir().unwrap();
        let mut cfg = LogConfig::new(d.path().join("o.jsonl"));
        cfg.sync = false;
        let _owner = TransparencyLog::open(cfg.clone()).unwrap();
        assert!(matches!(TransparencyLog::open(cfg), Err(LogError::Busy { .. })));
    }

    #[test]
    fn writers_waiting_across_rotations_keep_one_chain() {
        let d = tempfile::tempdir().unwrap();
        race_writers(&d.path().join("r.jsonl"), 4, 15, 700);
        let mut files: Vec<VerifyReport> = std::fs::read_dir(d.path())
            .unwrap()
            .flatten()
            .map(|e| e.path())
            .filter(|p| p.extension().is_some_and(|x| x == "jsonl"))
            .map(|p| verify(&p, &VerifyOptions::default()).unwrap())
            .collect();
        assert!(files.len() > 2, "rotated several times");
        files.sort_by_key(|r| r.first_seq);
        let mut next = 1;
        for r in &files {
            assert!(r.ok, "{}: {:?}", r.file, r.problems);
            assert_eq!(r.first_seq, Some(next), "{} continues the chain", r.file);
            next = r.last_seq.unwrap() + 1;
        }
    }

    #[test]
    fn pseudonyms_are_stable_and_keyed() {
        assert_eq!(pseudonym(b"k1", "abc"), pseudonym(b"k1", "abc"));
        assert_ne!(pseudonym(b"k1", "abc"), pseudonym(b"k2", "abc"));
        assert_ne!(pseudonym(b"k1", "abc"), pseudonym(b"k1", "abd"));
        assert_eq!(pseudonym(b"k1", "abc").len(), 32);
    }
}
