//! OCI bundles and containers for `tests/oci.rs`: launch run by Debian's
//! `runc` as Docker and Kubernetes run it — PID 1 of its own PID, mount,
//! network, IPC and UTS namespaces, a read-only root file system, a tmpfs on
//! `/tmp`, Docker's default capabilities, no terminal.
//!
//! A bundle is built from `runc spec` and then adjusted. Its root file
//! system is a directory of empty mount points: a Debian-like image gets the
//! host's `/usr` and `/etc` bound read-only, with `bin`, `lib`, `lib64` and
//! `sbin` as symlinks into `usr/` (a merged-/usr system); a scratch image
//! gets only what a test binds into it. The static launch, the releases
//! built from `fixtures/`, files and writable volumes are bound in per test.
//!
//! `runc run` is started in the foreground but not waited on: it plays the
//! part of containerd's shim, a subreaper that waits for the container's
//! init and exits with its status (128+N for a signal), while the test
//! drives the container with `runc state`, `runc kill` and `runc exec`.
//! Every container is deleted when its guard is dropped, also when the test
//! panics.

use std::os::unix::fs::PermissionsExt;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::sync::OnceLock;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::{Duration, Instant};

use serde_json::{Value, json};

use crate::common::{beam_tool, build_fixture, project, require_tool, skip};

/// True when containers can be run here: root and `runc`. Otherwise the test
/// is skipped (or fails, with `LAUNCH_REQUIRE_BEAM=1`).
pub fn can_run_containers() -> bool {
    if !nix::unistd::geteuid().is_root() {
        skip("running containers with runc needs root");
        return false;
    }
    require_tool("runc", "apt-get install runc").is_some()
        && require_tool("nsenter", "apt-get install util-linux").is_some()
}

/// launch as it ships in an image: the static binary of
/// `bench/build-static.sh`, built once per test run into `target/oci`
/// (`cargo test` holds the lock of the main target directory).
pub fn static_launch() -> &'static Path {
    static BUILT: OnceLock<PathBuf> = OnceLock::new();
    BUILT.get_or_init(|| {
        let out = Command::new(project().join("bench/build-static.sh"))
            .env("CARGO_TARGET_DIR", project().join("target/oci"))
            .stderr(Stdio::inherit())
            .output()
            .expect("bench/build-static.sh runs");
        assert!(out.status.success(), "building the static launch failed");
        let path = PathBuf::from(String::from_utf8(out.stdout).unwrap().trim());
        assert!(path.is_file(), "no static launch at {}", path.display());
        path
    })
}

/// The rebar3 release of `fixtures/rebar3_app`, built once per test run, or
/// `None` when rebar3 or erl is missing.
pub fn rebar3_release() -> Option<&'static Path> {
    let rebar3 = beam_tool("rebar3")?;
    beam_tool("erl")?;
    static BUILT: OnceLock<PathBuf> = OnceLock::new();
    let root = BUILT.get_or_init(|| {
        let mut cmd = Command::new(rebar3);
        cmd.arg("release");
        build_release("rebar3_app", &mut cmd, "_build/default/rel/reporter")
    });
    Some(root)
}

/// The `mix release` of `fixtures/mix_app`, built once per test run, or
/// `None` when mix or erl is missing.
pub fn mix_release() -> Option<&'static Path> {
    let mix = beam_tool("mix")?;
    beam_tool("erl")?;
    static BUILT: OnceLock<PathBuf> = OnceLock::new();
    let root = BUILT.get_or_init(|| {
        let mut cmd = Command::new(mix);
        cmd.args(["release", "--overwrite"]).env("MIX_ENV", "prod");
        build_release("mix_app", &mut cmd, "_build/prod/rel/reporter")
    });
    Some(root)
}

