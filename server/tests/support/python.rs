//! Python tools the tests run against a real server (Run:ai's client, the OpenAPI fuzzer), each
//! in its own throwaway virtualenv under target/, kept between runs and made again when missing
//! or broken.

use std::path::{Path, PathBuf};
use std::process::Command;

/// The python of a virtualenv `target/NAME` that can `import MODULE`, installing `REQUIREMENT`
/// with pip first if it cannot.
pub fn venv(name: &str, requirement: &str, module: &str) -> PathBuf {
    let target = PathBuf::from(env!("CARGO_BIN_EXE_rota-server"))
        .parent()
        .and_then(Path::parent)
        .map(Path::to_path_buf)
        .expect("target dir");
    let venv = target.join(name);
    let python = venv.join("bin/python");
    let ready = |python: &Path| {
        Command::new(python)
            .args(["-c", &format!("import {module}")])
            .output()
            .is_ok_and(|o| o.status.success())
    };
    if !ready(&python) {
        let _ = std::fs::remove_dir_all(&venv);
        let made = Command::new("python3")
            .args(["-m", "venv"])
            .arg(&venv)
            .status()
            .expect("python3 runs");
        assert!(made.success(), "python3 -m venv {} failed", venv.display());
        let pip = Command::new(&python)
            .args([
                "-m",
                "pip",
                "install",
                "--quiet",
                "--disable-pip-version-check",
                requirement,
            ])
            .status()
            .expect("pip runs");
        assert!(pip.success(), "pip install {requirement} failed");
        assert!(
            ready(&python),
            "{requirement} installed, but {module} does not import"
        );
    }
    python
}
