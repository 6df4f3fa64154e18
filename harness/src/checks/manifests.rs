//! Every manifest parses and decodes strictly into its Kubernetes type.

use super::context::Ctx;
use super::finding::{Examined, Finding};
use crate::k8s::{apis, decode, validate};
use crate::lesson::classify::Content;
use crate::yaml::YamlDoc;

pub const YAML_SYNTAX: &str = "yaml.syntax";
pub const SCHEMA: &str = "k8s.schema";
pub const UNKNOWN_FIELD: &str = "k8s.unknown-field";
pub const REMOVED_API: &str = "k8s.removed-api";
pub const VALIDATION: &str = "k8s.validation";

/// Manifests, excerpts and example kubeconfigs are valid YAML.
pub fn yaml_syntax(ctx: &Ctx) -> Examined {
    let mut out = Examined::new();
    for m in &ctx.manifests {
        out.saw(&m.artifact.name);
        if let Err(e) = &m.doc {
            out.found(
                ctx.finding(YAML_SYNTAX, m.artifact.lesson_line(m.offset + e.line))
                    .expected(format!("{} to be valid YAML", m.artifact.name))
                    .observed(e.message.clone())
                    .fix("fix the YAML at this line (indentation, a missing colon or bracket)"),
            );
        }
    }
    for (b, c) in ctx.lesson.blocks.iter().zip(&ctx.lesson.contents) {
        if matches!(c, Content::YamlFragment | Content::Kubeconfig) {
            // an excerpt with `...` elisions (or `# ...` cuts) leaves lines out: not YAML to parse
            if b.text
                .lines()
                .any(|l| l.trim() == "..." || l.trim() == "# ...")
            {
                continue;
            }
            out.saw(format!("the {} at line {}", c.describe(), b.open_line));
            for (offset, text) in crate::yaml::documents(&b.text) {
                if let Err(e) = YamlDoc::parse(&text) {
                    out.found(
                        ctx.finding(
                            YAML_SYNTAX,
                            b.line_of_text_line(offset + e.line.saturating_sub(1)),
                        )
                        .expected(format!("the {} to be valid YAML", c.describe()))
                        .observed(e.message)
                        .fix("fix the YAML at this line"),
                    );
                }
            }
        }
    }
    out
}

/// Decode every manifest that parses and is served; each is recorded as examined.
fn each_problem(
    ctx: &Ctx,
    out: &mut Examined,
    mut f: impl FnMut(&super::context::Manifest, &str, &str, decode::Problem) -> Option<Finding>,
) {
    for m in &ctx.manifests {
        let Some(v) = m.value() else { continue };
        let api = v["apiVersion"].as_str().unwrap_or("");
        let kind = v["kind"].as_str().unwrap_or("");
        if apis::removed(api, kind).is_some() {
            continue;
        }
        out.saw(m.label());
        for p in decode::decode(api, kind, v) {
            if let Some(finding) = f(m, api, kind, p) {
                out.found(finding);
            }
        }
    }
}

/// The kind yadoc verifies that an unknown `kind` was probably meant to be: the same name in
/// another apiVersion (`apps/v1 Service`), or one within two edits of it (`Deploymnet`).
fn meant_kind(api: &str, kind: &str) -> Option<(&'static str, &'static str)> {
    let known = decode::known();
    let lower = kind.to_ascii_lowercase();
    known
        .iter()
        .find(|(_, k)| k.to_ascii_lowercase() == lower)
        .or_else(|| {
            known
                .iter()
                .filter(|(a, _)| *a == api)
                .find(|(_, k)| super::world::edit_distance(&k.to_ascii_lowercase(), &lower) <= 2)
        })
        .copied()
}

