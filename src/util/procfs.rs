//! Process and host figures from Linux's /proc (RSS, CPU time, system memory, OS name), read
//! without libc bindings. Every reader returns a neutral value when /proc is unavailable.

/// auxv entry type of the page size.
const AT_PAGESZ: u64 = 6;
/// auxv entry type of the clock tick rate.
const AT_CLKTCK: u64 = 17;

fn auxv(kind: u64) -> Option<u64> {
    let data = std::fs::read("/proc/self/auxv").ok()?;
    data.chunks_exact(16).find_map(|c| {
        let k = u64::from_ne_bytes(c[..8].try_into().ok()?);
        let v = u64::from_ne_bytes(c[8..].try_into().ok()?);
        (k == kind).then_some(v)
    })
}

/// Memory page size in bytes.
pub fn page_size() -> u64 {
    auxv(AT_PAGESZ).filter(|v| *v > 0).unwrap_or(4096)
}

fn clock_ticks() -> f64 {
    auxv(AT_CLKTCK).filter(|v| *v > 0).unwrap_or(100) as f64
}

/// Resident set size of this process in bytes.
pub fn rss_bytes() -> u64 {
    std::fs::read_to_string("/proc/self/statm")
        .ok()
        .and_then(|s| s.split_whitespace().nth(1)?.parse::<u64>().ok())
        .map(|pages| pages * page_size())
        .unwrap_or(0)
}

/// CPU time consumed, in seconds.
#[derive(Debug, Default, Clone, Copy, PartialEq)]
pub struct CpuTimes {
    /// User time.
    pub user: f64,
    /// System time.
    pub sys: f64,
    /// User time of waited-for children.
    pub children_user: f64,
    /// System time of waited-for children.
    pub children_sys: f64,
}

fn parse_stat(text: &str) -> Option<CpuTimes> {
    // Fields after the parenthesised command name, which may itself contain spaces.
    let rest = &text[text.rfind(')')? + 1..];
    let f: Vec<&str> = rest.split_whitespace().collect();
    // `rest` starts at field 3 (state); utime is field 14.
    let get = |n: usize| -> Option<f64> { f.get(n - 3)?.parse::<f64>().ok() };
    let hz = clock_ticks();
    Some(CpuTimes {
        user: get(14)? / hz,
        sys: get(15)? / hz,
        children_user: get(16)? / hz,
        children_sys: get(17)? / hz,
    })
}

/// CPU times of the whole process.
pub fn process_cpu() -> CpuTimes {
    std::fs::read_to_string("/proc/self/stat")
        .ok()
        .and_then(|s| parse_stat(&s))
        .unwrap_or_default()
}

/// CPU times of the main thread alone (the one whose id is the process id).
pub fn main_thread_cpu() -> CpuTimes {
    let pid = std::process::id();
    std::fs::read_to_string(format!("/proc/self/task/{pid}/stat"))
        .ok()
        .and_then(|s| parse_stat(&s))
        .unwrap_or_default()
}

/// Physical memory of the host in bytes.
pub fn total_system_memory() -> u64 {
    std::fs::read_to_string("/proc/meminfo")
        .ok()
        .and_then(|s| {
            let line = s.lines().find(|l| l.starts_with("MemTotal:"))?;
            let kb: u64 = line.split_whitespace().nth(1)?.parse().ok()?;
            Some(kb * 1024)
        })
        .unwrap_or(0)
}

/// `uname -s -r -m` style description, as INFO's `os` field shows it.
pub fn os_description() -> String {
    let read = |p: &str| {
        std::fs::read_to_string(p)
            .map(|s| s.trim().to_string())
            .unwrap_or_default()
    };
    let mut name = read("/proc/sys/kernel/ostype");
    if name.is_empty() {
        name = "Linux".into();
    }
    let release = read("/proc/sys/kernel/osrelease");
    format!("{name} {release} {}", std::env::consts::ARCH)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn stat_line_with_spaces_in_name() {
        let line = "42 (a b) S 1 2 3 4 5 6 7 8 9 10 200 100 50 25 20 0 1 0";
        let t = parse_stat(line).unwrap_or_default();
        let hz = clock_ticks();
        assert_eq!(t.user, 200.0 / hz);
        assert_eq!(t.sys, 100.0 / hz);
        assert_eq!(t.children_user, 50.0 / hz);
        assert_eq!(t.children_sys, 25.0 / hz);
    }

    #[test]
    fn live_figures() {
        assert!(rss_bytes() > 0);
        assert!(page_size() >= 4096);
        assert!(total_system_memory() > 0);
        assert!(os_description().contains(std::env::consts::ARCH));
    }
}
