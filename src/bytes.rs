//! Finding bytes eight at a time: the scans of the hot path (quoted text in
//! the lexer, plain runs of a value, `$` in a literal) look at whole words.
//!
//! Each test marks the high bit of every byte of a word that matches, with
//! the zero-byte test `x - 0x01..01 & !x & 0x80..80`. A borrow can mark a byte
//! above a true match, never below one, so a test's lowest mark is its first
//! match exactly, and the lowest mark of several tests ORed together is the
//! first byte any of them matches.

const ONES: u64 = 0x0101_0101_0101_0101;
const HIGHS: u64 = 0x8080_8080_8080_8080;

/// The word of `buf` at `i`, when eight bytes are left there.
#[inline(always)]
pub fn word_at(buf: &[u8], i: usize) -> Option<u64> {
    let chunk = buf.get(i..i + 8)?;
    Some(u64::from_le_bytes(chunk.try_into().ok()?))
}

/// Marks the bytes of `w` below `n` (`n` at most 0x80).
#[inline(always)]
pub fn below(w: u64, n: u8) -> u64 {
    w.wrapping_sub(ONES * u64::from(n)) & !w & HIGHS
}

/// Marks the bytes of `w` equal to `c`.
#[inline(always)]
pub fn equal(w: u64, c: u8) -> u64 {
    below(w ^ (ONES * u64::from(c)), 1)
}

/// Marks the bytes of `w` at or above 0x80.
#[inline(always)]
pub fn high(w: u64) -> u64 {
    w & HIGHS
}

/// The index within its word of the first byte `marks` marks (not 0).
#[inline(always)]
pub fn first(marks: u64) -> usize {
    (marks.trailing_zeros() / 8) as usize
}

/// The offset of the first byte from `i` on for which `stop` holds, or the
/// length of `buf`: `marks` tests eight bytes at once and must mark exactly
/// the bytes `stop` holds for (at least the lowest of them).
#[inline(always)]
pub fn find(
    buf: &[u8],
    mut i: usize,
    marks: impl Fn(u64) -> u64,
    stop: impl Fn(u8) -> bool,
) -> usize {
    while let Some(w) = word_at(buf, i) {
        let m = marks(w);
        if m != 0 {
            return i + first(m);
        }
        i += 8;
    }
    while i < buf.len() && !stop(buf[i]) {
        i += 1;
    }
    i.min(buf.len())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_test_finds_the_first_match_wherever_it_is() {
        // Every position of a match in a word, every byte as the match and
        // as the filler around it, so that borrows from any byte are seen.
        for at in 0..8 {
            for m in 0..=255u8 {
                for filler in [0u8, 1, 0x1F, 0x20, 0x7F, 0x80, 0xFF, b'a'] {
                    let mut bytes = [filler; 8];
                    bytes[at] = m;
                    let w = u64::from_le_bytes(bytes);
                    let firsts = |hit: &dyn Fn(u8) -> bool| bytes.iter().position(|&b| hit(b));
                    for c in [0u8, 1, b'"', b'$', b'\\', 0x7F] {
                        let got = Some(equal(w, c)).filter(|&x| x != 0).map(first);
                        assert_eq!(got, firsts(&|b| b == c), "{bytes:?} equal {c}");
                    }
                    for n in [1u8, 0x20, 0x80] {
                        let got = Some(below(w, n) | high(w)).filter(|&x| x != 0).map(first);
                        assert_eq!(got, firsts(&|b| b < n || b >= 0x80), "{bytes:?} below {n}");
                    }
                }
            }
        }
    }

    #[test]
    fn find_looks_past_whole_words_and_into_the_tail() {
        for len in 0..20 {
            for at in 0..=len {
                let mut buf = vec![b'a'; len];
                if at < len {
                    buf[at] = b'$';
                }
                for from in 0..=at {
                    let found = find(&buf, from, |w| equal(w, b'$'), |b| b == b'$');
                    assert_eq!(found, at, "{buf:?} from {from}");
                }
            }
        }
    }
}