/// Missing required fields, wrong types, kinds that do not exist.
pub fn schema(ctx: &Ctx) -> Examined {
    let mut out = Examined::new();
    // a kind of a built-in group that yadoc does not model (CertificateSigningRequest, …) is not
    // verified, and said so: only a near miss of a kind yadoc knows is a finding
    let mut unmodelled = Vec::new();
    each_problem(ctx, &mut out, |m, api, kind, p| {
        if p == decode::Problem::UnknownKind && meant_kind(api, kind).is_none() {
            unmodelled.push(format!(
                "line {}: {} is a kind yadoc does not model (apiVersion `{api}`): not verified",
                m.line("kind"),
                m.label()
            ));
            return None;
        }
        Some(match p {
            decode::Problem::Schema { path, message } => ctx
                .finding(SCHEMA, m.line(&path))
                .expected(format!("{} to decode as {api} {kind}", m.artifact.name))
                .observed(format!(
                    "at `{}`: {message}",
                    if path.is_empty() {
                        "(top level)"
                    } else {
                        &path
                    }
                ))
                .fix("give the field the type the Kubernetes API documents (kubectl explain)"),
            decode::Problem::MissingField { path } => {
                let field = path.rsplit('.').next().unwrap_or(&path).to_string();
                ctx.finding(SCHEMA, m.line(&path))
                    .expected(format!("the required field `{path}` in {}", m.label()))
                    .observed(format!("`{field}` is missing"))
                    .fix(format!(
                        "add `{field}` (kubectl explain {}.{path})",
                        kind.to_ascii_lowercase()
                    ))
            }
            decode::Problem::UnknownKind => {
                let (meant_api, meant) = meant_kind(api, kind)?;
                ctx.finding(SCHEMA, m.line("kind"))
                    .expected(format!("apiVersion `{meant_api}`, kind `{meant}`"))
                    .observed(format!("apiVersion `{api}`, kind `{kind}`: no such kind there"))
                    .fix(format!("write `apiVersion: {meant_api}` and `kind: {meant}` (kubectl api-resources)"))
            }
            decode::Problem::UnknownField { .. } => return None,
        })
    });
    for n in unmodelled {
        out.note(n);
    }
    out
}

/// Fields the type does not have: typos, or a field of another kind.
pub fn unknown_field(ctx: &Ctx) -> Examined {
    let mut out = Examined::new();
    each_problem(ctx, &mut out, |m, api, kind, p| {
        let decode::Problem::UnknownField { path } = p else {
            return None;
        };
        let field = path.rsplit('.').next().unwrap_or(&path).to_string();
        Some(
                ctx.finding(UNKNOWN_FIELD, m.line(&path))
                    .expected(format!("only fields of {api} {kind} in {}", m.artifact.name))
                    .observed(format!("unknown field `{path}`; the API server rejects it (kubectl apply: strict decoding error: unknown field \"{path}\")"))
                    .fix(format!("check the spelling of `{field}` (kubectl explain {}.{path})", kind.to_ascii_lowercase())),
        )
    });
    out
}

/// apiVersions that current Kubernetes no longer serves.
pub fn removed_api(ctx: &Ctx) -> Examined {
    let mut out = Examined::new();
    for m in &ctx.manifests {
        // a document that does not parse still says its apiVersion and kind on their own lines
        let (api, kind, line) = match m.value() {
            Some(v) => (
                v["apiVersion"].as_str().unwrap_or("").to_string(),
                v["kind"].as_str().unwrap_or("").to_string(),
                m.line("apiVersion"),
            ),
            None => {
                let top = |key: &str| {
                    m.text.lines().enumerate().find_map(|(i, l)| {
                        let v = l.strip_prefix(key)?.split('#').next()?.trim();
                        Some((i, v.trim_matches(['"', '\'']).to_string()))
                    })
                };
                let (Some((i, api)), Some((_, kind))) = (top("apiVersion:"), top("kind:")) else {
                    continue;
                };
                (api, kind, m.artifact.lesson_line(m.offset + i + 1))
            }
        };
        let (api, kind) = (api.as_str(), kind.as_str());
        out.saw(format!("{kind} ({})", m.artifact.name));
        if let Some(r) = apis::removed(api, kind) {
            out.found(
                ctx.finding(REMOVED_API, line)
                    .expected(format!(
                        "an apiVersion that serves {kind} today ({})",
                        r.replacement
                    ))
                    .observed(format!(
                        "`{api}` {kind} was removed in Kubernetes {}",
                        r.release
                    ))
                    .fix(format!(
                        "use apiVersion {} and adapt the fields it changed",
                        r.replacement
                    )),
            );
        }
    }
    out
}

/// What the API server's validation rejects after decoding: names, labels, quantities, ports,
/// replica bounds, enums (`k8s/validate/`, each rule citing its upstream function).
pub fn validation(ctx: &Ctx) -> Examined {
    let mut out = Examined::new();
    for m in &ctx.manifests {
        let Some(v) = m.value() else { continue };
        let api = v["apiVersion"].as_str().unwrap_or("");
        let kind = v["kind"].as_str().unwrap_or("");
        if !validate::covers(api, kind) {
            continue;
        }
        out.saw(m.label());
        for violation in validate::validate(api, kind, v) {
            out.found(
                ctx.finding(VALIDATION, m.line(&violation.path))
                    .expected(format!("{} to pass the API server's validation", m.label()))
                    .observed(format!(
                        "kubectl apply is refused: The {kind} \"{}\" is invalid: {}",
                        m.name(),
                        violation.message
                    ))
                    .fix(violation.fix),
            );
        }
    }
    out
}
