//! The Erlang lexer and parser on any bytes: no panic, no hang, and every
//! error lies inside the input.
#![no_main]

use launch::format::erlang::lexer::{Kind, Lexer};
use launch::format::erlang::parse::{check_output, parse_template};
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    for placeholders in [true, false] {
        let mut lx = Lexer::new(data, placeholders);
        let mut last = 0;
        loop {
            let t = lx.next_token();
            if t.kind == Kind::Error {
                assert!(lx.error().is_some_and(|e| e.at <= data.len()));
                assert_eq!(lx.next_token().kind, Kind::Error);
                break;
            }
            assert!(t.start >= last && t.end >= t.start && t.end <= data.len());
            last = t.end;
            if t.kind == Kind::End {
                break;
            }
        }
    }
    if let Err(p) = parse_template(data, &mut |_| {}) {
        assert!(p.at <= data.len());
    }
    if let Err(p) = check_output(data) {
        assert!(p.at <= data.len());
    }
});
