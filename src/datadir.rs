//! The data directory holds transcripts, moderation state, the identifier key, the control
//! socket and channel sessions (the Matrix access token among them): it is created owner-only
//! (0700) and everything in it is kept owner-only (0600), including files an older version left
//! readable to others.

use std::io::Write;
use std::path::Path;

use crate::guard::IdentifierKey;
use crate::services::StartError;

/// Makes new files and directories of this process owner-only: the umask applies at creation,
/// so there is no moment in which a file (a sled segment, a socket) is readable to others.
pub fn owner_only_umask() {
    #[cfg(unix)]
    rustix::process::umask(rustix::fs::Mode::from_raw_mode(0o077));
}

/// Creates `dir` (0700) or tightens it and everything in it to owner-only.
pub fn prepare(dir: &Path) -> Result<(), StartError> {
    let io = |what: &str, path: &Path, source| StartError::Io {
        what: format!("{what} {}", path.display()),
        source,
    };
    #[cfg(unix)]
    {
        use std::os::unix::fs::DirBuilderExt;
        std::fs::DirBuilder::new()
            .recursive(true)
            .mode(0o700)
            .create(dir)
            .map_err(|e| io("cannot create the data directory", dir, e))?;
    }
    #[cfg(not(unix))]
    std::fs::create_dir_all(dir).map_err(|e| io("cannot create the data directory", dir, e))?;
    tighten(dir).map_err(|e| io("cannot make owner-only", dir, e))
}

#[cfg(unix)]
fn tighten(path: &Path) -> std::io::Result<()> {
    use std::os::unix::fs::PermissionsExt;
    let meta = std::fs::symlink_metadata(path)?;
    if meta.file_type().is_symlink() {
        return Ok(());
    }
    let mode = meta.permissions().mode();
    if mode & 0o077 != 0 {
        std::fs::set_permissions(path, std::fs::Permissions::from_mode(mode & 0o700))?;
    }
    if meta.is_dir() {
        for entry in std::fs::read_dir(path)? {
            tighten(&entry?.path())?;
        }
    }
    Ok(())
}

#[cfg(not(unix))]
fn tighten(_path: &Path) -> std::io::Result<()> {
    Ok(())
}

/// The identifier hashing key: `secret` from the config, or a random key in
/// `dir/identifier.key`, created owner-only in one step (never written first and protected
/// after).
pub fn identifier_key(dir: &Path, secret: Option<[u8; 32]>) -> Result<IdentifierKey, StartError> {
    if let Some(k) = secret {
        return Ok(IdentifierKey::new(k));
    }
    let path = dir.join("identifier.key");
    let io = |what: &str, source| StartError::Io {
        what: format!("{what} {}", path.display()),
        source,
    };
    loop {
        match std::fs::read(&path) {
            Ok(bytes) => {
                let k: [u8; 32] = bytes.as_slice().try_into().map_err(|_| {
                    io(
                        "the identifier key file has the wrong length (expected 32 bytes):",
                        std::io::Error::from(std::io::ErrorKind::InvalidData),
                    )
                })?;
                return Ok(IdentifierKey::new(k));
            }
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => {
                let k: [u8; 32] = rand::random();
                let mut options = std::fs::OpenOptions::new();
                options.write(true).create_new(true);
                #[cfg(unix)]
                {
                    use std::os::unix::fs::OpenOptionsExt;
                    options.mode(0o600);
                }
                match options.open(&path) {
                    Ok(mut f) => {
                        f.write_all(&k)
                            .and_then(|()| f.sync_all())
                            .map_err(|e| io("cannot write", e))?;
                        return Ok(IdentifierKey::new(k));
                    }
                    // Another process created it first: read theirs.
                    Err(e) if e.kind() == std::io::ErrorKind::AlreadyExists => continue,
                    Err(e) => return Err(io("cannot create", e)),
                }
            }
            Err(e) => return Err(io("cannot read", e)),
        }
    }
}

#[cfg(all(test, unix))]
mod tests {
    use super::*;
    use std::os::unix::fs::PermissionsExt;

    fn mode(p: &Path) -> u32 {
        std::fs::metadata(p)
            .map(|m| m.permissions().mode() & 0o777)
            .unwrap_or(0)
    }

    #[test]
    fn created_owner_only_and_old_files_tightened() {
        let tmp = tempfile::tempdir().unwrap_or_else(|e| panic!("{e}"));
        let dir = tmp.path().join("data");
        prepare(&dir).unwrap_or_else(|e| panic!("{e}"));
        assert_eq!(mode(&dir), 0o700);
        // What an older version left behind.
        std::fs::set_permissions(&dir, std::fs::Permissions::from_mode(0o755)).ok();
        let old = dir.join("db");
        std::fs::write(&old, b"x").ok();
        std::fs::set_permissions(&old, std::fs::Permissions::from_mode(0o644)).ok();
        prepare(&dir).unwrap_or_else(|e| panic!("{e}"));
        assert_eq!((mode(&dir), mode(&old)), (0o700, 0o600));
        let k1 = identifier_key(&dir, None).unwrap_or_else(|e| panic!("{e}"));
        assert_eq!(mode(&dir.join("identifier.key")), 0o600);
        let k2 = identifier_key(&dir, None).unwrap_or_else(|e| panic!("{e}"));
        assert_eq!(k1.hash("123456"), k2.hash("123456"));
    }
}
