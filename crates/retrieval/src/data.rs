//! Where the open data is: `../shared/data` (or a configured directory), else the producer's
//! open-data download URLs, fetched once into ORIENT_HOME. Data is never copied into the repo.

use std::path::{Path, PathBuf};

pub const METIERS_ZIP: &str = "onisep/ideo-fiches-metiers-2024-06-25.zip";
pub const FORMATIONS_ZIP: &str = "onisep/ideo-fiches-formations-2024-06-25.zip";
pub const METIERS_URL: &str = "https://api.opendata.onisep.fr/downloads/5fe0808a2da6f/5fe0808a2da6f.zip";
pub const FORMATIONS_URL: &str = "https://api.opendata.onisep.fr/downloads/5fe07a9ecc960/5fe07a9ecc960.zip";
/// Date of the data set these files carry (Idéo publication).
pub const DATA_DATE: &str = "25/06/2024";

#[derive(Debug, thiserror::Error)]
pub enum DataError {
    #[error("{file} is not in {dir} and could not be downloaded from {url}: {reason}")]
    Unavailable { file: String, dir: String, url: String, reason: String },
}

/// The default data directory: `ORIENT_DATA`, else `../shared/data` when it exists.
pub fn default_data_dir() -> PathBuf {
    if let Some(d) = std::env::var_os("ORIENT_DATA").filter(|d| !d.is_empty()) {
        return PathBuf::from(d);
    }
    PathBuf::from("../shared/data")
}

/// Path of one data file: in `dir` when present, else downloaded into `cache`.
pub fn locate(dir: &Path, rel: &str, url: &str, cache: &Path) -> Result<PathBuf, DataError> {
    let local = dir.join(rel);
    if local.exists() {
        return Ok(local);
    }
    let cached = cache.join(rel);
    if cached.exists() {
        return Ok(cached);
    }
    let fail = |reason: String| DataError::Unavailable { file: rel.into(), dir: dir.display().to_string(), url: url.into(), reason };
    std::fs::create_dir_all(cached.parent().unwrap()).map_err(|e| fail(e.to_string()))?;
    let resp = ureq::get(url).call().map_err(|e| fail(e.to_string()))?;
    let tmp = cached.with_extension("partial");
    let mut f = std::fs::File::create(&tmp).map_err(|e| fail(e.to_string()))?;
    std::io::copy(&mut resp.into_body().into_reader(), &mut f).map_err(|e| fail(e.to_string()))?;
    std::fs::rename(&tmp, &cached).map_err(|e| fail(e.to_string()))?;
    Ok(cached)
}
