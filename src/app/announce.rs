//! The first admin's credentials, shown once. In the text log they go to standard error as a
//! banner; with `log_format = "json"` standard error is a log stream that a shipper stores, so
//! the secret goes to a file of its own (0600, beside the master key file) and the log line
//! names the file, never the secret.

use std::io::Write;
use std::path::{Path, PathBuf};

use super::startup::{announce_bootstrap, Bootstrapped};
use crate::config::LogFormat;

/// Where the credentials go in JSON mode.
pub fn credentials_file(master_key_file: &str) -> PathBuf {
    Path::new(master_key_file)
        .parent()
        .unwrap_or(Path::new("."))
        .join("bootstrap-credentials.json")
}

/// Shows the credentials once, as the log format allows.
pub fn announce(b: &Bootstrapped, format: LogFormat, master_key_file: &str) {
    if format == LogFormat::Text {
        return announce_bootstrap(b);
    }
    let path = credentials_file(master_key_file);
    let body = serde_json::json!({"client_id": b.client_id, "client_secret": b.client_secret});
    match write_private(&path, &body.to_string()) {
        Ok(()) => log::warn!(
            client_id = b.client_id.as_str(), file = path.display().to_string().as_str();
            "Castellan created an admin service account; its secret is in the file named here \
             (read it, store it safely, delete the file)"
        ),
        Err(e) => log::error!(
            client_id = b.client_id.as_str();
            "Castellan created an admin service account but could not write its secret to {}: \
             {e}; rotate its secret through the admin API or start with CASTELLAN_BOOTSTRAP_*",
            path.display()
        ),
    }
}

fn write_private(path: &Path, text: &str) -> std::io::Result<()> {
    let mut options = std::fs::OpenOptions::new();
    options.write(true).create_new(true);
    #[cfg(unix)]
    std::os::unix::fs::OpenOptionsExt::mode(&mut options, 0o600);
    let mut file = options.open(path)?;
    file.write_all(text.as_bytes())?;
    file.write_all(b"\n")
}
