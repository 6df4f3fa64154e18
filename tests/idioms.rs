//! Each idiom the lesson model learned from a real tutorial, tested on the text it came from
//! (`../shared/tutorials`, read in place, never copied): what yadoc now understands, at its line.

mod support;

use std::path::PathBuf;

use support::root;
use yadoc::checks::context::{Ctx, NotAnObject};
use yadoc::lesson::block::Form;
use yadoc::lesson::steps::StepKind;
use yadoc::lesson::Lesson;

fn tutorial(name: &str) -> Lesson {
    let path: PathBuf = root().join("../shared/tutorials").join(name);
    Lesson::load(&path).unwrap_or_else(|e| panic!("{}: {e}", path.display()))
}

fn steps_at(l: &Lesson, line: usize) -> Vec<&StepKind> {
    l.steps
        .iter()
        .filter(|s| s.line == line)
        .map(|s| &s.kind)
        .collect()
}

fn and_lists_are_two_commands_not_a_syntax_error() {
    // kind-quick-start L116: `sudo port selfupdate && sudo port install kind`
    let l = tutorial("kind-quick-start.md");
    assert_eq!(steps_at(&l, 116).len(), 2, "{:?}", steps_at(&l, 116));
    assert!(l.step_errors.is_empty(), "{:?}", l.step_errors);
}

fn a_nameless_k3d_cluster_is_k3s_default() {
    // k3d-podman L64: `k3d cluster create`; L46: sudo with its own options first
    let l = tutorial("k3d-podman.md");
    for line in [46, 64] {
        match steps_at(&l, line).as_slice() {
            [StepKind::ClusterCreate(c)] => {
                assert_eq!(c.name, "k3s-default");
                assert!(!c.explicit_name);
            }
            other => panic!("line {line}: {other:?}"),
        }
    }
}

fn curl_without_a_scheme_has_a_url() {
    // kind-ingress L214: `curl localhost/foo`
    let l = tutorial("kind-ingress.md");
    assert!(
        matches!(steps_at(&l, 214).as_slice(), [StepKind::Curl { url, .. }] if url == "localhost/foo"),
        "{:?}",
        steps_at(&l, 214)
    );
}

fn a_heredoc_piped_to_kubectl_apply_is_a_manifest() {
    // kind-local-registry L90: `cat <<EOF | kubectl apply -f -` … `EOF` (L100)
    let l = tutorial("kind-local-registry.md");
    let file = l
        .steps
        .iter()
        .find_map(|s| match &s.kind {
            StepKind::WriteFile { file, .. } if s.line == 90 => Some(file.clone()),
            _ => None,
        })
        .expect("the heredoc is a file");
    assert!(steps_at(&l, 90).iter().any(
        |k| matches!(k, StepKind::Apply { files, .. } if files == std::slice::from_ref(&file))
    ));
    let ctx = Ctx::new(&l);
    let m = ctx
        .manifests
        .iter()
        .find(|m| m.artifact.name == file)
        .expect("its body is a manifest");
    assert_eq!(m.kind(), "ConfigMap");
    assert!(m.line("metadata.name") > 90 && m.line("metadata.name") < 100);
}

fn multi_document_blocks_are_objects_and_crds_are_not_decoded() {
    // k3s-helm L50: HelmChart custom resources separated by `---`
    let l = tutorial("k3s-helm.md");
    let ctx = Ctx::new(&l);
    let custom: Vec<_> = ctx
        .others
        .iter()
        .filter(|o| o.what == NotAnObject::Custom)
        .collect();
    assert!(custom.len() >= 2, "{:?}", custom.len());
    assert!(custom.iter().any(|o| o.line("kind") > 50));
}

fn k3d_and_kind_configs_are_configs() {
    let l = tutorial("k3d-configfile.md");
    assert!(Ctx::new(&l)
        .others
        .iter()
        .any(|o| o.what == NotAnObject::Config("a k3d config") && o.line("kind") == 35));
    let l = tutorial("kind-quick-start.md");
    assert!(Ctx::new(&l)
        .others
        .iter()
        .any(|o| o.what == NotAnObject::Config("a kind cluster config") && o.line("kind") == 451));
}

fn indented_code_blocks_and_admonition_bodies_are_code() {
    // run-stateless-application: commands in indented code blocks inside list items
    let l = tutorial("k8s-run-stateless-application-deployment.md");
    let indented: Vec<_> = l
        .blocks
        .iter()
        .filter(|b| b.form == Form::Indented)
        .collect();
    assert!(!indented.is_empty());
    assert!(l
        .steps
        .iter()
        .any(|s| matches!(s.kind, StepKind::Apply { .. })));
    // traefik-kubernetes-ingress L357: a fence inside a `??? example` admonition's body
    let l = tutorial("traefik-kubernetes-ingress.md");
    assert!(l
        .blocks
        .iter()
        .any(|b| b.open_line == 357 && b.form == Form::Fenced));
}

