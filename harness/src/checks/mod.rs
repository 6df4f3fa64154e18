//! The static tier: small named checks over one lesson, each yielding located findings.

pub mod access;
pub mod commands;
pub mod context;
pub mod course;
pub mod definition;
pub mod docker;
pub mod finding;
pub mod history;
pub mod manifests;
pub mod markdown;
pub mod shown_output;
pub mod words;
pub mod workload;
pub mod world;

use context::Ctx;
use finding::{Examined, Outcome, Tier};

use crate::lesson::Lesson;

/// A static check: an id (used by findings and the known-drift register), a title, its function, and
/// what the lesson lacks when the function examined nothing (the outcome is then "not applicable").
pub struct Check {
    pub id: &'static str,
    pub title: &'static str,
    pub run: fn(&Ctx) -> Examined,
    pub nothing: &'static str,
}

/// Every static check, in report order.
pub const STATIC: &[Check] = &[
    Check {
        id: markdown::UNCLOSED_FENCE,
        title: "code fences close where they should",
        run: markdown::unclosed_fence,
        nothing: "the lesson has no code block",
    },
    Check {
        id: markdown::BLOCK_LANGUAGE,
        title: "info strings match block content",
        run: markdown::block_language,
        nothing: "no code block has an info string and content yadoc recognises",
    },
    Check {
        id: markdown::LIST_INDENT,
        title: "list items keep their text and code blocks",
        run: markdown::list_indent,
        nothing: "the lesson has no list",
    },
    Check {
        id: markdown::RAW_HTML,
        title: "no placeholder is eaten as HTML",
        run: markdown::raw_html,
        nothing: "the lesson's prose has no HTML tag",
    },
    Check {
        id: markdown::TABLE,
        title: "tables render as tables",
        run: markdown::table,
        nothing: "the lesson has no table",
    },
    Check {
        id: markdown::ADMONITION,
        title: "admonition titles are titles",
        run: markdown::admonition,
        nothing: "the lesson has no admonition",
    },
    Check {
        id: commands::SHELL_SYNTAX,
        title: "command lines parse",
        run: commands::shell_syntax,
        nothing: "the lesson has no command line",
    },
    Check {
        id: words::COMMAND_WORDS,
        title: "command words are what the reader meant (ASCII dashes and quotes, key=value literals)",
        run: words::command_words,
        nothing: "the lesson has no command line",
    },
    Check {
        id: history::HISTORY_EXPANSION,
        title: "no `!` in a command that an interactive shell expands from its history",
        run: history::history_expansion,
        nothing: "the lesson has no command line with a `!`",
    },
    Check {
        id: shown_output::SHOWN_OUTPUT,
        title: "the output a lesson shows under a command is what it prints (kubectl config view)",
        run: shown_output::shown_output,
        nothing: "the lesson shows no output of a kubeconfig it writes",
    },
    Check {
        id: manifests::YAML_SYNTAX,
        title: "YAML blocks parse",
        run: manifests::yaml_syntax,
        nothing: "the lesson has no YAML block",
    },
    Check {
        id: manifests::REMOVED_API,
        title: "no removed apiVersions",
        run: manifests::removed_api,
        nothing: "the lesson has no manifest that parses",
    },
    Check {
        id: manifests::SCHEMA,
        title: "objects decode into their Kubernetes types",
        run: manifests::schema,
        nothing: "the lesson has no manifest that parses",
    },
    Check {
        id: manifests::UNKNOWN_FIELD,
        title: "no unknown fields",
        run: manifests::unknown_field,
        nothing: "the lesson has no manifest that parses",
    },
    Check {
        id: manifests::VALIDATION,
        title: "objects pass the API server's validation",
        run: manifests::validation,
        nothing: "the lesson has no object of a kind yadoc validates",
    },
    Check {
        id: workload::DEPLOYMENT_SELECTOR,
        title: "Deployment selector matches its template",
        run: workload::deployment_selector,
        nothing: "the lesson has no Deployment",
    },
    Check {
        id: workload::SERVICE_SELECTOR,
        title: "Service selects the app's pods",
        run: workload::service_selector,
        nothing: "the lesson has no Service with a selector",
    },
    Check {
        id: workload::SERVICE_TARGET_PORT,
        title: "Service targetPort is a containerPort",
        run: workload::service_target_port,
        nothing: "no Service port has selected pods that declare a containerPort",
    },
    Check {
        id: workload::INGRESS_BACKEND,
        title: "Ingress backend is a Service port",
        run: workload::ingress_backend,
        nothing: "the lesson has no Ingress rule with a Service backend",
    },
    Check {
        id: workload::HPA_TARGET,
        title: "HPA targets the Deployment",
        run: workload::hpa_target,
        nothing: "the lesson has no HorizontalPodAutoscaler",
    },
    Check {
        id: workload::HPA_REQUESTS,
        title: "HPA utilization targets have requests",
        run: workload::hpa_requests,
        nothing: "no HPA has a Utilization metric on a workload of the lesson",
    },
    Check {
        id: commands::APPLY_FILE,
        title: "applied files exist as blocks",
        run: commands::apply_file,
        nothing: "the lesson applies no file (kubectl apply -f)",
    },
    Check {
        id: commands::NAMESPACE,
        title: "namespaces exist before use",
        run: commands::namespace,
        nothing: "no step or manifest uses a namespace",
    },
    Check {
        id: commands::IMAGE_TAG,
        title: "one image tag: built, imported, deployed",
        run: commands::image_tag,
        nothing: "the lesson builds no image it imports or deploys with imagePullPolicy: Never",
    },
    Check {
        id: commands::IMAGE_PULL,
        title: "local images are imported, never pulled",
        run: commands::image_pull_never,
        nothing: "no workload runs an image the lesson builds",
    },
    Check {
        id: world::ALREADY_EXISTS,
        title: "no step creates an object that already exists",
        run: world::already_exists,
        nothing: "no step creates an object (kubectl create, run, expose, apply)",
    },
    Check {
        id: world::MISSING_OBJECT,
        title: "expose, autoscale, scale and set image name an object the lesson made",
        run: world::missing_object,
        nothing: "no kubectl expose, autoscale, scale or set image",
    },
    Check {
        id: world::UNKNOWN_NAME,
        title: "get, describe, delete, logs and exec name an object the lesson made",
        run: world::unknown_name,
        nothing: "no kubectl get, describe, delete, edit, logs or exec of a named object of a kind the lesson makes",
    },
    Check {
        id: world::CONFIG_REF,
        title: "ConfigMaps and Secrets pods read are made by the lesson, in their namespace, and applied",
        run: world::config_ref,
        nothing: "no pod reads a ConfigMap or Secret",
    },
    Check {
        id: world::PLACEHOLDER,
        title: "placeholders are named for the reader to replace",
        run: world::placeholders,
        nothing: "no command has a <placeholder>",
    },
    Check {
        id: commands::UNKNOWN_FLAG,
        title: "k3d flags exist",
        run: commands::unknown_flag,
        nothing: "the lesson has no k3d cluster create and no k3d config naming a flag",
    },
    Check {
        id: workload::TLS_SECRET,
        title: "Ingress TLS Secrets are in the Ingress's namespace",
        run: workload::tls_secret,
        nothing: "no Ingress has a TLS secretName",
    },
    Check {
        id: commands::REGISTRY,
        title: "pushed images are deployed from the registry they were pushed to",
        run: commands::registry,
        nothing: "the lesson pushes no image to a registry it deploys from",
    },
    Check {
        id: commands::BUILD_CONTEXT,
        title: "docker build . has its Dockerfile",
        run: commands::build_context,
        nothing: "no `docker build` of the current directory",
    },
    Check {
        id: commands::CLUSTER_LIFECYCLE,
        title: "clusters live while steps use them",
        run: commands::cluster_lifecycle,
        nothing: "the lesson neither deletes a cluster nor imports into a named one",
    },
    Check {
        id: course::CLUSTER_PORTS,
        title: "a lesson's clusters leave each other's ports and names free",
        run: cluster_ports,
        nothing: "the lesson creates no cluster",
    },
    Check {
        id: access::INGRESS_URL,
        title: "hosts line, URL and port mapping reach the Ingress",
        run: access::ingress_url,
        nothing: "no /etc/hosts line or URL of the lesson reaches an Ingress host",
    },
    Check {
        id: access::API_PORT,
        title: "curl and kubeconfig use --api-port",
        run: access::api_port,
        nothing: "no https curl or kubeconfig server of the lesson goes to a cluster created with --api-port",
    },
    Check {
        id: access::KUBECONFIG_INDEX,
        title: "kubeconfig entries picked by name, not position",
        run: access::kubeconfig_index,
        nothing: "the lesson extracts no field of a kubeconfig",
    },
    Check {
        id: docker::SYNTAX,
        title: "Dockerfile parses",
        run: docker::syntax,
        nothing: "the lesson has no Dockerfile",
    },
    Check {
        id: docker::PORT,
        title: "EXPOSE, bound port and containerPort agree",
        run: docker::port,
        nothing: "the lesson has no Dockerfile whose CMD binds a port yadoc can read",
    },
    Check {
        id: docker::CMD_INSTALLED,
        title: "CMD program and imports are installed",
        run: docker::cmd_installed,
        nothing: "the lesson has no Dockerfile CMD or Python import to check",
    },
    Check {
        id: docker::CMD_TARGET,
        title: "CMD's script or module:app exists",
        run: docker::cmd_target,
        nothing: "the lesson has no Dockerfile",
    },
    Check {
        id: docker::COPY_SOURCE,
        title: "COPY sources exist",
        run: docker::copy_source,
        nothing: "the lesson's Dockerfile COPYs no named file",
    },
    Check {
        id: definition::STALE,
        title: "derivations still match the lesson text",
        run: definition::stale,
        nothing: "the lesson has no definition file (lessonN.yaml) with derivations or an expected answer",
    },
];

