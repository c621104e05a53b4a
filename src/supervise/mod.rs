//! Running COMMAND as a container's init would. The functions below follow a
//! container's life in order: take the signals, become the reaper, wait for
//! what the release needs, spawn it, forward signals and reap until it exits
//! (a stop signal going through the stop sequence: delay, hook, signal,
//! grace period), stop what is left of the container, and pass its status
//! on.
//!
//! Signals are blocked from the moment launch starts and read from a
//! signalfd, so none is lost, not even one that arrives while the templates
//! are rendered: a stop signal then ends launch before the child is started,
//! and any other is forwarded once the child exists.
//!
//! `signals.rs` names signals and reads durations and `--rewrite`;
//! `hook.rs` reads `--pre-stop`; `wait.rs` checks the `--wait` targets;
//! `others.rs` finds and signals the container's other processes;
//! `sys.rs` holds every `unsafe` block (sending signals by number or through
//! a pidfd, reaping, what the child does between fork and exec).

pub mod hook;
mod others;
pub mod signals;
mod sys;
pub mod wait;

use std::convert::Infallible;
use std::ffi::OsString;
use std::io;
use std::os::fd::AsFd;
use std::os::unix::process::CommandExt;
use std::path::PathBuf;
use std::process::{Command, ExitCode};
use std::time::{Duration, Instant};

use nix::errno::Errno;
use nix::poll::{PollFd, PollFlags, PollTimeout, poll};
use nix::sys::signal::{SigAction, SigSet, SigmaskHow, Signal, sigprocmask};
use nix::sys::signalfd::{SfdFlags, SignalFd};
use nix::unistd::{Gid, Pid, Uid};

use crate::diag::say;
use crate::release::EnvChange;
use others::Others;
use signals::name;
use sys::Ended;
use wait::{Target, WaitError};

/// COMMAND was found but cannot be run.
pub const NOT_EXECUTABLE: u8 = 126;
/// COMMAND was not found.
pub const NOT_FOUND: u8 = 127;
/// `--wait` timed out.
pub const WAIT_TIMED_OUT: u8 = 69;
/// How long the other processes get after the child exited, when no grace
/// period is set.
const DEFAULT_LEFTOVER_GRACE: Duration = Duration::from_secs(5);
/// How long the pre-stop hook may run when no grace period is set:
/// Kubernetes' default grace period.
const DEFAULT_HOOK_BOUND: Duration = Duration::from_secs(30);
/// How often launch looks whether the other processes are gone, at first;
/// it looks less often the longer they take, up to [`LEFTOVER_POLL_MAX`].
const LEFTOVER_POLL: Duration = Duration::from_millis(10);
const LEFTOVER_POLL_MAX: Duration = Duration::from_millis(250);
/// How long launch reaps what SIGKILL ended before it exits.
const AFTER_KILL: Duration = Duration::from_secs(1);

/// How the child is supervised.
#[derive(Debug, Clone, Default)]
pub struct Options {
    /// Forward signals to the child's whole process group.
    pub group: bool,
    /// Signals forwarded as others, or dropped.
    pub rewrites: signals::Rewrites,
    /// After a stop signal was forwarded, SIGKILL the group this much later.
    pub grace_period: Option<Duration>,
    /// On a stop signal, wait this long before anything else.
    pub stop_delay: Option<Duration>,
    /// On a stop signal, after the delay, run this as the child's user and
    /// wait for it.
    pub pre_stop: Option<hook::PreStop>,
    /// Wait for these before starting.
    pub wait: Vec<Target>,
    /// Give up waiting after this long.
    pub wait_timeout: Duration,
    /// Run the child (and the pre-stop hook) as this user.
    pub user: Option<User>,
    /// How much to say.
    pub log: crate::diag::Log,
}

/// Whom `--user` names: what the child (and the pre-stop hook) runs as.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct User {
    /// The user id.
    pub uid: Uid,
    /// The primary group.
    pub gid: Gid,
    /// Every group the child is in: for `USER` in passwd, as initgroups
    /// gives them (the primary group and every group that lists the user);
    /// otherwise, and for `USER:GROUP`, the primary group alone.
    pub groups: Vec<Gid>,
    /// The user's home directory from passwd, for the child's HOME; `None`
    /// for an id passwd does not have.
    pub home: Option<PathBuf>,
    /// Whether the child switches to these ids; false when launch is not
    /// root and already runs as them, as it then must.
    pub switch: bool,
}

