//! Where `rota login` keeps the server's address, the token and the default project:
//! `$ROTA_CONFIG`, else `$XDG_CONFIG_HOME/rota/config.json`, else `~/.config/rota/config.json`.
//! `ROTA_URL` and `ROTA_TOKEN` override what is stored.

use std::path::PathBuf;

use anyhow::{Context, bail};
use serde::{Deserialize, Serialize};

/// What is stored between commands.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Stored {
    /// The server, e.g. http://127.0.0.1:3000.
    pub url: Option<String>,
    /// The bearer token.
    pub token: Option<String>,
    /// The project used when `-p` is not given.
    pub project: Option<String>,
}

/// The config file's path.
pub fn path() -> anyhow::Result<PathBuf> {
    if let Some(p) = std::env::var_os("ROTA_CONFIG").filter(|p| !p.is_empty()) {
        return Ok(PathBuf::from(p));
    }
    let base = match std::env::var_os("XDG_CONFIG_HOME").filter(|p| !p.is_empty()) {
        Some(x) => PathBuf::from(x),
        None => {
            PathBuf::from(std::env::var_os("HOME").context("neither ROTA_CONFIG nor HOME is set")?)
                .join(".config")
        }
    };
    Ok(base.join("rota").join("config.json"))
}

/// The stored settings (empty when there is no file yet).
pub fn load() -> anyhow::Result<Stored> {
    let p = path()?;
    match std::fs::read_to_string(&p) {
        Ok(text) => serde_json::from_str(&text)
            .with_context(|| format!("{} is not a rota config file", p.display())),
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => Ok(Stored::default()),
        Err(e) => Err(e).with_context(|| format!("cannot read {}", p.display())),
    }
}

/// Saves the settings (readable by the owner only: it holds a token).
pub fn save(stored: &Stored) -> anyhow::Result<()> {
    let p = path()?;
    if let Some(dir) = p.parent() {
        std::fs::create_dir_all(dir).with_context(|| format!("cannot create {}", dir.display()))?;
    }
    let tmp = p.with_extension("json.tmp");
    std::fs::write(&tmp, serde_json::to_string_pretty(stored)?)
        .with_context(|| format!("cannot write {}", tmp.display()))?;
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        std::fs::set_permissions(&tmp, std::fs::Permissions::from_mode(0o600))?;
    }
    std::fs::rename(&tmp, &p).with_context(|| format!("cannot write {}", p.display()))?;
    Ok(())
}

/// The server and token to use now.
pub fn session() -> anyhow::Result<(String, String, Stored)> {
    let stored = load()?;
    let url = std::env::var("ROTA_URL")
        .ok()
        .filter(|u| !u.is_empty())
        .or(stored.url.clone());
    let token = std::env::var("ROTA_TOKEN")
        .ok()
        .filter(|t| !t.is_empty())
        .or(stored.token.clone());
    match (url, token) {
        (Some(u), Some(t)) => Ok((u, t, stored)),
        (None, _) => bail!(
            "no server known: run `rota login --url URL --username USER --password PASSWORD` (or set ROTA_URL)"
        ),
        (Some(_), None) => bail!("not signed in: run `rota login` (or set ROTA_TOKEN)"),
    }
}
