//! Rendering any template in all three formats with values that hold
//! quotes, braces, placeholders, control characters and non-UTF-8 bytes:
//! no panic, no hang, and an Erlang file that renders is still one term.
#![no_main]

use std::collections::HashMap;

use launch::format::Format;
use launch::format::erlang::parse::check_output;
use launch::resolve::{Env, Resolver};
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let env = Env::from_pairs([
        ("A".to_string(), b"plain".to_vec()),
        ("B".to_string(), b"q\"u'o\\te ${A} $${A} }{ \n\x01".to_vec()),
        ("C".to_string(), b"\xff\xfe\xc3".to_vec()),
        ("N".to_string(), b"42".to_vec()),
        ("T".to_string(), b"{a, [1, 2]}".to_vec()),
        ("E".to_string(), Vec::new()),
    ]);
    let types = HashMap::new();
    for format in [Format::Erlang, Format::Args, Format::Text] {
        let resolver = Resolver::new(&env, &types);
        match format.render(data, &resolver) {
            Ok(out) if format == Format::Erlang => {
                assert!(
                    check_output(&out.bytes).is_ok(),
                    "a rendered file that does not parse"
                );
            }
            Ok(_) => {}
            Err(problems) => assert!(problems.iter().all(|p| p.at <= data.len())),
        }
    }
});
