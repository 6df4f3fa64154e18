//! Reaching the app the way the lesson's reader does: `http://myapp.local:8081/` through the k3d load
//! balancer, connected to 127.0.0.1 on the run's port, retried until the lesson's answer or the deadline.

use crate::diagnose::diagnose;
use crate::tiers::expect::mismatch;
use crate::tiers::http::{wait_for, Target, WaitFailure};

use super::exec::{fail, ClusterRun, Executed, Failure};
use crate::lesson::steps::Step;

impl ClusterRun<'_> {
    pub(super) fn ingress_port(&mut self, url_port: u16) -> u16 {
        self.iso.port(url_port)
    }

    /// GET the lesson's URL through the k3d load balancer until the lesson's answer, at most the deadline.
    pub(super) async fn visit(&mut self, step: &Step, url: &str) -> Result<(), Failure> {
        let Some((_, host, port)) = crate::checks::access::split_url(url) else {
            return Ok(());
        };
        if !self.iso.ports.contains_key(&port) {
            return Ok(()); // not a port the lesson maps: not a URL of this cluster
        }
        let free = self.ingress_port(port);
        let target = Target {
            url: format!(
                "http://{host}:{free}{}",
                url.split_once(&format!(":{port}"))
                    .map(|x| x.1)
                    .unwrap_or("/")
            ),
            connect: Some((host.clone(), ([127, 0, 0, 1], free).into())),
        };
        self.executed.push(Executed {
            line: step.line,
            literal: step.literal.clone(),
            program: "GET".into(),
            argv: vec![target.url.clone()],
            rewrites: vec![format!(
                "{host}:{port} → connect to 127.0.0.1:{free}, Host: {host}"
            )],
            kubeconfig: None,
        });
        if self.dry_run {
            return Ok(());
        }
        let expected = self.expected.clone();
        let deadline = self.deadlines.http;
        let accept = move |r: &crate::tiers::http::Reply| {
            r.status == 200 && expected.as_ref().is_none_or(|e| mismatch(e, r).is_none())
        };
        let waited = tokio::task::spawn_blocking({
            let target = target.clone();
            move || wait_for(&target, deadline, accept, || None)
        })
        .await
        .map_err(|e| fail(step.line, "an HTTP check", e.to_string(), ""))?;
        match waited {
            Ok(r) => {
                self.notes.push(format!(
                    "{}:{} GET {url} → HTTP {} ({} bytes) through the k3d load balancer{}",
                    self.lesson.file_name(),
                    step.line,
                    r.status,
                    r.body.len(),
                    match &self.expected {
                        Some(e) => format!(", as stated: {}", e.what),
                        None => "; the body is not checked: the lesson states no answer (no `app:` in a lessonN.yaml)".into(),
                    }
                ));
                Ok(())
            }
            Err(WaitFailure::Deadline { after, last, .. }) => {
                let what = self
                    .expected
                    .as_ref()
                    .map(|e| e.what.clone())
                    .unwrap_or_else(|| "HTTP 200".into());
                let ns = self
                    .lesson
                    .files
                    .iter()
                    .find_map(|f| {
                        crate::yaml::YamlDoc::parse(f.text())
                            .ok()
                            .filter(|d| d.value["kind"] == "Ingress")
                            .and_then(|d| {
                                d.value["metadata"]["namespace"].as_str().map(String::from)
                            })
                    })
                    .unwrap_or_else(|| "default".into());
                let mut f = fail(
                    step.line,
                    format!("GET {url} to answer {what} within {after:?}"),
                    format!("last answer: {last}"),
                    "check the Ingress host and backend; a 404 from traefik means no rule matched",
                );
                // a 404 from traefik has two causes: no rule matched, or the rule's Service has no
                // ready endpoint (traefik skips it). The Service's endpoints tell them apart.
                if let Some(c) = &self.client {
                    let backends = super::api::backends(c, &ns).await;
                    if let Some(d) = diagnose(&backends) {
                        f.fix = d.fix.clone();
                        f.diagnostics.push_str(&format!("cause: {}\n", d.line()));
                    }
                    if !backends.is_empty() {
                        f.diagnostics.push_str(&format!("{backends}\n"));
                    }
                }
                let mut f = self.with_diagnostics(f, &ns).await;
                if !f.diagnostics.contains("cause: ") {
                    if let Some(d) = diagnose(&last.replace("HTTP 404: ", "")) {
                        f.fix = d.fix.clone();
                        f.diagnostics = format!("cause: {}\n{}", d.line(), f.diagnostics);
                    }
                }
                Err(f)
            }
            Err(other) => Err(fail(
                step.line,
                format!("GET {url}"),
                format!("{other:?}"),
                "",
            )),
        }
    }
}
