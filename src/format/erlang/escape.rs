//! Writing values into Erlang literals, and reading template text back out of them.
//!
//! Writing is what makes a value come back exactly: charlists and atoms write
//! every character outside printable ASCII as `\x{H}`, binaries every such
//! byte, and quotes and backslashes get a backslash. A `$` before `{` is
//! written as `\x{24}` too, so no later tool can mistake a value for a
//! placeholder. Reading decodes the escapes of a literal's source text; the
//! resolver uses it to type-check defaults written inside literals.

/// Appends `text` as the inside of a charlist (`quote` `"`) or quoted atom (`'`).
pub fn escape_chars(text: &str, quote: u8, out: &mut Vec<u8>) {
    // A byte outside printable ASCII starts a character: one escape for it.
    escape(text.as_bytes(), quote, out, |at| {
        let c = text[at..].chars().next().unwrap_or('\u{FFFD}');
        (c as u32, c.len_utf8())
    });
}

/// Appends `bytes`, byte for byte, as the inside of a literal closed by
/// `quote`: a binary's string segment (`"`), or ASCII text in any literal,
/// whose bytes are its characters.
pub fn escape_bytes(bytes: &[u8], quote: u8, out: &mut Vec<u8>) {
    escape(bytes, quote, out, |at| (u32::from(bytes[at]), 1));
}

/// Copies `bytes` into a literal closed by `quote`: runs of printable ASCII
/// at once; a backslash, the quote and a `$` before `{` escaped; and at any
/// other byte, `code_at` gives the code to write as `\x{H}` and how many
/// bytes it stands for.
fn escape(bytes: &[u8], quote: u8, out: &mut Vec<u8>, code_at: impl Fn(usize) -> (u32, usize)) {
    out.reserve(bytes.len());
    let mut i = 0;
    while i < bytes.len() {
        let run = plain_run(bytes, i, quote);
        out.extend_from_slice(&bytes[i..run]);
        i = run;
        let Some(&b) = bytes.get(i) else { break };
        match b {
            b'\\' => out.extend_from_slice(b"\\\\"),
            b'$' if bytes.get(i + 1) == Some(&b'{') => out.extend_from_slice(b"\\x{24}"),
            b'$' => out.push(b),
            b if b == quote => {
                out.push(b'\\');
                out.push(quote);
            }
            _ => {
                let (code, len) = code_at(i);
                hex(code, out);
                i += len;
                continue;
            }
        }
        i += 1;
    }
}

/// Where the run of [`PLAIN`] bytes other than `quote` that starts at `i`
/// ends.
fn plain_run(text: &[u8], i: usize, quote: u8) -> usize {
    text[i..]
        .iter()
        .position(|&b| !PLAIN[b as usize] || b == quote)
        .map_or(text.len(), |k| i + k)
}

/// Printable ASCII that stands for itself in any Erlang literal: everything
/// from space to `~` except the backslash and `$` (quotes are checked apart).
const PLAIN: [bool; 256] = {
    let mut table = [false; 256];
    let mut b = b' ';
    while b <= b'~' {
        table[b as usize] = b != b'\\' && b != b'$';
        b += 1;
    }
    table
};

/// Appends `\x{H}`: the code in upper-case hex, without leading zeros.
fn hex(code: u32, out: &mut Vec<u8>) {
    const DIGITS: &[u8; 16] = b"0123456789ABCDEF";
    out.extend_from_slice(b"\\x{");
    let digits = (32 - code.leading_zeros()).div_ceil(4).max(1);
    for k in (0..digits).rev() {
        out.push(DIGITS[(code >> (4 * k) & 0xF) as usize]);
    }
    out.push(b'}');
}

