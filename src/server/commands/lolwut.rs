//! LOLWUT: Redis's art command. We answer like Redis does for versions without art.

use bytes::Bytes;

use super::args;
use super::connection::REDIS_COMPAT_VERSION;
use crate::resp::Reply;
use crate::server::command::{CommandSpec, flags::*};
use crate::server::state::Ctx;

/// The LOLWUT command.
pub static COMMANDS: &[CommandSpec] = &[CommandSpec::new("lolwut", -1, lolwut)
    .flags(READONLY | FAST)
    .doc(
        "server",
        "5.0.0",
        "Displays computer art and the Redis version",
    )];

/// `LOLWUT [VERSION v] [args...]`: Redis validates VERSION as an integer, then versions 5 and 6
/// draw pictures; every other version prints just the version line, which is what we always do.
fn lolwut(_ctx: &mut Ctx, a: &[Bytes]) -> Reply {
    if a.len() >= 3
        && args::is(&a[1], "version")
        && let Err(e) = args::int(&a[2])
    {
        return e;
    }
    Reply::Verbatim(format!("Redis ver. {REDIS_COMPAT_VERSION}\n"))
}