impl User {
    /// The user and group, to whom the rendered files are given.
    pub fn ids(&self) -> (Uid, Gid) {
        (self.uid, self.gid)
    }
}

/// Reads `--user USER[:GROUP]`, by name or number; the group defaults to
/// the user's own. Groups and home are as `docker run -u`, gosu and runc
/// give them: `USER` in passwd keeps its supplementary groups, `USER:GROUP`
/// gets GROUP alone, and HOME comes from passwd either way.
pub fn parse_user(spec: &str) -> Result<User, String> {
    let (user, group) = match spec.split_once(':') {
        Some((u, g)) => (u, Some(g)),
        None => (spec, None),
    };
    let found = match user.parse::<u32>() {
        Ok(n) => nix::unistd::User::from_uid(Uid::from_raw(usable_id(n, "user")?))
            .ok()
            .flatten(),
        Err(_) => nix::unistd::User::from_name(user).ok().flatten(),
    };
    let (uid, own_gid) = match (&found, user.parse::<u32>()) {
        (Some(u), _) => (u.uid, Some(u.gid)),
        (None, Ok(n)) => (Uid::from_raw(n), None),
        (None, Err(_)) => return Err(format!("--user: no user named `{user}`")),
    };
    let gid = match group {
        Some(g) => match g.parse::<u32>() {
            Ok(n) => Gid::from_raw(usable_id(n, "group")?),
            Err(_) => nix::unistd::Group::from_name(g)
                .ok()
                .flatten()
                .map(|g| g.gid)
                .ok_or_else(|| format!("--user: no group named `{g}`"))?,
        },
        // An id not in passwd gets group 0, as docker run -u and runc give
        // it (images made for any uid share their files with group 0).
        None => own_gid.unwrap_or(Gid::from_raw(0)),
    };
    let groups = match (&found, group) {
        // Computed now: between fork and exec nothing may read /etc/group.
        (Some(found), None) => std::ffi::CString::new(found.name.as_str())
            .ok()
            .and_then(|name| nix::unistd::getgrouplist(&name, gid).ok())
            .ok_or_else(|| format!("--user: cannot list the groups of `{}`", found.name))?,
        // A group given is the only one, as runc has it: supplementary
        // groups come only with the user's own.
        _ => vec![gid],
    };
    let user = User {
        uid,
        gid,
        groups,
        home: found.map(|u| u.dir),
        switch: true,
    };
    if nix::unistd::geteuid().is_root() {
        return Ok(user);
    }
    // Not root, launch cannot switch (setgroups needs CAP_SETGID even for
    // the list it has): it may only be the user already.
    if !is_launch_itself(&user) {
        return Err(format!(
            "--user: launch runs as uid {} and cannot switch users (to `{spec}`); \
             run it as root or drop --user",
            nix::unistd::geteuid()
        ));
    }
    Ok(User {
        switch: false,
        ..user
    })
}

/// Whether launch already runs as `user`: its uid, its group, and the
/// same set of groups.
fn is_launch_itself(user: &User) -> bool {
    use nix::unistd::{getegid, geteuid, getgid, getgroups, getuid};
    let set = |mut ids: Vec<Gid>, primary: Gid| {
        ids.push(primary);
        ids.sort_by_key(|g| g.as_raw());
        ids.dedup();
        ids
    };
    let Ok(own) = getgroups() else {
        return false;
    };
    [getuid(), geteuid()] == [user.uid; 2]
        && [getgid(), getegid()] == [user.gid; 2]
        && set(own, getegid()) == set(user.groups.clone(), user.gid)
}

/// `n` when the kernel takes it as an id: (uid_t)-1 means "no change".
fn usable_id(n: u32, what: &str) -> Result<u32, String> {
    if n == u32::MAX {
        Err(format!(
            "--user: {n} cannot be a {what} id (to the kernel it means none)"
        ))
    } else {
        Ok(n)
    }
}

/// The signals launch took over, and what it changed to do so.
pub struct Signals {
    fd: SignalFd,
    /// The mask launch started with, for the child.
    mask: SigSet,
    /// Dispositions launch changed, as they were, for the child.
    dispositions: Vec<(Signal, SigAction)>,
    /// Signals read before the child existed, each kept once, in the order
    /// they came; forwarded once it exists.
    early: Vec<i32>,
}