/// Copies `fixture` to `target/oci/fixtures` and builds it there (not in a
/// temporary directory: the release outlives every test of the run). The
/// release is made readable by all, as an image's files are, so that a user
/// who is not root can run it.
fn build_release(fixture: &str, build: &mut Command, rel: &str) -> PathBuf {
    let src = project().join("target/oci/fixtures").join(fixture);
    let _ = std::fs::remove_dir_all(&src);
    std::fs::create_dir_all(src.parent().unwrap()).unwrap();
    build_fixture(fixture, build, &src);
    let root = src.join(rel);
    let readable = Command::new("chmod")
        .args(["-R", "a+rX"])
        .arg(&root)
        .status()
        .unwrap();
    assert!(readable.success());
    root
}

/// What a bundle's root file system holds before anything is bound in.
#[derive(Clone, Copy, Debug, PartialEq)]
pub enum Image {
    /// A merged-/usr Debian: the host's `/usr` and `/etc`, and a tmpfs on `/tmp`.
    Debian,
    /// Nothing but the mount points runc needs (`/proc`, `/dev`, `/sys`).
    Scratch,
}

/// The capabilities Docker gives a container by default.
const DOCKER_CAPABILITIES: [&str; 14] = [
    "CAP_CHOWN",
    "CAP_DAC_OVERRIDE",
    "CAP_FSETID",
    "CAP_FOWNER",
    "CAP_MKNOD",
    "CAP_NET_RAW",
    "CAP_SETGID",
    "CAP_SETUID",
    "CAP_SETFCAP",
    "CAP_SETPCAP",
    "CAP_NET_BIND_SERVICE",
    "CAP_SYS_CHROOT",
    "CAP_KILL",
    "CAP_AUDIT_WRITE",
];

/// An OCI bundle being put together: a directory with `config.json` and
/// `rootfs/`, and the host side of its files and volumes.
pub struct Bundle {
    dir: tempfile::TempDir,
    config: Value,
}

impl Bundle {
    /// A bundle from `runc spec`, adjusted as Docker runs an image with
    /// `--read-only --tmpfs /tmp`.
    pub fn new(image: Image) -> Bundle {
        let dir = tempfile::tempdir().unwrap();
        let spec = Command::new("runc")
            .args(["spec", "--bundle"])
            .arg(dir.path())
            .status()
            .unwrap();
        assert!(spec.success(), "runc spec failed");
        let config = std::fs::read(dir.path().join("config.json")).unwrap();
        let mut bundle = Bundle {
            config: serde_json::from_slice(&config).unwrap(),
            dir,
        };
        let rootfs = bundle.rootfs();
        for point in ["proc", "dev", "sys"] {
            std::fs::create_dir_all(rootfs.join(point)).unwrap();
        }
        let caps: Vec<&str> = DOCKER_CAPABILITIES.to_vec();
        let c = &mut bundle.config;
        c["root"]["readonly"] = json!(true);
        c["process"]["terminal"] = json!(false);
        c["process"]["noNewPrivileges"] = json!(false);
        c["process"]["env"] = json!([]);
        c["process"]["capabilities"] = json!({
            "bounding": caps, "effective": caps, "permitted": caps,
        });
        if image == Image::Debian {
            for (link, to) in [
                ("bin", "usr/bin"),
                ("lib", "usr/lib"),
                ("lib64", "usr/lib64"),
                ("sbin", "usr/sbin"),
            ] {
                std::os::unix::fs::symlink(to, rootfs.join(link)).unwrap();
            }
            bundle.bind(Path::new("/usr"), "/usr", false);
            bundle.bind(Path::new("/etc"), "/etc", false);
            bundle.tmp();
            bundle.env(
                "PATH",
                "/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin",
            );
        }
        bundle
    }

    fn rootfs(&self) -> PathBuf {
        self.dir.path().join("rootfs")
    }

    fn mount(&mut self, mount: Value) {
        self.config["mounts"].as_array_mut().unwrap().push(mount);
    }

