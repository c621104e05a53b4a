//! The words of the supervision options: signal names and numbers, which
//! signals stop the container, the `--rewrite` table, and durations. Only
//! parsing and naming live here; what is done with a signal is `mod.rs`'s.

use std::collections::HashMap;
use std::str::FromStr;
use std::time::Duration;

use nix::sys::signal::Signal;

/// The highest signal number Linux has (SIGRTMAX).
const MAX_SIGNAL: i32 = 64;
/// SIGRTMIN as Docker and glibc count it: the kernel's real-time signals
/// start at 32, and the C library keeps the first two for itself.
const RTMIN: i32 = 34;

/// True for the signals that stop the container: SIGTERM (`docker stop`,
/// Kubernetes) and SIGINT (Ctrl-C). They start the stop sequence (delay,
/// hook, grace period), and before the child exists they end launch.
pub fn is_stop(signo: i32) -> bool {
    signo == Signal::SIGTERM as i32 || signo == Signal::SIGINT as i32
}

/// Why launch never forwards signal `signo`, or `None` when it does.
/// `--rewrite` refuses these as FROM.
pub fn not_forwarded(signo: i32) -> Option<&'static str> {
    match signo {
        9 | 19 => Some("cannot be caught"),
        17 => Some("is launch's own: it tells launch that a child ended"),
        // SIGILL, SIGTRAP, SIGABRT, SIGBUS, SIGFPE, SIGSEGV, SIGSYS.
        4 | 5 | 6 | 7 | 8 | 11 | 31 => Some("is a fault, left to end launch itself"),
        21 | 22 => Some("is ignored by launch, so that it is never stopped by the terminal"),
        32 | 33 => Some("is the C library's own"),
        _ => None,
    }
}

/// A signal number from a name (`TERM`, `SIGTERM`, `RTMIN+3`, any case) or
/// a number from 1 to 64.
pub fn parse_signal(text: &str) -> Result<i32, String> {
    if let Ok(n) = text.parse::<i32>() {
        return if (1..=MAX_SIGNAL).contains(&n) {
            Ok(n)
        } else {
            Err(format!("no signal has the number {n}"))
        };
    }
    let upper = text.to_ascii_uppercase();
    let bare = upper.strip_prefix("SIG").unwrap_or(&upper);
    if let Some(n) = real_time(bare) {
        return Ok(n);
    }
    Signal::from_str(&format!("SIG{bare}"))
        .map(|s| s as i32)
        .map_err(|_| format!("`{text}` is not a signal"))
}

/// `RTMIN`, `RTMIN+N`, `RTMAX`, `RTMAX-N`, when the number is a real-time
/// signal.
fn real_time(bare: &str) -> Option<i32> {
    let offset = |rest: &str, sign: char| -> Option<i32> {
        match rest.strip_prefix(sign) {
            None if rest.is_empty() => Some(0),
            // Digits only: `RTMIN++3` or `RTMIN+-3` are not names.
            Some(digits) if digits.bytes().all(|b| b.is_ascii_digit()) => digits.parse().ok(),
            _ => None,
        }
    };
    let n = if let Some(rest) = bare.strip_prefix("RTMIN") {
        RTMIN.checked_add(offset(rest, '+')?)?
    } else if let Some(rest) = bare.strip_prefix("RTMAX") {
        MAX_SIGNAL.checked_sub(offset(rest, '-')?)?
    } else {
        return None;
    };
    (RTMIN..=MAX_SIGNAL).contains(&n).then_some(n)
}

/// The name of signal `signo` for messages: `SIGTERM`, `SIGRTMIN+3`, or
/// `signal 32` for the C library's own.
pub fn name(signo: i32) -> String {
    if let Ok(s) = Signal::try_from(signo) {
        return s.as_str().to_owned();
    }
    match signo {
        RTMIN => "SIGRTMIN".to_owned(),
        MAX_SIGNAL => "SIGRTMAX".to_owned(),
        n if (RTMIN..MAX_SIGNAL).contains(&n) => format!("SIGRTMIN+{}", n - RTMIN),
        n => format!("signal {n}"),
    }
}

