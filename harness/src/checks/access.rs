//! How the reader reaches what the lesson deploys: the /etc/hosts line, the URL and the k3d port
//! mapping agree with the Ingress; curl and the kubeconfig agree with `--api-port`.

use serde_json::Value;

use super::context::Ctx;
use super::finding::{Edit, Examined};
use crate::lesson::classify::Content;
use crate::lesson::steps::{ClusterCreate, StepKind};

pub const INGRESS_URL: &str = "xref.ingress-url";
pub const API_PORT: &str = "xref.api-port";

/// `http://HOST:PORT/…` → (scheme, host, port).
pub fn split_url(url: &str) -> Option<(String, String, u16)> {
    let (scheme, rest) = url.split_once("://")?;
    let authority = rest.split('/').next()?;
    let (host, port) = match authority.rsplit_once(':') {
        Some((h, p)) => (h.to_string(), p.parse().ok()?),
        None => (
            authority.to_string(),
            if scheme == "https" { 443 } else { 80 },
        ),
    };
    Some((scheme.to_string(), host, port))
}

fn clusters<'a>(ctx: &'a Ctx) -> Vec<(usize, &'a ClusterCreate)> {
    ctx.steps()
        .filter_map(|(s, k)| match k {
            StepKind::ClusterCreate(c) => Some((s.line, c)),
            _ => None,
        })
        .collect()
}

/// The cluster in use at a line: the last one created before it.
fn cluster_at<'a>(ctx: &'a Ctx, line: usize) -> Option<(usize, &'a ClusterCreate)> {
    clusters(ctx).into_iter().rfind(|(l, _)| *l < line)
}

/// /etc/hosts line, URL host and port agree with the Ingress host and the load balancer mapping.
pub fn ingress_url(ctx: &Ctx) -> Examined {
    let hosts: Vec<(String, usize)> = ctx
        .of_kind("Ingress")
        .flat_map(|m| {
            m.value().unwrap_or(&Value::Null)["spec"]["rules"]
                .as_array()
                .into_iter()
                .flatten()
                .enumerate()
                .filter_map(|(i, r)| {
                    r["host"]
                        .as_str()
                        .map(|h| (h.to_string(), m.line(&format!("spec.rules[{i}].host"))))
                })
                .collect::<Vec<_>>()
        })
        .collect();
    let mut out = Examined::new();
    if hosts.is_empty() {
        return out;
    }
    let host_list = hosts
        .iter()
        .map(|(h, l)| format!("{h} (line {l})"))
        .collect::<Vec<_>>()
        .join(", ");
    for (s, k) in ctx.steps() {
        match k {
            StepKind::HostsEntry { ip, host } => {
                out.saw(format!("line {}: hosts entry {ip} {host}", s.line));
                if !hosts.iter().any(|(h, _)| h == host) {
                    out.found(
                        ctx.finding(INGRESS_URL, s.line)
                            .expected(format!(
                                "the /etc/hosts line to name the Ingress host: {host_list}"
                            ))
                            .observed(format!("`{}` names {host}", s.literal))
                            .fix(format!("write `127.0.0.1 {}`", hosts[0].0)),
                    );
                } else if ip != "127.0.0.1" {
                    out.found(
                        ctx.finding(INGRESS_URL, s.line)
                            .expected(
                                "127.0.0.1: k3d publishes the load balancer's ports on the host",
                            )
                            .observed(format!("`{}` points {host} at {ip}", s.literal))
                            .fix(format!("write `127.0.0.1 {host}`")),
                    );
                }
            }
            StepKind::Visit { url } => {
                let Some((scheme, host, port)) = split_url(url) else {
                    continue;
                };
                let named: Vec<&String> = ctx
                    .steps()
                    .filter_map(|(_, k)| match k {
                        StepKind::HostsEntry { host, .. } => Some(host),
                        _ => None,
                    })
                    .collect();
                if scheme != "http"
                    || !(hosts.iter().any(|(h, _)| *h == host)
                        || named.contains(&&host)
                        || host.ends_with(".local"))
                {
                    continue;
                }
                out.saw(format!("line {}: {url}", s.line));
                if !hosts.iter().any(|(h, _)| *h == host) {
                    out.found(
                        ctx.finding(INGRESS_URL, s.line)
                            .expected(format!("the URL's host to be the Ingress host: {host_list}"))
                            .observed(format!("{url} asks for host {host}; traefik answers 404 for a host no Ingress names"))
                            .fix(format!("use http://{}:{port}/", hosts[0].0)),
                    );
                    continue;
                }
                let Some((cline, cluster)) =
                    cluster_at(ctx, s.line).or_else(|| clusters(ctx).into_iter().last())
                else {
                    continue;
                };
                let lb: Vec<_> = cluster
                    .ports
                    .iter()
                    .filter(|p| p.container == 80 && p.node_filter.starts_with("loadbalancer"))
                    .collect();
                if !lb.iter().any(|p| p.host == port) {
                    out.found(
                        ctx.finding(INGRESS_URL, s.line)
                            .expected(format!("the URL's port to be the host port that k3d maps to the load balancer's port 80 (`k3d cluster create` at line {cline}: {})", if lb.is_empty() { "no such mapping".to_string() } else { lb.iter().map(|p| p.host.to_string()).collect::<Vec<_>>().join(", ") }))
                            .observed(format!("{url} uses port {port}"))
                            .fix(match lb.first() { Some(p) => format!("use port {} in the URL, or map `-p \"{port}:80@loadbalancer\"`", p.host), None => format!("add `-p \"{port}:80@loadbalancer\"` to k3d cluster create") }),
                    );
                }
            }
            _ => {}
        }
    }
    out
}

