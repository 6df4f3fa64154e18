//! HTTP to what the run started, on loopback only: one GET, and waiting with a deadline.

use std::net::SocketAddr;
use std::time::{Duration, Instant};

/// What an HTTP GET returned.
#[derive(Debug, Clone)]
pub struct Reply {
    pub status: u16,
    pub body: Vec<u8>,
    pub elapsed: Duration,
}

impl Reply {
    /// The start of the body as text, for reports.
    pub fn body_excerpt(&self) -> String {
        let s = String::from_utf8_lossy(&self.body[..self.body.len().min(200)]).into_owned();
        if self.body.len() > 200 {
            format!("{s}… ({} bytes)", self.body.len())
        } else {
            s
        }
    }
}

/// Where to connect: a URL, and for a virtual host (myapp.local) the loopback address to use instead
/// of DNS. The harness never connects anywhere but loopback.
#[derive(Debug, Clone)]
pub struct Target {
    pub url: String,
    pub connect: Option<(String, SocketAddr)>,
}

impl Target {
    pub fn local(url: impl Into<String>) -> Self {
        Self {
            url: url.into(),
            connect: None,
        }
    }

    pub fn client(&self, timeout: Duration) -> Result<reqwest::Client, String> {
        let host = reqwest::Url::parse(&self.url)
            .map_err(|e| format!("bad URL {}: {e}", self.url))?
            .host_str()
            .unwrap_or("")
            .to_string();
        let mut b = reqwest::Client::builder().timeout(timeout).no_proxy();
        match &self.connect {
            Some((h, addr)) if addr.ip().is_loopback() => b = b.resolve(h, *addr),
            Some((_, addr)) => {
                return Err(format!(
                    "refusing to connect to {addr}: yadoc only talks to loopback"
                ))
            }
            None if !(host == "127.0.0.1" || host == "localhost" || host == "[::1]") => {
                return Err(format!(
                    "refusing {}: yadoc only talks to 127.0.0.1",
                    self.url
                ))
            }
            None => {}
        }
        b.build().map_err(|e| e.to_string())
    }
}

async fn get_async(client: &reqwest::Client, url: &str) -> Result<Reply, String> {
    let started = Instant::now();
    let resp = client.get(url).send().await.map_err(|e| describe(&e))?;
    let status = resp.status().as_u16();
    let body = resp.bytes().await.map_err(|e| describe(&e))?.to_vec();
    Ok(Reply {
        status,
        body,
        elapsed: started.elapsed(),
    })
}

fn describe(e: &reqwest::Error) -> String {
    let mut s = e.to_string();
    let mut src = std::error::Error::source(e);
    while let Some(inner) = src {
        s.push_str(": ");
        s.push_str(&inner.to_string());
        src = inner.source();
    }
    s
}

fn runtime() -> Result<tokio::runtime::Runtime, String> {
    tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .map_err(|e| e.to_string())
}

/// Why waiting for an answer ended without one.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum WaitFailure {
    /// The server process exited (its status).
    Exited(String),
    /// The deadline passed; the last thing seen (an error or a status and body), and whether any
    /// HTTP answer came at all.
    Deadline {
        after: Duration,
        last: String,
        answered: bool,
    },
    Refused(String),
    /// An answer came, but not from the started server (another process holds the port), or the
    /// server died or logged a traceback after answering.
    NotTheApp(String),
}

/// How long the app tier and the image tier wait for an app's first answer: `default`, or
/// `YADOC_READY_SECS` seconds (for a slow machine, or a test of an app that never answers).
pub fn ready_deadline(default: Duration) -> Duration {
    ready_secs().unwrap_or(default)
}

fn ready_secs() -> Option<Duration> {
    let v = std::env::var("YADOC_READY_SECS").ok()?;
    v.trim()
        .parse::<u64>()
        .ok()
        .filter(|s| *s > 0)
        .map(Duration::from_secs)
}

/// `YADOC_READY_SECS` is a whole number of seconds above 0, or unset: a typo would otherwise wait
/// the default without a word.
pub fn check_ready_var() -> Result<(), String> {
    match std::env::var("YADOC_READY_SECS") {
        Ok(v) if ready_secs().is_none() => Err(format!(
            "YADOC_READY_SECS={v}: not a whole number of seconds above 0 (unset it for the defaults: 30 s for the app tier, 60 s for the image tier)"
        )),
        _ => Ok(()),
    }
}

/// Poll `target` until `accept` says yes, the server exits (`exited` returns its status) or the
/// deadline passes.
pub fn wait_for(
    target: &Target,
    deadline: Duration,
    accept: impl Fn(&Reply) -> bool,
    mut exited: impl FnMut() -> Option<String>,
) -> Result<Reply, WaitFailure> {
    let rt = runtime().map_err(WaitFailure::Refused)?;
    let client = target
        .client(Duration::from_secs(60))
        .map_err(WaitFailure::Refused)?;
    let started = Instant::now();
    let mut last: String;
    let mut answered = false;
    // a server usually answers within a second: poll often at first, then every 250 ms
    let mut pause = Duration::from_millis(40);
    loop {
        if let Some(status) = exited() {
            return Err(WaitFailure::Exited(status));
        }
        // the deadline holds for the whole wait: a request never outlives it (a server that
        // accepts connections but never answers would otherwise hold the wait for the client's
        // own timeout)
        let left = deadline
            .saturating_sub(started.elapsed())
            .max(Duration::from_millis(100));
        match rt
            .block_on(async { tokio::time::timeout(left, get_async(&client, &target.url)).await })
        {
            Ok(Ok(r)) if accept(&r) => return Ok(r),
            Ok(Ok(r)) => {
                answered = true;
                last = format!("HTTP {}: {}", r.status, r.body_excerpt());
            }
            Ok(Err(e)) => last = e,
            Err(_) => {
                last = format!(
                    "a request sent at +{:?} got no answer",
                    started.elapsed().saturating_sub(left)
                )
            }
        }
        if started.elapsed() >= deadline {
            return Err(WaitFailure::Deadline {
                after: deadline,
                last,
                answered,
            });
        }
        std::thread::sleep(pause);
        pause = (pause * 2).min(Duration::from_millis(250));
    }
}

/// A free TCP port on 127.0.0.1.
pub fn free_port() -> std::io::Result<u16> {
    Ok(std::net::TcpListener::bind("127.0.0.1:0")?
        .local_addr()?
        .port())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn refuses_anything_but_loopback() {
        assert!(Target::local("http://10.0.0.1:80/")
            .client(Duration::from_secs(1))
            .is_err());
        assert!(Target::local("http://example.com/")
            .client(Duration::from_secs(1))
            .is_err());
        let vhost = Target {
            url: "http://myapp.local:8081/".into(),
            connect: Some(("myapp.local".into(), "192.168.1.2:8081".parse().unwrap())),
        };
        assert!(vhost.client(Duration::from_secs(1)).is_err());
        let ok = Target {
            url: "http://myapp.local:8081/".into(),
            connect: Some(("myapp.local".into(), "127.0.0.1:8081".parse().unwrap())),
        };
        assert!(ok.client(Duration::from_secs(1)).is_ok());
    }

    #[test]
    fn waiting_on_a_closed_port_ends_at_the_deadline_with_the_last_error() {
        let port = free_port().unwrap();
        let e = wait_for(
            &Target::local(format!("http://127.0.0.1:{port}/")),
            Duration::from_millis(300),
            |_| true,
            || None,
        )
        .unwrap_err();
        assert!(
            matches!(&e, WaitFailure::Deadline { last, .. } if last.contains("onnect")),
            "{e:?}"
        );
    }
}
