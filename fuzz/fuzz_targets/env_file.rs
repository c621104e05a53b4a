//! Docker's env file syntax on any bytes: no panic, no hang, problems at
//! offsets inside the input, and no problem that shows the input.
#![no_main]

use launch::env_file::parse;
use launch::resolve::Env;
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let env = Env::default();
    match parse(data, &env) {
        Ok(variables) => {
            for (name, value) in variables {
                assert!(!name.is_empty() && !name.contains(['=', '\0', ' ', '\t', '\n']));
                assert!(!value.contains(&0) && !value.contains(&b'\n'));
            }
        }
        Err(problems) => {
            assert!(!problems.is_empty());
            for p in &problems {
                assert!(p.at <= data.len());
            }
        }
    }
});
