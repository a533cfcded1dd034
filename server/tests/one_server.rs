//! With SQLite, a second server on the same store refuses to start and says why; once the first
//! is gone, a new one starts.

use std::process::Command;

use support::{Server, TestStore, free_port};

mod support;

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_second_server_on_one_sqlite_file_refuses_to_start_naming_the_first() {
    let store = TestStore::sqlite();
    let mut first = Server::start(&store.url).await;
    let second = Command::new(env!("CARGO_BIN_EXE_rota-server"))
        .env("DATABASE_URL", &store.url)
        .env("LEPTOS_SITE_ADDR", format!("127.0.0.1:{}", free_port()))
        .env("RUST_LOG", "warn")
        .output()
        .expect("runs");
    assert!(!second.status.success(), "{second:?}");
    let stderr = String::from_utf8_lossy(&second.stderr);
    assert!(
        stderr.contains("another rota-server (pid ")
            && stderr.contains("SQLite allows one server per store")
            && stderr.contains("use PostgreSQL"),
        "{stderr}"
    );
    first.kill();
    let _again = Server::start(&store.url).await;
}
