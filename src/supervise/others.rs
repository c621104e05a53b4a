//! The rest of the container: every process launch can see besides itself
//! and its child. As PID 1 that is the whole PID namespace (daemons that
//! left the child's process group, what `docker exec` started, orphans);
//! otherwise, as a child subreaper, launch's descendants. tini and
//! dumb-init leave them to the kernel, which SIGKILLs them when PID 1
//! exits; launch sends each the stop signal once, waits for them, and
//! SIGKILLs only what is still there when the grace period ends. When and
//! how long is `mod.rs`'s; finding them and signalling them is this file's.
//!
//! They are found in /proc. A PID names a process only until the process
//! is reaped, after which the kernel may give it to another; so each is
//! known by its PID and start time, and signalled through a pidfd that is
//! checked, once open, to hold the process that was listed. As PID 1 the
//! final SIGKILL is one `kill(-1)`, which the kernel delivers to every
//! process of the namespace at once, one being forked included. Without a
//! /proc of launch's own namespace, launch uses `kill(-1)` as PID 1 and
//! the child's process group otherwise.

use std::collections::{HashMap, HashSet};
use std::fmt::Write;

use nix::errno::Errno;
use nix::sys::signal::Signal;
use nix::unistd::Pid;

use super::sys;
use crate::diag::Log;

/// How many processes a message names; the rest are counted.
const NAMED: usize = 20;

/// One process, as its /proc/PID/stat showed it.
#[derive(Debug, Clone, PartialEq, Eq)]
struct Process {
    pid: i32,
    ppid: i32,
    pgrp: i32,
    /// When it started, in clock ticks since boot: with the PID, who it is.
    start: u64,
    zombie: bool,
    /// Its command name (what /proc/PID/comm holds).
    name: String,
}

/// Who a process is: its PID and start time, which no other process has.
type Identity = (i32, u64);

impl Process {
    fn identity(&self) -> Identity {
        (self.pid, self.start)
    }
}

/// Reads `/proc/PID/stat`: `PID (NAME) STATE PPID PGRP ...`, the start time
/// the 22nd field. NAME may hold anything, spaces and parentheses too, so
/// the fields are counted from the last `)`.
fn parse_stat(text: &str) -> Option<Process> {
    let (head, rest) = text.rsplit_once(')')?;
    let (pid, name) = head.split_once('(')?;
    let fields: Vec<&str> = rest.split_whitespace().collect();
    Some(Process {
        pid: pid.trim().parse().ok()?,
        zombie: *fields.first()? == "Z",
        ppid: fields.get(1)?.parse().ok()?,
        pgrp: fields.get(2)?.parse().ok()?,
        start: fields.get(19)?.parse().ok()?,
        name: name.to_owned(),
    })
}

/// The process `pid` is now, if there is one.
fn read(pid: i32) -> Option<Process> {
    let text = std::fs::read_to_string(format!("/proc/{pid}/stat")).ok()?;
    parse_stat(&text)
}

/// Every process /proc lists, or `None` when /proc is not of launch's own
/// PID namespace (not mounted; or, after `unshare --pid` without a new
/// /proc, another namespace's, whose PIDs mean other processes).
fn listed(me: i32) -> Option<Vec<Process>> {
    let own = std::fs::read_link("/proc/self").ok()?;
    if own.to_str()? != me.to_string() {
        return None;
    }
    let mut all = Vec::new();
    for entry in std::fs::read_dir("/proc").ok()?.flatten() {
        let pid = entry.file_name().to_str().and_then(|n| n.parse().ok());
        // A process that ended since the directory was read is not listed.
        if let Some(p) = pid.and_then(read) {
            all.push(p);
        }
    }
    Some(all)
}

