//! `--wait`: before the release starts, wait until a TCP or unix socket
//! accepts connections, or a file exists (a database in docker compose, a
//! secret mounted late).

use std::net::{TcpStream, ToSocketAddrs};
use std::os::unix::net::UnixStream;
use std::path::PathBuf;
use std::time::{Duration, Instant};

/// Something to wait for.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Target {
    /// `tcp://HOST:PORT` accepts a connection.
    Tcp(String),
    /// `unix:///PATH` accepts a connection.
    Unix(PathBuf),
    /// `file:///PATH` exists.
    File(PathBuf),
}

impl Target {
    /// Parses `tcp://HOST:PORT`, `unix:///PATH` or `file:///PATH`.
    pub fn parse(url: &str) -> Result<Target, String> {
        if let Some(addr) = url.strip_prefix("tcp://") {
            let port_ok = addr
                .rsplit_once(':')
                .is_some_and(|(host, port)| !host.is_empty() && port.parse::<u16>().is_ok());
            if !port_ok {
                return Err(format!("`{url}`: expected tcp://HOST:PORT"));
            }
            return Ok(Target::Tcp(addr.to_owned()));
        }
        if let Some(path) = url.strip_prefix("unix://") {
            return absolute(url, path).map(Target::Unix);
        }
        if let Some(path) = url.strip_prefix("file://") {
            return absolute(url, path).map(Target::File);
        }
        Err(format!(
            "`{url}`: expected tcp://HOST:PORT, unix:///PATH or file:///PATH"
        ))
    }

    /// True when the target is there now.
    fn ready(&self) -> bool {
        match self {
            Target::Tcp(addr) => addr.to_socket_addrs().is_ok_and(|mut addrs| {
                addrs.any(|a| TcpStream::connect_timeout(&a, Duration::from_millis(500)).is_ok())
            }),
            Target::Unix(path) => UnixStream::connect(path).is_ok(),
            Target::File(path) => path.exists(),
        }
    }
}

impl std::fmt::Display for Target {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Target::Tcp(addr) => write!(f, "tcp://{addr}"),
            Target::Unix(path) => write!(f, "unix://{}", path.display()),
            Target::File(path) => write!(f, "file://{}", path.display()),
        }
    }
}

fn absolute(url: &str, path: &str) -> Result<PathBuf, String> {
    if path.starts_with('/') {
        Ok(PathBuf::from(path))
    } else {
        Err(format!(
            "`{url}`: the path must be absolute (three slashes)"
        ))
    }
}

/// How long to pause between tries.
const RETRY: Duration = Duration::from_millis(100);

/// Waits until every target is ready, calling `interrupted` with a pause
/// between tries (it returns true on a stop signal). Returns the target
/// still missing at the deadline; a timeout too long to have a deadline
/// never runs out.
pub fn wait_all(
    targets: &[Target],
    timeout: Duration,
    interrupted: &mut dyn FnMut(Duration) -> bool,
) -> Result<(), WaitError> {
    let deadline = Instant::now().checked_add(timeout);
    for target in targets {
        loop {
            if target.ready() {
                break;
            }
            let now = Instant::now();
            if deadline.is_some_and(|at| now >= at) {
                return Err(WaitError::TimedOut(target.clone()));
            }
            // Try again soon; wake at once for a signal.
            let pause = deadline.map_or(RETRY, |at| (at - now).min(RETRY));
            if interrupted(pause) {
                return Err(WaitError::Interrupted);
            }
        }
    }
    Ok(())
}

/// Why waiting ended without every target ready.
#[derive(Debug)]
pub enum WaitError {
    /// This target was still missing at the deadline.
    TimedOut(Target),
    /// A stop signal arrived.
    Interrupted,
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn urls_of_each_kind() {
        assert_eq!(
            Target::parse("tcp://db:5432"),
            Ok(Target::Tcp("db:5432".into()))
        );
        assert_eq!(
            Target::parse("tcp://[::1]:80"),
            Ok(Target::Tcp("[::1]:80".into()))
        );
        assert_eq!(
            Target::parse("unix:///run/x.sock"),
            Ok(Target::Unix("/run/x.sock".into()))
        );
        assert_eq!(
            Target::parse("file:///tmp/ready"),
            Ok(Target::File("/tmp/ready".into()))
        );
        assert!(Target::parse("tcp://db").is_err());
        assert!(Target::parse("file://relative").is_err());
        assert!(Target::parse("http://x").is_err());
    }
}
