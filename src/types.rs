//! The types a placeholder can name (`${PORT:port}`): which values each
//! accepts, and the canonical text of those that become numbers or booleans.
//!
//! This room knows nothing about files. How a checked value is written into a
//! charlist, a binary or an argument file belongs to the formats; `term`
//! values are checked by the Erlang format, which owns the term syntax.

use std::fmt;

/// A placeholder's type.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Type {
    /// Text, written as the literal it stands in (the default).
    String,
    /// Text, written as a binary.
    Binary,
    /// Text, written as a charlist.
    Charlist,
    /// An integer of any size.
    Int,
    /// An integer from 0 to 65535.
    Port,
    /// A floating-point number.
    Float,
    /// A boolean.
    Bool,
    /// An atom.
    Atom,
    /// Erlang term text, inserted as written.
    Term,
}

/// The most characters an Erlang atom may hold.
pub const MAX_ATOM_CHARS: usize = 255;

/// What a value of a type turned into.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Checked {
    /// The value is used as it is (text-like types, atoms, terms).
    AsIs,
    /// The value's canonical Erlang text (numbers and booleans), always plain ASCII.
    Canonical(String),
}

impl Type {
    /// The words a template may use, for messages.
    pub const WORDS: &'static str =
        "string, binary, charlist, int, integer, port, float, bool, boolean, atom, term";

    /// The type named by a word of the template.
    pub fn from_word(word: &str) -> Option<Type> {
        Some(match word {
            "string" => Type::String,
            "binary" => Type::Binary,
            "charlist" => Type::Charlist,
            "int" | "integer" => Type::Int,
            "port" => Type::Port,
            "float" => Type::Float,
            "bool" | "boolean" => Type::Bool,
            "atom" => Type::Atom,
            "term" => Type::Term,
            _ => return None,
        })
    }

    /// The type's name as `vars` shows it.
    pub fn name(self) -> &'static str {
        match self {
            Type::String => "string",
            Type::Binary => "binary",
            Type::Charlist => "charlist",
            Type::Int => "int",
            Type::Port => "port",
            Type::Float => "float",
            Type::Bool => "bool",
            Type::Atom => "atom",
            Type::Term => "term",
        }
    }

    /// True for the types that accept any text, the empty text included.
    pub fn is_text(self) -> bool {
        matches!(self, Type::String | Type::Binary | Type::Charlist)
    }

    /// Checks `value` of variable `name`. The error is a message naming the
    /// variable and the type, never the value.
    pub fn check(self, name: &str, value: &[u8]) -> Result<Checked, String> {
        if value.is_empty() && !self.is_text() {
            return Err(format!(
                "{name} is empty, but type {} needs a value",
                self.name()
            ));
        }
        let text = || std::str::from_utf8(value).ok();
        let canonical = match self {
            Type::String | Type::Binary | Type::Charlist | Type::Term => return Ok(Checked::AsIs),
            Type::Atom => {
                let chars = text().map(|t| t.chars().count());
                return match chars {
                    None => Err(format!("{name} is not valid UTF-8, which an atom needs")),
                    Some(n) if n > MAX_ATOM_CHARS => Err(format!(
                        "{name} has {n} characters; an atom holds at most {MAX_ATOM_CHARS}"
                    )),
                    Some(_) => Ok(Checked::AsIs),
                };
            }
            Type::Int => text()
                .and_then(canonical_int)
                .ok_or_else(|| format!("{name} is not an integer"))?,
            Type::Port => text()
                .and_then(canonical_port)
                .ok_or_else(|| format!("{name} is not a port (an integer from 0 to 65535)"))?,
            Type::Float => text()
                .and_then(canonical_float)
                .ok_or_else(|| format!("{name} is not a number"))?,
            Type::Bool => text().and_then(canonical_bool).ok_or_else(|| {
                format!("{name} is not a boolean (true/false, yes/no, on/off, 1/0)")
            })?,
        };
        Ok(Checked::Canonical(canonical))
    }
}

impl fmt::Display for Type {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.name())
    }
}

fn canonical_int(text: &str) -> Option<String> {
    let (negative, digits) = match text.as_bytes().first()? {
        b'-' => (true, &text[1..]),
        b'+' => (false, &text[1..]),
        _ => (false, text),
    };
    if digits.is_empty() || !digits.bytes().all(|b| b.is_ascii_digit()) {
        return None;
    }
    let digits = digits.trim_start_matches('0');
    Some(match (negative, digits.is_empty()) {
        (_, true) => "0".to_owned(),
        (true, false) => format!("-{digits}"),
        (false, false) => digits.to_owned(),
    })
}

fn canonical_port(text: &str) -> Option<String> {
    if text.is_empty() || !text.bytes().all(|b| b.is_ascii_digit()) {
        return None;
    }
    let digits = text.trim_start_matches('0');
    if digits.len() > 5 {
        return None;
    }
    let port: u32 = if digits.is_empty() {
        0
    } else {
        digits.parse().ok()?
    };
    (port <= 65535).then(|| port.to_string())
}

