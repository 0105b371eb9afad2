//! The multi-part AOF manifest, as Redis 7.0 lays it out: `<appendfilename>.manifest` in
//! `<appenddirname>`, one `file <name> seq <n> type b|h|i` line per file (base first, then
//! history, then the incr files in replay order). Names are written bare, or quoted the way
//! Redis's `sdscatrepr` does when they need it, and read back with the redis.conf lexer (the
//! same `sdssplitargs` grammar Redis uses).

use std::fs::File;
use std::io::Write;
use std::path::Path;

use crate::config::{quote_if_needed, split_args};

/// Longest manifest line Redis accepts.
const MAX_LINE: usize = 1024;

/// The role of one file of the AOF.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum FileType {
    /// The snapshot the incr files apply to (`b`).
    Base,
    /// A file replaced by a rewrite, waiting to be deleted (`h`).
    History,
    /// Writes since the base (`i`).
    Incr,
}

impl FileType {
    fn letter(self) -> char {
        match self {
            FileType::Base => 'b',
            FileType::History => 'h',
            FileType::Incr => 'i',
        }
    }
}

/// One file listed in the manifest.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AofFile {
    /// File name inside the AOF directory.
    pub name: String,
    /// Sequence number (bases and incr files count separately).
    pub seq: i64,
    /// Its role.
    pub kind: FileType,
}

/// The set of files making up the AOF.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Manifest {
    /// The base file, if any.
    pub base: Option<AofFile>,
    /// Files of earlier generations not deleted yet.
    pub history: Vec<AofFile>,
    /// Incremental files, oldest first.
    pub incr: Vec<AofFile>,
    /// Highest base sequence used so far.
    pub base_seq: i64,
    /// Highest incr sequence used so far.
    pub incr_seq: i64,
}

/// Why a manifest could not be read: the message and the offending line, as Redis logs them.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ManifestError {
    /// What is wrong.
    pub msg: String,
    /// 1-based line number and its text, when a line is at fault.
    pub line: Option<(usize, String)>,
}

impl std::fmt::Display for ManifestError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match &self.line {
            Some((n, text)) => write!(f, "{} (line {n}: '{text}')", self.msg),
            None => f.write_str(&self.msg),
        }
    }
}

/// A plain file name: no directory part (Redis's `pathIsBaseName`).
pub fn is_base_name(name: &str) -> bool {
    !name.contains('/')
}

impl Manifest {
    /// Name of the manifest file for `appendfilename`.
    pub fn file_name(appendfilename: &str) -> String {
        format!("{appendfilename}.manifest")
    }

    /// Name of the temporary manifest written before the atomic rename.
    pub fn temp_file_name(appendfilename: &str) -> String {
        format!("temp-{appendfilename}.manifest")
    }

    /// Parses a manifest's text.
    pub fn parse(text: &[u8]) -> Result<Manifest, ManifestError> {
        let err = |msg: &str, line: Option<(usize, &[u8])>| ManifestError {
            msg: msg.into(),
            line: line.map(|(n, l)| (n, String::from_utf8_lossy(l).trim().to_string())),
        };
        let mut m = Manifest::default();
        if text.is_empty() {
            return Err(err("Found an empty AOF manifest", None));
        }
        let mut rest = text;
        let mut n = 0;
        while !rest.is_empty() {
            n += 1;
            let (raw, next, complete) = match rest.iter().position(|&b| b == b'\n') {
                Some(i) => (&rest[..i], &rest[i + 1..], true),
                None => (rest, &rest[rest.len()..], false),
            };
            rest = next;
            if raw.first() == Some(&b'#') {
                continue;
            }
            if raw.len() > MAX_LINE || !complete {
                return Err(err(
                    "The AOF manifest file contains too long line",
                    Some((n, raw)),
                ));
            }
            let line = trim(raw);
            if line.is_empty() {
                return Err(err("Invalid AOF manifest file format", Some((n, raw))));
            }
            let words = match split_args(line) {
                Ok(w) if w.len() >= 6 && w.len() % 2 == 0 => w,
                _ => return Err(err("Invalid AOF manifest file format", Some((n, raw)))),
            };
            let (mut name, mut seq, mut kind) = (None, 0i64, None);
            for pair in words.chunks_exact(2) {
                let key = String::from_utf8_lossy(&pair[0]).to_ascii_lowercase();
                let value = String::from_utf8_lossy(&pair[1]).into_owned();
                match key.as_str() {
                    "file" => {
                        if !is_base_name(&value) {
                            return Err(err(
                                "File can't be a path, just a filename",
                                Some((n, raw)),
                            ));
                        }
                        name = Some(value);
                    }
                    // atoll: leading digits, 0 when there are none.
                    "seq" => seq = leading_int(&value),
                    "type" => kind = value.chars().next(),
                    _ => {}
                }
            }
            let (Some(name), true, Some(kind)) = (name, seq != 0, kind) else {
                return Err(err("Invalid AOF manifest file format", Some((n, raw))));
            };
            match kind {
                'b' => {
                    if m.base.is_some() {
                        return Err(err("Found duplicate base file information", Some((n, raw))));
                    }
                    m.base_seq = seq;
                    m.base = Some(AofFile {
                        name,
                        seq,
                        kind: FileType::Base,
                    });
                }
                'h' => m.history.push(AofFile {
                    name,
                    seq,
                    kind: FileType::History,
                }),
                'i' => {
                    if seq <= m.incr.last().map_or(0, |f| f.seq) {
                        return Err(err("Found a non-monotonic sequence number", Some((n, raw))));
                    }
                    m.incr_seq = seq;
                    m.incr.push(AofFile {
                        name,
                        seq,
                        kind: FileType::Incr,
                    });
                }
                _ => return Err(err("Unknown AOF file type", Some((n, raw)))),
            }
        }
        Ok(m)
    }

