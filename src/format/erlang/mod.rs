//! Erlang term files (sys.config and the files it includes): lexer, parser,
//! escaping and rendering. See SPEC §3.

pub mod escape;
pub mod lexer;
pub mod parse;
pub mod render;

pub use render::{placeholders, render, render_with_top_strings, top_strings};
