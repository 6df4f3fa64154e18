//! Property tests: the lesson parser, the step parser and the static checks never panic, whatever the
//! input; malformed input gets an error or a located finding. `PROPTEST_CASES=100000 cargo test --test
//! robustness` is the long run (figures in the README).

use proptest::prelude::*;
use yadoc::lesson::Lesson;

/// Markdown-ish lines: fences with and without info strings, YAML, commands, prose, junk.
fn line() -> impl Strategy<Value = String> {
    prop_oneof![
        Just("```".to_string()),
        Just("``` bash".to_string()),
        Just("```yaml".to_string()),
        Just("  ```".to_string()),
        Just("~~~".to_string()),
        Just("- item:".to_string()),
        Just("apiVersion: apps/v1".to_string()),
        Just("kind: Deployment".to_string()),
        Just("kind: Service".to_string()),
        Just("metadata:".to_string()),
        Just("  name: myapp".to_string()),
        Just("  namespace: hpa-test".to_string()),
        Just("spec:".to_string()),
        Just("  selector: {app: [x".to_string()),
        Just("      - containerPort: 5000".to_string()),
        Just("FROM python:3.9".to_string()),
        Just("CMD [\"gunicorn\", \"--bind\", \"0.0.0.0:5000\", \"app:app\"]".to_string()),
        Just("COPY . /app".to_string()),
        Just("Flask==2.1.0".to_string()),
        Just("from flask import Flask".to_string()),
        Just("k3d cluster create x -p \"8081:80@loadbalancer\" --agents 3".to_string()),
        Just("k3d cluster create".to_string()),
        Just("k3d cluster delete x".to_string()),
        Just("k3d image import myapp:latest -c x".to_string()),
        Just("docker build -t myapp:latest .".to_string()),
        Just("kubectl apply -f deployment.yaml".to_string()),
        Just("kubectl run nginx -n api-test --image=nginx:latest".to_string()),
        Just(
            "(yq e '.users[0].user.\"client-key-data\"' ~/.kube/config | base64 --decode) > k.key"
                .to_string()
        ),
        Just("curl --cacert a --cert b https://0.0.0.0:6550/api | grep volumes".to_string()),
        Just("127.0.0.1 myapp.local".to_string()),
        Just("Create a new file named deployment.yaml:".to_string()),
        Just("go to http://myapp.local:8081/ now".to_string()),
        "[ -~]{0,40}",
        "\\PC{0,20}",
    ]
}

fn lesson_text() -> impl Strategy<Value = String> {
    prop::collection::vec(line(), 0..60).prop_map(|l| l.join("\n"))
}

proptest! {
    #![proptest_config(ProptestConfig { cases: std::env::var("PROPTEST_CASES").ok().and_then(|c| c.parse().ok()).unwrap_or(512), ..ProptestConfig::default() })]

    #[test]
    fn any_lesson_text_loads_or_errors_and_its_checks_never_panic(text in lesson_text()) {
        if let Ok(l) = Lesson::from_bytes(std::path::Path::new("fuzz.md"), text.as_bytes()) {
            let outcomes = yadoc::checks::run_static(&l);
            for f in outcomes.iter().flat_map(|o| &o.findings) {
                prop_assert!(f.line >= 1 && f.line <= l.source.line_count().max(1) + 1, "finding outside the lesson: {f:?}");
            }
            let _ = yadoc::plan::render(&l);
        }
    }

    #[test]
    fn any_bytes_give_a_lesson_or_a_located_error(bytes in prop::collection::vec(any::<u8>(), 0..400)) {
        match Lesson::from_bytes(std::path::Path::new("junk.md"), &bytes) {
            Ok(l) => { let _ = yadoc::checks::run_static(&l); }
            Err(e) => prop_assert!(e.to_string().contains("junk.md")),
        }
    }

    #[test]
    fn any_shell_block_parses_into_steps_or_located_errors(lines in prop::collection::vec(line(), 0..20)) {
        let text = lines.join("\n");
        let (steps, errors) = yadoc::lesson::steps::parse_block(&text, 10, 0);
        for s in &steps { prop_assert!(s.line >= 10 && s.line < 10 + lines.len().max(1)); }
        for e in &errors { prop_assert!(e.line >= 10 && !e.message.is_empty()); }
    }

    #[test]
    fn any_yaml_parses_or_gives_a_located_error(lines in prop::collection::vec(line(), 0..30)) {
        let text = lines.join("\n");
        if let Err(e) = yadoc::yaml::YamlDoc::parse(&text) {
            prop_assert!(e.line >= 1);
        }
    }
}