fn cluster_ports(ctx: &Ctx) -> Examined {
    course::within(ctx.lesson)
}

/// Whether a check reads the lesson's objects across manifests (a cross-reference, or the world
/// replay): over a manifest that does not parse it would judge a world with an object missing.
fn reads_every_manifest(id: &str) -> bool {
    id.starts_with("xref.")
        || [
            world::ALREADY_EXISTS,
            world::MISSING_OBJECT,
            world::UNKNOWN_NAME,
        ]
        .contains(&id)
}

/// The manifests of the lesson that do not parse, as `service.yaml (lesson1.md:106)`.
fn unparsed(ctx: &Ctx) -> Vec<String> {
    let mut out: Vec<String> = ctx
        .manifests
        .iter()
        .filter_map(|m| {
            let e = m.doc.as_ref().err()?;
            Some(format!(
                "{} ({}:{})",
                m.artifact.name,
                ctx.lesson.file_name(),
                m.artifact.lesson_line(m.offset + e.line)
            ))
        })
        .collect();
    out.dedup();
    out
}

/// Run every static check on a lesson. A check that reads every manifest is not applicable while
/// one does not parse: `yaml.syntax` reports it, and knock-on findings would only mislead.
pub fn run_static(lesson: &Lesson) -> Vec<Outcome> {
    let ctx = Ctx::new(lesson);
    let name = lesson.file_name();
    let unparsed = unparsed(&ctx);
    let shell_valued = shell_valued_lines(lesson);
    STATIC
        .iter()
        .map(|c| {
            let start = std::time::Instant::now();
            if !unparsed.is_empty() && reads_every_manifest(c.id) {
                return Outcome::not_applicable(
                    c.id,
                    c.title,
                    Tier::Static,
                    &name,
                    format!(
                        "not judged while {} does not parse (yaml.syntax): fix it first",
                        unparsed.join(", ")
                    ),
                )
                .timed(start);
            }
            let examined = from_the_shell((c.run)(&ctx), &shell_valued);
            Outcome::examined(c.id, c.title, Tier::Static, &name, examined, c.nothing).timed(start)
        })
        .collect()
}

