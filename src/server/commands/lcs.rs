//! LCS: the longest common subsequence of two string values (Redis 7.0's dynamic programming
//! table, walked back from the end so matches come out last-first, exactly as Redis lists them).

use bytes::Bytes;

use super::args;
use crate::resp::Reply;
use crate::server::command::{CommandSpec, acl, flags::*};
use crate::server::state::Ctx;
use crate::server::value::Value;

/// The LCS command.
pub static COMMANDS: &[CommandSpec] = &[CommandSpec::new("lcs", -3, lcs)
    .flags(READONLY)
    .acl(acl::STRING)
    .keys(1, 2, 1)
    .doc("string", "7.0.0", "Finds the longest common substring.")];

/// Reads a key for LCS: missing is "", anything but a string is an error.
fn string_or_empty(ctx: &mut Ctx, key: &[u8]) -> Result<Vec<u8>, ()> {
    match ctx.read(key) {
        None => Ok(Vec::new()),
        Some(e) => match &e.value {
            Value::Str(s) => Ok(s.clone()),
            _ => Err(()),
        },
    }
}

fn lcs(ctx: &mut Ctx, a: &[Bytes]) -> Reply {
    let x = string_or_empty(ctx, &a[1]);
    let y = string_or_empty(ctx, &a[2]);
    let (Ok(x), Ok(y)) = (x, y) else {
        return Reply::err("ERR The specified keys must contain string values");
    };
    let (mut get_len, mut get_idx, mut with_len) = (false, false, false);
    let mut min_len: i64 = 0;
    let mut i = 3;
    while i < a.len() {
        if args::is(&a[i], "idx") {
            get_idx = true;
        } else if args::is(&a[i], "len") {
            get_len = true;
        } else if args::is(&a[i], "withmatchlen") {
            with_len = true;
        } else if args::is(&a[i], "minmatchlen") && i + 1 < a.len() {
            min_len = match args::int(&a[i + 1]) {
                Ok(v) => v.max(0),
                Err(e) => return e,
            };
            i += 1;
        } else {
            return args::syntax_error();
        }
        i += 1;
    }
    if get_len && get_idx {
        return Reply::err("ERR If you want both the length and indexes, please just use IDX.");
    }
    if x.len() as u64 >= u64::from(u32::MAX - 1) || y.len() as u64 >= u64::from(u32::MAX - 1) {
        return Reply::err("ERR String too long for LCS");
    }
    let cells = (x.len() as u64 + 1) * (y.len() as u64 + 1);
    if cells * 4 > ctx.srv.config.proto_max_bulk_len {
        return Reply::err(
            "ERR Insufficient memory, transient memory for LCS exceeds proto-max-bulk-len",
        );
    }
    let table = Table::build(&x, &y);
    let total = table.at(x.len(), y.len());
    if get_len {
        return Reply::Int(i64::from(total));
    }
    let (common, matches) = table.walk(&x, &y, min_len as u64);
    if !get_idx {
        return Reply::Bulk(Bytes::from(common));
    }
    let items = matches
        .into_iter()
        .map(|m| {
            let mut item = vec![
                Reply::Array(vec![Reply::Int(m.a.0 as i64), Reply::Int(m.a.1 as i64)]),
                Reply::Array(vec![Reply::Int(m.b.0 as i64), Reply::Int(m.b.1 as i64)]),
            ];
            if with_len {
                item.push(Reply::Int(m.len as i64));
            }
            Reply::Array(item)
        })
        .collect();
    Reply::Map(vec![
        (Reply::text("matches"), Reply::Array(items)),
        (Reply::text("len"), Reply::Int(i64::from(total))),
    ])
}

/// One contiguous run of the subsequence: inclusive ranges in each string.
struct Match {
    a: (usize, usize),
    b: (usize, usize),
    len: usize,
}

/// LCS lengths of every pair of prefixes, `(x.len()+1) * (y.len()+1)` cells.
struct Table {
    cells: Vec<u32>,
    width: usize,
}

impl Table {
    fn build(x: &[u8], y: &[u8]) -> Table {
        let width = y.len() + 1;
        let mut cells = vec![0u32; (x.len() + 1) * width];
        for i in 1..=x.len() {
            for j in 1..=y.len() {
                cells[i * width + j] = if x[i - 1] == y[j - 1] {
                    cells[(i - 1) * width + j - 1] + 1
                } else {
                    cells[(i - 1) * width + j].max(cells[i * width + j - 1])
                };
            }
        }
        Table { cells, width }
    }

    fn at(&self, i: usize, j: usize) -> u32 {
        self.cells[i * self.width + j]
    }

    /// Walks back from the end: the common subsequence and its contiguous runs (last first),
    /// keeping runs of at least `min_len` (0 = all).
    fn walk(&self, x: &[u8], y: &[u8], min_len: u64) -> (Vec<u8>, Vec<Match>) {
        let mut common = vec![0u8; self.at(x.len(), y.len()) as usize];
        let mut left = common.len();
        let mut matches = Vec::new();
        let (mut i, mut j) = (x.len(), y.len());
        // The run being tracked: start/end in x and start/end in y.
        let mut run: Option<(usize, usize, usize, usize)> = None;
        while i > 0 && j > 0 {
            let mut emit = false;
            if x[i - 1] == y[j - 1] {
                left -= 1;
                common[left] = x[i - 1];
                run = match run {
                    None => Some((i - 1, i - 1, j - 1, j - 1)),
                    Some((as_, ae, bs, be)) if as_ == i && bs == j => {
                        Some((as_ - 1, ae, bs - 1, be))
                    }
                    Some(r) => {
                        emit = true;
                        Some(r)
                    }
                };
                if let Some((as_, _, bs, _)) = run
                    && (as_ == 0 || bs == 0)
                {
                    emit = true;
                }
                i -= 1;
                j -= 1;
            } else {
                if self.at(i - 1, j) > self.at(i, j - 1) {
                    i -= 1;
                } else {
                    j -= 1;
                }
                emit = run.is_some();
            }
            if emit && let Some((as_, ae, bs, be)) = run.take() {
                let len = ae - as_ + 1;
                if min_len == 0 || len as u64 >= min_len {
                    matches.push(Match {
                        a: (as_, ae),
                        b: (bs, be),
                        len,
                    });
                }
            }
        }
        (common, matches)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn finds_the_classic_example() {
        let (x, y) = (b"ohmytext".as_slice(), b"mynewtext".as_slice());
        let t = Table::build(x, y);
        let (common, matches) = t.walk(x, y, 0);
        assert_eq!(common, b"mytext");
        let runs: Vec<_> = matches.iter().map(|m| (m.a, m.b, m.len)).collect();
        assert_eq!(runs, vec![((4, 7), (5, 8), 4), ((2, 3), (0, 1), 2)]);
    }
}
