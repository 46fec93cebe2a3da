//! The transparency log (P11): append-only JSON lines, each record holding the SHA-256 of the
//! previous one (over a canonical form: keys sorted, no spaces), signed checkpoints every N
//! records (ed25519), rotation with the chain carried across files, retention purge, and a
//! verifier that says where a file was modified, cut, extended or reordered.
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
        }
    }
}

/// Parse a signing key from 64 hex characters (the seed).
pub fn signing_key_from_hex(hex_seed: &str) -> Option<SigningKey> {
    let bytes = hex::decode(hex_seed.trim()).ok()?;
    let seed: [u8; 32] = bytes.try_into().ok()?;
    Some(SigningKey::from_bytes(&seed))
}

/// Open and lock the file now at `path`: if another writer rotated it away while we waited
/// for the lock, lock the new file instead.
fn lock_current(path: &Path) -> std::io::Result<File> {
    use std::os::unix::fs::MetadataExt;
    loop {
        let file = OpenOptions::new().create(true).append(true).open(path)?;
        file.lock()?;
        let (held, now) = (file.metadata()?, std::fs::metadata(path));
        if now.is_ok_and(|m| m.ino() == held.ino() && m.dev() == held.dev()) {
            return Ok(file);
        }
    }
}

pub struct TransparencyLog {
    config: LogConfig,
    file: File,
    seq: u64,
    last_hash: String,
    size: u64,
    /// Records since the last checkpoint.
    pending: u64,
}

fn now_ms() -> u64 {
    SystemTime::now().duration_since(UNIX_EPOCH).map(|d| d.as_millis() as u64).unwrap_or(0)
}

impl TransparencyLog {
    /// Open (or create) the log. A torn last line (a crash mid-write) is moved aside to
    /// `<file>.torn` and a `recovery` record says so: never silently accepted or dropped.
    pub fn open(config: LogConfig) -> Result<Self, LogError> {
        let path = config.path.clone();
        let io = |source| LogError::Io { path: path.display().to_string(), source };
        if let Some(dir) = path.parent() {
            std::fs::create_dir_all(dir).map_err(io)?;
        }
        // One writer at a time: the chain needs each record to see the one before it. The lock
        // is held while this log is open (processes appending at once wait their turn).
        let file = lock_current(&path).map_err(io)?;
        let (mut seq, mut last_hash, mut torn) = (0u64, GENESIS.to_string(), None);
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
            let aside = path.with_extension("torn");
            std::fs::write(&aside, t).map_err(io)?;
            file.set_len(good_len).map_err(io)?;
        }
        let mut log = TransparencyLog { config, file, seq, last_hash, size: good_len, pending: 0 };
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

    pub fn head(&self) -> (u64, &str) {
        (self.seq, &self.last_hash)
    }

    /// Append one record; returns its hash.
    pub fn append(&mut self, kind: &str, data: Value) -> Result<String, LogError> {
        let hash = self.write_record(kind, data)?;
        self.pending += 1;
        if self.config.checkpoint_every > 0 && self.pending >= self.config.checkpoint_every {
            self.checkpoint()?;
        }
        if self.size > self.config.max_bytes {
            self.rotate()?;
        }
        Ok(hash)
    }

    /// Chain one record after the head and write it.
    fn write_record(&mut self, kind: &str, data: Value) -> Result<String, LogError> {
        let seq = self.seq + 1;
        let mut record = json!({ "seq": seq, "ts": now_ms(), "prev": self.last_hash, "kind": kind, "data": data });
        let hash = record_hash(&record);
        record["hash"] = Value::String(hash.clone());
        self.write_line(&record)?;
        self.seq = seq;
        self.last_hash = hash.clone();
        Ok(hash)
    }