/// curl URLs and the example kubeconfig use the port given to `--api-port`.
pub fn api_port(ctx: &Ctx) -> Examined {
    let mut out = Examined::new();
    let mut check = |line: usize, what: &str, url: &str| {
        let Some((_, _, port)) = split_url(url) else {
            return;
        };
        let Some((cline, c)) = cluster_at(ctx, line).or_else(|| clusters(ctx).into_iter().next())
        else {
            return;
        };
        let Some(api) = c.api_port else { return };
        out.saw(format!("line {line}: {what} {url}"));
        if port != api {
            out.found(
                ctx.finding(API_PORT, line)
                    .expected(format!(
                        "port {api}, the --api-port of cluster {} (line {cline})",
                        c.name
                    ))
                    .observed(format!("{what} uses {url}"))
                    .fix(format!("use port {api}")),
            );
        }
    };
    for (s, k) in ctx.steps() {
        if let StepKind::Curl { url, .. } = k {
            if url.starts_with("https://") {
                check(s.line, "curl", url);
            }
        }
    }
    for (b, c) in ctx.lesson.blocks.iter().zip(&ctx.lesson.contents) {
        if *c != Content::Kubeconfig {
            continue;
        }
        for (i, l) in b.text.lines().enumerate() {
            if let Some(url) = l.trim().strip_prefix("server:") {
                check(b.line_of_text_line(i), "the kubeconfig shown", url.trim());
            }
        }
    }
    out
}

pub const KUBECONFIG_INDEX: &str = "kubeconfig.index-path";

/// `yq e '.clusters[0]…' ~/.kube/config`: an entry by position is whichever sorts first in the
/// reader's merged kubeconfig (clientcmd sorts entries by name: `lesson/kubeconfig_path.rs`), so a
/// reader with any other cluster may extract another cluster's certificate. Select it by name.
pub fn kubeconfig_index(ctx: &Ctx) -> Examined {
    use crate::lesson::kubeconfig_path::{KubeconfigPath, Pick};
    let mut out = Examined::new();
    for (s, k) in ctx.steps() {
        let StepKind::ExtractKubeconfigField {
            expression,
            kubeconfig,
            ..
        } = k
        else {
            continue;
        };
        let Some(path) = KubeconfigPath::parse(expression) else {
            continue;
        };
        out.saw(format!("line {}: `{expression}`", s.line));
        let Pick::Index(i) = path.pick else { continue };
        let cluster = cluster_at(ctx, s.line).map(|(_, c)| format!("k3d-{}", c.name));
        let name = match (path.list.as_str(), &cluster) {
            ("users", Some(c)) => format!("admin@{c}"),
            (_, Some(c)) => c.clone(),
            (_, None) => "NAME".into(),
        };
        let by_name = KubeconfigPath {
            pick: Pick::Name(name.clone()),
            ..path.clone()
        };
        out.found(
            ctx.finding(KUBECONFIG_INDEX, s.line)
                .expected(format!(
                    "the `{}` entry of {} selected by name ({name}), the one the lesson made",
                    path.list,
                    cluster.as_deref().unwrap_or("the lesson's cluster")
                ))
                .observed(format!(
                    "`.{}[{i}]` of {kubeconfig}: kubectl and k3d keep a merged kubeconfig's entries sorted by name, so [{i}] is whichever sorts {} there, another cluster's for a reader who has one",
                    path.list,
                    if i == 0 { "first".to_string() } else { format!("at position {i}") }
                ))
                .fix(format!("use `{}`", by_name.expression()))
                .edit(Edit::ReplaceLine {
                    line: s.line,
                    text: ctx
                        .lesson
                        .source
                        .line(s.line)
                        .replacen(expression.as_str(), &by_name.expression(), 1),
                }),
        );
    }
    out
}
