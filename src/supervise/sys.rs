//! The calls nix does not wrap the way launch needs them: sending a signal by
//! number and reaping with the raw wait status (nix has no `Signal` for the
//! real-time signals, so it can neither send them nor decode a status that
//! names one), signalling a process through a pidfd (nix has none),
//! changing a signal's disposition, and the steps the child takes between
//! fork and exec. Every `unsafe` block of launch is in this file.

use std::io;
use std::os::fd::{AsRawFd, FromRawFd, OwnedFd, RawFd};
use std::os::unix::process::CommandExt;
use std::process::Command;

use nix::errno::Errno;
use nix::libc;
use nix::sys::signal::{SigAction, SigHandler, SigSet, SigmaskHow, Signal, sigprocmask};
use nix::unistd::Pid;

/// Sends signal number `signo` to `pid` (a process group when negative);
/// signal 0 only asks whether it exists.
pub fn send(pid: Pid, signo: i32) -> io::Result<()> {
    // SAFETY: kill(2) takes plain integers and touches no memory of ours.
    let rc = unsafe { libc::kill(pid.as_raw(), signo) };
    if rc == 0 {
        Ok(())
    } else {
        Err(io::Error::last_os_error())
    }
}

/// A process held by a file descriptor (a pidfd): a signal sent through it
/// reaches that process or none, never a later one given the same PID.
pub struct PidFd(OwnedFd);

impl PidFd {
    /// Opens a pidfd for the process `pid` names now (Linux 5.3 and later).
    pub fn open(pid: i32) -> io::Result<PidFd> {
        // SAFETY: pidfd_open(2) takes a PID and flags, touches no memory of
        // ours, and returns a new descriptor or -1.
        let fd = unsafe { libc::syscall(libc::SYS_pidfd_open, pid, 0) };
        if fd < 0 {
            return Err(io::Error::last_os_error());
        }
        let fd = RawFd::try_from(fd).map_err(|_| io::Error::other("pidfd out of range"))?;
        // SAFETY: the kernel just made this descriptor for us; nothing else
        // owns it, so the OwnedFd may close it.
        Ok(PidFd(unsafe { OwnedFd::from_raw_fd(fd) }))
    }

    /// Sends signal number `signo` to the process (Linux 5.1 and later).
    pub fn send(&self, signo: i32) -> io::Result<()> {
        // SAFETY: pidfd_send_signal(2) with no siginfo (a null pointer, which
        // it does not read) sends as kill(2) does; the descriptor is ours
        // and open for the whole call.
        let rc = unsafe {
            libc::syscall(
                libc::SYS_pidfd_send_signal,
                self.0.as_raw_fd(),
                signo,
                std::ptr::null::<libc::siginfo_t>(),
                0,
            )
        };
        if rc == 0 {
            Ok(())
        } else {
            Err(io::Error::last_os_error())
        }
    }
}

/// How a process ended.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Ended {
    /// It exited with this code.
    Exited(u8),
    /// Signal number N ended it (1 to 64, real-time signals included).
    Killed(i32),
}

/// Reaps one child that has ended, without waiting: its PID and how it
/// ended, or `None` when none has (or launch has no children).
pub fn reap() -> Option<(Pid, Ended)> {
    loop {
        let mut status: libc::c_int = 0;
        // SAFETY: waitpid(2) writes one int through the pointer, which points
        // at `status`, alive for the whole call.
        let pid = unsafe { libc::waitpid(-1, &mut status, libc::WNOHANG) };
        match pid {
            0 => return None,
            -1 if Errno::last() == Errno::EINTR => continue,
            -1 => return None,
            pid => {
                if let Some(ended) = decode(status) {
                    return Some((Pid::from_raw(pid), ended));
                }
                // Stopped or continued: not asked for, so not expected;
                // nothing ended.
            }
        }
    }
}

/// How a wait status says a process ended; `None` for a stop or a continue.
fn decode(status: libc::c_int) -> Option<Ended> {
    if libc::WIFEXITED(status) {
        // The kernel keeps eight bits of the code.
        u8::try_from(libc::WEXITSTATUS(status))
            .ok()
            .map(Ended::Exited)
    } else if libc::WIFSIGNALED(status) {
        Some(Ended::Killed(libc::WTERMSIG(status)))
    } else {
        None
    }
}

/// What a child does between fork and exec, in this order.
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
    /// Switch to this user, its groups and its primary group (unless
    /// launch already is it: `switch` is false).
    pub user: Option<super::User>,
}

/// Arranges for `cmd`'s child to run `setup` just before exec. The standard
/// library's own step comes first: it empties the mask and sets SIGPIPE to
/// its default; `setup` then puts back the mask launch started with.
pub fn prepare(cmd: &mut Command, setup: ChildSetup) {
    // SAFETY: the closure runs in the forked child before exec and calls only
    // async-signal-safe functions (setpgid, getpid, tcsetpgrp, sigaction,
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
            if let Some(user) = setup.user.as_ref().filter(|u| u.switch) {
                nix::unistd::setgroups(&user.groups)?;
                nix::unistd::setgid(user.gid)?;
                nix::unistd::setuid(user.uid)?;
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

/// Puts `signal` back to its default if a handler catches it; an ignored
/// signal stays ignored.
pub fn uncatch(signal: Signal) -> nix::Result<()> {
    let default = SigAction::new(
        SigHandler::SigDfl,
        nix::sys::signal::SaFlags::empty(),
        SigSet::empty(),
    );
    let was = sigaction(signal, &default)?;
    if matches!(was.handler(), SigHandler::SigIgn) {
        sigaction(signal, &was)?;
    }
    Ok(())
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

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn wait_statuses_decode_for_every_signal_and_code() {
        for code in 0..=255u8 {
            assert_eq!(decode(i32::from(code) << 8), Some(Ended::Exited(code)));
        }
        for signo in 1..=64 {
            assert_eq!(decode(signo), Some(Ended::Killed(signo)), "{signo}");
            // With a core dump.
            assert_eq!(decode(signo | 0x80), Some(Ended::Killed(signo)), "{signo}");
        }
        // Stopped by SIGSTOP; continued.
        assert_eq!(decode(0x137f), None);
        assert_eq!(decode(0xffff), None);
    }
}
