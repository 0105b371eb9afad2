//! Glob-style matching with the exact semantics of Redis 7.0 `stringmatchlen`
//! (used by KEYS, SCAN MATCH, PSUBSCRIBE, CONFIG GET, ...).
//!
//! Redis matches recursively, one level per `*`, and gives up (no match) once
//! more than 1000 stars are nested; it also stops retrying shorter prefixes as
//! soon as one star has tried every position. Here the same search runs as a
//! loop that only ever backtracks to the most recent star, which explores the
//! same candidates in the same order, so results are identical (including the
//! nesting cut-off) while time is bounded by O(pattern * string).

/// Redis refuses patterns that nest deeper than this many stars.
const MAX_STAR_NESTING: usize = 1000;

/// Whether `string` matches the glob `pattern`, exactly as Redis 7.0's
/// `stringmatchlen` decides it, so KEYS/SCAN/PSUBSCRIBE filter the same keys.
///
/// Supported syntax: `*`, `?`, `[abc]`, `[^abc]`, `[a-z]` and `\x` escapes.
/// Redis quirks kept on purpose: an empty string matches only an empty
/// pattern (even `*` does not match it), an unterminated `[` class runs to the
/// end of the pattern, a trailing lone `\` is a literal backslash, escaped
/// characters inside a class compare case-sensitively, and class ranges
/// compare bytes as signed chars (as on x86-64 builds of Redis).
pub fn glob_match(pattern: &[u8], string: &[u8], nocase: bool) -> bool {
    if string.is_empty() {
        return pattern.is_empty();
    }
    let (mut p, mut s) = (0usize, 0usize);
    // Pattern index after the most recent star group, the string position it
    // is currently anchored at, and the star nesting depth at that point.
    let mut star: Option<(usize, usize, usize)> = None;
    let mut depth = 0usize;
    loop {
        if s == string.len() {
            // A token just consumed the last byte: trailing stars match empty.
            while pattern.get(p) == Some(&b'*') {
                p += 1;
            }
            if p == pattern.len() {
                return true;
            }
        } else if let Some(&pc) = pattern.get(p) {
            if pc == b'*' {
                while pattern.get(p + 1) == Some(&b'*') {
                    p += 1;
                }
                if p + 1 == pattern.len() {
                    return true;
                }
                depth += 1;
                if depth > MAX_STAR_NESTING {
                    return false;
                }
                p += 1;
                star = Some((p, s, depth));
                continue;
            }
            if let Some(next) = match_token(pattern, p, string[s], nocase) {
                p = next;
                s += 1;
                continue;
            }
        }
        // Mismatch: let the last star swallow one more byte, if any is left
        // for the rest of the pattern.
        match star {
            Some((sp, ss, d)) if ss + 1 < string.len() => {
                star = Some((sp, ss + 1, d));
                p = sp;
                s = ss + 1;
                depth = d;
            }
            _ => return false,
        }
    }
}

/// Matches the single non-star token starting at `pattern[p]` against byte
/// `c`, returning the index just past the token on success.
fn match_token(pattern: &[u8], p: usize, c: u8, nocase: bool) -> Option<usize> {
    let len = pattern.len();
    let eq = |a: u8, b: u8| {
        if nocase {
            a.eq_ignore_ascii_case(&b)
        } else {
            a == b
        }
    };
    match pattern[p] {
        b'?' => Some(p + 1),
        b'[' => {
            let mut i = p + 1;
            let negate = pattern.get(i) == Some(&b'^');
            if negate {
                i += 1;
            }
            let mut matched = false;
            loop {
                match pattern.get(i) {
                    None => {
                        // Unterminated class: it ends with the pattern.
                        i = len - 1;
                        break;
                    }
                    Some(b'\\') if i + 1 < len => {
                        i += 1;
                        matched |= pattern[i] == c;
                    }
                    Some(b']') => break,
                    Some(&a) if i + 2 < len && pattern[i + 1] == b'-' => {
                        let (mut lo, mut hi) = (signed(a), signed(pattern[i + 2]));
                        let mut ch = signed(c);
                        if lo > hi {
                            std::mem::swap(&mut lo, &mut hi);
                        }
                        if nocase {
                            lo = lower(lo);
                            hi = lower(hi);
                            ch = lower(ch);
                        }
                        matched |= ch >= lo && ch <= hi;
                        i += 2;
                    }
                    Some(&a) => matched |= eq(a, c),
                }
                i += 1;
            }
            (matched != negate).then_some(i + 1)
        }
        b'\\' if p + 1 < len => eq(pattern[p + 1], c).then_some(p + 2),
        a => eq(a, c).then_some(p + 1),
    }
}

/// A byte as C's (signed) `char` promoted to `int`.
fn signed(b: u8) -> i32 {
    i32::from(b as i8)
}

