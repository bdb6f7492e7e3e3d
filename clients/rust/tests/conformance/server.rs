//! The real server for the conformance run: `scripts/conformance-server` (the compiled
//! `bin/mcias` on a random loopback port with a fresh database), which prints one JSON
//! line and stops when its stdin closes. `MCIAS_CONFORMANCE_SERVER` (that JSON line)
//! points the run at a server started by hand instead.

use std::io::{BufRead, BufReader};
use std::path::{Path, PathBuf};
use std::process::{Child, ChildStdin, Command, Stdio};
use std::time::{Duration, Instant};

use serde_json::Value;

pub struct Server {
    pub info: Value,
    child: Option<Child>,
    stdin: Option<ChildStdin>,
}

pub fn repo_root() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../..").canonicalize().expect("repository root")
}

impl Server {
    pub fn start() -> Result<Server, String> {
        if let Ok(line) = std::env::var("MCIAS_CONFORMANCE_SERVER") {
            let info = serde_json::from_str(&line).map_err(|e| format!("MCIAS_CONFORMANCE_SERVER: {e}"))?;
            return Ok(Server { info, child: None, stdin: None });
        }
        let root = repo_root();
        let script = root.join("scripts/conformance-server");
        let mut child = Command::new(&script)
            .current_dir(&root)
            .stdin(Stdio::piped())
            .stdout(Stdio::piped())
            .stderr(Stdio::inherit())
            .spawn()
            .map_err(|e| format!("cannot start {}: {e}", script.display()))?;
        let stdin = child.stdin.take();
        // Read the line on a thread so that a script that never prints cannot hang the run.
        let stdout = child.stdout.take().expect("piped stdout");
        let (tx, rx) = std::sync::mpsc::channel();
        std::thread::spawn(move || {
            let mut line = String::new();
            let n = BufReader::new(stdout).read_line(&mut line).unwrap_or(0);
            let _ = tx.send((n, line));
        });
        let line = match rx.recv_timeout(Duration::from_secs(120)) {
            Ok((n, line)) if n > 0 => line,
            _ => {
                let _ = child.kill();
                let _ = child.wait();
                return Err("scripts/conformance-server printed nothing within 120 s (is bin/mcias built?)".into());
            }
        };
        let info = serde_json::from_str(line.trim()).map_err(|e| format!("conformance-server output: {e}"))?;
        Ok(Server { info, child: Some(child), stdin })
    }

    pub fn get(&self, key: &str) -> Option<&str> {
        self.info.get(key).and_then(Value::as_str)
    }
}

impl Drop for Server {
    fn drop(&mut self) {
        // Closing stdin is the stop signal; SIGKILL only if it has not gone in 30 s.
        drop(self.stdin.take());
        if let Some(mut child) = self.child.take() {
            let deadline = Instant::now() + Duration::from_secs(30);
            loop {
                match child.try_wait() {
                    Ok(Some(_)) => break,
                    Ok(None) if Instant::now() < deadline => std::thread::sleep(Duration::from_millis(50)),
                    _ => {
                        let _ = child.kill();
                        let _ = child.wait();
                        break;
                    }
                }
            }
        }
    }
}