/// The descendants of `me`, found from it downwards through each thread's
/// `children` file, so that a subreaper on a busy machine does not read
/// every process there is. `None` when the kernel has no such files (they
/// need CONFIG_PROC_CHILDREN) or /proc is not of launch's namespace.
fn walked(me: i32) -> Option<Vec<Process>> {
    let own = std::fs::read_link("/proc/self").ok()?;
    if own.to_str()? != me.to_string() {
        return None;
    }
    std::fs::metadata(format!("/proc/{me}/task/{me}/children")).ok()?;
    let mut found = Vec::new();
    let mut next = vec![me];
    let mut seen = HashSet::from([me]);
    while let Some(parent) = next.pop() {
        let Ok(tasks) = std::fs::read_dir(format!("/proc/{parent}/task")) else {
            continue;
        };
        for task in tasks.flatten() {
            let children = task.path().join("children");
            let Ok(text) = std::fs::read_to_string(children) else {
                continue;
            };
            for pid in text.split_whitespace().filter_map(|p| p.parse().ok()) {
                // Read again, it must still be the parent's: a PID met
                // twice would be a listing torn by reuse, and once is enough.
                if let Some(p) = read(pid).filter(|p| p.ppid == parent)
                    && seen.insert(pid)
                {
                    next.push(pid);
                    found.push(p);
                }
            }
        }
    }
    Some(found)
}

/// Of `all`, the descendants of `me`: the processes whose chain of parents
/// leads to it.
fn descendants(me: i32, all: Vec<Process>) -> Vec<Process> {
    let mut children: HashMap<i32, Vec<usize>> = HashMap::new();
    for (i, p) in all.iter().enumerate() {
        children.entry(p.ppid).or_default().push(i);
    }
    let mut found = vec![false; all.len()];
    let mut next = vec![me];
    let mut seen = HashSet::from([me]);
    while let Some(parent) = next.pop() {
        for &i in children.get(&parent).into_iter().flatten() {
            // A PID met twice would be a listing torn by reuse: once is enough.
            if seen.insert(all[i].pid) {
                next.push(all[i].pid);
                found[i] = true;
            }
        }
    }
    all.into_iter()
        .zip(found)
        .filter_map(|(p, found)| found.then_some(p))
        .collect()
}

/// What became of a signal sent to a listed process.
enum Delivery {
    /// It went to that process.
    Delivered,
    /// That process is gone (its PID may be another's now).
    Gone,
    /// launch may not signal it (another user's, as launch is not root).
    Refused,
}

/// Sends `signo` to `p`, if `p` is still the process that was listed.
fn signal(p: &Process, signo: i32) -> Delivery {
    let same = || read(p.pid).is_some_and(|now| now.start == p.start);
    let outcome = |result: std::io::Result<()>| match result {
        Ok(()) => Delivery::Delivered,
        Err(e) if e.raw_os_error() == Some(Errno::EPERM as i32) => Delivery::Refused,
        Err(_) => Delivery::Gone,
    };
    let kill = || outcome(sys::send(Pid::from_raw(p.pid), signo));
    match sys::PidFd::open(p.pid) {
        // Open, the pidfd holds whatever process had the PID then; the same
        // start time after that proves it was the listed one, which was
        // alive before and after.
        Ok(fd) if same() => match fd.send(signo) {
            // Refused: perhaps only pidfd_send_signal is (a seccomp profile
            // that allows pidfd_open); kill(2) says whether launch may.
            Err(e) if e.raw_os_error() == Some(Errno::EPERM as i32) => kill(),
            sent => outcome(sent),
        },
        Ok(_) => Delivery::Gone,
        Err(e) if e.raw_os_error() == Some(Errno::ESRCH as i32) => Delivery::Gone,
        // No pidfds (a kernel before 5.3, a seccomp profile that forbids
        // them): check, then kill(2), a race as narrow as it can be.
        Err(_) if same() => kill(),
        Err(_) => Delivery::Gone,
    }
}

/// The process group `pgrp` the child is in, when `--group` may signal it
/// as a whole: not launch's own group (which holds launch, and as a
/// subreaper launch's parent), and not 0 or 1 (`kill(-1)` would be every
/// process). `None` means the child alone.
pub fn group_of_child(pgrp: i32) -> Option<i32> {
    (pgrp > 1 && pgrp != nix::unistd::getpgrp().as_raw()).then_some(pgrp)
}

