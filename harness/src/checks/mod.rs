//! The static tier: small named checks over one lesson, each yielding located findings.

pub mod access;
pub mod commands;
pub mod context;
pub mod course;
pub mod definition;
pub mod docker;
pub mod finding;
pub mod manifests;
pub mod markdown;
pub mod workload;

use context::Ctx;
use finding::{Finding, Outcome, Tier};

use crate::lesson::Lesson;

/// A static check: an id (used by findings and the known-drift register), a title, and its function.
pub struct Check {
    pub id: &'static str,
    pub title: &'static str,
    pub run: fn(&Ctx) -> Vec<Finding>,
}

/// Every static check, in report order.
pub const STATIC: &[Check] = &[
    Check {
        id: markdown::UNCLOSED_FENCE,
        title: "code fences close where they should",
        run: markdown::unclosed_fence,
    },
    Check {
        id: markdown::BLOCK_LANGUAGE,
        title: "info strings match block content",
        run: markdown::block_language,
    },
    Check {
        id: commands::SHELL_SYNTAX,
        title: "command lines parse",
        run: commands::shell_syntax,
    },
    Check {
        id: manifests::YAML_SYNTAX,
        title: "YAML blocks parse",
        run: manifests::yaml_syntax,
    },
    Check {
        id: manifests::REMOVED_API,
        title: "no removed apiVersions",
        run: manifests::removed_api,
    },
    Check {
        id: manifests::SCHEMA,
        title: "objects decode into their Kubernetes types",
        run: manifests::schema,
    },
    Check {
        id: manifests::UNKNOWN_FIELD,
        title: "no unknown fields",
        run: manifests::unknown_field,
    },
    Check {
        id: workload::DEPLOYMENT_SELECTOR,
        title: "Deployment selector matches its template",
        run: workload::deployment_selector,
    },
    Check {
        id: workload::SERVICE_SELECTOR,
        title: "Service selects the app's pods",
        run: workload::service_selector,
    },
    Check {
        id: workload::SERVICE_TARGET_PORT,
        title: "Service targetPort is a containerPort",
        run: workload::service_target_port,
    },
    Check {
        id: workload::INGRESS_BACKEND,
        title: "Ingress backend is a Service port",
        run: workload::ingress_backend,
    },
    Check {
        id: workload::HPA_TARGET,
        title: "HPA targets the Deployment",
        run: workload::hpa_target,
    },
    Check {
        id: workload::HPA_REQUESTS,
        title: "HPA utilization targets have requests",
        run: workload::hpa_requests,
    },
    Check {
        id: commands::APPLY_FILE,
        title: "applied files exist as blocks",
        run: commands::apply_file,
    },
    Check {
        id: commands::NAMESPACE,
        title: "namespaces exist before use",
        run: commands::namespace,
    },
    Check {
        id: commands::IMAGE_TAG,
        title: "one image tag: built, imported, deployed",
        run: commands::image_tag,
    },
    Check {
        id: commands::IMAGE_PULL,
        title: "local images are imported, never pulled",
        run: commands::image_pull_never,
    },
    Check {
        id: commands::CLUSTER_LIFECYCLE,
        title: "clusters live while steps use them",
        run: commands::cluster_lifecycle,
    },
    Check {
        id: access::INGRESS_URL,
        title: "hosts line, URL and port mapping reach the Ingress",
        run: access::ingress_url,
    },
    Check {
        id: access::API_PORT,
        title: "curl and kubeconfig use --api-port",
        run: access::api_port,
    },
    Check {
        id: access::KUBECONFIG_INDEX,
        title: "kubeconfig entries picked by name, not position",
        run: access::kubeconfig_index,
    },
    Check {
        id: docker::SYNTAX,
        title: "Dockerfile parses",
        run: docker::syntax,
    },
    Check {
        id: docker::PORT,
        title: "EXPOSE, bound port and containerPort agree",
        run: docker::port,
    },
    Check {
        id: docker::CMD_INSTALLED,
        title: "CMD program and imports are installed",
        run: docker::cmd_installed,
    },
    Check {
        id: docker::CMD_TARGET,
        title: "CMD's script or module:app exists",
        run: docker::cmd_target,
    },
    Check {
        id: docker::COPY_SOURCE,
        title: "COPY sources exist",
        run: docker::copy_source,
    },
    Check {
        id: definition::STALE,
        title: "derivations still match the lesson text",
        run: definition::stale,
    },
];

/// Run every static check on a lesson.
pub fn run_static(lesson: &Lesson) -> Vec<Outcome> {
    let ctx = Ctx::new(lesson);
    let name = lesson.file_name();
    STATIC
        .iter()
        .map(|c| Outcome::new(c.id, c.title, Tier::Static, &name, (c.run)(&ctx)))
        .collect()
}

/// The ids of the per-lesson static checks (each must have a broken fixture: tests/fixtures.rs).
pub fn all_ids() -> Vec<&'static str> {
    STATIC.iter().map(|c| c.id).collect()
}