/// One `FROM:TO` of `--rewrite`; TO `0` drops FROM. FROM must be a
/// signal launch forwards.
pub fn parse_rewrite(text: &str) -> Result<(i32, i32), String> {
    let (from, to) = text
        .split_once(':')
        .ok_or_else(|| format!("expected FROM:TO, got `{text}`"))?;
    let from = parse_signal(from)?;
    if let Some(why) = not_forwarded(from) {
        return Err(format!(
            "{} {why}; launch never forwards it, so it cannot be rewritten",
            name(from)
        ));
    }
    let to = if to == "0" { 0 } else { parse_signal(to)? };
    Ok((from, to))
}

/// What to forward for each signal received: the signal itself unless rewritten.
#[derive(Debug, Clone, Default)]
pub struct Rewrites(HashMap<i32, i32>);

impl Rewrites {
    /// The table of `--rewrite` pairs; a FROM given twice is refused, as
    /// one of the two would be ignored.
    pub fn new(pairs: &[(i32, i32)]) -> Result<Self, String> {
        let mut table = HashMap::new();
        for &(from, to) in pairs {
            if let Some(first) = table.insert(from, to) {
                return Err(format!(
                    "--rewrite: {} is rewritten twice (to {} and to {})",
                    name(from),
                    target(first),
                    target(to)
                ));
            }
        }
        Ok(Rewrites(table))
    }

    /// The signal to forward for `signo`, or `None` when it is dropped.
    pub fn apply(&self, signo: i32) -> Option<i32> {
        match self.0.get(&signo) {
            Some(0) => None,
            Some(&to) => Some(to),
            None => Some(signo),
        }
    }

    /// True when `signo` stops the container: a stop signal, or one
    /// rewritten to a stop signal (`RTMIN+3:TERM` for an image whose
    /// STOPSIGNAL is SIGRTMIN+3), unless it is dropped.
    pub fn stops(&self, signo: i32) -> bool {
        self.apply(signo)
            .is_some_and(|to| is_stop(signo) || is_stop(to))
    }
}

/// TO of a rewrite, for messages.
fn target(to: i32) -> String {
    if to == 0 { "0".to_owned() } else { name(to) }
}