/// Blocks every signal launch can catch and opens a signalfd for them.
/// Synchronous faults (SIGSEGV and the like) stay unblocked so a bug in
/// launch still ends it; SIGTTIN and SIGTTOU are ignored, so that launch is
/// never stopped by them and, in the background, may hand the terminal to
/// the child.
pub fn take_signals() -> nix::Result<Signals> {
    let mut caught = SigSet::all();
    for s in Signal::iterator() {
        // SIGCHLD is read, to reap; the others launch never forwards are not.
        if s != Signal::SIGCHLD && signals::not_forwarded(s as i32).is_some() {
            caught.remove(s);
        }
    }
    let mut mask = SigSet::empty();
    sigprocmask(SigmaskHow::SIG_BLOCK, Some(&caught), Some(&mut mask))?;
    // The Rust runtime catches SIGSEGV and SIGBUS to report a stack
    // overflow, and lets one that is not (`kill -SEGV`) pass once: it puts
    // the default back and returns. With the default now, the first ends
    // launch; as PID 1 of a namespace, one sent is dropped by the kernel
    // (init gets only what it handles), as for tini. The runtime catches
    // them only where it found the default, so the child, which loses
    // handlers at exec, still starts as launch did.
    for s in [Signal::SIGSEGV, Signal::SIGBUS] {
        sys::uncatch(s)?;
    }
    let mut dispositions = Vec::new();
    for s in [Signal::SIGTTIN, Signal::SIGTTOU] {
        dispositions.push((s, sys::ignore(s)?));
    }
    let fd = SignalFd::with_flags(&caught, SfdFlags::SFD_NONBLOCK | SfdFlags::SFD_CLOEXEC)?;
    Ok(Signals {
        fd,
        mask,
        dispositions,
        early: Vec::new(),
    })
}

impl Signals {
    /// Gives the signals back: the mask and dispositions launch started
    /// with, for the modes that run no command. SIGXFSZ alone is ignored: a
    /// write past the file size limit then fails (a file exit 73, and its
    /// temporary removed; standard output exit 74) instead of killing
    /// launch.
    pub fn release(self) {
        for (signal, action) in &self.dispositions {
            let _ = sys::sigaction(*signal, action);
        }
        let _ = sys::ignore(Signal::SIGXFSZ);
        let _ = sigprocmask(SigmaskHow::SIG_SETMASK, Some(&self.mask), None);
    }

    /// The next signal that arrived, if any. One launch raised itself is
    /// skipped: the kernel sends SIGPIPE for a write of launch's own to a
    /// closed pipe (its standard error, say) and SIGXFSZ for one past the
    /// file size limit. Blocked, it is not discarded as an ignored signal
    /// would be; forwarded, it would end the child for launch's own failed
    /// write, and logged, it would fail again.
    fn next(&self) -> Option<i32> {
        loop {
            let info = self.fd.read_signal().ok()??;
            if !raised_by_launch(info.ssi_code, info.ssi_pid) {
                return i32::try_from(info.ssi_signo).ok();
            }
        }
    }

    /// Waits until a signal arrives, or `until` (forever: `None`).
    fn wait(&self, until: Option<Instant>) {
        let timeout = match until {
            None => PollTimeout::NONE,
            Some(t) => {
                // Round up, so a deadline is never polled for 0 ms too early;
                // a longer wait than poll takes is cut, and the caller asks again.
                let left = t.saturating_duration_since(Instant::now());
                let ms = left.as_micros().div_ceil(1000);
                i32::try_from(ms)
                    .ok()
                    .and_then(|ms| PollTimeout::try_from(ms).ok())
                    .unwrap_or(PollTimeout::MAX)
            }
        };
        let mut fds = [PollFd::new(self.fd.as_fd(), PollFlags::POLLIN)];
        // An error (EINTR) only wakes the caller early; it looks again.
        let _ = poll(&mut fds, timeout);
    }

    /// What a child does before exec: the mask and dispositions launch
    /// started with, whatever else it is given.
    fn child_setup(
        &self,
        own_group: bool,
        foreground: bool,
        user: Option<User>,
    ) -> sys::ChildSetup {
        sys::ChildSetup {
            own_group,
            foreground,
            mask: self.mask,
            dispositions: self.dispositions.clone(),
            user,
        }
    }
}