    /// A tmpfs on `/tmp`, mode 1777 like its mount point.
    pub fn tmp(&mut self) -> &mut Self {
        let point = self.rootfs().join("tmp");
        std::fs::create_dir_all(&point).unwrap();
        std::fs::set_permissions(&point, std::fs::Permissions::from_mode(0o1777)).unwrap();
        self.mount(json!({
            "destination": "/tmp", "type": "tmpfs", "source": "tmpfs",
            "options": ["nosuid", "nodev", "mode=1777"],
        }));
        self
    }

    /// Binds the host's `source` (a file or a directory) at `dest`.
    pub fn bind(&mut self, source: &Path, dest: &str, writable: bool) -> &mut Self {
        let point = self.rootfs().join(dest.trim_start_matches('/'));
        if source.is_dir() {
            std::fs::create_dir_all(&point).unwrap();
        } else {
            std::fs::create_dir_all(point.parent().unwrap()).unwrap();
            std::fs::write(&point, "").unwrap();
        }
        let mode = if writable { "rw" } else { "ro" };
        self.mount(json!({
            "destination": dest, "type": "bind", "source": source,
            "options": ["rbind", mode],
        }));
        self
    }

    /// A file holding `contents`, bound read-only at `dest`.
    pub fn file(&mut self, dest: &str, contents: &str) -> &mut Self {
        let host = self
            .dir
            .path()
            .join("files")
            .join(dest.trim_start_matches('/'));
        std::fs::create_dir_all(host.parent().unwrap()).unwrap();
        std::fs::write(&host, contents).unwrap();
        self.bind(&host, dest, false)
    }

    /// A new directory on the host side of the bundle, removed with it.
    pub fn host_dir(&self, name: &str) -> PathBuf {
        let host = self.dir.path().join("host").join(name);
        std::fs::create_dir_all(&host).unwrap();
        host
    }

    /// A writable directory at `dest` that anyone may write (a volume);
    /// returns its host side.
    pub fn volume(&mut self, dest: &str) -> PathBuf {
        let host = self
            .dir
            .path()
            .join("volumes")
            .join(dest.trim_start_matches('/'));
        std::fs::create_dir_all(&host).unwrap();
        std::fs::set_permissions(&host, std::fs::Permissions::from_mode(0o777)).unwrap();
        self.bind(&host, dest, true);
        host
    }

    /// The process: its arguments.
    pub fn args<S: AsRef<str>>(&mut self, args: &[S]) -> &mut Self {
        let args: Vec<&str> = args.iter().map(AsRef::as_ref).collect();
        self.config["process"]["args"] = json!(args);
        self
    }

    /// Sets a variable of the process's environment.
    pub fn env(&mut self, name: &str, value: &str) -> &mut Self {
        self.unset(name);
        let env = self.config["process"]["env"].as_array_mut().unwrap();
        env.push(json!(format!("{name}={value}")));
        self
    }

    /// Removes a variable from the process's environment.
    pub fn unset(&mut self, name: &str) -> &mut Self {
        let env = self.config["process"]["env"].as_array_mut().unwrap();
        let prefix = format!("{name}=");
        env.retain(|v| !v.as_str().unwrap().starts_with(&prefix));
        self
    }

    /// Runs the process as `uid`:`gid`, without capabilities, as Docker
    /// runs an image's `USER` that is not root.
    pub fn user(&mut self, uid: u32, gid: u32) -> &mut Self {
        let process = &mut self.config["process"];
        process["user"] = json!({"uid": uid, "gid": gid});
        process["capabilities"]["effective"] = json!([]);
        process["capabilities"]["permitted"] = json!([]);
        self
    }

    /// A seccomp filter that lets every system call through but `calls`,
    /// which fail with `errno`, as an older Docker's profile failed the
    /// calls it did not know.
    pub fn seccomp_errno(&mut self, calls: &[&str], errno: u32) -> &mut Self {
        self.config["linux"]["seccomp"] = json!({
            "defaultAction": "SCMP_ACT_ALLOW",
            "architectures": ["SCMP_ARCH_X86_64", "SCMP_ARCH_AARCH64"],
            "syscalls": [{"names": calls, "action": "SCMP_ACT_ERRNO", "errnoRet": errno}],
        });
        self
    }

