//! The floor for rendering, built like launch (static, optimised): start a
//! process, read the file whole, copy it into a second buffer as a renderer
//! must, and write that out. Whatever launch costs above this is its own work.
use std::io::Write;

fn main() {
    let path = std::env::args_os().nth(1).expect("usage: floor FILE");
    let input = std::fs::read(path).expect("read");
    let mut out = Vec::with_capacity(input.len() + input.len() / 8);
    out.extend_from_slice(&input);
    std::io::stdout().lock().write_all(&out).expect("write");
}
