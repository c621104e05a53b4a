//! Erlang term files (sys.config and the files it includes): lexer, parser,
//! escaping and rendering.

pub mod escape;
pub mod lexer;
pub mod parse;
pub mod render;

pub use render::{list, render};
