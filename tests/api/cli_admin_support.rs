//! Running `castellan admin …`, the built binary, against a test server: with the test admin's
//! credentials in the environment (nothing else), in an empty working directory. Every run
//! checks that the admin's secret appears nowhere in what the command printed.

use std::io::Write;
use std::path::Path;
use std::process::{Command, Stdio};

use serde_json::Value;

use crate::helpers::{TestApp, ADMIN_ID, ADMIN_SECRET};

pub const BIN: &str = env!("CARGO_BIN_EXE_castellan");

/// What one run printed, and how it ended.
#[derive(Debug)]
pub struct Run {
    pub code: i32,
    pub stdout: String,
    pub stderr: String,
}

impl Run {
    /// Asserts success; returns the run.
    pub fn ok(self) -> Run {
        assert_eq!(
            self.code, 0,
            "exit {}: {}{}",
            self.code, self.stdout, self.stderr
        );
        self
    }

    /// Asserts this exit code; returns the run.
    pub fn exits(self, code: i32) -> Run {
        assert_eq!(
            self.code, code,
            "stdout: {}\nstderr: {}",
            self.stdout, self.stderr
        );
        self
    }

    /// Standard output as JSON.
    pub fn json(&self) -> Value {
        serde_json::from_str(&self.stdout)
            .unwrap_or_else(|e| panic!("not JSON ({e}): {:?}", self.stdout))
    }

    /// Both outputs.
    pub fn all(&self) -> String {
        format!("{}{}", self.stdout, self.stderr)
    }
}

/// Runs the binary with exactly `env`, in `cwd`, with `stdin` as standard input.
pub async fn run(cwd: &Path, env: &[(&str, &str)], args: &[&str], stdin: Option<&str>) -> Run {
    let cwd = cwd.to_path_buf();
    let env: Vec<(String, String)> = env
        .iter()
        .map(|(k, v)| (k.to_string(), v.to_string()))
        .collect();
    let args: Vec<String> = args.iter().map(|a| a.to_string()).collect();
    let stdin = stdin.map(str::to_string);
    // Off the test's runtime thread: the server's background jobs run there.
    let out = actix_web::rt::task::spawn_blocking(move || {
        let mut child = Command::new(BIN)
            .arg("admin")
            .args(&args)
            .current_dir(&cwd)
            .env_clear()
            .envs(env)
            .stdin(Stdio::piped())
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .spawn()
            .unwrap();
        let mut pipe = child.stdin.take().unwrap();
        if let Some(text) = stdin {
            pipe.write_all(text.as_bytes()).unwrap();
        }
        drop(pipe);
        child.wait_with_output().unwrap()
    })
    .await
    .unwrap();
    let run = Run {
        code: out.status.code().unwrap_or(-1),
        stdout: String::from_utf8_lossy(&out.stdout).into_owned(),
        stderr: String::from_utf8_lossy(&out.stderr).into_owned(),
    };
    assert!(
        !run.all().contains(ADMIN_SECRET),
        "the admin's secret was printed: {run:?}"
    );
    run
}

impl TestApp {
    /// The environment a script would set: the server and the admin's credentials.
    pub fn cli_env(&self) -> Vec<(&'static str, String)> {
        vec![
            ("CASTELLAN_SERVER", self.address.clone()),
            ("CASTELLAN_CLIENT_ID", ADMIN_ID.to_string()),
            ("CASTELLAN_CLIENT_SECRET", ADMIN_SECRET.to_string()),
        ]
    }

    /// `castellan admin ARGS` as the test admin.
    pub async fn cli(&self, args: &[&str]) -> Run {
        let env = self.cli_env();
        let env: Vec<(&str, &str)> = env.iter().map(|(k, v)| (*k, v.as_str())).collect();
        run(&self.cli_dir(), &env, args, None).await
    }

    /// `castellan admin -o json ARGS` as the test admin; asserts success; the parsed output.
    pub async fn cli_json(&self, args: &[&str]) -> Value {
        let mut all = vec!["-o", "json"];
        all.extend_from_slice(args);
        self.cli(&all).await.ok().json()
    }

    /// An empty working directory for the command.
    pub fn cli_dir(&self) -> std::path::PathBuf {
        let dir = self.dir.path().join("cwd");
        std::fs::create_dir_all(&dir).unwrap();
        dir
    }
}