/// True for a signal launch raised itself: the kernel sends those for
/// launch's own calls as kill(2) would, naming launch as the sender. No
/// other process has launch's PID, and one outside launch's PID namespace
/// is named as PID 0.
fn raised_by_launch(code: i32, sender: u32) -> bool {
    code == nix::libc::SI_USER && sender == std::process::id()
}

/// Runs `command` supervised and returns launch's exit status: the child's
/// code, or 128+N when signal N ended it.
pub fn run(mut sig: Signals, command: &[OsString], env: &[EnvChange], opts: &Options) -> ExitCode {
    become_reaper(opts);
    if let Err(code) = wait_for_targets(&mut sig, opts) {
        return ExitCode::from(code);
    }
    // A stop signal may have come while the templates were rendered.
    if let Err(code) = take_early_signals(&mut sig, opts) {
        return ExitCode::from(code);
    }
    let foreground = nix::unistd::isatty(io::stdin().as_fd()).unwrap_or(false);
    let child = match spawn(
        command,
        env,
        sig.child_setup(true, foreground, opts.user.clone()),
    ) {
        Ok(pid) => pid,
        Err(code) => return ExitCode::from(code),
    };
    opts.log.step(format_args!(
        "started {} as pid {child}",
        command[0].to_string_lossy()
    ));
    let early = std::mem::take(&mut sig.early);
    let mut life = Life::new(&sig, child, env, opts);
    for signo in early {
        life.on_signal(signo);
    }
    let ended = life.supervise();
    let code = exit_code(ended);
    opts.log.step(format_args!(
        "child exited; exiting with {code} once the other processes are gone"
    ));
    let deadline = life.leftovers_deadline();
    let stopping = life.stop != Stop::Idle;
    stop_leftovers(&sig, &mut life.others, deadline, stopping, opts);
    ExitCode::from(code)
}

/// Replaces launch with `command` (`--exec`): same PID, the signal mask and
/// dispositions launch started with. Returns only when exec failed.
pub fn exec(sig: Signals, command: &[OsString], env: &[EnvChange], opts: &Options) -> ExitCode {
    let setup = sig.child_setup(false, false, opts.user.clone());
    let replaced = start(command, |argv| -> io::Result<Infallible> {
        let mut cmd = command_for(argv, env, setup.user.as_ref())?;
        sys::prepare(&mut cmd, setup.clone());
        Err(cmd.exec())
    });
    match replaced {
        Ok(never) => match never {},
        Err(e) => ExitCode::from(start_failed(command, &e)),
    }
}

/// Orphans are reparented to PID 1; when launch is not PID 1 it asks to be
/// their reaper instead, so that none is left a zombie.
fn become_reaper(opts: &Options) {
    if nix::unistd::getpid().as_raw() == 1 {
        return;
    }
    match nix::sys::prctl::set_child_subreaper(true) {
        Ok(()) => opts.log.step(format_args!(
            "not PID 1: reaping orphans as a child subreaper"
        )),
        Err(e) => say(format_args!(
            "cannot become a child subreaper ({e}); orphans go to PID 1"
        )),
    }
}

/// Waits for the `--wait` targets. A stop signal meanwhile ends launch;
/// any other signal is kept for the child.
fn wait_for_targets(sig: &mut Signals, opts: &Options) -> Result<(), u8> {
    if opts.wait.is_empty() {
        return Ok(());
    }
    let mut stopped = Ok(());
    let result = wait::wait_all(&opts.wait, opts.wait_timeout, &mut |pause| {
        sig.wait(Instant::now().checked_add(pause));
        stopped = take_early_signals(sig, opts);
        stopped.is_err()
    });
    match result {
        Ok(()) => {
            let targets: Vec<String> = opts.wait.iter().map(ToString::to_string).collect();
            opts.log
                .step(format_args!("waited for {}", targets.join(", ")));
            Ok(())
        }
        Err(WaitError::TimedOut(target)) => {
            say(format_args!(
                "gave up waiting for {target} after {}",
                humanize(opts.wait_timeout)
            ));
            Err(WAIT_TIMED_OUT)
        }
        Err(WaitError::Interrupted) => stopped,
    }
}