/// Lines of the lesson's unquoted heredocs (`cat <<EOF | kubectl apply -f -`) that still hold a
/// shell expansion once the variables the lesson set are replaced (`$NAME` never set, `$(cat
/// server.csr | base64)`), with that expansion: the shell fills them in, with a value yadoc does
/// not know.
fn shell_valued_lines(lesson: &Lesson) -> Vec<(usize, String)> {
    let mut out = Vec::new();
    for s in &lesson.steps {
        let crate::lesson::steps::StepKind::WriteFile {
            text, first_line, ..
        } = &s.kind
        else {
            continue;
        };
        let quoted = ["<<'", "<<\"", "<<\\", "<<-'", "<<-\""]
            .iter()
            .any(|q| s.literal.contains(q));
        if quoted {
            continue;
        }
        for (i, line) in text.lines().enumerate() {
            let Some(at) = line.find('$') else { continue };
            let next = line[at + 1..].chars().next();
            if next.is_some_and(|c| c.is_ascii_alphabetic() || c == '_' || c == '{' || c == '(') {
                let word: String = line[at..]
                    .chars()
                    .take_while(|c| !c.is_whitespace() && *c != '"' && *c != '\'')
                    .collect();
                out.push((first_line + i, word));
            }
        }
    }
    out
}