fn a_blocks_language_is_honoured() {
    // kind-quick-start L62: a ```powershell block yields no shell step
    let l = tutorial("kind-quick-start.md");
    let b = l.blocks.iter().find(|b| b.open_line == 62).expect("block");
    assert_eq!(b.lang(), "powershell");
    assert!(l.steps.iter().all(|s| s.block != Some(b.index)));
}

fn output_in_a_transcript_is_not_commands_and_placeholders_are_named() {
    // docker-labs-webapps L357: `$ docker build -t <YOUR_USERNAME>/myfirstapp .` then its output
    let l = tutorial("docker-labs-webapps.md");
    let block = l
        .steps
        .iter()
        .find(|s| s.line == 357)
        .and_then(|s| s.block)
        .unwrap();
    let in_block: Vec<_> = l.steps.iter().filter(|s| s.block == Some(block)).collect();
    assert_eq!(in_block.len(), 1, "{in_block:?}");
    assert_eq!(in_block[0].placeholders, ["<YOUR_USERNAME>"]);
    assert!(
        matches!(&in_block[0].kind, StepKind::DockerBuild { tag, .. } if tag == "<YOUR_USERNAME>/myfirstapp")
    );
}

fn kubectl_create_makes_the_object_it_names() {
    // configure-pod-configmap L138 and L341; distribute-credentials L186
    let l = tutorial("k8s-configure-pod-configmap.md");
    assert!(matches!(steps_at(&l, 138).as_slice(),
        [StepKind::CreateObject { object, name, .. }] if object == "ConfigMap" && name == "game-config-2"));
    assert!(matches!(steps_at(&l, 341).as_slice(),
        [StepKind::CreateObject { object, name, .. }] if object == "ConfigMap" && name == "special-config"));
    let l = tutorial("k8s-distribute-credentials-secure.md");
    assert!(matches!(steps_at(&l, 186).as_slice(),
        [StepKind::CreateObject { object, name, .. }] if object == "Secret" && name == "backend-user"));
    // the template line with placeholders (L36) creates nothing
    let l = tutorial("k8s-configure-pod-configmap.md");
    assert!(l
        .steps
        .iter()
        .filter(|s| s.line == 36)
        .all(|s| !s.placeholders.is_empty()));
}

fn a_file_named_by_its_first_comment_and_a_file_in_a_directory_are_bound() {
    // traefik-kubernetes-quick-start: `# whoami.yaml`; docker-labs: heading templates/index.html
    let l = tutorial("traefik-kubernetes-quick-start.md");
    assert!(l.file("whoami.yaml").is_some());
    let l = tutorial("docker-labs-webapps.md");
    assert!(l.file("templates/index.html").is_some());
}

fn main() {
    support::run(vec![
        support::corpus_trial(
            "and_lists_are_two_commands_not_a_syntax_error",
            and_lists_are_two_commands_not_a_syntax_error,
        ),
        support::corpus_trial(
            "a_nameless_k3d_cluster_is_k3s_default",
            a_nameless_k3d_cluster_is_k3s_default,
        ),
        support::corpus_trial(
            "curl_without_a_scheme_has_a_url",
            curl_without_a_scheme_has_a_url,
        ),
        support::corpus_trial(
            "a_heredoc_piped_to_kubectl_apply_is_a_manifest",
            a_heredoc_piped_to_kubectl_apply_is_a_manifest,
        ),
        support::corpus_trial(
            "multi_document_blocks_are_objects_and_crds_are_not_decoded",
            multi_document_blocks_are_objects_and_crds_are_not_decoded,
        ),
        support::corpus_trial(
            "k3d_and_kind_configs_are_configs",
            k3d_and_kind_configs_are_configs,
        ),
        support::corpus_trial(
            "indented_code_blocks_and_admonition_bodies_are_code",
            indented_code_blocks_and_admonition_bodies_are_code,
        ),
        support::corpus_trial(
            "a_blocks_language_is_honoured",
            a_blocks_language_is_honoured,
        ),
        support::corpus_trial(
            "output_in_a_transcript_is_not_commands_and_placeholders_are_named",
            output_in_a_transcript_is_not_commands_and_placeholders_are_named,
        ),
        support::corpus_trial(
            "kubectl_create_makes_the_object_it_names",
            kubectl_create_makes_the_object_it_names,
        ),
        support::corpus_trial(
            "a_file_named_by_its_first_comment_and_a_file_in_a_directory_are_bound",
            a_file_named_by_its_first_comment_and_a_file_in_a_directory_are_bound,
        ),
    ])
}