/// Reads the signals that came before the child exists. A stop signal ends
/// launch with 128+N, before anything is started; any other is kept, once,
/// to forward when the child exists. A signal `--rewrite` drops is dropped.
fn take_early_signals(sig: &mut Signals, opts: &Options) -> Result<(), u8> {
    while let Some(signo) = sig.next() {
        if signo == Signal::SIGCHLD as i32 {
            continue;
        }
        if opts.rewrites.apply(signo).is_none() {
            opts.log.step(format_args!("dropped {}", name(signo)));
        } else if opts.rewrites.stops(signo) {
            opts.log.outcome(format_args!(
                "{} before the command started; not starting it",
                name(signo)
            ));
            return Err(signal_code(signo));
        } else if !sig.early.contains(&signo) {
            sig.early.push(signo);
        }
    }
    Ok(())
}

/// Starts `command` as set up (fork, then the setup, then exec) and returns
/// its PID; when it cannot be started, says why and returns 126 or 127.
fn spawn(command: &[OsString], env: &[EnvChange], setup: sys::ChildSetup) -> Result<Pid, u8> {
    start(command, |argv| spawn_argv(argv, env, &setup)).map_err(|e| start_failed(command, &e))
}

/// Starts `argv` as set up and returns its PID.
fn spawn_argv(argv: &[OsString], env: &[EnvChange], setup: &sys::ChildSetup) -> io::Result<Pid> {
    let mut cmd = command_for(argv, env, setup.user.as_ref())?;
    sys::prepare(&mut cmd, setup.clone());
    let child = cmd.spawn()?;
    i32::try_from(child.id())
        .map(Pid::from_raw)
        .map_err(|_| io::Error::other("the kernel gave a PID out of range"))
}

/// Runs `start` on `command`; a file the kernel cannot run is a script for
/// `/bin/sh`, as execvp has it.
fn start<T>(
    command: &[OsString],
    mut start: impl FnMut(&[OsString]) -> io::Result<T>,
) -> io::Result<T> {
    match start(command) {
        Err(e) if e.raw_os_error() == Some(Errno::ENOEXEC as i32) => {
            let mut with_sh = vec![OsString::from("/bin/sh")];
            with_sh.extend(command.iter().cloned());
            start(&with_sh)
        }
        started => started,
    }
}

/// `argv` as a command, with launch's environment and `env` applied to it,
/// and HOME from passwd for `user` (replacing an inherited one, as gosu
/// does).
fn command_for(argv: &[OsString], env: &[EnvChange], user: Option<&User>) -> io::Result<Command> {
    let (program, args) = argv
        .split_first()
        .ok_or_else(|| io::Error::new(io::ErrorKind::NotFound, "no command given"))?;
    let mut cmd = Command::new(program);
    cmd.args(args);
    for change in env {
        match change {
            EnvChange::Set(k, v) => cmd.env(k.as_ref(), v),
            EnvChange::Remove(k) => cmd.env_remove(k),
        };
    }
    if let Some(home) = user.and_then(|u| u.home.as_ref()) {
        cmd.env("HOME", home);
    }
    Ok(cmd)
}

/// The exit code for a command that could not be started, after saying why.
fn start_failed(command: &[OsString], e: &io::Error) -> u8 {
    let program = command.first().map(|p| p.to_string_lossy());
    say(format_args!("{}: {e}", program.unwrap_or_default()));
    if e.kind() == io::ErrorKind::NotFound {
        NOT_FOUND
    } else {
        NOT_EXECUTABLE
    }
}

/// Where the stop sequence stands. A stop signal waits out `--stop-delay`,
/// then `--pre-stop`, before it is forwarded; a second one skips what is
/// left of either.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Stop {
    /// No stop signal yet.
    Idle,
    /// Waiting out the delay, until `until` (`None`: a delay too long to end).
    Delaying { signo: i32, until: Option<Instant> },
    /// Waiting for the pre-stop hook, at most until `until`.
    Hooking { signo: i32, until: Option<Instant> },
    /// A stop signal was forwarded and the grace period runs; a later one is
    /// forwarded at once.
    Forwarded,
}

/// The child's life under launch.
struct Life<'a> {
    sig: &'a Signals,
    opts: &'a Options,
    env: &'a [EnvChange],
    child: Pid,
    stop: Stop,
    /// The pre-stop hook while it runs (also after a second stop signal
    /// stopped waiting for it).
    hook: Option<Pid>,
    /// When the child's group gets SIGKILL: the end of the grace period.
    kill_at: Option<Instant>,
    /// When the grace period ends, kept once it has.
    grace_ends: Option<Instant>,
    /// How the child ended, once it has.
    ended: Option<Ended>,
    /// Every other process of the container.
    others: Others,
}

