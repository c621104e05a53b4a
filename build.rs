//! Build script: tells `launch --version` which target it was built for and
//! from which commit, so a binary found in an image can be traced back.

use std::process::Command;

fn main() {
    let target = std::env::var("TARGET").unwrap_or_default();
    println!("cargo:rustc-env=LAUNCH_TARGET={target}");
    println!("cargo:rustc-env=LAUNCH_COMMIT={}", commit());
    println!("cargo:rerun-if-changed=.git/HEAD");
    println!("cargo:rerun-if-changed=.git/refs");
    println!("cargo:rerun-if-changed=.cargo_vcs_info.json");
}

/// The commit: from git in a checkout, else from the file `cargo package`
/// writes into a packaged crate, else `unknown`.
fn commit() -> String {
    let from_git = Command::new("git")
        .args(["rev-parse", "--short=12", "HEAD"])
        .output()
        .ok()
        .filter(|out| out.status.success())
        .and_then(|out| String::from_utf8(out.stdout).ok())
        .map(|s| s.trim().to_owned())
        .filter(|s| !s.is_empty());
    if let Some(commit) = from_git {
        return commit;
    }
    let info = std::fs::read_to_string(".cargo_vcs_info.json").unwrap_or_default();
    info.split("\"sha1\"")
        .nth(1)
        .and_then(|rest| rest.split('"').nth(1))
        .map(|sha| sha.chars().take(12).collect())
        .unwrap_or_else(|| "unknown".to_owned())
}
