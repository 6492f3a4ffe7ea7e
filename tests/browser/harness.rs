//! A real browser for the tests: Debian's chromium, headless, through a chromedriver of the
//! test's own on a loopback port, driven with fantoccini over plain HTTP.
//!
//! ```ignore
//! let Some(app) = spawn_app(backend).await else { return };
//! let Some(browser) = Browser::start().await else { return }; // SKIPPED outside CI
//! browser.goto(&app.url("/console/login")).await;
//! browser.fill("username", "ada").await;
//! browser.click_button("Sign in").await;
//! assert_eq!(browser.text("h1").await, "Service accounts");
//! assert_accessible(&browser, "service accounts").await;
//! browser.close().await;
//! ```
//!
//! Without chromium or chromedriver the tests skip with a loud `SKIPPED:` line outside CI and
//! fail under CI (`CI` set, not empty, not `false`), as the contract asks.

use std::io::Write;
use std::net::{Ipv4Addr, TcpListener};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use fantoccini::{Client, ClientBuilder};
use hyper_util::client::legacy::connect::HttpConnector;
use serde_json::{json, Value};

pub use crate::accessibility::{assert_accessible, axe_violations, serious_violations};

/// How long `wait_for` and the helpers built on it wait for an element by default.
pub const WAIT: Duration = Duration::from_secs(10);
/// The viewport every test browses in (screenshots have this size).
pub const WINDOW: (u32, u32) = (1280, 900);

/// True under CI: `CI` is set, not empty and not `false`.
pub fn in_ci() -> bool {
    std::env::var("CI").is_ok_and(|v| !v.is_empty() && v != "false")
}

/// A missing outside tool: fails the test under CI, else says so loudly and lets it pass.
pub fn skip_or_fail(what: &str) {
    if in_ci() {
        panic!("{what} (CI is set: the browser tests must run; see .ci/run)");
    }
    // Straight to stderr: the test harness captures eprintln!.
    let _ = writeln!(std::io::stderr(), "\nSKIPPED: {what}\n");
}

/// The first of `fixed` that exists, else the first of `names` on PATH.
fn find_program(fixed: &[&str], names: &[&str]) -> Option<PathBuf> {
    let fixed = fixed.iter().map(PathBuf::from);
    let on_path = std::env::var_os("PATH")
        .map(|p| std::env::split_paths(&p).collect::<Vec<_>>())
        .unwrap_or_default()
        .into_iter()
        .flat_map(|dir| names.iter().map(move |n| dir.join(n)));
    fixed.chain(on_path).find(|p| p.is_file())
}

/// `(chromium, chromedriver)`, or what is missing.
pub fn find_tools() -> Result<(PathBuf, PathBuf), String> {
    let chromium = find_program(&["/usr/bin/chromium"], &["chromium", "chromium-browser"]);
    let driver = find_program(&["/usr/bin/chromedriver"], &["chromedriver"]);
    match (chromium, driver) {
        (Some(c), Some(d)) => Ok((c, d)),
        (c, d) => Err(format!(
            "the browser tests need chromium and chromedriver (missing: {}); \
             apt-get install -y --no-install-recommends chromium chromium-driver",
            [
                c.is_none().then_some("chromium"),
                d.is_none().then_some("chromedriver")
            ]
            .into_iter()
            .flatten()
            .collect::<Vec<_>>()
            .join(", ")
        )),
    }
}

/// A chromedriver of one test, in a process group of its own: dropping it kills the group
/// (chromedriver and the chromium it started), so a failed test leaves nothing running.
struct Driver {
    child: Child,
    url: String,
}

impl Driver {
    async fn start(program: &Path, log: &Path, tmp: &Path) -> Result<Driver, String> {
        let mut last = String::new();
        // A free port is free when asked, not always when chromedriver binds it: try again.
        for _ in 0..3 {
            let port = TcpListener::bind((Ipv4Addr::LOCALHOST, 0))
                .and_then(|l| l.local_addr())
                .map_err(|e| e.to_string())?
                .port();
            let mut command = Command::new(program);
            command
                .arg(format!("--port={port}"))
                .arg(format!("--log-path={}", log.display()))
                .arg("--log-level=WARNING")
                // chromium's own temporary files go with the test's directory.
                .env("TMPDIR", tmp)
                .stdin(Stdio::null())
                .stdout(Stdio::null())
                .stderr(Stdio::null());
            std::os::unix::process::CommandExt::process_group(&mut command, 0);
            let child = command
                .spawn()
                .map_err(|e| format!("{}: {e}", program.display()))?;
            let mut driver = Driver {
                child,
                url: format!("http://127.0.0.1:{port}"),
            };
            match driver.ready().await {
                Ok(()) => return Ok(driver),
                Err(e) => last = e,
            }
        }
        Err(format!("chromedriver did not start: {last}"))
    }

