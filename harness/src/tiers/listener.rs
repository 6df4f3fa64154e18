//! Which process listens on a local TCP port (Linux `/proc`): an answer counts for the app only when
//! the socket that gave it belongs to the process group yadoc started. Another process on the port
//! (one that bound it first, while gunicorn retried its bind) is not the lesson's app.

use std::fs;

/// A process holding a listening socket.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Holder {
    pub pid: u32,
    pub pgid: u32,
    pub cmdline: String,
}

/// Who listens on `port` (any local address, IPv4 or IPv6). `Err` when this machine has no
/// `/proc/net/tcp` to ask; `Ok(empty)` when no listener, or none yadoc may inspect, holds it.
pub fn holders(port: u16) -> Result<Vec<Holder>, String> {
    let mut inodes = Vec::new();
    let mut readable = false;
    for table in ["/proc/net/tcp", "/proc/net/tcp6"] {
        if let Ok(text) = fs::read_to_string(table) {
            readable = true;
            inodes.extend(listening_inodes(&text, port));
        }
    }
    if !readable {
        return Err(
            "this system has no /proc/net/tcp, so yadoc cannot tell which process answered".into(),
        );
    }
    let mut out = Vec::new();
    let Ok(procs) = fs::read_dir("/proc") else {
        return Ok(out);
    };
    for p in procs.flatten() {
        let Some(pid) = p.file_name().to_str().and_then(|s| s.parse::<u32>().ok()) else {
            continue;
        };
        let Ok(fds) = fs::read_dir(p.path().join("fd")) else {
            continue;
        };
        let holds = fds.flatten().any(|fd| {
            fs::read_link(fd.path()).is_ok_and(|target| {
                let t = target.to_string_lossy();
                inodes.iter().any(|i| t == format!("socket:[{i}]"))
            })
        });
        if !holds {
            continue;
        }
        let stat = fs::read_to_string(p.path().join("stat")).unwrap_or_default();
        let cmdline = fs::read(p.path().join("cmdline"))
            .map(|b| {
                String::from_utf8_lossy(&b)
                    .replace('\0', " ")
                    .trim()
                    .to_string()
            })
            .unwrap_or_default();
        out.push(Holder {
            pid,
            pgid: pgid_of(&stat).unwrap_or(0),
            cmdline,
        });
    }
    Ok(out)
}

/// Inodes of the sockets in LISTEN state (`0A`) on `port`, from a `/proc/net/tcp{,6}` table.
/// Format: `sl local_address rem_address st tx:rx tr:when retrnsmt uid timeout inode …`, the local
/// address as `HEXADDR:HEXPORT` (proc(5)).
pub fn listening_inodes(table: &str, port: u16) -> Vec<u64> {
    table
        .lines()
        .skip(1)
        .filter_map(|l| {
            let f: Vec<&str> = l.split_whitespace().collect();
            let local_port = f.get(1)?.rsplit(':').next()?;
            let listening = *f.get(3)? == "0A";
            (listening && u16::from_str_radix(local_port, 16).ok()? == port)
                .then(|| f.get(9)?.parse().ok())
                .flatten()
        })
        .collect()
}

/// The process group of `/proc/PID/stat` (`pid (comm) state ppid pgrp …`; comm may hold spaces).
pub fn pgid_of(stat: &str) -> Option<u32> {
    let rest = &stat[stat.rfind(')')? + 1..];
    rest.split_whitespace().nth(2)?.parse().ok()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reads_listening_sockets_of_a_port_from_proc_net_tcp() {
        // proc(5) layout; 0x1F90 = 8080, state 0A = LISTEN, 01 = ESTABLISHED
        let table = "  sl  local_address rem_address   st tx_queue rx_queue tr tm->when retrnsmt   uid  timeout inode\n   0: 0100007F:1F90 00000000:0000 0A 00000000:00000000 00:00000000 00000000  1000        0 4242 1 0000000000000000 100 0 0 10 0\n   1: 0100007F:1F90 0100007F:C350 01 00000000:00000000 00:00000000 00000000  1000        0 4343 1 0000000000000000 20 4 30 10 -1\n   2: 00000000:0016 00000000:0000 0A 00000000:00000000 00:00000000 00000000     0        0 99 1 0000000000000000 100 0 0 10 0\n";
        assert_eq!(listening_inodes(table, 8080), vec![4242]);
        assert_eq!(listening_inodes(table, 22), vec![99]);
        assert!(listening_inodes(table, 5000).is_empty());
    }

    #[test]
    fn reads_the_process_group_past_a_command_name_with_spaces() {
        assert_eq!(
            pgid_of("123 (gunicorn: worker [app]) S 100 77 77 0 -1"),
            Some(77)
        );
    }

    #[test]
    fn finds_this_process_on_a_port_it_listens_on() {
        let l = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
        let port = l.local_addr().unwrap().port();
        let found = holders(port).expect("/proc on Linux");
        assert!(
            found.iter().any(|h| h.pid == std::process::id()),
            "{found:?}"
        );
    }
}
