//! The `${...}` grammar on any bytes: no panic, no hang, spans inside the
//! input, problems at offsets inside it.
#![no_main]

use launch::placeholder::{Part, scan};
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    for escapes in [false, true] {
        let mut problems = Vec::new();
        let template = scan(data, escapes, &mut problems);
        for part in &template.parts {
            if let Part::Placeholder(p) = part {
                assert!(p.start < p.end && p.end <= data.len());
                assert_eq!(&data[p.start..p.start + 2], b"${");
            }
        }
        for p in &problems {
            assert!(p.at <= data.len());
        }
    }
});