impl<'a> Life<'a> {
    fn new(sig: &'a Signals, child: Pid, env: &'a [EnvChange], opts: &'a Options) -> Self {
        Life {
            sig,
            opts,
            env,
            child,
            stop: Stop::Idle,
            hook: None,
            kill_at: None,
            grace_ends: None,
            ended: None,
            others: Others::new(child, opts.group, opts.log),
        }
    }

    /// Forwards signals and reaps until the child exits; returns how it
    /// ended. A pre-stop hook still running then is stopped with the rest:
    /// what it was preparing for has happened. Signals read after the child
    /// ended are left for the stopping of what it left behind.
    fn supervise(&mut self) -> Ended {
        loop {
            self.reap();
            if let Some(ended) = self.ended {
                return ended;
            }
            let next = [self.stop_deadline(), self.kill_at]
                .into_iter()
                .flatten()
                .min();
            self.sig.wait(next);
            while self.ended.is_none()
                && let Some(signo) = self.sig.next()
            {
                self.on_signal(signo);
            }
            self.on_time();
        }
    }

    /// When the delay or the hook's time is over.
    fn stop_deadline(&self) -> Option<Instant> {
        match self.stop {
            Stop::Delaying { until, .. } | Stop::Hooking { until, .. } => until,
            Stop::Idle | Stop::Forwarded => None,
        }
    }

    fn on_signal(&mut self, signo: i32) {
        if signo == Signal::SIGCHLD as i32 {
            return self.reap();
        }
        // A stop signal `--rewrite` drops starts nothing: no delay, no hook,
        // no grace period; one rewritten to a stop signal is one.
        if !self.opts.rewrites.stops(signo) {
            return self.forward(signo);
        }
        let log = self.opts.log;
        let steps = self.opts.stop_delay.is_some() || self.opts.pre_stop.is_some();
        match self.stop {
            Stop::Idle if steps => self.begin_stop(signo),
            Stop::Idle | Stop::Forwarded => self.forward_stop(signo),
            Stop::Delaying { signo: first, .. } | Stop::Hooking { signo: first, .. } => {
                let again = if signo == first { " again" } else { "" };
                log.step(format_args!(
                    "{}{again}: not waiting any longer",
                    name(signo)
                ));
                // The signal the stop was for, then this one, when it is
                // another: none is lost.
                self.forward_stop(first);
                if signo != first {
                    self.forward(signo);
                }
            }
        }
    }

    /// The first step of a stop: the delay, or the hook when there is none.
    fn begin_stop(&mut self, signo: i32) {
        let Some(delay) = self.opts.stop_delay else {
            return self.run_hook(signo);
        };
        self.opts.log.step(format_args!(
            "{}: waiting {} before stopping",
            name(signo),
            humanize(delay)
        ));
        self.stop = Stop::Delaying {
            signo,
            until: Instant::now().checked_add(delay),
        };
    }

    /// Starts `--pre-stop` as the child's user, in a process group of its
    /// own, or forwards the stop signal when there is none (or it cannot be
    /// started).
    fn run_hook(&mut self, signo: i32) {
        let Some(hook) = &self.opts.pre_stop else {
            return self.forward_stop(signo);
        };
        let argv = hook.argv();
        let setup = self.sig.child_setup(true, false, self.opts.user.clone());
        match start(&argv, |argv| spawn_argv(argv, self.env, &setup)) {
            Ok(pid) => {
                self.opts
                    .log
                    .step(format_args!("running the pre-stop hook as pid {pid}"));
                self.hook = Some(pid);
                let bound = self.opts.grace_period.unwrap_or(DEFAULT_HOOK_BOUND);
                self.stop = Stop::Hooking {
                    signo,
                    until: Instant::now().checked_add(bound),
                };
            }
            Err(e) => {
                let program = argv.first().map(|p| p.to_string_lossy());
                say(format_args!(
                    "cannot start the pre-stop hook: {}: {e}; stopping without it",
                    program.unwrap_or_default()
                ));
                self.forward_stop(signo);
            }
        }
    }