    /// The manifest's text: base, history, then incr lines.
    pub fn to_text(&self) -> String {
        let mut out = String::new();
        for f in self
            .base
            .iter()
            .chain(self.history.iter())
            .chain(self.incr.iter())
        {
            out.push_str(&format!(
                "file {} seq {} type {}\n",
                quote_if_needed(f.name.as_bytes()),
                f.seq,
                f.kind.letter()
            ));
        }
        out
    }

    /// Whether the AOF has any data file (base or incr).
    pub fn is_empty(&self) -> bool {
        self.base.is_none() && self.incr.is_empty()
    }

    /// The files to replay, base first.
    pub fn replay_files(&self) -> impl Iterator<Item = &AofFile> {
        self.base.iter().chain(self.incr.iter())
    }

    /// Adds a new incr file (the next sequence number) and returns its name.
    pub fn add_incr(&mut self, appendfilename: &str) -> String {
        self.incr_seq += 1;
        let name = format!("{appendfilename}.{}.incr.aof", self.incr_seq);
        self.incr.push(AofFile {
            name: name.clone(),
            seq: self.incr_seq,
            kind: FileType::Incr,
        });
        name
    }

    /// Installs a new base file (the next sequence number, `.rdb` or `.aof`), turning the
    /// previous base into history, and returns its name.
    pub fn new_base(&mut self, appendfilename: &str, rdb: bool) -> String {
        if let Some(mut old) = self.base.take() {
            old.kind = FileType::History;
            self.history.insert(0, old);
        }
        self.base_seq += 1;
        let name = format!(
            "{appendfilename}.{}.base.{}",
            self.base_seq,
            if rdb { "rdb" } else { "aof" }
        );
        self.base = Some(AofFile {
            name: name.clone(),
            seq: self.base_seq,
            kind: FileType::Base,
        });
        name
    }

    /// After a rewrite: every incr file but the last `keep` becomes history.
    pub fn retire_incr(&mut self, keep: usize) {
        let n = self.incr.len().saturating_sub(keep);
        for mut f in self.incr.drain(..n).rev() {
            f.kind = FileType::History;
            self.history.insert(0, f);
        }
    }
}

fn trim(b: &[u8]) -> &[u8] {
    let ws = |c: &u8| matches!(c, b' ' | b'\t' | b'\r' | b'\n');
    let start = b.iter().position(|c| !ws(c)).unwrap_or(b.len());
    let end = b.iter().rposition(|c| !ws(c)).map_or(start, |e| e + 1);
    &b[start..end]
}

fn leading_int(s: &str) -> i64 {
    crate::util::c_num::strtoll(s)
}

/// Reads the manifest of the AOF directory `dir`: `Ok(None)` when the directory or the
/// manifest does not exist. Errors name the file.
pub fn read(dir: &Path, appendfilename: &str) -> Result<Option<Manifest>, String> {
    let path = dir.join(Manifest::file_name(appendfilename));
    let text = match std::fs::read(&path) {
        Ok(t) => t,
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(None),
        Err(e) => {
            return Err(format!(
                "Fatal error: can't open the AOF manifest file {} for reading: {e}",
                path.display()
            ));
        }
    };
    Manifest::parse(&text)
        .map(Some)
        .map_err(|e| format!("Fatal AOF manifest file error in {}: {e}", path.display()))
}

