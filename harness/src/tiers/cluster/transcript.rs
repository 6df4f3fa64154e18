//! A record of everything a cluster run saw: every command with its exit code and output (and the
//! file `k3d kubeconfig write` wrote), and every Kubernetes API response the tier read, in order,
//! one JSON object a line. `--report-dir` writes it as `transcripts/<lesson>-cluster.jsonl`; the
//! contract tests replay one (`harness/tests/fake_cluster/replay.rs`) and get the same outcome, so a
//! maintainer can turn a real nightly's transcript into a fixture and the fakes stop being
//! hand-shaped. The transcript of a deleted cluster holds its (now useless) kubeconfig credentials;
//! the registry password yadoc gives the nodes is in no command line and never recorded.

use std::sync::{Arc, Mutex};

use http_body_util::BodyExt;
use serde::{Deserialize, Serialize};

/// One thing the run saw.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "kind", rename_all = "kebab-case")]
pub enum Entry {
    /// A command the run executed (for the lesson line `line`).
    Command {
        line: usize,
        program: String,
        argv: Vec<String>,
        /// The exit code; None when it timed out, was killed or could not start.
        exit: Option<i32>,
        stdout: String,
        stderr: String,
        /// A file the command wrote that the run reads (`k3d kubeconfig write --output F`).
        #[serde(default, skip_serializing_if = "Option::is_none")]
        wrote: Option<String>,
    },
    /// An API request and the response the tier read.
    Api {
        method: String,
        uri: String,
        status: u16,
        body: String,
    },
}

/// The transcript of one run, shared by its client and its command loop.
#[derive(Debug, Clone, Default)]
pub struct Transcript(Arc<Mutex<Vec<Entry>>>);

impl Transcript {
    pub fn push(&self, e: Entry) {
        if let Ok(mut v) = self.0.lock() {
            v.push(e);
        }
    }

    pub fn entries(&self) -> Vec<Entry> {
        self.0.lock().map(|v| v.clone()).unwrap_or_default()
    }

    /// One JSON object a line.
    pub fn to_jsonl(&self) -> String {
        self.entries()
            .iter()
            .filter_map(|e| serde_json::to_string(e).ok())
            .map(|l| l + "\n")
            .collect()
    }

    /// A transcript file, each bad line named by its number.
    pub fn parse(text: &str) -> Result<Vec<Entry>, String> {
        text.lines()
            .enumerate()
            .filter(|(_, l)| !l.trim().is_empty())
            .map(|(i, l)| serde_json::from_str(l).map_err(|e| format!("line {}: {e}", i + 1)))
            .collect()
    }
}

/// `client`, with every request and its response recorded in `t` (the body is read whole and
/// handed on unchanged).
pub fn recording(client: kube::Client, t: Transcript) -> kube::Client {
    let ns = client.default_namespace().to_string();
    let svc = tower::service_fn(move |req: http::Request<kube::client::Body>| {
        let client = client.clone();
        let t = t.clone();
        async move {
            let method = req.method().to_string();
            let uri = req.uri().to_string();
            let resp = client.send(req).await?;
            let (parts, body) = resp.into_parts();
            let bytes = body.collect().await?.to_bytes();
            t.push(Entry::Api {
                method,
                uri,
                status: parts.status.as_u16(),
                body: String::from_utf8_lossy(&bytes).into_owned(),
            });
            Ok::<_, kube::Error>(http::Response::from_parts(
                parts,
                kube::client::Body::from(bytes.to_vec()),
            ))
        }
    });
    kube::Client::new(svc, ns)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_transcript_reads_back_as_it_was_written() {
        let t = Transcript::default();
        t.push(Entry::Command {
            line: 11,
            program: "k3d".into(),
            argv: vec!["cluster".into(), "create".into(), "x".into()],
            exit: Some(0),
            stdout: "INFO[0000] Prep: Network\n".into(),
            stderr: String::new(),
            wrote: None,
        });
        t.push(Entry::Api {
            method: "GET".into(),
            uri: "/api/v1/namespaces/default/pods?".into(),
            status: 200,
            body: "{\"kind\":\"PodList\"}".into(),
        });
        assert_eq!(Transcript::parse(&t.to_jsonl()).unwrap(), t.entries());
        assert!(Transcript::parse("{\"kind\": \"nope\"}")
            .unwrap_err()
            .starts_with("line 1:"));
    }
}