/// A finding at a line whose value the shell computes is not judged: it is said as a note.
fn from_the_shell(mut e: Examined, shell_valued: &[(usize, String)]) -> Examined {
    if shell_valued.is_empty() {
        return e;
    }
    let (unknown, known): (Vec<_>, Vec<_>) = std::mem::take(&mut e.findings)
        .into_iter()
        .partition(|f| shell_valued.iter().any(|(l, _)| *l == f.line));
    e.findings = known;
    for f in unknown {
        let word = shell_valued
            .iter()
            .find(|(l, _)| *l == f.line)
            .map(|(_, w)| w.as_str())
            .unwrap_or("$");
        e.note(format!(
            "line {}: the shell fills in `{word}` there, with a value yadoc does not know: not judged ({})",
            f.line, f.observed
        ));
    }
    e
}

/// The ids of the per-lesson static checks (each must have a broken fixture: tests/fixtures.rs).
pub fn all_ids() -> Vec<&'static str> {
    STATIC.iter().map(|c| c.id).collect()
}

/// What `check` examines, finds and notes on a lesson written inline (the checks' unit tests).
#[cfg(test)]
pub(crate) fn examined_on(check: fn(&Ctx) -> Examined, md: &str) -> Examined {
    let lesson = Lesson::from_bytes(std::path::Path::new("t.md"), md.as_bytes()).unwrap();
    check(&Ctx::new(&lesson))
}

/// Lines of `check`'s findings on a lesson written inline (the checks' unit tests).
#[cfg(test)]
pub(crate) fn finding_lines(check: fn(&Ctx) -> Examined, md: &str) -> Vec<usize> {
    examined_on(check, md)
        .findings
        .iter()
        .map(|f| f.line)
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The static findings of a lesson, as `check:line`, and its notes.
    fn run(md: &str) -> (Vec<String>, Vec<String>) {
        let lesson = Lesson::from_bytes(std::path::Path::new("t.md"), md.as_bytes()).unwrap();
        let outcomes = run_static(&lesson);
        let findings = outcomes
            .iter()
            .flat_map(|o| o.findings.iter())
            .map(|f| format!("{}:{}", f.check, f.line))
            .collect();
        let notes = outcomes.iter().flat_map(|o| o.notes.clone()).collect();
        (findings, notes)
    }

    const SERVICE: &str = "apiVersion: v1\nkind: Service\nmetadata:\n  name: $NAME\nspec:\n  selector:\n    app: web\n  ports:\n  - port: 80\n";
    const POD: &str = "```shell\nkubectl create deployment web --image=nginx\n```\n\n";

    #[test]
    fn an_unquoted_heredoc_is_checked_as_the_shell_expands_it() {
        // set in an earlier block: the Service is `web`, a valid name
        let set = format!("{POD}```shell\nNAME=web\n```\n\n```shell\ncat <<EOF | kubectl apply -f -\n{SERVICE}EOF\n```\n");
        let (findings, _) = run(&set);
        assert!(findings.is_empty(), "{findings:?}");
        let lesson = Lesson::from_bytes(std::path::Path::new("t.md"), set.as_bytes()).unwrap();
        let ctx = Ctx::new(&lesson);
        assert_eq!(ctx.of_kind("Service").next().unwrap().name(), "web");
        // `export` sets it as well
        let export = set.replace("NAME=web", "export NAME=web");
        assert!(run(&export).0.is_empty());
    }

    #[test]
    fn a_quoted_heredoc_is_literal_and_an_unknown_value_is_not_judged() {
        // `<<'EOF'`: the API server gets `$NAME`, which is no valid name
        let quoted = format!(
            "{POD}```shell\nNAME=web\ncat <<'EOF' | kubectl apply -f -\n{SERVICE}EOF\n```\n"
        );
        let (findings, _) = run(&quoted);
        assert!(
            findings.iter().any(|f| f == "k8s.validation:11"),
            "{findings:?}"
        );
        // never set: the shell fills in a value yadoc does not know; said, not judged
        let unknown = format!("{POD}```shell\ncat <<EOF | kubectl apply -f -\n{SERVICE}EOF\n```\n");
        let (findings, notes) = run(&unknown);
        assert!(findings.is_empty(), "{findings:?}");
        assert!(
            notes
                .iter()
                .any(|n| n.contains("line 10: the shell fills in `$NAME`")),
            "{notes:?}"
        );
    }
}