    /// What is due now: the end of the delay, of the hook's time, of the
    /// grace period.
    fn on_time(&mut self) {
        let now = Instant::now();
        let due = |at: Option<Instant>| at.is_some_and(|at| now >= at);
        match self.stop {
            Stop::Delaying { signo, until } if due(until) => self.run_hook(signo),
            Stop::Hooking { signo, until } if due(until) => {
                let bound = self.opts.grace_period.unwrap_or(DEFAULT_HOOK_BOUND);
                say(format_args!(
                    "the pre-stop hook still runs after {}; stopping anyway",
                    humanize(bound)
                ));
                // The hook is one of the others: SIGTERM now, SIGKILL when
                // the grace period ends.
                self.forward_stop(signo);
            }
            _ => {}
        }
        if due(self.kill_at) && self.ended.is_none() {
            self.kill_at = None;
            // The others include the child, so the message names it too;
            // the child is killed once more in case /proc could not be read.
            self.others.kill(&grace_over(self.opts));
            let _ = sys::send(self.child, Signal::SIGKILL as i32);
        }
    }

    /// Forwards a stop signal; the first one forwarded starts the grace
    /// period, and every other process of the container gets SIGTERM: just
    /// before, so that what the child starts on the signal (a shell trap's
    /// `bin/app stop`) is not in the list.
    fn forward_stop(&mut self, signo: i32) {
        let first = self.stop != Stop::Forwarded;
        if first {
            self.others.stop();
        }
        self.forward(signo);
        // A stopped process acts on the signal only once it is continued;
        // systemd sends SIGCONT after the stop signal too.
        if self.ended.is_none() {
            let _ = sys::send(self.target(), Signal::SIGCONT as i32);
        }
        if first {
            self.stop = Stop::Forwarded;
            self.kill_at = self
                .opts
                .grace_period
                .and_then(|grace| Instant::now().checked_add(grace));
            self.grace_ends = self.kill_at;
        }
    }

    /// Until when the other processes may take to stop once the child has
    /// exited: the end of the grace period a forwarded stop signal started
    /// (which may have passed), else the grace period, or 5 s, from now.
    /// `None` is a grace period too long to end.
    fn leftovers_deadline(&self) -> Option<Instant> {
        match (self.stop, self.opts.grace_period) {
            (Stop::Forwarded, Some(_)) => self.grace_ends,
            (_, grace) => Instant::now().checked_add(grace.unwrap_or(DEFAULT_LEFTOVER_GRACE)),
        }
    }

    /// Sends `signo`, as `--rewrite` has it, to the child (or its group).
    fn forward(&mut self, signo: i32) {
        let log = self.opts.log;
        let Some(to) = self.opts.rewrites.apply(signo) else {
            return log.step(format_args!("dropped {}", name(signo)));
        };
        if self.ended.is_some() {
            // Reaped: its PID may already be another process's.
            return;
        }
        let target = self.target();
        match sys::send(target, to) {
            Ok(()) if to == signo => log.step(format_args!("forwarded {} to {target}", name(to))),
            Ok(()) => log.step(format_args!(
                "forwarded {} as {} to {target}",
                name(signo),
                name(to)
            )),
            Err(e) => log.step(format_args!("could not forward {}: {e}", name(to))),
        }
    }

    /// Whom a signal is forwarded to: the child, or with `--group` the
    /// process group it is in now (it may have left the one it started in)
    /// when that group may be signalled whole.
    fn target(&self) -> Pid {
        if !self.opts.group {
            return self.child;
        }
        nix::unistd::getpgid(Some(self.child))
            .ok()
            .and_then(|pgrp| others::group_of_child(pgrp.as_raw()))
            .map_or(self.child, |pgrp| Pid::from_raw(-pgrp))
    }

    /// Reaps every child that has ended: the command, the hook, orphans.
    fn reap(&mut self) {
        let log = self.opts.log;
        while let Some((pid, ended)) = sys::reap() {
            if pid == self.child {
                self.ended = Some(ended);
                self.others.child_reaped();
            } else if Some(pid) == self.hook {
                self.hook = None;
                if let Stop::Hooking { signo, .. } = self.stop {
                    match ended {
                        Ended::Exited(0) => log.step(format_args!("the pre-stop hook is done")),
                        Ended::Exited(code) => say(format_args!(
                            "the pre-stop hook failed with exit code {code}; stopping anyway"
                        )),
                        Ended::Killed(n) => say(format_args!(
                            "the pre-stop hook was ended by {}; stopping anyway",
                            name(n)
                        )),
                    }
                    self.forward_stop(signo);
                }
            } else {
                log.step(format_args!("reaped orphan {pid}"));
            }
        }
    }
}

