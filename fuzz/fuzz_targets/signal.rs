//! Signal names and `--rewrite` pairs on any text: no panic, every signal
//! accepted is one Linux has (1 to 64), and a signal's name reads back as
//! the same number.
#![no_main]

use launch::supervise::signals::{Rewrites, name, parse_rewrite, parse_signal};
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let Ok(text) = std::str::from_utf8(data) else {
        return;
    };
    if let Ok(n) = parse_signal(text) {
        assert!((1..=64).contains(&n), "{text} gave {n}");
        let named = name(n);
        // The C library's own two (32, 33) have no name, only a number.
        if !named.starts_with("signal ") {
            assert_eq!(parse_signal(&named), Ok(n), "{text} named {named}");
        }
    }
    if let Ok((from, to)) = parse_rewrite(text) {
        assert!((1..=64).contains(&from) && (0..=64).contains(&to), "{text}");
        let rewrites = Rewrites::new(&[(from, to)]).expect("one pair names its signal once");
        let forwarded = rewrites.apply(from);
        assert_eq!(forwarded, (to != 0).then_some(to), "{text}");
    }
});
