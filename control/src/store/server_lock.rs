//! One server per SQLite file. SQLite has no way for two servers to agree on who schedules (that
//! takes PostgreSQL), so a second `rota-server` on the same file refuses to start, naming the
//! one that holds it. The claim is an exclusive `flock` on `<file>.server-lock`, which the
//! kernel drops when the holder exits, however it exits.

use std::fs::{File, OpenOptions};
use std::io::{Read, Seek, Write};

use nix::fcntl::{Flock, FlockArg};

use super::sqlite_path;

/// The claim on a SQLite file, held while the server runs.
#[derive(Debug)]
pub struct ServerLock {
    _file: Flock<File>,
}

/// Why the store cannot be claimed.
#[derive(Debug, thiserror::Error)]
pub enum ClaimError {
    /// Another server holds it.
    #[error(
        "another rota-server{holder} is serving {path}; SQLite allows one server per store: stop it, or \
         use PostgreSQL (DATABASE_URL=postgres://…) to run several servers on one store"
    )]
    Held {
        /// The store's file.
        path: String,
        /// ` (pid N)`, when the holder wrote it.
        holder: String,
    },
    /// The lock file cannot be opened or locked.
    #[error("cannot claim {path}: {source}")]
    Io {
        /// The lock file.
        path: String,
        /// Why.
        source: std::io::Error,
    },
}

/// Claims the SQLite file of `url` for this process (nothing to claim for PostgreSQL: `None`).
pub fn claim(url: &str) -> Result<Option<ServerLock>, ClaimError> {
    let Some(path) = sqlite_path(url) else {
        return Ok(None);
    };
    let lock_path = format!("{path}.server-lock");
    let io = |source| ClaimError::Io {
        path: lock_path.clone(),
        source,
    };
    if let Some(dir) = std::path::Path::new(path)
        .parent()
        .filter(|d| !d.as_os_str().is_empty())
    {
        std::fs::create_dir_all(dir).map_err(io)?;
    }
    let file = OpenOptions::new()
        .read(true)
        .write(true)
        .create(true)
        .truncate(false)
        .open(&lock_path)
        .map_err(io)?;
    match Flock::lock(file, FlockArg::LockExclusiveNonblock) {
        Ok(mut locked) => {
            // Say who holds it, for the next one to name.
            locked.set_len(0).map_err(io)?;
            locked.rewind().map_err(io)?;
            write!(locked, "{}", std::process::id()).map_err(io)?;
            Ok(Some(ServerLock { _file: locked }))
        }
        Err((mut file, nix::errno::Errno::EWOULDBLOCK)) => {
            let mut pid = String::new();
            let _ = file.read_to_string(&mut pid);
            let pid = pid.trim();
            let err = ClaimError::Held {
                path: path.to_owned(),
                holder: if pid.is_empty() {
                    String::new()
                } else {
                    format!(" (pid {pid})")
                },
            };
            Err(err)
        }
        Err((_, errno)) => Err(io(std::io::Error::from(errno))),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_second_claim_on_a_file_is_refused_naming_the_holder_and_postgres_needs_none() {
        let dir = std::env::temp_dir().join(format!("rota-lock-{}", uuid::Uuid::new_v4().simple()));
        let url = format!("sqlite://{}/rota.db", dir.display());
        let first = claim(&url).expect("claims").expect("a lock");
        let refused = claim(&url).expect_err("held");
        let message = refused.to_string();
        assert!(
            message.starts_with(&format!(
                "another rota-server (pid {}) is serving",
                std::process::id()
            )),
            "{message}"
        );
        drop(first);
        assert!(claim(&url).expect("claims again").is_some());
        assert!(
            claim("postgres://u@h/db")
                .expect("nothing to claim")
                .is_none()
        );
        let _ = std::fs::remove_dir_all(dir);
    }
}