/// Decimal or scientific notation, or an integer, as an Erlang float literal,
/// which needs digits on both sides of the point: `1.5e3`, `3.0`, `0.5`.
fn canonical_float(text: &str) -> Option<String> {
    let (sign, rest) = match text.as_bytes().first()? {
        b'-' => ("-", &text[1..]),
        b'+' => ("", &text[1..]),
        _ => ("", text),
    };
    let (mantissa, exponent) = match rest.find(['e', 'E']) {
        Some(e) => (&rest[..e], Some(&rest[e + 1..])),
        None => (rest, None),
    };
    let (int, frac) = match mantissa.find('.') {
        Some(p) => (&mantissa[..p], &mantissa[p + 1..]),
        None => (mantissa, ""),
    };
    let digits = |s: &str| s.bytes().all(|b| b.is_ascii_digit());
    if (int.is_empty() && frac.is_empty()) || !digits(int) || !digits(frac) {
        return None;
    }
    let exponent = match exponent {
        None => String::new(),
        Some(e) => {
            let (esign, edigits) = match e.as_bytes().first()? {
                b'-' => ("-", &e[1..]),
                b'+' => ("", &e[1..]),
                _ => ("", e),
            };
            if edigits.is_empty() || !digits(edigits) {
                return None;
            }
            format!("e{esign}{edigits}")
        }
    };
    let int = if int.is_empty() { "0" } else { int };
    let frac = if frac.is_empty() { "0" } else { frac };
    let literal = format!("{sign}{int}.{frac}{exponent}");
    // Erlang refuses a literal that does not fit a double.
    literal
        .parse::<f64>()
        .ok()
        .filter(|f| f.is_finite())
        .map(|_| literal)
}

fn canonical_bool(text: &str) -> Option<String> {
    let word = text.to_ascii_lowercase();
    match word.as_str() {
        "true" | "yes" | "on" | "1" => Some("true".to_owned()),
        "false" | "no" | "off" | "0" => Some("false".to_owned()),
        _ => None,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn canon(ty: Type, v: &str) -> Option<String> {
        match ty.check("X", v.as_bytes()) {
            Ok(Checked::Canonical(c)) => Some(c),
            Ok(Checked::AsIs) => Some(v.to_owned()),
            Err(_) => None,
        }
    }

    #[test]
    fn integers_of_any_size_keep_their_sign() {
        assert_eq!(canon(Type::Int, "-12").as_deref(), Some("-12"));
        assert_eq!(canon(Type::Int, "+007").as_deref(), Some("7"));
        assert_eq!(canon(Type::Int, "-0").as_deref(), Some("0"));
        let big = "123456789012345678901234567890";
        assert_eq!(canon(Type::Int, big).as_deref(), Some(big));
        for bad in ["", "1.0", "0x10", " 1", "1 ", "--1", "-"] {
            assert_eq!(canon(Type::Int, bad), None, "{bad:?}");
        }
    }

    #[test]
    fn ports_are_bounded() {
        assert_eq!(canon(Type::Port, "4000").as_deref(), Some("4000"));
        assert_eq!(canon(Type::Port, "0").as_deref(), Some("0"));
        assert_eq!(canon(Type::Port, "065535").as_deref(), Some("65535"));
        for bad in ["65536", "-1", "+80", "80a", "99999999999999999999"] {
            assert_eq!(canon(Type::Port, bad), None, "{bad:?}");
        }
    }

    #[test]
    fn floats_become_erlang_literals() {
        for (v, want) in [
            ("1.5e3", "1.5e3"),
            ("3", "3.0"),
            (".5", "0.5"),
            ("1.", "1.0"),
            ("-2.5E-3", "-2.5e-3"),
            ("+1e+5", "1.0e5"),
        ] {
            assert_eq!(canon(Type::Float, v).as_deref(), Some(want), "{v}");
        }
        for bad in ["", ".", "e5", "1e", "nan", "inf", "1e999", "1.2.3"] {
            assert_eq!(canon(Type::Float, bad), None, "{bad:?}");
        }
    }

    #[test]
    fn booleans_accept_common_spellings() {
        for v in ["true", "YES", "On", "1"] {
            assert_eq!(canon(Type::Bool, v).as_deref(), Some("true"));
        }
        for v in ["false", "No", "OFF", "0"] {
            assert_eq!(canon(Type::Bool, v).as_deref(), Some("false"));
        }
        assert_eq!(canon(Type::Bool, "maybe"), None);
    }

    #[test]
    fn empty_is_a_value_only_for_text() {
        assert!(Type::String.check("X", b"").is_ok());
        assert!(Type::Binary.check("X", b"").is_ok());
        assert!(Type::Atom.check("X", b"").is_err());
        assert!(Type::Term.check("X", b"").is_err());
    }

    #[test]
    fn atoms_are_at_most_255_characters() {
        assert!(Type::Atom.check("X", "é".repeat(255).as_bytes()).is_ok());
        assert!(Type::Atom.check("X", "é".repeat(256).as_bytes()).is_err());
        assert!(Type::Atom.check("X", b"\xff").is_err());
    }

    #[test]
    fn messages_never_hold_the_value() {
        for ty in [Type::Int, Type::Port, Type::Float, Type::Bool, Type::Atom] {
            let err = ty.check("SECRET", b"hunter2\xff").unwrap_err();
            assert!(!err.contains("hunter2"), "{err}");
        }
    }
}
