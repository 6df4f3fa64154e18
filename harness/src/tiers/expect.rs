//! What the app must answer, from the lesson: the decoded base64 text (lesson 1), the bytes of
//! test.txt (lesson 2), or for a lesson without a definition, any 200.

use base64::Engine;
use sha2::{Digest, Sha256};

use super::http::Reply;
use crate::lesson::definition::ExpectBody;
use crate::lesson::Lesson;

/// The expected answer and where the lesson says so.
#[derive(Debug, Clone)]
pub struct Expected {
    pub path: String,
    pub body: Option<Vec<u8>>,
    /// `the text the base64 literal in app.py decodes to`
    pub what: String,
    pub line: usize,
}

/// Whether the expected answer can be read from the lesson, without computing it (lesson 2's answer is
/// 10 MiB of generated text: the static tier only needs to know the file is there).
pub fn readable(lesson: &Lesson) -> Result<(), String> {
    let Some(app) = lesson.definition.as_ref().and_then(|(_, d)| d.app.as_ref()) else {
        return Ok(());
    };
    match &app.expect_body {
        ExpectBody::Base64LiteralIn(_) => expected(lesson).map(|_| ()),
        ExpectBody::File(file) => lesson.file(file).map(|_| ()).ok_or_else(|| {
            format!("the definition expects the bytes of {file}, which the lesson does not have")
        }),
    }
}

pub fn expected(lesson: &Lesson) -> Result<Expected, String> {
    let Some((_, def)) = &lesson.definition else {
        return Ok(Expected {
            path: "/".into(),
            body: None,
            what: "any HTTP 200 (the lesson has no definition of its answer)".into(),
            line: 1,
        });
    };
    let Some(app) = &def.app else {
        return Ok(Expected {
            path: "/".into(),
            body: None,
            what: "any HTTP 200".into(),
            line: 1,
        });
    };
    let (body, what) = match &app.expect_body {
        ExpectBody::Base64LiteralIn(file) => {
            let text = lesson.file(file).ok_or_else(|| format!("the definition expects a base64 literal in {file}, which the lesson does not have"))?.text();
            let literal = base64_literal(text)
                .ok_or_else(|| format!("no b64decode('…') literal in {file}"))?;
            let decoded = base64::engine::general_purpose::STANDARD
                .decode(&literal)
                .map_err(|e| format!("the literal in {file} is not base64: {e}"))?;
            let shown = String::from_utf8_lossy(&decoded).into_owned();
            (
                decoded,
                format!("\"{shown}\" (the base64 literal in {file}, decoded)"),
            )
        }
        ExpectBody::File(file) => {
            let f = lesson.file(file).ok_or_else(|| {
                format!(
                    "the definition expects the bytes of {file}, which the lesson does not have"
                )
            })?;
            let bytes = f.bytes().into_owned();
            let what = format!(
                "the {} bytes of {file} (sha256 {})",
                bytes.len(),
                short_hash(&bytes)
            );
            (bytes, what)
        }
    };
    Ok(Expected {
        path: app.path.clone(),
        body: Some(body),
        what,
        line: app.because.line,
    })
}

/// `b64decode('SSBh…')` → `SSBh…`
fn base64_literal(text: &str) -> Option<String> {
    let i = text.find("b64decode(")? + "b64decode(".len();
    let rest = text[i..].trim_start();
    let quote = rest.chars().next().filter(|c| *c == '\'' || *c == '"')?;
    let end = rest[1..].find(quote)?;
    Some(rest[1..1 + end].to_string())
}

pub fn short_hash(bytes: &[u8]) -> String {
    Sha256::digest(bytes)
        .iter()
        .take(8)
        .map(|b| format!("{b:02x}"))
        .collect()
}

/// None when the reply is what the lesson promises; else what differs.
pub fn mismatch(exp: &Expected, reply: &Reply) -> Option<String> {
    if reply.status != 200 {
        return Some(format!(
            "HTTP {} (body: {})",
            reply.status,
            reply.body_excerpt()
        ));
    }
    let body = exp.body.as_ref()?;
    if *body == reply.body {
        return None;
    }
    let first = body
        .iter()
        .zip(&reply.body)
        .position(|(a, b)| a != b)
        .unwrap_or(body.len().min(reply.body.len()));
    Some(if body.len() < 500 {
        format!("HTTP 200 with body \"{}\"", reply.body_excerpt())
    } else {
        format!(
            "HTTP 200 with {} bytes (sha256 {}), first difference at byte {first}",
            reply.body.len(),
            short_hash(&reply.body)
        )
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn finds_the_base64_literal() {
        assert_eq!(
            base64_literal("x = base64.b64decode('SSBh').decode()").as_deref(),
            Some("SSBh")
        );
        assert_eq!(base64_literal("no literal"), None);
    }
}
