//! Whether a command reads or writes each of its keys, for `%R~` / `%W~` key patterns.
//!
//! Redis derives this from per-key flags in its command JSON (RO/RW/OW/RM with ACCESS, INSERT,
//! UPDATE, DELETE). Our command table only knows whether a command is read-only or writes, so
//! this module refines that with the write commands whose keys Redis does not mark as read
//! (they never return the stored data), and the commands whose later keys are read-only sources.

use bytes::Bytes;

use super::selector::{KEY_ALL, KEY_READ, KEY_WRITE};
use crate::server::command::{CommandSpec, flags};

/// Write commands that do not return stored data: their keys need write permission only.
const WRITE_ONLY: &[&str] = &[
    "set",
    "setnx",
    "setex",
    "psetex",
    "mset",
    "msetnx",
    "append",
    "setrange",
    "del",
    "unlink",
    "expire",
    "pexpire",
    "expireat",
    "pexpireat",
    "persist",
    "lpush",
    "rpush",
    "lpushx",
    "rpushx",
    "linsert",
    "lset",
    "lrem",
    "ltrim",
    "sadd",
    "srem",
    "hset",
    "hmset",
    "hsetnx",
    "hdel",
    "zadd",
    "zrem",
    "zremrangebyscore",
    "zremrangebyrank",
    "zremrangebylex",
    "pfadd",
    "geoadd",
    "xadd",
    "xdel",
    "xtrim",
    "restore",
];

/// Commands whose first key is a written destination and the others read-only sources.
const DEST_FIRST: &[&str] = &[
    "sunionstore",
    "sinterstore",
    "sdiffstore",
    "zunionstore",
    "zinterstore",
    "zdiffstore",
    "zrangestore",
    "bitop",
    "pfmerge",
    "georadius",
    "georadiusbymember",
    "geosearchstore",
];

/// Commands that move data from a source (read and deleted) to a destination (written).
const SOURCE_THEN_DEST: &[&str] = &[
    "rename",
    "renamenx",
    "rpoplpush",
    "lmove",
    "brpoplpush",
    "blmove",
    "smove",
];

/// The access (`KEY_READ`/`KEY_WRITE` bits) the `nth` of `count` keys of a command needs.
pub fn access(name: &str, spec: &CommandSpec, args: &[Bytes], nth: usize, count: usize) -> u8 {
    if !spec.has(flags::WRITE) {
        return KEY_READ;
    }
    if name == "set" && args.iter().skip(3).any(|a| a.eq_ignore_ascii_case(b"get")) {
        return KEY_ALL;
    }
    // PFDEBUG may rewrite the encoding, but its key spec only asks for read access.
    if name == "pfdebug" {
        return KEY_READ;
    }
    if WRITE_ONLY.contains(&name) {
        return KEY_WRITE;
    }
    if name == "copy" || name == "sort" {
        return if nth == 0 { KEY_READ } else { KEY_WRITE };
    }
    if DEST_FIRST.contains(&name) {
        // GEORADIUS keeps its source first and its STORE destination last.
        let dest = if name.starts_with("georadius") {
            count.saturating_sub(1)
        } else {
            0
        };
        return if count > 1 && nth != dest {
            KEY_READ
        } else if name == "pfmerge" {
            KEY_ALL
        } else {
            KEY_WRITE
        };
    }
    if SOURCE_THEN_DEST.contains(&name) {
        return if nth == 0 || count == 1 {
            KEY_ALL
        } else {
            KEY_WRITE
        };
    }
    KEY_ALL
}

/// Redis's `ACLUserCheckCmdWithUnrestrictedKeyAccess` for read access: some selector of the
/// user allows the command `name` with these arguments and may read every key (`allkeys` or a
/// `~*`/`%R~*` pattern). SORT requires it before it reads keys named by BY/GET patterns.
pub fn unrestricted_read_access(user: &super::User, name: &str, args: &[Bytes]) -> bool {
    let idx = super::cmdindex::get();
    let Some(id) = idx.lookup(name.as_bytes()) else {
        return true;
    };
    let spec = idx.cmds[id].spec;
    user.selectors.iter().any(|s| {
        s.check(id, spec, args).is_ok()
            && (s.allkeys
                || s.keys
                    .iter()
                    .any(|k| k.flags & KEY_READ == KEY_READ && k.pattern == b"*"))
    })
}
