//! What this host's process table says: whether a process still runs, told apart from a later
//! process that got the same pid by its start time (field 22 of `/proc/PID/stat`).

use nix::sys::signal::{Signal, killpg};
use nix::unistd::Pid;

/// A process, named by its pid and its start time (clock ticks since boot).
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct ProcessId {
    /// Its pid (and, for a pod, its process group).
    pub pid: i32,
    /// When it started, so that a reused pid is not mistaken for it.
    pub start_time: u64,
}

impl ProcessId {
    /// The process with this pid now, if there is one.
    pub fn of(pid: i32) -> Option<ProcessId> {
        start_time(pid).map(|start_time| ProcessId { pid, start_time })
    }

    /// The calling process.
    pub fn current() -> Option<ProcessId> {
        ProcessId::of(i32::try_from(std::process::id()).ok()?)
    }

    /// Whether it still runs (a zombie that nobody reaped counts as ended).
    pub fn is_alive(&self) -> bool {
        match stat_fields(self.pid) {
            Some((state, start)) => start == self.start_time && state != 'Z' && state != 'X',
            None => false,
        }
    }

    /// Signals its process group; false when the group is gone.
    pub fn signal_group(&self, signal: Signal) -> bool {
        killpg(Pid::from_raw(self.pid), signal).is_ok()
    }
}

fn start_time(pid: i32) -> Option<u64> {
    stat_fields(pid).map(|(_, start)| start)
}

/// The state letter and start time of a process.
fn stat_fields(pid: i32) -> Option<(char, u64)> {
    let stat = std::fs::read_to_string(format!("/proc/{pid}/stat")).ok()?;
    parse_stat(&stat)
}

/// `pid (comm) S ppid …`: the command may hold spaces and parentheses, so fields are counted
/// from the last `)`. The state is field 3, the start time field 22.
fn parse_stat(stat: &str) -> Option<(char, u64)> {
    let rest = &stat[stat.rfind(')')? + 1..];
    let mut fields = rest.split_whitespace();
    let state = fields.next()?.chars().next()?;
    let start = fields.nth(18)?.parse().ok()?;
    Some((state, start))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn stat_is_read_past_a_command_with_spaces() {
        let line = "4242 (my (odd) cmd) S 1 4242 4242 0 -1 4194560 100 0 0 0 1 2 0 0 20 0 1 0 987654 1000 10";
        assert_eq!(parse_stat(line), Some(('S', 987654)));
    }

    #[test]
    fn this_process_is_alive_and_a_reused_pid_is_not() {
        let me = ProcessId::current().expect("this process is in /proc");
        assert!(me.is_alive());
        let other = ProcessId {
            start_time: me.start_time + 1,
            ..me
        };
        assert!(!other.is_alive());
    }
}