/// C `tolower` in the "C" locale.
fn lower(c: i32) -> i32 {
    if (i32::from(b'A')..=i32::from(b'Z')).contains(&c) {
        c + 32
    } else {
        c
    }
}

#[cfg(test)]
mod tests {
    use super::glob_match;

    fn m(p: &str, s: &str) -> bool {
        glob_match(p.as_bytes(), s.as_bytes(), false)
    }

    #[test]
    fn basics() {
        assert!(m("*", "anything"));
        assert!(m("h?llo", "hello"));
        assert!(!m("h?llo", "hllo"));
        assert!(m("h*llo", "hllo"));
        assert!(m("h*llo", "heeeello"));
        assert!(m("h[ae]llo", "hallo"));
        assert!(!m("h[ae]llo", "hillo"));
        assert!(m("h[^e]llo", "hallo"));
        assert!(!m("h[^e]llo", "hello"));
        assert!(m("h[a-b]llo", "hbllo"));
        assert!(m("h[b-a]llo", "hallo"));
        assert!(!m("h[a-b]llo", "hcllo"));
        assert!(m("h\\*llo", "h*llo"));
        assert!(!m("h\\*llo", "hello"));
        assert!(m("a*b*c", "aXXbYYc"));
        assert!(!m("a*b*c", "aXXbYY"));
        assert!(m("*.txt", "file.txt"));
        assert!(!m("*.txt", "file.txt.bak"));
        assert!(m("**", "x"));
        assert!(m("a**", "a"));
        assert!(m("a*", "a"));
        assert!(!m("a", "ab"));
        assert!(!m("ab", "a"));
    }

    #[test]
    fn redis_quirks() {
        // Empty strings only match empty patterns.
        assert!(m("", ""));
        assert!(!m("*", ""));
        assert!(!m("", "a"));
        // Unterminated class runs to the end of the pattern.
        assert!(m("[ab", "a"));
        assert!(m("[ab", "b"));
        assert!(!m("[ab", "ab"));
        assert!(!m("[", "a"));
        assert!(m("[^", "a"));
        // Trailing backslash is literal; escapes inside classes.
        assert!(m("a\\", "a\\"));
        assert!(m("[\\]]", "]"));
        assert!(m("[\\", "\\"));
        // Class ranges compare signed chars.
        assert!(!glob_match(b"[a-\xff]", b"b", false));
        assert!(glob_match(b"[a-\xff]", b"\x00", false));
        // Case folding.
        assert!(glob_match(b"HeLLo", b"hello", true));
        assert!(glob_match(b"[A-C]x", b"bX", true));
        assert!(glob_match(b"[B]", b"b", true));
        assert!(!glob_match(b"[\\B]", b"b", true));
        assert!(!glob_match(b"HeLLo", b"hello", false));
    }

    #[test]
    fn star_nesting_limit() {
        let s = vec![b'a'; 1100];
        assert!(glob_match(&b"*a".repeat(1000), &s, false));
        assert!(!glob_match(&b"*a".repeat(1001), &s, false));
        let mut p = b"*a".repeat(1000);
        p.push(b'*');
        assert!(glob_match(&p, &s, false));
    }

    #[test]
    fn no_exponential_blowup() {
        let mut p = b"a*".repeat(64);
        p.push(b'b');
        let s = vec![b'a'; 10_000];
        assert!(!glob_match(&p, &s, false));
    }

    /// Straightforward exponential reference implementation without limits.
    fn reference(p: &[u8], s: &[u8]) -> bool {
        fn go(p: &[u8], s: &[u8]) -> bool {
            match p.first() {
                None => s.is_empty(),
                Some(b'*') => (0..=s.len()).any(|i| go(&p[1..], &s[i..])),
                Some(_) => {
                    if s.is_empty() {
                        return false;
                    }
                    match super::match_token(p, 0, s[0], false) {
                        Some(n) => go(&p[n..], &s[1..]),
                        None => false,
                    }
                }
            }
        }
        if s.is_empty() {
            return p.is_empty();
        }
        go(p, s)
    }

    #[test]
    fn agrees_with_reference() {
        use rand::{RngExt, SeedableRng, rngs::SmallRng};
        let mut rng = SmallRng::seed_from_u64(7);
        let palpha = b"ab*?[]^-\\";
        let salpha = b"ab-]^\\";
        for _ in 0..20_000 {
            let pl = rng.random_range(0..8);
            let sl = rng.random_range(0..8);
            let p: Vec<u8> = (0..pl)
                .map(|_| palpha[rng.random_range(0..palpha.len())])
                .collect();
            let s: Vec<u8> = (0..sl)
                .map(|_| salpha[rng.random_range(0..salpha.len())])
                .collect();
            assert_eq!(
                glob_match(&p, &s, false),
                reference(&p, &s),
                "pattern {:?} string {:?}",
                String::from_utf8_lossy(&p),
                String::from_utf8_lossy(&s)
            );
        }
    }
}
