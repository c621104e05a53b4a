//! The few calls nix does not wrap safely: sending a signal by number (the
//! real-time signals have no `Signal` variant), and the steps the child takes
//! between fork and exec. Every `unsafe` block of launch is in this file.

use std::io;
use std::os::unix::process::CommandExt;
use std::process::Command;

use nix::sys::signal::{SigAction, SigHandler, SigSet, SigmaskHow, Signal, sigprocmask};
use nix::unistd::{Gid, Pid, Uid};

/// Sends signal number `signo` to `pid` (a process group when negative).
pub fn send(pid: Pid, signo: i32) -> io::Result<()> {
    // SAFETY: kill(2) takes plain integers and touches no memory of ours.
    let rc = unsafe { nix::libc::kill(pid.as_raw(), signo) };
    if rc == 0 {
        Ok(())
    } else {
        Err(io::Error::last_os_error())
    }
}

/// What the child does between fork and exec, in this order.
#[derive(Debug, Clone)]
pub struct ChildSetup {
    /// Put the child in a process group of its own.
    pub own_group: bool,
    /// Make that group the terminal's foreground group (stdin is a TTY).
    pub foreground: bool,
    /// The signal mask launch started with.
    pub mask: SigSet,
    /// Dispositions launch changed, to put back as they were.
    pub dispositions: Vec<(Signal, SigAction)>,
    /// Switch to this user and group.
    pub user: Option<(Uid, Gid)>,
}

/// Arranges for `cmd`'s child to run `setup` just before exec.
pub fn prepare(cmd: &mut Command, setup: ChildSetup) {
    // SAFETY: the closure runs in the forked child before exec and calls only
    // async-signal-safe functions (setpgid, tcsetpgrp, sigaction,
    // sigprocmask, setgroups, setgid, setuid); it allocates nothing, as
    // everything it needs was computed before the fork.
    unsafe {
        cmd.pre_exec(move || {
            if setup.own_group {
                nix::unistd::setpgid(Pid::from_raw(0), Pid::from_raw(0))?;
                if setup.foreground {
                    // SIGTTOU is still ignored here (inherited from launch),
                    // so a background group may take the terminal.
                    let stdin = std::os::fd::BorrowedFd::borrow_raw(0);
                    let _ = nix::unistd::tcsetpgrp(stdin, nix::unistd::getpid());
                }
            }
            for (signal, action) in &setup.dispositions {
                sigaction(*signal, action)?;
            }
            sigprocmask(SigmaskHow::SIG_SETMASK, Some(&setup.mask), None)?;
            if let Some((uid, gid)) = setup.user {
                nix::unistd::setgroups(&[gid])?;
                nix::unistd::setgid(gid)?;
                nix::unistd::setuid(uid)?;
            }
            Ok(())
        });
    }
}

/// Sets the disposition of `signal`, returning the one it replaces.
pub fn sigaction(signal: Signal, action: &SigAction) -> nix::Result<SigAction> {
    // SAFETY: the actions launch installs are SIG_IGN, SIG_DFL or one it read
    // back from the kernel earlier; none runs Rust code in a signal handler.
    unsafe { nix::sys::signal::sigaction(signal, action) }
}

/// Ignores `signal`, returning its previous disposition.
pub fn ignore(signal: Signal) -> nix::Result<SigAction> {
    sigaction(
        signal,
        &SigAction::new(
            SigHandler::SigIgn,
            nix::sys::signal::SaFlags::empty(),
            SigSet::empty(),
        ),
    )
}
