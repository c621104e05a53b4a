//! Running COMMAND as a container's init would (SPEC §5): the functions below
//! follow a container's life in order — take the signals, become the
//! reaper, wait for what the release needs, spawn it, forward signals and
//! reap until it exits, stop what it left behind, and pass its status on.
//!
//! Signals are blocked from the moment the main job starts and read from a
//! signalfd, so none is lost, not even one that arrives while the templates
//! are rendered: it is forwarded once the child exists. All `unsafe` code is
//! in `sys.rs`.

pub mod signals;
mod sys;
pub mod wait;

use std::ffi::OsString;
use std::io::ErrorKind;
use std::os::fd::AsFd;
use std::os::unix::process::CommandExt;
use std::process::{Command, ExitCode};
use std::time::{Duration, Instant};

use nix::errno::Errno;
use nix::poll::{PollFd, PollFlags, PollTimeout, poll};
use nix::sys::signal::{SigAction, SigSet, SigmaskHow, Signal, sigprocmask};
use nix::sys::signalfd::{SfdFlags, SignalFd};
use nix::unistd::{Gid, Pid, Uid};

use crate::diag::{Log, say};
use crate::release::EnvChange;
use signals::{Rewrites, is_stop, name};
use sys::Ended;
use wait::{Target, WaitError};

/// COMMAND was found but cannot be run.
pub const NOT_EXECUTABLE: u8 = 126;
/// COMMAND was not found.
pub const NOT_FOUND: u8 = 127;
/// `--wait` timed out.
pub const WAIT_TIMED_OUT: u8 = 69;
/// How long what is left of the child's group gets after SIGTERM, when no
/// grace period is set.
const DEFAULT_LEFTOVER_GRACE: Duration = Duration::from_secs(5);
/// How long the pre-stop hook may run when no grace period is set:
/// Kubernetes' default grace period.
const DEFAULT_HOOK_BOUND: Duration = Duration::from_secs(30);

/// How the child is supervised.
#[derive(Debug, Clone, Default)]
pub struct Options {
    /// Forward signals to the child's whole process group.
    pub group: bool,
    /// Signals forwarded as others, or dropped.
    pub rewrites: Rewrites,
    /// After a stop signal was forwarded, SIGKILL the group this much later.
    pub grace_period: Option<Duration>,
    /// On a stop signal, wait this long before anything else.
    pub stop_delay: Option<Duration>,
    /// On a stop signal, after the delay, run `sh -c` this as the child's
    /// user and wait for it.
    pub pre_stop: Option<String>,
    /// Wait for these before starting.
    pub wait: Vec<Target>,
    /// Give up waiting after this long.
    pub wait_timeout: Duration,
    /// Run the child (and the pre-stop hook) as this user and group.
    pub user: Option<(Uid, Gid)>,
    /// How much to say.
    pub log: Log,
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
    for s in [
        Signal::SIGKILL,
        Signal::SIGSTOP,
        Signal::SIGSEGV,
        Signal::SIGBUS,
        Signal::SIGFPE,
        Signal::SIGILL,
        Signal::SIGTRAP,
        Signal::SIGSYS,
        Signal::SIGABRT,
        Signal::SIGTTIN,
        Signal::SIGTTOU,
    ] {
        caught.remove(s);
    }
    let mut mask = SigSet::empty();
    sigprocmask(SigmaskHow::SIG_BLOCK, Some(&caught), Some(&mut mask))?;
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
    /// with, for the modes that run no command.
    pub fn release(self) {
        for (signal, action) in &self.dispositions {
            let _ = sys::sigaction(*signal, action);
        }
        let _ = sigprocmask(SigmaskHow::SIG_SETMASK, Some(&self.mask), None);
    }
}