/// A duration: a number with `ms`, `s` or `m`. One longer than a
/// `Duration` holds is refused rather than wrapped.
pub fn parse_duration(text: &str) -> Result<Duration, String> {
    let not_one = || format!("`{text}` is not a duration (like 500ms, 30s or 2m)");
    let split = text
        .find(|c: char| !c.is_ascii_digit())
        .unwrap_or(text.len());
    let (number, unit) = text.split_at(split);
    if number.is_empty() {
        return Err(not_one());
    }
    if unit.is_empty() {
        return Err(format!("`{text}` needs a unit: ms, s or m"));
    }
    let per_unit: u64 = match unit {
        "ms" | "s" => 1,
        "m" => 60,
        _ => return Err(not_one()),
    };
    let too_long = || {
        format!(
            "`{text}` is too long (at most {}{unit})",
            u64::MAX / per_unit
        )
    };
    // Digits only, so the one way parsing fails is a number beyond u64.
    let n: u64 = number.parse().map_err(|_| too_long())?;
    let n = n.checked_mul(per_unit).ok_or_else(too_long)?;
    Ok(match unit {
        "ms" => Duration::from_millis(n),
        _ => Duration::from_secs(n),
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn signals_by_name_with_or_without_sig_or_by_number() {
        assert_eq!(parse_signal("TERM"), Ok(15));
        assert_eq!(parse_signal("sigusr1"), Ok(10));
        assert_eq!(parse_signal("SIGHUP"), Ok(1));
        assert_eq!(parse_signal("40"), Ok(40));
        assert!(parse_signal("NOPE").is_err());
        assert!(parse_signal("0").is_err());
        assert!(parse_signal("65").is_err());
        assert!(parse_signal("").is_err());
        assert!(parse_signal("SIG").is_err());
    }

    #[test]
    fn real_time_signals_by_name_as_docker_counts_them() {
        assert_eq!(parse_signal("SIGRTMIN+3"), Ok(37));
        assert_eq!(parse_signal("rtmin"), Ok(34));
        assert_eq!(parse_signal("RTMAX"), Ok(64));
        assert_eq!(parse_signal("SIGRTMAX-30"), Ok(34));
        assert!(parse_signal("RTMIN+31").is_err());
        assert!(parse_signal("RTMAX-31").is_err());
        assert!(parse_signal("RTMIN-1").is_err());
        assert!(parse_signal("RTMIN+").is_err());
        assert!(parse_signal("RTMIN++3").is_err());
        assert!(parse_signal("RTMIN+99999999999999999999").is_err());
        assert_eq!(name(37), "SIGRTMIN+3");
        assert_eq!(name(64), "SIGRTMAX");
        assert_eq!(name(32), "signal 32");
        for n in 34..=64 {
            assert_eq!(parse_signal(&name(n)), Ok(n));
        }
    }

    #[test]
    fn stop_signals_are_term_and_int() {
        let stops: Vec<i32> = (1..=64).filter(|&n| is_stop(n)).collect();
        assert_eq!(stops, vec![2, 15]);
    }

    #[test]
    fn rewrites_replace_or_drop() {
        let r = Rewrites::new(&[
            parse_rewrite("TERM:QUIT").unwrap(),
            parse_rewrite("USR1:0").unwrap(),
        ])
        .unwrap();
        assert_eq!(r.apply(15), Some(3));
        assert_eq!(r.apply(10), None);
        assert_eq!(r.apply(2), Some(2));
    }

    #[test]
    fn a_signal_rewritten_to_a_stop_signal_stops_and_a_dropped_one_does_not() {
        let r = Rewrites::new(&[
            parse_rewrite("RTMIN+3:TERM").unwrap(),
            parse_rewrite("HUP:INT").unwrap(),
            parse_rewrite("TERM:QUIT").unwrap(),
            parse_rewrite("INT:0").unwrap(),
        ])
        .unwrap();
        let stops: Vec<i32> = (1..=64).filter(|&n| r.stops(n)).collect();
        assert_eq!(stops, vec![1, 15, 37]);
    }

    #[test]
    fn rewrites_of_signals_never_forwarded_or_given_twice_are_refused() {
        for from in ["KILL", "STOP", "CHLD", "SEGV", "TTIN", "32"] {
            let err = parse_rewrite(&format!("{from}:TERM")).unwrap_err();
            assert!(err.contains("cannot be rewritten"), "{from}: {err}");
        }
        let err = Rewrites::new(&[(15, 3), (10, 12), (15, 0)]).unwrap_err();
        assert_eq!(
            err,
            "--rewrite: SIGTERM is rewritten twice (to SIGQUIT and to 0)"
        );
        // TO may be any signal.
        assert_eq!(parse_rewrite("USR1:KILL"), Ok((10, 9)));
    }

    #[test]
    fn durations_need_a_unit() {
        assert_eq!(parse_duration("500ms"), Ok(Duration::from_millis(500)));
        assert_eq!(parse_duration("30s"), Ok(Duration::from_secs(30)));
        assert_eq!(parse_duration("2m"), Ok(Duration::from_secs(120)));
        assert_eq!(parse_duration("0s"), Ok(Duration::ZERO));
        assert!(parse_duration("30").is_err());
        assert!(parse_duration("s").is_err());
        assert!(parse_duration("").is_err());
        assert!(parse_duration("1h").is_err());
        assert!(parse_duration("-1s").is_err());
        assert!(parse_duration("+1s").is_err());
        assert!(parse_duration("1 s").is_err());
        assert!(parse_duration("1sm").is_err());
        assert!(parse_duration("١s").is_err());
    }

    #[test]
    fn durations_too_long_to_represent_are_refused_not_wrapped() {
        let max = u64::MAX;
        assert_eq!(
            parse_duration(&format!("{max}s")),
            Ok(Duration::from_secs(max))
        );
        assert_eq!(
            parse_duration(&format!("{max}ms")),
            Ok(Duration::from_millis(max))
        );
        assert_eq!(
            parse_duration("307445734561825860m"),
            Ok(Duration::from_secs(307445734561825860 * 60))
        );
        // Once wrapped to 44 s.
        let err = parse_duration("307445734561825861m").unwrap_err();
        assert!(err.contains("too long"), "{err}");
        assert!(err.contains("307445734561825860m"), "{err}");
        assert!(parse_duration("18446744073709551616s").is_err());
        assert!(parse_duration("99999999999999999999999999999ms").is_err());
    }
}