/// `PID (NAME)` of each, the first [`NAMED`] of them.
fn names<'a>(all: impl ExactSizeIterator<Item = &'a Process>) -> String {
    let count = all.len();
    let mut text = String::new();
    for (i, p) in all.enumerate().take(NAMED) {
        let comma = if i == 0 { "" } else { ", " };
        let _ = write!(text, "{comma}{} ({})", p.pid, p.name);
    }
    if count > NAMED {
        let _ = write!(text, " and {} more", count - NAMED);
    }
    text
}

/// "1 process" or "N processes".
fn processes(n: usize) -> String {
    if n == 1 {
        "1 process".to_owned()
    } else {
        format!("{n} processes")
    }
}

/// The other processes of the container, and which of them had the stop
/// signal.
pub struct Others {
    /// launch's PID.
    me: i32,
    /// launch is PID 1: every process of the namespace is its to stop.
    init: bool,
    child: Pid,
    /// The child was reaped: its PID may be another process's now.
    child_gone: bool,
    /// `--group`: the stop signal goes to the child's whole group.
    group: bool,
    /// Those that had SIGTERM from launch, each once.
    stopped: HashSet<Identity>,
    /// Those launch may not signal: not waited for.
    refused: HashSet<Identity>,
    /// Without a /proc to list them: SIGTERM was sent to them all at once.
    stopped_blind: bool,
    /// [`Others::kill`] was called: a later call does not say it again.
    killed: bool,
    log: Log,
}

impl Others {
    /// The others of `child`'s container.
    pub fn new(child: Pid, group: bool, log: Log) -> Self {
        let me = nix::unistd::getpid().as_raw();
        Others {
            me,
            init: me == 1,
            child,
            child_gone: false,
            group,
            stopped: HashSet::new(),
            refused: HashSet::new(),
            stopped_blind: false,
            killed: false,
            log,
        }
    }

    /// The child was reaped.
    pub fn child_reaped(&mut self) {
        self.child_gone = true;
    }

    /// The processes in sight, but launch; `None` without a usable /proc.
    fn in_sight(&self) -> Option<Vec<Process>> {
        if self.init {
            let mut all = listed(self.me)?;
            all.retain(|p| p.pid != self.me);
            return Some(all);
        }
        walked(self.me).or_else(|| Some(descendants(self.me, listed(self.me)?)))
    }

    /// Of `all`, those spared while the child lives, as the stop signal
    /// is forwarded to them: the child, and with `--group` the process
    /// group it is in (it started in its own, and may have moved).
    fn spared(&self, all: &[Process]) -> impl Fn(&Process) -> bool + use<> {
        let child = self.child.as_raw();
        let alive = !self.child_gone;
        let group = all
            .iter()
            .find(|p| p.pid == child && alive && self.group)
            .and_then(|p| group_of_child(p.pgrp));
        move |p| alive && (p.pid == child || Some(p.pgrp) == group)
    }