/// Writes the manifest atomically: temp file, fsync, rename, fsync of the directory.
pub fn persist(dir: &Path, appendfilename: &str, m: &Manifest) -> Result<(), String> {
    let tmp = dir.join(Manifest::temp_file_name(appendfilename));
    let target = dir.join(Manifest::file_name(appendfilename));
    let write = || -> std::io::Result<()> {
        let mut f = File::create(&tmp)?;
        f.write_all(m.to_text().as_bytes())?;
        f.sync_all()
    };
    write().map_err(|e| {
        format!(
            "Error trying to write the temporary AOF manifest file {}: {e}",
            tmp.display()
        )
    })?;
    std::fs::rename(&tmp, &target).map_err(|e| {
        format!(
            "Error trying to rename the temporary AOF manifest file {} into {}: {e}",
            tmp.display(),
            target.display()
        )
    })?;
    sync_dir(dir).map_err(|e| format!("Fail to fsync AOF directory {}: {e}", dir.display()))
}

/// Makes renames and creations in `dir` durable.
pub fn sync_dir(dir: &Path) -> std::io::Result<()> {
    File::open(dir)?.sync_all()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parse_and_format_round_trip() {
        let text = "file appendonly.aof.2.base.rdb seq 2 type b\n\
                    file appendonly.aof.1.incr.aof seq 1 type h\n\
                    file appendonly.aof.3.incr.aof seq 3 type i\n\
                    file appendonly.aof.4.incr.aof seq 4 type i\n";
        let m = Manifest::parse(text.as_bytes()).unwrap();
        assert_eq!(m.base.as_ref().unwrap().name, "appendonly.aof.2.base.rdb");
        assert_eq!(m.history.len(), 1);
        assert_eq!(m.incr.len(), 2);
        assert_eq!((m.base_seq, m.incr_seq), (2, 4));
        assert_eq!(m.to_text(), text);
        let names: Vec<_> = m.replay_files().map(|f| f.seq).collect();
        assert_eq!(names, vec![2, 3, 4]);
    }

    #[test]
    fn comments_order_quoting_and_extra_keys() {
        let text = "# comment\nfile \"a b.aof\" seq 1 type i extra x\n";
        let m = Manifest::parse(text.as_bytes()).unwrap();
        assert_eq!(m.incr[0].name, "a b.aof");
        assert_eq!(m.to_text(), "file \"a b.aof\" seq 1 type i\n");
        // Keys in another order, any case.
        let m = Manifest::parse(b"TYPE b SEQ 7 FILE x.rdb\n").unwrap();
        assert_eq!(m.base.unwrap().seq, 7);
    }

    #[test]
    fn errors_as_redis_reports_them() {
        let msg = |t: &str| Manifest::parse(t.as_bytes()).unwrap_err().msg;
        assert_eq!(msg(""), "Found an empty AOF manifest");
        assert_eq!(msg("file a seq 1\n"), "Invalid AOF manifest file format");
        assert_eq!(msg("\n"), "Invalid AOF manifest file format");
        assert_eq!(
            msg("file a seq 0 type i\n"),
            "Invalid AOF manifest file format"
        );
        assert_eq!(
            msg("file a seq 1 type b\nfile b seq 2 type b\n"),
            "Found duplicate base file information"
        );
        assert_eq!(
            msg("file a seq 2 type i\nfile b seq 2 type i\n"),
            "Found a non-monotonic sequence number"
        );
        assert_eq!(msg("file a seq 1 type x\n"), "Unknown AOF file type");
        assert_eq!(
            msg("file d/a seq 1 type i\n"),
            "File can't be a path, just a filename"
        );
        assert_eq!(
            msg("file a seq 1 type i"),
            "The AOF manifest file contains too long line"
        );
        let e = Manifest::parse(b"file a seq 1 type i\nbogus\n").unwrap_err();
        assert_eq!(e.line, Some((2, "bogus".into())));
    }

    #[test]
    fn rewrite_bookkeeping() {
        let mut m = Manifest::default();
        assert_eq!(m.add_incr("appendonly.aof"), "appendonly.aof.1.incr.aof");
        assert_eq!(m.add_incr("appendonly.aof"), "appendonly.aof.2.incr.aof");
        assert_eq!(
            m.new_base("appendonly.aof", true),
            "appendonly.aof.1.base.rdb"
        );
        m.retire_incr(1);
        assert_eq!(
            m.to_text(),
            "file appendonly.aof.1.base.rdb seq 1 type b\n\
             file appendonly.aof.1.incr.aof seq 1 type h\n\
             file appendonly.aof.2.incr.aof seq 2 type i\n"
        );
        assert_eq!(
            m.new_base("appendonly.aof", false),
            "appendonly.aof.2.base.aof"
        );
        assert_eq!(m.history[0].name, "appendonly.aof.1.base.rdb");
        assert_eq!(m.history[0].kind, FileType::History);
    }
}