/// Runs `command` supervised and returns launch's exit status: the child's
/// code, or 128+N when signal N ended it.
pub fn run(mut sig: Signals, command: &[OsString], env: &[EnvChange], opts: &Options) -> ExitCode {
    let log = opts.log;
    become_reaper(&log);
    if let Err(code) = wait_for_targets(&mut sig, opts, &log) {
        return ExitCode::from(code);
    }
    // A stop signal may have come while the templates were rendered.
    if let Err(code) = take_early_signals(&mut sig, opts) {
        return ExitCode::from(code);
    }
    let child = match spawn(&sig, command, env, opts, true) {
        Ok(pid) => pid,
        Err(code) => return ExitCode::from(code),
    };
    log.step(format_args!(
        "started {} as pid {child}",
        command[0].to_string_lossy()
    ));
    let mut life = Life::new(child, opts, env);
    for signo in std::mem::take(&mut sig.early) {
        life.on_signal(&sig, signo, &log);
    }
    let status = life.supervise(&sig, &log);
    stop_leftovers(&sig, child, opts);
    let code = exit_code(status);
    log.step(format_args!("child exited; exiting with {code}"));
    ExitCode::from(code)
}

/// Replaces launch with `command` (`--exec`): same PID, the signal mask and
/// dispositions launch started with. Returns only when exec failed.
pub fn exec(sig: Signals, command: &[OsString], env: &[EnvChange], opts: &Options) -> ExitCode {
    let mut cmd = command_for(command, env);
    sys::prepare(
        &mut cmd,
        sys::ChildSetup {
            own_group: false,
            foreground: false,
            mask: sig.mask,
            dispositions: sig.dispositions.clone(),
            user: opts.user,
        },
    );
    let err = cmd.exec();
    ExitCode::from(spawn_failed(command, &err))
}

/// The user and group of `--user USER[:GROUP]`, by name or number; the
/// group defaults to the user's own.
pub fn parse_user(spec: &str) -> Result<(Uid, Gid), String> {
    use nix::unistd::{Group, User};
    let (user, group) = match spec.split_once(':') {
        Some((u, g)) => (u, Some(g)),
        None => (spec, None),
    };
    let found = match user.parse::<u32>() {
        Ok(n) => User::from_uid(Uid::from_raw(n)).ok().flatten(),
        Err(_) => User::from_name(user).ok().flatten(),
    };
    let (uid, own_gid) = match (found, user.parse::<u32>()) {
        (Some(u), _) => (u.uid, Some(u.gid)),
        (None, Ok(n)) => (Uid::from_raw(n), None),
        (None, Err(_)) => return Err(format!("--user: no user named `{user}`")),
    };
    let gid = match group {
        Some(g) => match g.parse::<u32>() {
            Ok(n) => Gid::from_raw(n),
            Err(_) => Group::from_name(g)
                .ok()
                .flatten()
                .map(|g| g.gid)
                .ok_or_else(|| format!("--user: no group named `{g}`"))?,
        },
        None => own_gid.unwrap_or(Gid::from_raw(uid.as_raw())),
    };
    Ok((uid, gid))
}

/// Orphans are reparented to PID 1; when launch is not PID 1 it asks to be
/// their reaper instead, so that none is left a zombie.
fn become_reaper(log: &Log) {
    if nix::unistd::getpid().as_raw() == 1 {
        return;
    }
    match nix::sys::prctl::set_child_subreaper(true) {
        Ok(()) => log.step(format_args!(
            "not PID 1: reaping orphans as a child subreaper"
        )),
        Err(e) => say(format_args!(
            "cannot become a child subreaper ({e}); orphans go to PID 1"
        )),
    }
}

