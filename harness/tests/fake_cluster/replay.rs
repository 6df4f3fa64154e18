//! A cluster run replayed from its transcript (`yadoc::tiers::cluster::transcript`): the API answers
//! each request with the responses recorded for its URI, in order (the last one repeating: a
//! replayed poll may ask more often than the recorded one), and the fake CLIs replay the recorded
//! commands (`fixtures/fakes/fake-cli`, `$YADOC_FAKE_REPLAY`). A real nightly's transcript, dropped
//! into `fixtures/`, replays the same way.

use std::collections::{BTreeMap, VecDeque};
use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex};

use http::{Request, Response};
use kube::client::Body;
use yadoc::tiers::cluster::exec;
use yadoc::tiers::cluster::transcript::{Entry, Transcript};

/// URI → the (status, body) answers recorded for it, in order.
type Answers = BTreeMap<String, VecDeque<(u16, String)>>;

#[derive(Clone, Default)]
pub struct ReplayApi {
    answers: Arc<Mutex<Answers>>,
    /// URIs asked that the transcript never answered.
    pub unanswered: Arc<Mutex<Vec<String>>>,
}

impl ReplayApi {
    pub fn from_transcript(text: &str) -> Self {
        let api = Self::default();
        for e in Transcript::parse(text).expect("the transcript parses") {
            if let Entry::Api {
                uri, status, body, ..
            } = e
            {
                api.answers
                    .lock()
                    .unwrap()
                    .entry(uri)
                    .or_default()
                    .push_back((status, body));
            }
        }
        api
    }

    fn answer(&self, uri: &str) -> (u16, String) {
        let mut answers = self.answers.lock().unwrap();
        match answers.get_mut(uri) {
            Some(q) if q.len() > 1 => q.pop_front().unwrap(),
            Some(q) => q.front().cloned().unwrap(),
            None => {
                self.unanswered.lock().unwrap().push(uri.to_string());
                (404, format!("{{\"kind\":\"Status\",\"apiVersion\":\"v1\",\"metadata\":{{}},\"status\":\"Failure\",\"message\":\"{uri} is not in the transcript\",\"reason\":\"NotFound\",\"code\":404}}"))
            }
        }
    }

    pub fn connector(&self) -> exec::Connector {
        let api = self.clone();
        Box::new(move |_kubeconfig: PathBuf| {
            let api = api.clone();
            Box::pin(async move {
                let (svc, mut handle) = tower_test::mock::pair::<Request<Body>, Response<Body>>();
                tokio::spawn(async move {
                    while let Some((req, send)) = handle.next_request().await {
                        let (code, body) = api.answer(&req.uri().to_string());
                        send.send_response(
                            Response::builder()
                                .status(code)
                                .body(Body::from(body.into_bytes()))
                                .unwrap(),
                        );
                    }
                });
                Ok(kube::Client::new(svc, "default"))
            })
        })
    }
}

/// Write a run's transcript where the fake CLIs replay it from.
pub fn save(dir: &Path, transcript: &str) -> PathBuf {
    let p = dir.join("transcript.jsonl");
    std::fs::write(&p, transcript).unwrap();
    p
}