    fn write_line(&mut self, record: &Value) -> Result<(), LogError> {
        let mut line = canonical(record);
        line.push('\n');
        let io = |source| LogError::Io { path: self.config.path.display().to_string(), source };
        // One write per record: a crash leaves at most one torn line, which `open` detects.
        self.file.write_all(line.as_bytes()).map_err(io)?;
        if self.config.sync {
            self.file.sync_data().map_err(io)?;
        }
        self.size += line.len() as u64;
        Ok(())
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

    /// Close the current file under a dated name and continue in a fresh one whose first
    /// record carries the chain on.
    pub fn rotate(&mut self) -> Result<PathBuf, LogError> {
        self.checkpoint()?;
        let path = self.config.path.clone();
        let io = |source| LogError::Io { path: path.display().to_string(), source };
        let stem = path.file_stem().and_then(|s| s.to_str()).unwrap_or("transparency");
        let rotated = path.with_file_name(format!("{stem}.{:020}.jsonl", self.seq));
        std::fs::rename(&path, &rotated).map_err(io)?;
        self.file = OpenOptions::new().create(true).append(true).open(&path).map_err(io)?;
        self.file.lock().map_err(io)?;
        self.size = 0;
        self.append("rotation", json!({ "previous_file": rotated.file_name().and_then(|n| n.to_str()) }))?;
        Ok(rotated)
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
            if p == *path || !name.starts_with(&format!("{stem}.")) || !name.ends_with(".jsonl") {
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

#[derive(Debug, Clone, Serialize, PartialEq)]
pub struct Problem {
    /// 1-based line number.
    pub line: usize,
    pub kind: String,
    pub detail: String,
}

#[derive(Debug, Clone, Serialize)]
pub struct VerifyReport {
    pub file: String,
    pub records: usize,
    pub checkpoints: usize,
    pub signed_checkpoints_valid: usize,
    /// First sequence number (greater than 1 when earlier files were rotated or purged).
    pub first_seq: Option<u64>,
    pub last_seq: Option<u64>,
    pub head: Option<String>,
    pub ok: bool,
    pub problems: Vec<Problem>,
}

/// Check a log file: every record's hash, the chain, the sequence, the checkpoint signatures
/// (with `trusted_key` when given, else with the key each checkpoint names).
pub fn verify(path: &Path, trusted_key: Option<&VerifyingKey>) -> Result<VerifyReport, LogError> {
    let f = File::open(path).map_err(|source| LogError::Io { path: path.display().to_string(), source })?;
    let mut reader = BufReader::new(f);
    let mut problems = Vec::new();
    let (mut records, mut checkpoints, mut signed_ok) = (0usize, 0usize, 0usize);
    let (mut first_seq, mut last_seq): (Option<u64>, Option<u64>) = (None, None);
    let mut prev_hash: Option<String> = None;
    let mut line_no = 0usize;
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
            let d = &v["data"];
            if let (Some(sig), Some(head)) = (d["signature"].as_str(), d["head"].as_str()) {
                let key = trusted_key.copied().or_else(|| {
                    let b: [u8; 32] = hex::decode(d["public_key"].as_str().unwrap_or("")).ok()?.try_into().ok()?;
                    VerifyingKey::from_bytes(&b).ok()
                });
                let sig = hex::decode(sig).ok().and_then(|b| <[u8; 64]>::try_from(b).ok()).map(|b| Signature::from_bytes(&b));
                let valid = matches!((key, sig), (Some(k), Some(s)) if k.verify(head.as_bytes(), &s).is_ok());
                if valid && prev_hash.as_deref() == Some(head) {
                    signed_ok += 1;
                } else {
                    problems.push(Problem { line: line_no, kind: "signature".into(), detail: "checkpoint signature or head does not match".into() });
                }
            }
        }
        last_seq = Some(seq.max(last_seq.unwrap_or(0)));
        prev_hash = Some(stored);
    }
    Ok(VerifyReport {
        file: path.display().to_string(),
        records,
        checkpoints,
        signed_checkpoints_valid: signed_ok,
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
    fn an_untouched_log_verifies_with_signed_checkpoints() {
        let d = tempfile::tempdir().unwrap();
        let p = write_log(d.path(), 10);
        let r = verify(&p, Some(&key().verifying_key())).unwrap();
        assert!(r.ok, "{:?}", r.problems);
        assert_eq!(r.checkpoints, 2);
        assert_eq!(r.signed_checkpoints_valid, 2);
    }

    #[test]
    fn modification_deletion_insertion_reordering_are_located() {
        let d = tempfile::tempdir().unwrap();
        let p = write_log(d.path(), 8);
        let orig = lines(&p);

        let mut m = orig.clone();
        m[2] = m[2].replace("question 2", "question X");
        write_lines(&p, &m);
        let r = verify(&p, None).unwrap();
        assert_eq!((r.problems[0].line, r.problems[0].kind.as_str()), (3, "modified"));

        let mut del = orig.clone();
        del.remove(3);
        write_lines(&p, &del);
        let r = verify(&p, None).unwrap();
        assert!(r.problems.iter().any(|x| x.kind == "deleted" && x.line == 4), "{:?}", r.problems);

        let mut ins = orig.clone();
        ins.insert(2, orig[5].clone());
        write_lines(&p, &ins);
        let r = verify(&p, None).unwrap();
        assert_eq!(r.problems[0].line, 3, "{:?}", r.problems);
        assert!(r.problems.iter().any(|x| x.kind == "reordered"), "{:?}", r.problems);

        // A forged record with a valid hash of its own, slipped in with the next number.
        let mut forged: Value = serde_json::from_str(&orig[2]).unwrap();
        forged["data"] = json!({ "message": "forged" });
        forged["hash"] = json!(record_hash(&forged));
        let mut ins2 = orig.clone();
        ins2.insert(3, canonical(&forged));
        write_lines(&p, &ins2);
        let r = verify(&p, None).unwrap();
        assert!(r.problems.iter().any(|x| x.line == 4), "{:?}", r.problems);

        let mut swap = orig.clone();
        swap.swap(1, 2);
        write_lines(&p, &swap);
        let r = verify(&p, None).unwrap();
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
        let r = verify(&d.path().join("f.jsonl"), None).unwrap();
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
        let mut prev = GENESIS.to_string();
        for r in recs.iter_mut() {
            r["prev"] = json!(prev);
            let h = record_hash(r);
            r["hash"] = json!(h.clone());
            prev = h;
        }
        write_lines(&p, &recs.iter().map(canonical).collect::<Vec<_>>());
        let r = verify(&p, Some(&key().verifying_key())).unwrap();
        assert!(r.problems.iter().any(|x| x.kind == "signature"), "{:?}", r.problems);
    }

    #[test]
    fn a_torn_tail_is_reported_then_recovered_on_open() {
        let d = tempfile::tempdir().unwrap();
        let p = write_log(d.path(), 3);
        let mut bytes = std::fs::read(&p).unwrap();
        bytes.extend_from_slice(b"{\"seq\":4,\"ts\":1,\"pre");
        std::fs::write(&p, &bytes).unwrap();
        let r = verify(&p, None).unwrap();
        assert_eq!(r.problems.last().unwrap().kind, "torn");
        let mut cfg = LogConfig::new(&p);
        cfg.sync = false;
        let log = TransparencyLog::open(cfg).unwrap();
        assert_eq!(log.head().0, 4, "a recovery record was appended");
        drop(log);
        assert!(p.with_extension("torn").exists());
        let r = verify(&p, None).unwrap();
        assert!(r.ok, "{:?}", r.problems);
        assert!(std::fs::read_to_string(&p).unwrap().contains("\"kind\":\"recovery\""));
    }

    #[test]
    fn concurrent_writers_keep_one_chain() {
        let d = tempfile::tempdir().unwrap();
        let path = d.path().join("c.jsonl");
        let handles: Vec<_> = (0..4)
            .map(|w| {
                let path = path.clone();
                std::thread::spawn(move || {
                    for i in 0..5 {
                        let mut cfg = LogConfig::new(&path);
                        cfg.sync = false;
                        let mut log = TransparencyLog::open(cfg).unwrap();
                        log.append("turn", json!({ "writer": w, "i": i })).unwrap();
                    }
                })
            })
            .collect();
        for h in handles {
            h.join().unwrap();
        }
        let r = verify(&path, None).unwrap();
        assert!(r.ok, "{:?}", r.problems);
        assert_eq!(r.records, 20);
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
        let rotated: Vec<PathBuf> = std::fs::read_dir(d.path()).unwrap().flatten().map(|e| e.path()).filter(|p| p != &d.path().join("t.jsonl")).collect();
        assert!(!rotated.is_empty());
        let current = verify(&d.path().join("t.jsonl"), None).unwrap();
        assert!(current.ok && current.first_seq.unwrap() > 1, "{current:?}");
        std::thread::sleep(Duration::from_millis(20));
        let removed = log.purge().unwrap();
        assert_eq!(removed.len(), rotated.len());
    }
}
