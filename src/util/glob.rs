//! TEMPORARY glob matcher until util/glob lands.
/// Redis-style glob match.
pub fn glob_match(pattern: &[u8], string: &[u8], nocase: bool) -> bool {
    fn eq(a: u8, b: u8, nocase: bool) -> bool {
        if nocase {
            a.eq_ignore_ascii_case(&b)
        } else {
            a == b
        }
    }
    let (mut p, mut s) = (0usize, 0usize);
    let (mut star_p, mut star_s) = (usize::MAX, 0usize);
    while s < string.len() {
        if p < pattern.len() && pattern[p] == b'*' {
            star_p = p;
            star_s = s;
            p += 1;
            continue;
        }
        let matched = if p < pattern.len() {
            match pattern[p] {
                b'?' => {
                    p += 1;
                    true
                }
                b'\\' if p + 1 < pattern.len() => {
                    let ok = eq(pattern[p + 1], string[s], nocase);
                    p += 2;
                    ok
                }
                b'[' => {
                    let mut i = p + 1;
                    let not = i < pattern.len() && pattern[i] == b'^';
                    if not {
                        i += 1;
                    }
                    let mut found = false;
                    while i < pattern.len() && pattern[i] != b']' {
                        if pattern[i] == b'\\' && i + 1 < pattern.len() {
                            if eq(pattern[i + 1], string[s], nocase) {
                                found = true;
                            }
                            i += 2;
                        } else if i + 2 < pattern.len()
                            && pattern[i + 1] == b'-'
                            && pattern[i + 2] != b']'
                        {
                            let (mut lo, mut hi) = (pattern[i], pattern[i + 2]);
                            if lo > hi {
                                std::mem::swap(&mut lo, &mut hi);
                            }
                            let c = string[s];
                            if (lo..=hi).contains(&c)
                                || (nocase && (lo..=hi).contains(&c.to_ascii_lowercase()))
                            {
                                found = true;
                            }
                            i += 3;
                        } else {
                            if eq(pattern[i], string[s], nocase) {
                                found = true;
                            }
                            i += 1;
                        }
                    }
                    p = (i + 1).min(pattern.len());
                    found != not
                }
                c => {
                    p += 1;
                    eq(c, string[s], nocase)
                }
            }
        } else {
            false
        };
        if matched {
            s += 1;
            continue;
        }
        if star_p == usize::MAX {
            return false;
        }
        p = star_p + 1;
        star_s += 1;
        s = star_s;
    }
    while p < pattern.len() && pattern[p] == b'*' {
        p += 1;
    }
    p == pattern.len()
}
