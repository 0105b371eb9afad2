//! Redis-style glob matching for CONFIG GET patterns and `include` wildcards.
// TODO(merge): replace with crate::util::glob

/// Matches `string` against a Redis glob `pattern` (`*`, `?`, `[abc]`,
/// `[^a]`, `[a-z]`, `\x`), like Redis's `stringmatchlen`, so CONFIG GET
/// selects the same names as Redis.
pub(crate) fn glob_match(pattern: &[u8], string: &[u8], nocase: bool) -> bool {
    let eq = |a: u8, b: u8| {
        if nocase {
            a.eq_ignore_ascii_case(&b)
        } else {
            a == b
        }
    };
    let (mut p, mut s) = (0usize, 0usize);
    while p < pattern.len() {
        match pattern[p] {
            b'*' => {
                while p + 1 < pattern.len() && pattern[p + 1] == b'*' {
                    p += 1;
                }
                if p + 1 == pattern.len() {
                    return true;
                }
                return (s..=string.len())
                    .any(|start| glob_match(&pattern[p + 1..], &string[start..], nocase));
            }
            b'?' => {
                if s >= string.len() {
                    return false;
                }
                s += 1;
            }
            b'[' => {
                let Some(&c) = string.get(s) else {
                    return false;
                };
                p += 1;
                let negate = pattern.get(p) == Some(&b'^');
                if negate {
                    p += 1;
                }
                let mut matched = false;
                while p < pattern.len() && pattern[p] != b']' {
                    if pattern[p] == b'\\' && p + 1 < pattern.len() {
                        p += 1;
                        matched |= eq(pattern[p], c);
                    } else if p + 2 < pattern.len() && pattern[p + 1] == b'-' {
                        let (mut lo, mut hi) = (pattern[p], pattern[p + 2]);
                        if lo > hi {
                            std::mem::swap(&mut lo, &mut hi);
                        }
                        let c2 = if nocase { c.to_ascii_lowercase() } else { c };
                        let (lo2, hi2) = if nocase {
                            (lo.to_ascii_lowercase(), hi.to_ascii_lowercase())
                        } else {
                            (lo, hi)
                        };
                        matched |= (lo2..=hi2).contains(&c2) || (lo..=hi).contains(&c);
                        p += 2;
                    } else {
                        matched |= eq(pattern[p], c);
                    }
                    p += 1;
                }
                if matched == negate {
                    return false;
                }
                s += 1;
            }
            b'\\' if p + 1 < pattern.len() => {
                p += 1;
                if s >= string.len() || !eq(pattern[p], string[s]) {
                    return false;
                }
                s += 1;
            }
            c => {
                if s >= string.len() || !eq(c, string[s]) {
                    return false;
                }
                s += 1;
            }
        }
        p += 1;
    }
    s == string.len()
}

#[cfg(test)]
mod tests {
    use super::glob_match;

    fn m(p: &str, s: &str) -> bool {
        glob_match(p.as_bytes(), s.as_bytes(), true)
    }

    #[test]
    fn basics() {
        assert!(m("*", ""));
        assert!(m("*", "maxmemory"));
        assert!(m("max*", "maxmemory-policy"));
        assert!(m("*memory", "maxmemory"));
        assert!(!m("*memory", "maxmemory-policy"));
        assert!(m("MAX*", "maxmemory"));
        assert!(m("p?rt", "port"));
        assert!(!m("p?rt", "prt"));
        assert!(m("*-max-*-entries", "hash-max-listpack-entries"));
        assert!(m("**a**", "xay"));
    }

    #[test]
    fn classes_and_escapes() {
        assert!(m("[ph]ort", "port"));
        assert!(!m("[^p]ort", "port"));
        assert!(m("[^x]ort", "port"));
        assert!(m("[a-z]z", "qz"));
        assert!(m("[z-a]z", "qz"));
        assert!(!m("[a-c]z", "qz"));
        assert!(m("a\\*b", "a*b"));
        assert!(!m("a\\*b", "axb"));
        assert!(m("[\\]]", "]"));
        assert!(!glob_match(b"A", b"a", false));
        assert!(glob_match(b"A", b"a", true));
    }
}