/// Waits for the `--wait` targets. A stop signal meanwhile ends launch;
/// any other signal is kept for the child.
fn wait_for_targets(sig: &mut Signals, opts: &Options, log: &Log) -> Result<(), u8> {
    if opts.wait.is_empty() {
        return Ok(());
    }
    let mut stopped = Ok(());
    let result = wait::wait_all(&opts.wait, opts.wait_timeout, &mut |pause| {
        let _ = poll_fd(&sig.fd, Some(pause));
        stopped = take_early_signals(sig, opts);
        stopped.is_err()
    });
    match result {
        Ok(()) => {
            log.step(format_args!("waited for {}", join(&opts.wait)));
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
    while let Ok(Some(info)) = sig.fd.read_signal() {
        let Ok(signo) = i32::try_from(info.ssi_signo) else {
            continue;
        };
        if signo == Signal::SIGCHLD as i32 {
            continue;
        }
        if opts.rewrites.apply(signo).is_none() {
            opts.log.step(format_args!("dropped {}", name(signo)));
        } else if is_stop(signo) {
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

fn join(targets: &[Target]) -> String {
    targets
        .iter()
        .map(ToString::to_string)
        .collect::<Vec<_>>()
        .join(", ")
}

fn humanize(d: Duration) -> String {
    if d.subsec_millis() == 0 {
        format!("{}s", d.as_secs())
    } else {
        format!("{}ms", d.as_millis())
    }
}

fn command_for(command: &[OsString], env: &[EnvChange]) -> Command {
    let mut cmd = Command::new(&command[0]);
    cmd.args(&command[1..]);
    for change in env {
        match change {
            EnvChange::Set(k, v) => cmd.env(k, v),
            EnvChange::Remove(k) => cmd.env_remove(k),
        };
    }
    cmd
}

/// Starts `command` as `--user` in a process group of its own (for the
/// child, not the hook: the terminal's foreground group when stdin is one),
/// with the mask and dispositions launch started with: fork, then the
/// setup, then exec. The child gets launch's environment with `env` applied.
fn spawn(
    sig: &Signals,
    command: &[OsString],
    env: &[EnvChange],
    opts: &Options,
    as_child: bool,
) -> Result<Pid, u8> {
    let foreground = as_child && nix::unistd::isatty(std::io::stdin().as_fd()).unwrap_or(false);
    let start = |argv: &[OsString]| {
        let mut cmd = command_for(argv, env);
        sys::prepare(
            &mut cmd,
            sys::ChildSetup {
                own_group: true,
                foreground,
                mask: sig.mask,
                dispositions: sig.dispositions.clone(),
                user: opts.user,
            },
        );
        let child = cmd.spawn()?;
        i32::try_from(child.id())
            .map(Pid::from_raw)
            .map_err(|_| std::io::Error::other("the kernel gave a PID out of range"))
    };
    match start(command) {
        Ok(pid) => Ok(pid),
        // Like execvp: a file the kernel cannot run is a script for sh.
        Err(e) if e.raw_os_error() == Some(Errno::ENOEXEC as i32) => {
            let mut with_sh = vec![OsString::from("/bin/sh")];
            with_sh.extend(command.iter().cloned());
            start(&with_sh).map_err(|e| spawn_failed(command, &e))
        }
        Err(e) => Err(spawn_failed(command, &e)),
    }
}

/// The exit code for a command that could not be started, after saying why.
fn spawn_failed(command: &[OsString], e: &std::io::Error) -> u8 {
    say(format_args!("{}: {e}", command[0].to_string_lossy()));
    if e.kind() == ErrorKind::NotFound {
        NOT_FOUND
    } else {
        NOT_EXECUTABLE
    }
}

/// Waits for the signalfd to be readable, at most `timeout` (forever: None).
fn poll_fd(fd: &SignalFd, timeout: Option<Duration>) -> nix::Result<()> {
    let timeout = match timeout {
        None => PollTimeout::NONE,
        Some(d) => {
            // Round up, so a deadline is never polled for 0 ms too early; a
            // longer wait than poll takes is cut, and the caller asks again.
            let ms = d.as_micros().div_ceil(1000);
            i32::try_from(ms)
                .ok()
                .and_then(|ms| PollTimeout::try_from(ms).ok())
                .unwrap_or(PollTimeout::MAX)
        }
    };
    let mut fds = [PollFd::new(fd.as_fd(), PollFlags::POLLIN)];
    match poll(&mut fds, timeout) {
        Ok(_) | Err(Errno::EINTR) => Ok(()),
        Err(e) => Err(e),
    }
}

/// Where the stop sequence stands. A stop signal (TERM, INT) waits out
/// `--stop-delay`, then `--pre-stop`, before it is forwarded; a second one
/// skips what is left of either.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Stop {
    /// No stop signal yet.
    Idle,
    /// Waiting until the delay is over (`None`: a delay too long to end).
    Delaying { until: Option<Instant>, signo: i32 },
    /// Waiting for the pre-stop hook, at most until `until`.
    Hooking { signo: i32, until: Option<Instant> },
    /// A stop signal was forwarded and the grace period runs; a later one is
    /// forwarded at once.
    Forwarded,
}

/// The child's life under launch.
struct Life<'a> {
    child: Pid,
    opts: &'a Options,
    env: &'a [EnvChange],
    stop: Stop,
    /// The pre-stop hook while it runs (also after a second stop signal
    /// stopped waiting for it).
    hook: Option<Pid>,
    /// When the child's group gets SIGKILL, after a stop signal was forwarded.
    kill_at: Option<Instant>,
    status: Option<Ended>,
}

impl<'a> Life<'a> {
    fn new(child: Pid, opts: &'a Options, env: &'a [EnvChange]) -> Self {
        Life {
            child,
            opts,
            env,
            stop: Stop::Idle,
            hook: None,
            kill_at: None,
            status: None,
        }
    }

    /// Forwards signals and reaps until the child exits; returns how it
    /// ended. A pre-stop hook still running then is killed: what it was
    /// preparing for has happened.
    fn supervise(&mut self, sig: &Signals, log: &Log) -> Ended {
        loop {
            self.reap(log);
            if let Some(status) = self.status {
                self.kill_hook(log);
                return status;
            }
            let next = [self.deadline(), self.kill_at].into_iter().flatten().min();
            let _ = poll_fd(
                &sig.fd,
                next.map(|t| t.saturating_duration_since(Instant::now())),
            );
            // Once the child has ended, what is left to read is for the
            // stopping of its leftovers.
            while self.status.is_none()
                && let Ok(Some(info)) = sig.fd.read_signal()
            {
                self.on_signal(sig, info.ssi_signo as i32, log);
            }
            self.on_time(sig, log);
        }
    }

    fn deadline(&self) -> Option<Instant> {
        match self.stop {
            Stop::Idle | Stop::Forwarded => None,
            Stop::Delaying { until, .. } => until,
            Stop::Hooking { until, .. } => until,
        }
    }

    fn on_signal(&mut self, sig: &Signals, signo: i32, log: &Log) {
        if signo == Signal::SIGCHLD as i32 {
            return self.reap(log);
        }
        // A stop signal `--rewrite` drops starts nothing: no delay, no hook,
        // no grace period.
        if is_stop(signo) && self.opts.rewrites.apply(signo).is_none() {
            return log.step(format_args!("dropped {}", name(signo)));
        }
        let stop_steps = self.opts.stop_delay.is_some() || self.opts.pre_stop.is_some();
        match (is_stop(signo), self.stop) {
            (true, Stop::Idle) if stop_steps => self.begin_stop(sig, signo, log),
            // A second stop signal cuts the delay or the hook short.
            (true, Stop::Delaying { .. } | Stop::Hooking { .. }) => {
                log.step(format_args!(
                    "{} again: not waiting any longer",
                    name(signo)
                ));
                self.forward_stop(signo, log);
            }
            (true, Stop::Idle | Stop::Forwarded) => self.forward_stop(signo, log),
            (false, _) => self.forward(signo, log),
        }
    }

    fn begin_stop(&mut self, sig: &Signals, signo: i32, log: &Log) {
        match self.opts.stop_delay {
            Some(delay) => {
                log.step(format_args!(
                    "{}: waiting {} before stopping",
                    name(signo),
                    humanize(delay)
                ));
                self.stop = Stop::Delaying {
                    until: Instant::now().checked_add(delay),
                    signo,
                };
            }
            None => self.run_hook(sig, signo, log),
        }
    }

    /// Starts `--pre-stop`, or forwards the stop signal when there is none.
    /// The hook may run as long as the grace period, else 30 s.
    fn run_hook(&mut self, sig: &Signals, signo: i32, log: &Log) {
        let Some(hook) = &self.opts.pre_stop else {
            return self.forward_stop(signo, log);
        };
        let sh = [
            OsString::from("/bin/sh"),
            OsString::from("-c"),
            OsString::from(hook),
        ];
        match spawn(sig, &sh, self.env, self.opts, false) {
            Ok(pid) => {
                log.step(format_args!("running the pre-stop hook as pid {pid}"));
                self.hook = Some(pid);
                let bound = self.opts.grace_period.unwrap_or(DEFAULT_HOOK_BOUND);
                self.stop = Stop::Hooking {
                    signo,
                    until: Instant::now().checked_add(bound),
                };
            }
            Err(_) => {
                self.forward_stop(signo, log);
            }
        }
    }

    fn on_time(&mut self, sig: &Signals, log: &Log) {
        let now = Instant::now();
        match self.stop {
            Stop::Delaying {
                until: Some(until),
                signo,
            } if now >= until => self.run_hook(sig, signo, log),
            Stop::Hooking {
                signo,
                until: Some(until),
            } if now >= until => {
                let bound = self.opts.grace_period.unwrap_or(DEFAULT_HOOK_BOUND);
                say(format_args!(
                    "the pre-stop hook still runs after {}; killing it",
                    humanize(bound)
                ));
                self.kill_hook(log);
                self.forward_stop(signo, log);
            }
            _ => {}
        }
        if self.kill_at.is_some_and(|at| now >= at) && self.status.is_none() {
            self.kill_at = None;
            say(format_args!(
                "the child is still running after the grace period; killing its process group"
            ));
            let _ = sys::send(Pid::from_raw(-self.child.as_raw()), Signal::SIGKILL as i32);
        }
    }

    /// Kills the pre-stop hook's process group, when the hook runs.
    fn kill_hook(&mut self, log: &Log) {
        if let Some(hook) = self.hook {
            log.step(format_args!(
                "killing the pre-stop hook's process group {hook}"
            ));
            let _ = sys::send(Pid::from_raw(-hook.as_raw()), Signal::SIGKILL as i32);
        }
    }

    /// Forwards a stop signal; the first one forwarded starts the grace
    /// period (one too long to have an end never ends).
    fn forward_stop(&mut self, signo: i32, log: &Log) {
        self.forward(signo, log);
        if self.stop != Stop::Forwarded {
            self.stop = Stop::Forwarded;
            self.kill_at = self
                .opts
                .grace_period
                .and_then(|grace| Instant::now().checked_add(grace));
        }
    }

    fn forward(&mut self, signo: i32, log: &Log) {
        let Some(to) = self.opts.rewrites.apply(signo) else {
            return log.step(format_args!("dropped {}", name(signo)));
        };
        let target = if self.opts.group {
            Pid::from_raw(-self.child.as_raw())
        } else {
            self.child
        };
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

    /// Reaps every child that has exited: the command, the hook, orphans.
    fn reap(&mut self, log: &Log) {
        while let Some((pid, ended)) = sys::reap() {
            if pid == self.child {
                self.status = Some(ended);
            } else if Some(pid) == self.hook {
                self.hook = None;
                if let Stop::Hooking { signo, .. } = self.stop {
                    log.step(format_args!("the pre-stop hook is done"));
                    self.forward_stop(signo, log);
                }
            } else {
                log.step(format_args!("reaped orphan {pid}"));
            }
        }
    }
}

/// What is left of the child's process group after it exited gets SIGTERM,
/// then SIGKILL after the grace period, or at once on a stop signal;
/// orphans are reaped meanwhile.
fn stop_leftovers(sig: &Signals, child: Pid, opts: &Options) {
    let log = opts.log;
    let group = Pid::from_raw(-child.as_raw());
    let reap_all = || while sys::reap().is_some() {};
    reap_all();
    if sys::send(group, 0).is_err() {
        return;
    }
    log.step(format_args!(
        "sending SIGTERM to what is left of process group {child}"
    ));
    let _ = sys::send(group, Signal::SIGTERM as i32);
    let grace = opts.grace_period.unwrap_or(DEFAULT_LEFTOVER_GRACE);
    // A grace period too long to have an end never ends.
    let deadline = Instant::now().checked_add(grace);
    'waiting: loop {
        reap_all();
        if sys::send(group, 0).is_err() {
            return;
        }
        let now = Instant::now();
        if deadline.is_some_and(|deadline| now >= deadline) {
            say(format_args!(
                "process group {child} outlived the child by {}; killing it",
                humanize(grace)
            ));
            break;
        }
        let pause = Duration::from_millis(20);
        let _ = poll_fd(
            &sig.fd,
            Some(deadline.map_or(pause, |deadline| (deadline - now).min(pause))),
        );
        while let Ok(Some(info)) = sig.fd.read_signal() {
            let signo = i32::try_from(info.ssi_signo).unwrap_or(0);
            if is_stop(signo) && opts.rewrites.apply(signo).is_some() {
                log.outcome(format_args!(
                    "{}: killing what is left of process group {child}",
                    name(signo)
                ));
                break 'waiting;
            }
        }
    }
    let _ = sys::send(group, Signal::SIGKILL as i32);
    std::thread::sleep(Duration::from_millis(10));
    reap_all();
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
        assert_eq!(exit_code(Ended::Killed(i32::MAX)), 255);
    }
}
