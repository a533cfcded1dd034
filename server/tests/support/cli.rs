//! The `rota` command line, as a test runs it.

use std::process::Command;
use std::time::{Duration, Instant};

use super::{ADMIN_PASSWORD, rota_bin};

/// The `rota` CLI with a config file of its own, signed in to one server.
pub struct Cli {
    config: std::path::PathBuf,
}

impl Cli {
    /// Signs in to the server at `base`.
    pub fn new(base: &str) -> Cli {
        let config =
            std::env::temp_dir().join(format!("rota-cli-{}.json", uuid::Uuid::new_v4().simple()));
        let cli = Cli { config };
        cli.login(base);
        cli
    }

    /// Signs in (again) to the server at `base`.
    pub fn login(&self, base: &str) {
        self.ok(&[
            "login",
            "--url",
            base,
            "--username",
            "admin",
            "--password",
            ADMIN_PASSWORD,
        ]);
    }

    /// Runs `rota ARGS`.
    pub fn run(&self, args: &[&str]) -> std::process::Output {
        Command::new(rota_bin())
            .args(args)
            .env("ROTA_CONFIG", &self.config)
            .env_remove("ROTA_URL")
            .env_remove("ROTA_TOKEN")
            .output()
            .expect("rota runs")
    }

    /// Runs `rota ARGS`, which must succeed; answers its standard output.
    pub fn ok(&self, args: &[&str]) -> String {
        let out = self.run(args);
        assert!(
            out.status.success(),
            "rota {args:?} failed: {}",
            String::from_utf8_lossy(&out.stderr)
        );
        String::from_utf8_lossy(&out.stdout).into_owned()
    }

    /// Polls `list_args` until its output equals `want` (the scheduler works in the background).
    pub fn until(&self, list_args: &[&str], want: &str) {
        let deadline = Instant::now() + Duration::from_secs(15);
        loop {
            let got = self.ok(list_args);
            if got == want {
                return;
            }
            assert!(
                Instant::now() < deadline,
                "rota {list_args:?} never showed\n{want}\nlast:\n{got}"
            );
            std::thread::sleep(Duration::from_millis(100));
        }
    }
}

impl Drop for Cli {
    fn drop(&mut self) {
        let _ = std::fs::remove_file(&self.config);
    }
}
