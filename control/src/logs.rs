//! Pods' output, kept as files under `<data>/logs/<workload-uuid>/pod-<index>-<attempt>.log`:
//! every executor that runs something writes there (the local one directly, Slurm through
//! `--output` on a file system its nodes share). Logs outlive their workload until it is deleted.

use std::io::{Read, Seek, SeekFrom};
use std::path::{Path, PathBuf};

/// Where logs are kept.
#[derive(Debug, Clone)]
pub struct Logs {
    dir: PathBuf,
}

/// How much of the end of a log one read goes back, at most.
const TAIL_WINDOW: u64 = 4 << 20;

impl Logs {
    /// Logs under `data_dir/logs`.
    pub fn new(data_dir: &Path) -> Self {
        Logs {
            dir: data_dir.join("logs"),
        }
    }

    /// The log of one attempt of one pod.
    pub fn path(&self, workload_uuid: &str, pod: u32, attempt: u32) -> PathBuf {
        self.dir
            .join(workload_uuid)
            .join(format!("pod-{pod}-{attempt}.log"))
    }

    /// The log of the latest attempt of a pod, if it ever wrote one.
    pub fn latest(&self, workload_uuid: &str, pod: u32) -> Option<PathBuf> {
        let prefix = format!("pod-{pod}-");
        std::fs::read_dir(self.dir.join(workload_uuid))
            .ok()?
            .flatten()
            .filter_map(|e| {
                let name = e.file_name().into_string().ok()?;
                let attempt: u32 = name
                    .strip_prefix(&prefix)?
                    .strip_suffix(".log")?
                    .parse()
                    .ok()?;
                Some((attempt, e.path()))
            })
            .max_by_key(|(a, _)| *a)
            .map(|(_, p)| p)
    }

    /// Removes a workload's logs (when the workload is deleted).
    pub fn remove(&self, workload_uuid: &str) {
        let dir = self.dir.join(workload_uuid);
        if let Err(e) = std::fs::remove_dir_all(&dir)
            && e.kind() != std::io::ErrorKind::NotFound
        {
            tracing::warn!(dir = %dir.display(), error = %e, "cannot remove a deleted workload's logs");
        }
    }
}

/// The last `lines` lines of a file (all of it when `lines` is None), and the offset its end
/// was at, to follow it from there.
pub fn tail(path: &Path, lines: Option<usize>) -> std::io::Result<(String, u64)> {
    let mut f = std::fs::File::open(path)?;
    let len = f.metadata()?.len();
    let from = match lines {
        Some(_) => len.saturating_sub(TAIL_WINDOW),
        None => 0,
    };
    f.seek(SeekFrom::Start(from))?;
    let mut bytes = Vec::new();
    f.take(len - from).read_to_end(&mut bytes)?;
    let text = String::from_utf8_lossy(&bytes).into_owned();
    let text = match lines {
        Some(n) => last_lines(&text, n),
        None => text,
    };
    Ok((text, len))
}

/// What was appended to a file since `offset`, and the new end.
pub fn since(path: &Path, offset: u64) -> std::io::Result<(String, u64)> {
    let mut f = std::fs::File::open(path)?;
    let len = f.metadata()?.len();
    // A log that shrank was replaced: read it from its start.
    let from = if len < offset { 0 } else { offset };
    f.seek(SeekFrom::Start(from))?;
    let mut bytes = Vec::new();
    f.take(len - from).read_to_end(&mut bytes)?;
    Ok((String::from_utf8_lossy(&bytes).into_owned(), len))
}

/// The last `n` lines of `text` (a last line without its newline counts).
pub fn last_lines(text: &str, n: usize) -> String {
    if n == 0 {
        return String::new();
    }
    let trimmed = text.strip_suffix('\n').unwrap_or(text);
    let start = trimmed
        .rmatch_indices('\n')
        .nth(n - 1)
        .map_or(0, |(i, _)| i + 1);
    text[start..].to_owned()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_last_lines_are_cut_at_line_ends() {
        assert_eq!(last_lines("a\nb\nc\n", 2), "b\nc\n");
        assert_eq!(last_lines("a\nb\nc", 2), "b\nc");
        assert_eq!(last_lines("a\nb\n", 5), "a\nb\n");
        assert_eq!(last_lines("a\n", 0), "");
    }

    #[test]
    fn the_latest_attempt_is_found_and_followed() {
        let dir = std::env::temp_dir().join(format!("rota_logs_{}", uuid::Uuid::new_v4().simple()));
        let logs = Logs::new(&dir);
        for attempt in [0, 2, 1] {
            let p = logs.path("w", 0, attempt);
            std::fs::create_dir_all(p.parent().expect("parent")).expect("dir");
            std::fs::write(&p, format!("attempt {attempt}\n")).expect("write");
        }
        let latest = logs.latest("w", 0).expect("a log");
        assert!(latest.ends_with("pod-0-2.log"));
        assert_eq!(logs.latest("w", 1), None);
        let (text, end) = tail(&latest, Some(10)).expect("tail");
        assert_eq!(text, "attempt 2\n");
        std::fs::write(&latest, "attempt 2\nmore\n").expect("append");
        assert_eq!(since(&latest, end).expect("since").0, "more\n");
        logs.remove("w");
        assert_eq!(logs.latest("w", 0), None);
        let _ = std::fs::remove_dir_all(&dir);
    }
}