/// Once the child has exited, every other process of the container that
/// has not had SIGTERM gets it, one that appears while launch waits too;
/// launch reaps until none is left, or until `deadline` or a stop signal
/// (another one, when `stopping`), then SIGKILLs the rest and reaps what
/// that ended.
fn stop_leftovers(
    sig: &Signals,
    others: &mut Others,
    deadline: Option<Instant>,
    stopping: bool,
    opts: &Options,
) {
    let mut poll = LEFTOVER_POLL;
    let why = 'waiting: loop {
        reap_orphans(opts);
        // Past the deadline (the grace period ended while the child ran, and
        // everything was killed), no SIGTERM is sent any more.
        let now = Instant::now();
        if deadline.is_some_and(|at| now >= at) {
            break grace_over(opts);
        }
        if !others.stop() {
            return;
        }
        let soon = now.checked_add(poll);
        poll = poll.saturating_mul(2).min(LEFTOVER_POLL_MAX);
        sig.wait([deadline, soon].into_iter().flatten().min());
        while let Some(signo) = sig.next() {
            if opts.rewrites.stops(signo) {
                let again = if stopping {
                    "again"
                } else {
                    "while waiting for them"
                };
                break 'waiting format!("{} {again}", name(signo));
            }
            if signo != Signal::SIGCHLD as i32 {
                let signal = name(signo);
                opts.log
                    .step(format_args!("dropped {signal}: the child has exited"));
            }
        }
    };
    others.kill(&why);
    // SIGKILL takes effect at once but not in the same instant: reap what
    // it ended, for a moment, so that launch leaves no zombie behind.
    let until = Instant::now().checked_add(AFTER_KILL);
    loop {
        reap_orphans(opts);
        if !others.any_left() || until.is_none_or(|t| Instant::now() >= t) {
            return;
        }
        std::thread::sleep(Duration::from_millis(5));
    }
}

/// Why what is still running is killed when the grace period is over.
fn grace_over(opts: &Options) -> String {
    match opts.grace_period {
        Some(grace) => format!("still running after the grace period ({})", humanize(grace)),
        None => format!(
            "still running {} after the child exited",
            humanize(DEFAULT_LEFTOVER_GRACE)
        ),
    }
}

/// Reaps every process that has ended, none of which is the child any more.
fn reap_orphans(opts: &Options) {
    while let Some((pid, _)) = sys::reap() {
        opts.log.step(format_args!("reaped orphan {pid}"));
    }
}

/// launch's exit code for how the child ended: its code, or 128+N when
/// signal N ended it.
fn exit_code(ended: Ended) -> u8 {
    match ended {
        Ended::Exited(code) => code,
        Ended::Killed(signo) => signal_code(signo),
    }
}

/// 128+N, the code of signal N (1 to 64; any other number gives 255).
fn signal_code(signo: i32) -> u8 {
    128i32
        .checked_add(signo)
        .and_then(|code| u8::try_from(code).ok())
        .unwrap_or(u8::MAX)
}

/// A duration as a user would write it.
fn humanize(d: Duration) -> String {
    if d.subsec_millis() == 0 {
        format!("{}s", d.as_secs())
    } else {
        format!("{}ms", d.as_millis())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_signal_gives_128_plus_its_number() {
        assert_eq!(exit_code(Ended::Exited(0)), 0);
        assert_eq!(exit_code(Ended::Exited(255)), 255);
        assert_eq!(exit_code(Ended::Killed(15)), 143);
        assert_eq!(exit_code(Ended::Killed(40)), 168);
        assert_eq!(exit_code(Ended::Killed(64)), 192);
        assert_eq!(signal_code(i32::MAX), 255);
    }

    #[test]
    fn durations_read_as_written() {
        assert_eq!(humanize(Duration::from_secs(30)), "30s");
        assert_eq!(humanize(Duration::from_millis(1500)), "1500ms");
        assert_eq!(
            humanize(Duration::from_secs(u64::MAX)),
            "18446744073709551615s"
        );
    }
}