    /// Sends SIGTERM, then SIGCONT for one that is stopped, to every process
    /// in sight that has not had it from launch: not twice, as some take a
    /// second SIGTERM as "now, without cleaning up". Zombies are past
    /// signals; the child (and its group with `--group`) is spared while
    /// it lives. Returns whether any
    /// process is left, as [`Others::any_left`] would say, from the same
    /// listing.
    pub fn stop(&mut self) -> bool {
        let Some(all) = self.in_sight() else {
            self.stop_blind();
            return self.any_left();
        };
        let spared = self.spared(&all);
        let mut sent = Vec::new();
        let mut refused = Vec::new();
        let mut left = false;
        for p in all {
            let id = p.identity();
            if self.refused.contains(&id) {
                continue;
            }
            if spared(&p) {
                // With `--group` the child's group has the stop signal
                // forwarded: it needs no SIGTERM when the child has exited.
                if p.pid != self.child.as_raw() {
                    self.stopped.insert(id);
                }
                continue;
            }
            if p.zombie || self.stopped.contains(&id) {
                left = true;
                continue;
            }
            match signal(&p, Signal::SIGTERM as i32) {
                Delivery::Delivered => {
                    // A stopped process acts on SIGTERM once continued.
                    let _ = signal(&p, Signal::SIGCONT as i32);
                    self.stopped.insert(id);
                    left = true;
                    sent.push(p);
                }
                Delivery::Refused => {
                    self.refused.insert(id);
                    refused.push(p);
                }
                Delivery::Gone => {}
            }
        }
        if !sent.is_empty() {
            self.log.step(format_args!(
                "sent SIGTERM to {}: {}",
                processes(sent.len()),
                names(sent.iter())
            ));
        }
        if !refused.is_empty() {
            self.log.outcome(format_args!(
                "may not signal {}, not waiting for them: {}",
                processes(refused.len()),
                names(refused.iter())
            ));
        }
        left
    }

    /// [`Others::stop`] without /proc: once the child is gone (it cannot be
    /// told apart), SIGTERM to every process as PID 1, else to the child's
    /// process group.
    fn stop_blind(&mut self) {
        if !self.child_gone || self.stopped_blind {
            return;
        }
        self.stopped_blind = true;
        let _ = sys::send(self.blind_target(), Signal::SIGTERM as i32);
        let _ = sys::send(self.blind_target(), Signal::SIGCONT as i32);
        self.log.step(format_args!(
            "no /proc of launch's namespace: sent SIGTERM to {}",
            self.blind_name()
        ));
    }

    /// Whom launch signals when it cannot list them.
    fn blind_target(&self) -> Pid {
        if self.init {
            Pid::from_raw(-1)
        } else {
            Pid::from_raw(-self.child.as_raw())
        }
    }

    fn blind_name(&self) -> String {
        if self.init {
            "every process".to_owned()
        } else {
            format!("process group {}", self.child)
        }
    }

    /// Whether any process in sight is left, zombies included until they
    /// are reaped; those launch may not signal are not counted.
    pub fn any_left(&self) -> bool {
        match self.in_sight() {
            Some(all) => {
                let spared = self.spared(&all);
                all.iter()
                    .any(|p| !self.refused.contains(&p.identity()) && !spared(p))
            }
            None => sys::send(self.blind_target(), 0).is_ok(),
        }
    }

    /// SIGKILLs every process in sight that is still running, saying
    /// which and `why` the first time. As PID 1 that is one `kill(-1)`; as a subreaper,
    /// rounds of listing and killing until none is left, as a process may
    /// fork between being listed and being killed.
    pub fn kill(&mut self, why: &str) {
        let running = |all: Vec<Process>, refused: &HashSet<Identity>| -> Vec<Process> {
            all.into_iter()
                .filter(|p| !p.zombie && !refused.contains(&p.identity()))
                .collect()
        };
        let said = std::mem::replace(&mut self.killed, true);
        let Some(all) = self.in_sight() else {
            if !said {
                crate::diag::say(format_args!("{why}; killing {}", self.blind_name()));
            }
            let _ = sys::send(self.blind_target(), Signal::SIGKILL as i32);
            return;
        };
        let first = running(all, &self.refused);
        if first.is_empty() {
            return;
        }
        if !said {
            crate::diag::say(format_args!(
                "{why}; killing {}: {}",
                processes(first.len()),
                names(first.iter())
            ));
        }
        if self.init {
            let _ = sys::send(Pid::from_raw(-1), Signal::SIGKILL as i32);
            return;
        }
        let mut round = first;
        let until = std::time::Instant::now().checked_add(KILL_ROUNDS);
        while !round.is_empty() && until.is_some_and(|t| std::time::Instant::now() < t) {
            for p in &round {
                let _ = signal(p, Signal::SIGKILL as i32);
            }
            std::thread::sleep(std::time::Duration::from_millis(1));
            round = self
                .in_sight()
                .map_or_else(Vec::new, |all| running(all, &self.refused));
        }
    }
}

