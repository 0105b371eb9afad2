//! The binary behaves as `vigil server` when invoked through a link named like redis-server.

mod common;

use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

use common::{free_port, vigil_bin};

fn ping_via_link(link_name: &str) {
    let dir = std::env::temp_dir().join(format!("vigil-cli-{}-{link_name}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).expect("dir");
    let link = dir.join(link_name);
    std::os::unix::fs::symlink(vigil_bin(), &link).expect("symlink");
    let port = free_port();
    let mut child = Command::new(&link)
        .args(["--port", &port.to_string(), "--bind", "127.0.0.1"])
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .expect("spawn");
    let deadline = Instant::now() + Duration::from_secs(10);
    let mut ok = false;
    while Instant::now() < deadline {
        if let Ok(mut c) = redis::Client::open(format!("redis://127.0.0.1:{port}/"))
            .and_then(|c| c.get_connection())
        {
            let pong: redis::RedisResult<String> = redis::cmd("PING").query(&mut c);
            ok = pong.map(|p| p == "PONG").unwrap_or(false);
            break;
        }
        std::thread::sleep(Duration::from_millis(20));
    }
    let _ = child.kill();
    let _ = child.wait();
    let _ = std::fs::remove_dir_all(&dir);
    assert!(ok, "{link_name} link did not serve PING");
}

#[test]
fn vigil_server_link_acts_as_server() {
    ping_via_link("vigil-server");
}

#[test]
fn redis_server_link_acts_as_server() {
    ping_via_link("redis-server");
}

#[test]
fn version_flag_prints_version() {
    let out = Command::new(vigil_bin())
        .arg("--version")
        .output()
        .expect("run");
    assert!(out.status.success());
    assert!(String::from_utf8_lossy(&out.stdout).contains(env!("CARGO_PKG_VERSION")));
}
