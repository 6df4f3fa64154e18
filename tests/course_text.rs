//! lessons/ holds the author's course verbatim: the parts concatenate to the text whose hash
//! lessons/course.yaml records, so no edit to a lesson can pass unnoticed as "the course".

mod support;

use sha2::{Digest, Sha256};
use support::*;

#[derive(serde::Deserialize)]
struct Course {
    source_sha256: String,
    parts: Vec<Part>,
    #[allow(dead_code)]
    source: String,
}

#[derive(serde::Deserialize)]
struct Part {
    file: String,
    first_line: usize,
}

#[test]
fn the_lessons_concatenate_to_the_authors_text() {
    let course: Course = serde_saphyr::from_str(
        &std::fs::read_to_string(lessons_dir().join("course.yaml")).unwrap(),
    )
    .unwrap();
    let mut all = Vec::new();
    let mut line = 1;
    for p in &course.parts {
        assert_eq!(
            p.first_line, line,
            "{} starts at README line {line}",
            p.file
        );
        let bytes = std::fs::read(lessons_dir().join(&p.file)).unwrap();
        line += bytes.iter().filter(|b| **b == b'\n').count();
        all.extend(bytes);
    }
    let hash: String = Sha256::digest(&all)
        .iter()
        .map(|b| format!("{b:02x}"))
        .collect();
    assert_eq!(hash, course.source_sha256);
}
