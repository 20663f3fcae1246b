//! Running the `accrual` binary as a user would, for the command-line
//! tests (`tests/cli.rs`, `tests/cli_input.rs`), which include this file
//! with `#[path]`.

#![allow(dead_code)] // Each test file uses only some of the helpers.

use std::io::Write;
use std::process::{Command, Output, Stdio};

/// Runs `accrual` with `args`, `stdin` on its standard input.
pub fn accrual(args: &[&str], stdin: &str) -> Output {
    accrual_bytes(args, stdin.as_bytes())
}

/// Output bytes as text.
pub fn text(bytes: &[u8]) -> String {
    String::from_utf8_lossy(bytes).into_owned()
}

/// Writes `contents` to a file `name` in a directory of this test process.
pub fn write_temp(name: &str, contents: &str) -> std::path::PathBuf {
    let dir = std::env::temp_dir().join(format!("accrual-cli-{}", std::process::id()));
    std::fs::create_dir_all(&dir).expect("temp dir");
    let path = dir.join(name);
    std::fs::write(&path, contents).expect("temp file");
    path
}

/// [`accrual`] with input that need not be text.
pub fn accrual_bytes(args: &[&str], stdin: &[u8]) -> Output {
    let mut child = Command::new(env!("CARGO_BIN_EXE_accrual"))
        .args(args)
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("the binary runs");
    let written = child.stdin.take().expect("stdin is piped").write_all(stdin);
    // A binary that refuses its arguments exits without reading its input,
    // and the write may then find the pipe closed: that is its answer, not
    // a failure of the runner.
    if let Err(e) = written {
        assert_eq!(
            e.kind(),
            std::io::ErrorKind::BrokenPipe,
            "stdin accepts the input"
        );
    }
    child.wait_with_output().expect("the binary finishes")
}
