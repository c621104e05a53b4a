//! Plain text templates: `${...}` expanded with no escaping at all.

use crate::diag::Problem;
use crate::format::{Listing, Rendering, over_limit};
use crate::placeholder::{Part, scan};
use crate::resolve::{Piece, Resolver};
use crate::types::{Checked, Type};

/// Renders a text template.
pub fn render(src: &[u8], resolver: &Resolver<'_>) -> Result<Rendering, Vec<Problem>> {
    let mut problems = Vec::new();
    let template = scan(src, false, &mut problems);
    let mut out = Vec::with_capacity(src.len());
    let identity = |b: &[u8]| b.to_vec();
    for part in &template.parts {
        match part {
            Part::Text(t) => out.extend_from_slice(t),
            Part::Placeholder(p) => {
                if let Some(r) = resolver.resolve(p, Type::String, &identity, &mut problems) {
                    match r.checked {
                        Checked::Canonical(c) => out.extend_from_slice(c.as_bytes()),
                        Checked::AsIs => {
                            for piece in r.pieces.as_slice() {
                                match piece {
                                    Piece::Template(t) => out.extend_from_slice(t),
                                    Piece::Value(v) => out.extend_from_slice(v),
                                }
                            }
                        }
                    }
                }
                if over_limit(out.len(), p.start, &mut problems) {
                    break;
                }
            }
        }
    }
    if problems.is_empty() {
        Ok(Rendering {
            bytes: out,
            top_strings: Vec::new(),
            placeholders: template.count(),
        })
    } else {
        Err(problems)
    }
}

/// Every placeholder of a text template.
pub fn list(src: &[u8]) -> Result<Listing, Vec<Problem>> {
    let mut problems = Vec::new();
    let template = scan(src, false, &mut problems);
    let mut found = Vec::new();
    crate::format::collect(&template, Type::String, &|at| at, &mut found);
    if problems.is_empty() {
        Ok(Listing {
            found,
            top_strings: Vec::new(),
        })
    } else {
        Err(problems)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::resolve::Env;
    use std::collections::HashMap;

    #[test]
    fn values_are_inserted_as_they_are() {
        let env = Env::from_pairs([("A".to_string(), b"'\"\\ ${B}".to_vec())]);
        let types = HashMap::new();
        let r = Resolver::new(&env, &types);
        let out = render(b"x=${A} $${A} ${P:port:-80}", &r).unwrap().bytes;
        assert_eq!(out, b"x='\"\\ ${B} ${A} 80");
    }
}