    /// Waits until `GET /status` answers `ready`.
    async fn ready(&mut self) -> Result<(), String> {
        let http = reqwest::Client::new();
        let deadline = Instant::now() + Duration::from_secs(15);
        while Instant::now() < deadline {
            if let Ok(Some(status)) = self.child.try_wait() {
                return Err(format!("chromedriver exited: {status}"));
            }
            if let Ok(res) = http.get(format!("{}/status", self.url)).send().await {
                let body: Value = res.json().await.unwrap_or_default();
                if body["value"]["ready"] == true {
                    return Ok(());
                }
            }
            actix_web::rt::time::sleep(Duration::from_millis(50)).await;
        }
        Err("GET /status did not answer ready within 15 s".into())
    }
}

impl Drop for Driver {
    fn drop(&mut self) {
        // The whole group: chromium's processes go with their driver.
        let group = format!("-{}", self.child.id());
        let _ = Command::new("kill")
            .args(["-KILL", "--", &group])
            .stderr(Stdio::null())
            .status();
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// A headless chromium of one test. Fields drop in order: the WebDriver client, then the
/// driver (killing the browser), then the profile directory.
pub struct Browser {
    pub client: Client,
    driver: Driver,
    profile: tempfile::TempDir,
    /// What the window has around the viewport (headless chromium still counts a frame).
    frame: (u32, u32),
}

impl Browser {
    /// Starts chromedriver and a headless chromium; `None` (after a `SKIPPED:` line) when they
    /// are not installed and CI is not set.
    pub async fn start() -> Option<Browser> {
        let (chromium, driver) = match find_tools() {
            Ok(tools) => tools,
            Err(missing) => {
                skip_or_fail(&missing);
                return None;
            }
        };
        let profile = tempfile::tempdir().expect("profile dir");
        let log = profile.path().join("chromedriver.log");
        let tmp = profile.path().join("tmp");
        std::fs::create_dir_all(&tmp).expect("temporary directory");
        let driver = Driver::start(&driver, &log, &tmp)
            .await
            .expect("chromedriver");
        let args = [
            "--headless=new".to_string(),
            "--no-sandbox".into(),
            "--disable-dev-shm-usage".into(),
            "--disable-gpu".into(),
            "--disable-extensions".into(),
            "--no-first-run".into(),
            "--hide-scrollbars".into(),
            "--force-device-scale-factor=1".into(),
            "--lang=en-US".into(),
            format!("--window-size={},{}", WINDOW.0, WINDOW.1),
            format!(
                "--user-data-dir={}",
                profile.path().join("chromium").display()
            ),
        ];
        let caps = json!({
            "browserName": "chrome",
            "goog:chromeOptions": {"binary": chromium, "args": args},
        });
        let Value::Object(caps) = caps else {
            unreachable!()
        };
        let client = ClientBuilder::new(HttpConnector::new())
            .capabilities(caps)
            .connect(&driver.url)
            .await
            .unwrap_or_else(|e| {
                let log = std::fs::read_to_string(&log).unwrap_or_default();
                panic!("chromium did not start through chromedriver: {e}\n{log}")
            });
        let mut browser = Browser {
            client,
            driver,
            profile,
            frame: (0, 0),
        };
        browser.frame = browser.viewport_frame().await;
        browser.set_viewport(WINDOW.0, WINDOW.1).await;
        Some(browser)
    }

    /// The window's size minus the viewport's.
    async fn viewport_frame(&self) -> (u32, u32) {
        let sizes = self
            .client
            .execute(
                "return [window.outerWidth - window.innerWidth, \
                         window.outerHeight - window.innerHeight]",
                vec![],
            )
            .await
            .expect("window sizes");
        let side = |i: usize| u32::try_from(sizes[i].as_u64().unwrap_or(0)).unwrap_or(0);
        (side(0), side(1))
    }

    /// The chromedriver this browser is driven through (for commands fantoccini lacks).
    pub fn driver_url(&self) -> &str {
        &self.driver.url
    }

    /// Sizes the window so that the page sees a `width` x `height` viewport.
    pub async fn set_viewport(&self, width: u32, height: u32) {
        self.client
            .set_window_size(width + self.frame.0, height + self.frame.1)
            .await
            .expect("set window size");
    }

    /// Ends the session (chromium quits and cleans up), then the driver.
    pub async fn close(self) {
        let Browser {
            client,
            driver,
            profile,
            ..
        } = self;
        let _ = client.close().await;
        drop(driver);
        drop(profile);
    }
}

/// The fantoccini client, for anything the helpers in `actions.rs` do not cover (and so that
/// `assert_accessible(&browser, "page")` reads well).
impl std::ops::Deref for Browser {
    type Target = Client;

    fn deref(&self) -> &Client {
        &self.client
    }
}