/// How long a subreaper goes on killing processes that fork as they are
/// killed.
const KILL_ROUNDS: std::time::Duration = std::time::Duration::from_secs(1);

#[cfg(test)]
mod tests {
    use super::*;

    fn process(pid: i32, ppid: i32) -> Process {
        Process {
            pid,
            ppid,
            pgrp: pid,
            start: 100,
            zombie: false,
            name: "x".into(),
        }
    }

    #[test]
    fn stat_lines_read_from_the_last_parenthesis() {
        let line = "4242 (a) b (c)) S 17 4242 4242 0 -1 4194560 90 0 0 0 0 0 0 0 20 0 1 0 \
                    987654 5480448 176 18446744073709551615 1 1 0 0 0 0 0 0 0 0 0 0 17 1 0 0 0 0 0";
        let p = parse_stat(line).unwrap();
        assert_eq!(
            p,
            Process {
                pid: 4242,
                ppid: 17,
                pgrp: 4242,
                start: 987654,
                zombie: false,
                name: "a) b (c)".into(),
            }
        );
        let zombie = line.replace(" S ", " Z ");
        assert!(parse_stat(&zombie).unwrap().zombie);
        assert_eq!(parse_stat("4242 (a) S 17"), None);
        assert_eq!(parse_stat(""), None);
        assert_eq!(parse_stat("x (a) S 1 2 3"), None);
    }

    #[test]
    fn descendants_are_found_through_every_generation() {
        let all = vec![
            process(1, 0),
            process(10, 1),
            process(11, 10),
            process(12, 11),
            process(20, 1),
            process(21, 10),
            process(30, 99),
        ];
        let found: Vec<i32> = descendants(10, all).iter().map(|p| p.pid).collect();
        assert_eq!(found, [11, 12, 21]);
        // A cycle (a listing torn by PID reuse) ends.
        let all = vec![process(2, 3), process(3, 2), process(4, 10), process(10, 4)];
        let found: Vec<i32> = descendants(10, all).iter().map(|p| p.pid).collect();
        assert_eq!(found, [4]);
    }

    #[test]
    fn messages_name_twenty_and_count_the_rest() {
        let all: Vec<Process> = (1..=25).map(|n| process(n, 0)).collect();
        let text = names(all.iter());
        assert!(text.starts_with("1 (x), 2 (x)"), "{text}");
        assert!(text.ends_with("20 (x) and 5 more"), "{text}");
        assert_eq!(processes(1), "1 process");
        assert_eq!(processes(0), "0 processes");
    }

    #[test]
    fn a_process_of_this_test_is_seen_and_signalled_and_its_pid_alone_is_not_enough() {
        let mut child = std::process::Command::new("sleep")
            .arg("30")
            .spawn()
            .unwrap();
        let pid = i32::try_from(child.id()).unwrap();
        let me = nix::unistd::getpid().as_raw();
        let all = listed(me).expect("a /proc of this namespace");
        let listed_child = descendants(me, all)
            .into_iter()
            .find(|p| p.pid == pid)
            .expect("the child is a descendant");
        let walked_child = walked(me)
            .expect("children files")
            .into_iter()
            .find(|p| p.pid == pid);
        assert_eq!(walked_child.as_ref(), Some(&listed_child));
        assert_eq!(listed_child.name, "sleep");
        // Another start time: the same PID, not the same process.
        let impostor = Process {
            start: listed_child.start + 1,
            ..listed_child.clone()
        };
        assert!(matches!(signal(&impostor, 15), Delivery::Gone));
        assert!(child.try_wait().unwrap().is_none());
        assert!(matches!(signal(&listed_child, 15), Delivery::Delivered));
        let status = child.wait().unwrap();
        assert_eq!(
            std::os::unix::process::ExitStatusExt::signal(&status),
            Some(15)
        );
        assert!(matches!(signal(&listed_child, 15), Delivery::Gone));
    }
}
