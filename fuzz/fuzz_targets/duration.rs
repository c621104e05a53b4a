//! The duration parser (`--grace-period`, `--stop-delay`, `--wait-timeout`)
//! on any text: no panic, and what it accepts is what it says: a number of
//! milliseconds written back in `ms` reads as the same duration.
#![no_main]

use launch::supervise::signals::parse_duration;
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let Ok(text) = std::str::from_utf8(data) else {
        return;
    };
    let Ok(d) = parse_duration(text) else {
        return;
    };
    assert!(text.ends_with("ms") || text.ends_with('s') || text.ends_with('m'));
    assert!(text.as_bytes()[0].is_ascii_digit());
    if d.subsec_nanos() % 1_000_000 == 0
        && let Ok(ms) = u64::try_from(d.as_millis())
    {
        assert_eq!(parse_duration(&format!("{ms}ms")), Ok(d), "{text}");
    }
});
