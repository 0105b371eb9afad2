//! The external ACL file (`aclfile`): ACL LOAD reads it, ACL SAVE writes it, one
//! `user <name> <rules...>` line per user.

use std::collections::BTreeMap;
use std::io::Write;

use super::user::User;

/// Parses the file; Err is the whole error text Redis would report (all problems found).
pub fn load(path: &str, allchannels_default: bool) -> Result<BTreeMap<String, User>, String> {
    let text = std::fs::read(path).map_err(|e| {
        format!(
            "Error loading ACLs, opening file '{path}': {}",
            io_reason(&e)
        )
    })?;
    let mut users: BTreeMap<String, User> = BTreeMap::new();
    let mut errors = String::new();
    for (i, raw) in text.split(|&c| c == b'\n').enumerate() {
        let line = raw.trim_ascii();
        let linenum = i + 1;
        if line.is_empty() {
            continue;
        }
        let argv: Vec<Vec<u8>> = line.split(|&c| c == b' ').map(|s| s.to_vec()).collect();
        if argv[0] != b"user" || argv.len() < 2 {
            errors.push_str(&format!(
                "{path}:{linenum} should start with user keyword. "
            ));
            continue;
        }
        let name = &argv[1];
        if name
            .iter()
            .any(|&c| c == 0 || c == b' ' || (b'\t'..=b'\r').contains(&c))
        {
            errors.push_str(&format!(
                "'{path}:{linenum}: username '{}' contains invalid characters. ",
                String::from_utf8_lossy(name)
            ));
            continue;
        }
        let name_s = String::from_utf8_lossy(name).into_owned();
        if users.contains_key(&name_s) {
            errors.push_str(&format!(
                "WARNING: Duplicate user '{name_s}' found on line {linenum}. "
            ));
            continue;
        }
        let mut u = User::new(&name_s, allchannels_default);
        match super::merge_selector_args(&argv[2..]) {
            Err(_) => errors.push_str(&format!(
                "{path}:{linenum}: Unmatched parenthesis in selector definition."
            )),
            Ok(ops) => {
                for op in ops {
                    let op = op.trim_ascii();
                    if let Err(e) = u.apply(op, allchannels_default) {
                        errors.push_str(&format!("{path}:{linenum}: {}. ", e.message()));
                    }
                }
            }
        }
        users.insert(name_s, u);
    }
    if errors.is_empty() {
        Ok(users)
    } else {
        errors.push_str(
            "WARNING: ACL errors detected, no change to the previously active ACL rules was performed",
        );
        Err(errors)
    }
}

fn io_reason(e: &std::io::Error) -> String {
    let s = e.to_string();
    s.split(" (os error").next().unwrap_or_default().to_string()
}

/// Writes every user to `path` through a temporary file renamed into place.
pub fn save(path: &str, users: &BTreeMap<String, User>) -> std::io::Result<()> {
    let mut text = String::new();
    for u in users.values() {
        text.push_str(&format!("user {} {}\n", u.name, u.describe()));
    }
    let tmp = format!(
        "{path}.tmp-{}-{}",
        std::process::id(),
        crate::server::state::unix_ms()
    );
    let result = (|| {
        let mut f = std::fs::File::create(&tmp)?;
        f.write_all(text.as_bytes())?;
        f.sync_all()?;
        std::fs::rename(&tmp, path)
    })();
    if result.is_err() {
        let _ = std::fs::remove_file(&tmp);
    }
    result
}