    /// Starts the container: `runc run` in the background, its output (the
    /// container's) in files.
    pub fn run(self, name: &str) -> Container {
        static COUNT: AtomicUsize = AtomicUsize::new(0);
        let id = format!(
            "launch-test-{}-{}-{name}",
            std::process::id(),
            COUNT.fetch_add(1, Ordering::Relaxed)
        );
        let dir = self.dir.path();
        std::fs::write(
            dir.join("config.json"),
            serde_json::to_vec_pretty(&self.config).unwrap(),
        )
        .unwrap();
        let stdout = std::fs::File::create(dir.join("stdout")).unwrap();
        let stderr = std::fs::File::create(dir.join("stderr")).unwrap();
        let runc = Command::new("runc")
            .args(["run", "--bundle"])
            .arg(dir)
            .arg(&id)
            .stdin(Stdio::null())
            .stdout(stdout)
            .stderr(stderr)
            .spawn()
            .unwrap();
        Container {
            id,
            runc,
            pid: None,
            status: None,
            bundle: self,
        }
    }
}

/// A process of a container, seen from the host.
#[derive(Debug, Clone, PartialEq)]
pub struct Process {
    /// Its PID on the host.
    pub pid: i32,
    /// Its command name.
    pub comm: String,
    /// Its state letter: `R`, `S`, `Z`...
    pub state: char,
}

/// A running container; deleted (`runc delete -f`) when dropped.
pub struct Container {
    id: String,
    runc: Child,
    pid: Option<i32>,
    status: Option<i32>,
    bundle: Bundle,
}

impl Container {
    /// What the container wrote to stdout and stderr, for messages.
    pub fn output(&self) -> String {
        let read = |name| std::fs::read_to_string(self.bundle.dir.path().join(name));
        format!(
            "--- stdout\n{}--- stderr\n{}",
            read("stdout").unwrap_or_default(),
            read("stderr").unwrap_or_default()
        )
    }

    /// What the container (launch, and runc about it) wrote to stderr.
    pub fn stderr(&self) -> String {
        std::fs::read_to_string(self.bundle.dir.path().join("stderr")).unwrap_or_default()
    }

    /// The host PID of the container's init, once runc has started it.
    pub fn pid(&mut self) -> i32 {
        if let Some(pid) = self.pid {
            return pid;
        }
        let deadline = Instant::now() + Duration::from_secs(30);
        loop {
            let out = Command::new("runc")
                .args(["state", &self.id])
                .stderr(Stdio::null())
                .output()
                .unwrap();
            if out.status.success() {
                let state: Value = serde_json::from_slice(&out.stdout).unwrap();
                let pid = state["pid"].as_i64().unwrap_or(0);
                if state["status"] == "running" && pid > 0 {
                    self.pid = Some(pid as i32);
                    return pid as i32;
                }
            }
            assert!(
                self.runc.try_wait().unwrap().is_none(),
                "the container {} ended before it was seen running:\n{}",
                self.id,
                self.output()
            );
            assert!(
                Instant::now() < deadline,
                "the container {} did not start:\n{}",
                self.id,
                self.output()
            );
            std::thread::sleep(Duration::from_millis(20));
        }
    }

    /// `runc kill ID SIGNAL`.
    pub fn kill(&self, signal: &str) {
        let status = Command::new("runc")
            .args(["kill", &self.id, signal])
            .status()
            .unwrap();
        assert!(status.success(), "runc kill {} {signal}", self.id);
    }

