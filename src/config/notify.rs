//! Keyspace notification classes (`notify-keyspace-events`): the letters
//! Redis accepts and the bitmask the server tests when it publishes events.
//! Bit values match Redis's `NOTIFY_*` so the mask reads the same in both.

/// `K`: publish on `__keyspace@<db>__:<key>`.
pub const NOTIFY_KEYSPACE: u32 = 1 << 0;
/// `E`: publish on `__keyevent@<db>__:<event>`.
pub const NOTIFY_KEYEVENT: u32 = 1 << 1;
/// `g`: generic commands (DEL, EXPIRE, RENAME...).
pub const NOTIFY_GENERIC: u32 = 1 << 2;
/// `$`: string commands.
pub const NOTIFY_STRING: u32 = 1 << 3;
/// `l`: list commands.
pub const NOTIFY_LIST: u32 = 1 << 4;
/// `s`: set commands.
pub const NOTIFY_SET: u32 = 1 << 5;
/// `h`: hash commands.
pub const NOTIFY_HASH: u32 = 1 << 6;
/// `z`: sorted set commands.
pub const NOTIFY_ZSET: u32 = 1 << 7;
/// `x`: expired events.
pub const NOTIFY_EXPIRED: u32 = 1 << 8;
/// `e`: evicted events.
pub const NOTIFY_EVICTED: u32 = 1 << 9;
/// `t`: stream commands.
pub const NOTIFY_STREAM: u32 = 1 << 10;
/// `m`: key-miss events (not part of `A`).
pub const NOTIFY_KEY_MISS: u32 = 1 << 11;
/// `d`: module key type events (bit 12 is Redis's module-only `NOTIFY_LOADED`).
pub const NOTIFY_MODULE: u32 = 1 << 13;
/// `n`: new key events (not part of `A`).
pub const NOTIFY_NEW: u32 = 1 << 14;
/// `A`: alias for `g$lshzxetd`.
pub const NOTIFY_ALL: u32 = NOTIFY_GENERIC
    | NOTIFY_STRING
    | NOTIFY_LIST
    | NOTIFY_SET
    | NOTIFY_HASH
    | NOTIFY_ZSET
    | NOTIFY_EXPIRED
    | NOTIFY_EVICTED
    | NOTIFY_STREAM
    | NOTIFY_MODULE;

/// Letters in the order Redis prints them (after `A` when all are set).
const CLASS_LETTERS: [(u8, u32); 11] = [
    (b'g', NOTIFY_GENERIC),
    (b'$', NOTIFY_STRING),
    (b'l', NOTIFY_LIST),
    (b's', NOTIFY_SET),
    (b'h', NOTIFY_HASH),
    (b'z', NOTIFY_ZSET),
    (b'x', NOTIFY_EXPIRED),
    (b'e', NOTIFY_EVICTED),
    (b't', NOTIFY_STREAM),
    (b'd', NOTIFY_MODULE),
    (b'n', NOTIFY_NEW),
];

/// Redis's error text for an unknown letter.
pub(crate) const INVALID_CLASS: &str = "Invalid event class character. Use 'Ag$lshzxeKEtmdn'.";

/// Parses the class letters into a mask; `None` on an unknown letter.
pub fn parse_flags(s: &[u8]) -> Option<u32> {
    let mut flags = 0;
    for &c in s {
        flags |= match c {
            b'A' => NOTIFY_ALL,
            b'K' => NOTIFY_KEYSPACE,
            b'E' => NOTIFY_KEYEVENT,
            b'm' => NOTIFY_KEY_MISS,
            _ => CLASS_LETTERS.iter().find(|(l, _)| *l == c)?.1,
        };
    }
    Some(flags)
}

/// Renders a mask the way CONFIG GET shows it in Redis (e.g. `AKE`).
pub fn flags_to_string(flags: u32) -> String {
    let mut out = String::new();
    if flags & NOTIFY_ALL == NOTIFY_ALL {
        out.push('A');
    } else {
        for (l, bit) in CLASS_LETTERS {
            if flags & bit != 0 {
                out.push(char::from(l));
            }
        }
    }
    if flags & NOTIFY_KEYSPACE != 0 {
        out.push('K');
    }
    if flags & NOTIFY_KEYEVENT != 0 {
        out.push('E');
    }
    if flags & NOTIFY_KEY_MISS != 0 {
        out.push('m');
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    fn norm(s: &str) -> String {
        flags_to_string(parse_flags(s.as_bytes()).unwrap())
    }

    #[test]
    fn matches_redis_7_0_rendering() {
        // Observed from redis-server 7.0.15.
        assert_eq!(norm("g$lshzxetmdnKE"), "AKEm");
        assert_eq!(norm("Ad"), "A");
        assert_eq!(norm("Kn"), "nK");
        assert_eq!(norm("EgA"), "AE");
        assert_eq!(norm("tmd"), "tdm");
        assert_eq!(norm("gKEmn"), "gnKEm");
        assert_eq!(norm("Amn"), "Am");
        assert_eq!(norm(""), "");
        assert_eq!(parse_flags(b"Q"), None);
        assert_eq!(parse_flags(b"Kx"), Some(NOTIFY_KEYSPACE | NOTIFY_EXPIRED));
    }
}