/// The characters a literal's source text stands for (escapes decoded).
/// Text that is not UTF-8 is taken byte by byte as Latin-1.
pub fn decode(src: &[u8]) -> Vec<u32> {
    let text: Vec<u32> = match std::str::from_utf8(src) {
        Ok(s) => s.chars().map(|c| c as u32).collect(),
        Err(_) => src.iter().map(|&b| b as u32).collect(),
    };
    let mut out = Vec::with_capacity(text.len());
    let mut i = 0;
    let at = |i: usize| text.get(i).copied();
    while i < text.len() {
        let c = text[i];
        i += 1;
        if c != '\\' as u32 {
            out.push(c);
            continue;
        }
        let Some(e) = at(i) else {
            out.push(c);
            break;
        };
        i += 1;
        let ch = |x: u32| char::from_u32(x).unwrap_or('\0');
        let value = match ch(e) {
            'b' => 8,
            'd' => 127,
            'e' => 27,
            'f' => 12,
            'n' => 10,
            'r' => 13,
            's' => 32,
            't' => 9,
            'v' => 11,
            '0'..='7' => {
                let mut v = e - '0' as u32;
                for _ in 0..2 {
                    match at(i).map(ch) {
                        Some(d @ '0'..='7') => {
                            v = v * 8 + (d as u32 - '0' as u32);
                            i += 1;
                        }
                        _ => break,
                    }
                }
                v
            }
            'x' if at(i) == Some('{' as u32) => {
                let close = text[i..].iter().position(|&d| d == '}' as u32);
                let digits: String = match close {
                    Some(k) => text[i + 1..i + k].iter().map(|&d| ch(d)).collect(),
                    None => String::new(),
                };
                i += close.map_or(0, |k| k + 1);
                u32::from_str_radix(&digits, 16).unwrap_or(0)
            }
            'x' => {
                let mut v = 0;
                for _ in 0..2 {
                    match at(i).map(ch).and_then(|d| d.to_digit(16)) {
                        Some(d) => {
                            v = v * 16 + d;
                            i += 1;
                        }
                        None => break,
                    }
                }
                v
            }
            '^' => match at(i) {
                Some(x) => {
                    i += 1;
                    x & 31
                }
                None => '^' as u32,
            },
            _ => e,
        };
        out.push(value);
    }
    out
}

/// [`decode`], as UTF-8 (characters that are not Unicode scalars become U+FFFD).
pub fn decode_utf8(src: &[u8]) -> Vec<u8> {
    decode(src)
        .into_iter()
        .map(|c| char::from_u32(c).unwrap_or('\u{FFFD}'))
        .collect::<String>()
        .into_bytes()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn chars(text: &str) -> String {
        let mut out = Vec::new();
        escape_chars(text, b'"', &mut out);
        String::from_utf8(out).unwrap()
    }

    #[test]
    fn charlist_text_escapes_quotes_backslashes_and_non_ascii() {
        assert_eq!(chars(r#"a"b\c"#), r#"a\"b\\c"#);
        assert_eq!(chars("é\n😀"), r"\x{E9}\x{A}\x{1F600}");
        assert_eq!(chars("${X} $"), r"\x{24}{X} $");
    }

    #[test]
    fn binary_text_escapes_every_byte_outside_printable_ascii() {
        let mut out = Vec::new();
        escape_bytes("é\"".as_bytes(), b'"', &mut out);
        assert_eq!(out, br#"\x{C3}\x{A9}\""#);
        let mut out = Vec::new();
        escape_bytes(b"\xff\x00", b'"', &mut out);
        assert_eq!(out, br"\x{FF}\x{0}");
    }

    #[test]
    fn decoding_reverses_every_escape() {
        let src = r#"a\"\\\n\t\s\101\x41\x{1F600}\^A\q"#;
        let want: Vec<u32> = vec![
            'a' as u32,
            '"' as u32,
            '\\' as u32,
            10,
            9,
            32,
            65,
            0x41,
            0x1F600,
            1,
            'q' as u32,
        ];
        assert_eq!(decode(src.as_bytes()), want);
    }

    #[test]
    fn each_escape_is_one_character() {
        let mut out = Vec::new();
        escape_chars(&"é".repeat(300), b'\'', &mut out);
        assert_eq!(decode(&out).len(), 300);
    }

    #[test]
    fn escaped_text_decodes_to_the_original() {
        let text = "x\"'\\ é 😀 \u{7f}\u{0}${A}";
        let mut out = Vec::new();
        escape_chars(text, b'\'', &mut out);
        assert_eq!(decode_utf8(&out), text.as_bytes());
    }
}
