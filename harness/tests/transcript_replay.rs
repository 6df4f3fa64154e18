//! Every cluster run records what it saw (`yadoc::tiers::cluster::transcript`): each command with
//! its exit code and output, each API response. These tests make contract runs, replay their
//! transcripts (`fake_cluster/replay.rs`: the API from the recorded responses, the CLIs from the
//! recorded commands) and require the same outcome, so a real nightly's transcript can replace the
//! hand-built fakes. Like the contract tests, nothing here is a cluster run.

use crate::fake_cluster::hpa_controller::{App, HpaController};
use crate::fake_cluster::payloads::{self, Container};
use crate::fake_cluster::replay::{self, ReplayApi};
use crate::fake_cluster::*;
use yadoc::checks::finding::{Outcome, Status};
use yadoc::tiers::cluster;

const TEN_MIB: usize = 10 * 1024 * 1024;

/// What must come out the same: the verdict, the commands run at their lesson lines, and each
/// finding with its texts (run-specific names, ports, dirs and waiting times aside).
type Verdict = (Status, Vec<String>, Vec<(String, usize, String, String)>);

fn verdict(o: &Outcome) -> Verdict {
    let waited = regex::Regex::new(r"after \d+s of waiting").unwrap();
    let norm = |s: &str| {
        waited
            .replace_all(&normalize(s), "after Ns of waiting")
            .into_owned()
    };
    (
        o.status.clone(),
        o.subjects.iter().map(|s| norm(s)).collect(),
        o.findings
            .iter()
            .map(|f| {
                (
                    f.check.clone(),
                    f.line,
                    norm(&f.expected),
                    norm(&f.observed),
                )
            })
            .collect(),
    )
}

/// Run `lesson` against the fakes, then again from its transcript alone; both must agree.
fn round_trip(dir: &str, name: &str, fakes: Fakes, api: &FakeApi, ports: &[(u16, u16)]) -> Outcome {
    let l = lesson(dir, name);
    let first = run(&l, &fakes, api, ports);
    let transcript = first
        .transcript
        .clone()
        .expect("a cluster run records a transcript");
    assert!(
        transcript.contains("\"kind\":\"command\"") && transcript.contains("\"kind\":\"api\""),
        "commands and API responses recorded"
    );
    let again = Fakes::new();
    let file = replay::save(again.dir.path(), &transcript);
    let mut again = again;
    again
        .user_env
        .push(("YADOC_FAKE_REPLAY".into(), file.display().to_string()));
    let replayed_api = ReplayApi::from_transcript(&transcript);
    let (second, _) =
        quietly(|| cluster::run_with(&l, again.tools(), replayed_api.connector(), fast(), ports));
    assert_eq!(verdict(&first), verdict(&second), "{second:#?}");
    assert!(
        replayed_api.unanswered.lock().unwrap().is_empty(),
        "the replay asked what the run never asked: {:?}",
        replayed_api.unanswered.lock().unwrap()
    );
    assert_cleaned_up(&again);
    first
}

#[test]
fn a_passing_lesson1_run_replayed_from_its_transcript_passes_the_same_way() {
    let ns = "default";
    let api = healthy_app(ns);
    let port = http_server(200, b"I am watching you, Marius N".to_vec());
    let o = round_trip(
        "fixtures/corrected",
        "lesson1.md",
        Fakes::new(),
        &api,
        &[(8081, port)],
    );
    assert_eq!(o.status, Status::Passed);
}

#[test]
fn a_crash_looping_lesson1_replayed_from_its_transcript_fails_at_the_same_line_with_the_same_diagnosis(
) {
    let ns = "default";
    let pod = "myapp-5d9c7b8f4-abcde";
    let api = FakeApi::default()
        .object(vec![
            payloads::deployment(ns, 0),
            payloads::deployment(ns, 1),
        ])
        .object(vec![
            payloads::pod(ns, pod, "myapp", Container::Running),
            payloads::pod(ns, pod, "myapp", Container::CrashLoop { restarts: 1 }),
        ])
        .log(ns, pod, true, payloads::URL_QUOTE_TRACEBACK);
    let o = round_trip("lessons", "lesson1.md", Fakes::new(), &api, &[]);
    assert_eq!(o.status, Status::Failed);
    assert_eq!(o.findings[0].line, 146);
}

#[test]
fn lesson2s_hpa_under_load_replayed_from_its_transcript_scales_the_same_way() {
    let ns = "hpa-test";
    let ctl = HpaController::new(ns, App::quiet());
    let api = lesson2_cluster(&ctl, ns);
    let body = yadoc::lesson::artifact::generate(TEN_MIB);
    let port = http_server_counting(vec![(200, body)], ctl.served.clone());
    let o = round_trip(
        "fixtures/corrected",
        "lesson2.md",
        Fakes::new(),
        &api,
        &[(8081, port)],
    );
    assert_eq!(o.status, Status::Passed, "{o:#?}");
}

#[test]
fn a_report_dir_holds_each_cluster_runs_transcript() {
    let ns = "default";
    let api = healthy_app(ns);
    let port = http_server(200, b"I am watching you, Marius N".to_vec());
    let fakes = Fakes::new();
    let l = lesson("fixtures/corrected", "lesson1.md");
    let o = run(&l, &fakes, &api, &[(8081, port)]);
    let dir = tempfile::tempdir().unwrap();
    let report = yadoc::report::Report::new(vec!["lesson1.md".into()], vec![o]);
    let written = yadoc::report::dir::write(dir.path(), &report, &[l]).unwrap();
    let t = dir.path().join("transcripts/lesson1-cluster.jsonl");
    assert!(written.contains(&t), "{written:?}");
    let entries =
        yadoc::tiers::cluster::transcript::Transcript::parse(&std::fs::read_to_string(&t).unwrap())
            .unwrap();
    assert!(entries.iter().any(|e| matches!(e,
        yadoc::tiers::cluster::transcript::Entry::Command { program, argv, .. }
            if program == "k3d" && argv.starts_with(&["cluster".to_string(), "create".to_string()]))));
    assert!(entries.iter().any(|e| matches!(e,
        yadoc::tiers::cluster::transcript::Entry::Api { uri, status: 200, .. }
            if uri.contains("/deployments/myapp"))));
}