    /// Waits for the container to exit, at most `limit`, and returns its
    /// exit status as runc reports it (128+N when signal N ended its init).
    pub fn wait(&mut self, limit: Duration) -> i32 {
        let deadline = Instant::now() + limit;
        loop {
            if let Some(status) = self.try_wait() {
                return status;
            }
            assert!(
                Instant::now() < deadline,
                "the container {} did not exit within {limit:?}:\n{}",
                self.id,
                self.output()
            );
            std::thread::sleep(Duration::from_millis(5));
        }
    }

    /// The exit status when the container has exited.
    pub fn try_wait(&mut self) -> Option<i32> {
        if self.status.is_none() {
            let status = self.runc.try_wait().unwrap()?;
            self.status = Some(status.code().expect("runc exits normally"));
        }
        self.status
    }

    /// `runc exec ID ARGS...` with extra variables, in the foreground: its
    /// status is the exec'd process's.
    pub fn exec(&self, env: &[(&str, &str)], args: &[&str]) -> Command {
        let mut cmd = Command::new("runc");
        cmd.args(["exec"]);
        for (name, value) in env {
            cmd.arg("--env").arg(format!("{name}={value}"));
        }
        cmd.arg(&self.id).args(args).stdin(Stdio::null());
        cmd
    }

    /// Connects to the container's `127.0.0.1:port` from the host, entering
    /// only the container's network namespace, and returns what it said, or
    /// `None` when nothing listens.
    pub fn ask(&mut self, port: u16) -> Option<String> {
        let net = format!("--net=/proc/{}/ns/net", self.pid());
        let out = Command::new("nsenter")
            .arg(net)
            .args(["timeout", "10", "bash", "-c"])
            .arg("exec 3<>/dev/tcp/127.0.0.1/$0 && cat <&3")
            .arg(port.to_string())
            .stderr(Stdio::null())
            .output()
            .unwrap();
        out.status
            .success()
            .then(|| String::from_utf8_lossy(&out.stdout).into_owned())
    }

    /// Every process in the container's PID namespace, zombies included.
    pub fn processes(&mut self) -> Vec<Process> {
        let ns = std::fs::read_link(format!("/proc/{}/ns/pid", self.pid())).unwrap();
        let mut found = Vec::new();
        for entry in std::fs::read_dir("/proc").unwrap() {
            let name = entry.unwrap().file_name();
            let Ok(pid) = name.to_string_lossy().parse::<i32>() else {
                continue;
            };
            if std::fs::read_link(format!("/proc/{pid}/ns/pid")).ok() != Some(ns.clone()) {
                continue;
            }
            let Ok(stat) = std::fs::read_to_string(format!("/proc/{pid}/stat")) else {
                continue;
            };
            // `PID (COMM) STATE ...`, where COMM may hold anything.
            let (Some(open), Some(close)) = (stat.find('('), stat.rfind(')')) else {
                continue;
            };
            found.push(Process {
                pid,
                comm: stat[open + 1..close].to_owned(),
                state: stat[close + 2..].chars().next().unwrap_or('?'),
            });
        }
        found
    }

    /// The container's root file system, seen from the host.
    pub fn root(&mut self) -> PathBuf {
        PathBuf::from(format!("/proc/{}/root", self.pid()))
    }
}

impl Drop for Container {
    fn drop(&mut self) {
        let _ = Command::new("runc")
            .args(["delete", "-f", &self.id])
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .status();
        let deadline = Instant::now() + Duration::from_secs(10);
        while self.runc.try_wait().ok().flatten().is_none() && Instant::now() < deadline {
            std::thread::sleep(Duration::from_millis(10));
        }
        let _ = self.runc.kill();
        let _ = self.runc.wait();
    }
}

/// Waits until `check` holds, at most `limit` (a hang fails the test).
pub fn eventually(limit: Duration, what: &str, mut check: impl FnMut() -> bool) {
    let deadline = Instant::now() + limit;
    while !check() {
        assert!(Instant::now() < deadline, "timed out waiting for {what}");
        std::thread::sleep(Duration::from_millis(20));
    }
}
