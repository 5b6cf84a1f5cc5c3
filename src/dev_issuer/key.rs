//! The development issuer's RSA key: read from `auth.dev_issuer.key_path`,
//! or made on first run and written there (mode 0600), so that tokens
//! survive a restart.

use std::fs;
use std::io::Write;
use std::os::unix::fs::{OpenOptionsExt, PermissionsExt};
use std::path::Path;

use aws_lc_rs::encoding::AsDer;
use aws_lc_rs::rsa::{KeyPair, KeySize};
use base64::Engine;
use base64::engine::general_purpose::{STANDARD, URL_SAFE_NO_PAD};

use super::{DevIssuerError, PEM_LABEL};

/// Reads the PKCS#8 PEM key at `path`, or generates one and writes it with
/// mode 0600. Concurrent first runs agree on one key: each writes a private
/// temporary file and links it into place only if no key is there yet.
pub(super) fn load_or_create_key(path: &Path) -> Result<(KeyPair, String), DevIssuerError> {
    let shown = path.display();
    let bad_key = |reason: String| DevIssuerError::BadKey {
        path: path.to_owned(),
        reason,
    };
    match fs::read_to_string(path) {
        Ok(pem) => {
            if let Ok(meta) = fs::metadata(path)
                && meta.permissions().mode() & 0o077 != 0
            {
                log::warn!("{shown}: the development key is readable by others; chmod 600 it");
            }
            let der =
                pem_to_der(&pem).ok_or_else(|| bad_key(format!("not a PEM \"{PEM_LABEL}\"")))?;
            let pair = KeyPair::from_pkcs8(&der).map_err(|e| bad_key(e.to_string()))?;
            return Ok((pair, pem));
        }
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => {}
        Err(source) => {
            return Err(DevIssuerError::Read {
                path: path.to_owned(),
                source,
            });
        }
    }
    if let Some(dir) = path.parent().filter(|d| !d.as_os_str().is_empty()) {
        fs::create_dir_all(dir).map_err(|source| DevIssuerError::Write {
            path: dir.to_owned(),
            source,
        })?;
    }
    let pair = KeyPair::generate(KeySize::Rsa2048).map_err(|_| DevIssuerError::Generate)?;
    let der = pair.as_der().map_err(|_| DevIssuerError::Generate)?;
    let pem = der_to_pem(der.as_ref());
    // Unique per attempt: concurrent first runs, processes or threads, each write their own.
    let mut nonce = [0u8; 8];
    let _ = aws_lc_rs::rand::fill(&mut nonce);
    let tmp = path.with_extension(format!(
        "tmp{}-{}",
        std::process::id(),
        URL_SAFE_NO_PAD.encode(nonce)
    ));
    let written = fs::OpenOptions::new()
        .write(true)
        .create_new(true)
        .mode(0o600)
        .open(&tmp)
        .and_then(|mut f| {
            f.write_all(pem.as_bytes())?;
            f.sync_all()
        });
    if let Err(source) = written {
        let _ = fs::remove_file(&tmp);
        return Err(DevIssuerError::Write { path: tmp, source });
    }
    let linked = fs::hard_link(&tmp, path);
    let _ = fs::remove_file(&tmp);
    match linked {
        Ok(()) => {
            log::info!("created the development signing key {shown}");
            Ok((pair, pem))
        }
        // Another process created it first: use theirs.
        Err(e) if e.kind() == std::io::ErrorKind::AlreadyExists => load_or_create_key(path),
        Err(source) => Err(DevIssuerError::Write {
            path: path.to_owned(),
            source,
        }),
    }
}

fn der_to_pem(der: &[u8]) -> String {
    let b64 = STANDARD.encode(der);
    let mut pem = format!("-----BEGIN {PEM_LABEL}-----\n");
    for line in b64.as_bytes().chunks(64) {
        pem.push_str(&String::from_utf8_lossy(line));
        pem.push('\n');
    }
    pem.push_str(&format!("-----END {PEM_LABEL}-----\n"));
    pem
}

fn pem_to_der(pem: &str) -> Option<Vec<u8>> {
    let body = pem
        .trim()
        .strip_prefix(&format!("-----BEGIN {PEM_LABEL}-----"))?
        .strip_suffix(&format!("-----END {PEM_LABEL}-----"))?;
    let joined: String = body.split_whitespace().collect();
    STANDARD.decode(joined).ok()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn pem_round_trip() {
        let der = vec![1u8, 2, 3, 250, 251, 252];
        assert_eq!(pem_to_der(&der_to_pem(&der)), Some(der));
        assert_eq!(pem_to_der("not a pem"), None);
    }

    #[test]
    fn concurrent_first_runs_agree_on_one_key() {
        let dir = tempfile::tempdir().expect("temp dir");
        let path = dir.path().join("var").join("key.pem");
        let start = std::sync::Arc::new(std::sync::Barrier::new(6));
        let runs: Vec<_> = (0..6)
            .map(|_| {
                let (path, start) = (path.clone(), start.clone());
                std::thread::spawn(move || {
                    start.wait();
                    load_or_create_key(&path).map(|(_, pem)| pem)
                })
            })
            .collect();
        let pems: Vec<String> = runs
            .into_iter()
            .map(|run| {
                run.join()
                    .expect("no panic")
                    .unwrap_or_else(|e| panic!("{e}"))
            })
            .collect();
        assert!(pems.iter().all(|pem| pem == &pems[0]), "one key for all");
        let mode = fs::metadata(&path).expect("the key").permissions().mode();
        assert_eq!(mode & 0o777, 0o600);
        let left: Vec<_> = fs::read_dir(path.parent().expect("var"))
            .expect("list")
            .filter_map(Result::ok)
            .map(|e| e.file_name())
            .collect();
        assert_eq!(
            left,
            [std::ffi::OsString::from("key.pem")],
            "no temporary files left"
        );
    }

    #[test]
    fn an_unreadable_key_is_an_error_and_left_as_it_is() {
        let dir = tempfile::tempdir().expect("temp dir");
        let path = dir.path().join("key.pem");
        fs::write(&path, [0xff, 0xfe, 0x00]).expect("write");
        assert!(matches!(
            load_or_create_key(&path),
            Err(DevIssuerError::Read { .. })
        ));
        assert_eq!(fs::read(&path).expect("read"), [0xff, 0xfe, 0x00]);
        let not_a_file = dir.path().join("folder");
        fs::create_dir(&not_a_file).expect("mkdir");
        assert!(matches!(
            load_or_create_key(&not_a_file),
            Err(DevIssuerError::Read { .. })
        ));
    }
}
