//! Keyed pseudonyms of numbers: HMAC-SHA256 under a 32-byte random key kept in
//! `audit.key` beside the log (0600). Without the key a pseudonym cannot be linked back to
//! a number by trying all numbers; with it, the log's tools find one number's records.

use std::io::{Read, Write};
use std::path::Path;

use hmac::{Hmac, KeyInit, Mac};
use sha2::Sha256;

use super::{AuditError, io_err};

/// The key file's name inside the log directory.
pub(crate) const KEY_FILE: &str = "audit.key";

#[derive(Clone)]
pub(crate) struct Pseudonymizer {
    key: [u8; 32],
}

impl Pseudonymizer {
    /// Loads the key of the log in `dir`, creating it (0600) when absent.
    pub(crate) fn open_or_create(dir: &Path) -> Result<Pseudonymizer, AuditError> {
        let path = dir.join(KEY_FILE);
        if let Some(p) = Self::load(dir)? {
            return Ok(p);
        }
        let mut key = [0u8; 32];
        getrandom::fill(&mut key).map_err(|e| AuditError::Config(format!(
            "no randomness for the pseudonym key ({e}); the system's random source is unavailable"
        )))?;
        let mut f = super::segment::private_file()
            .write(true)
            .create_new(true)
            .open(&path)
            .map_err(io_err("create the pseudonym key file", &path))?;
        f.write_all(&key)
            .and_then(|()| f.sync_all())
            .map_err(io_err("write the pseudonym key file", &path))?;
        Ok(Pseudonymizer { key })
    }

    /// The key of the log in `dir`, `None` when the log has none (not pseudonymized).
    pub(crate) fn load(dir: &Path) -> Result<Option<Pseudonymizer>, AuditError> {
        let path = dir.join(KEY_FILE);
        let mut f = match std::fs::File::open(&path) {
            Ok(f) => f,
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(None),
            Err(e) => return Err(io_err("open the pseudonym key file", &path)(e)),
        };
        let mut bytes = Vec::new();
        f.read_to_end(&mut bytes)
            .map_err(io_err("read the pseudonym key file", &path))?;
        let key: [u8; 32] = bytes.try_into().map_err(|b: Vec<u8>| {
            AuditError::Config(format!(
                "{} holds {} bytes, not the 32 of a pseudonym key: restore it from a backup (without it the log's numbers cannot be found)",
                path.display(),
                b.len()
            ))
        })?;
        Ok(Some(Pseudonymizer { key }))
    }

    /// The pseudonym of E.164 digits `n`, hex.
    pub(crate) fn pseudonym(&self, n: u64) -> String {
        let mut mac = <Hmac<Sha256> as KeyInit>::new_from_slice(&self.key)
            .expect("HMAC takes a key of any size");
        mac.update(&n.to_be_bytes());
        super::chain::hex(&mac.finalize().into_bytes())
    }
}
