//! `steps.command-words`: words of a command line that the shell passes on as the reader did not
//! mean them. Text copied through a word processor or a blog engine turns `--` into a dash and `"`
//! into curly quotes; both look right on the page and fail at the terminal.

use super::context::Ctx;
use super::finding::{Edit, Examined};

pub const COMMAND_WORDS: &str = "steps.command-words";

/// Dashes that are not the ASCII hyphen-minus a flag starts with, and their names.
const DASHES: &[(char, &str)] = &[
    ('\u{2010}', "U+2010 HYPHEN"),
    ('\u{2011}', "U+2011 NON-BREAKING HYPHEN"),
    ('\u{2012}', "U+2012 FIGURE DASH"),
    ('\u{2013}', "U+2013 EN DASH"),
    ('\u{2014}', "U+2014 EM DASH"),
    ('\u{2212}', "U+2212 MINUS SIGN"),
];

/// Curly quotes: the shell quotes with `"` and `'` only, so these stay in the word.
const QUOTES: &[(char, char)] = &[
    ('\u{201C}', '"'),
    ('\u{201D}', '"'),
    ('\u{2018}', '\''),
    ('\u{2019}', '\''),
];

/// Programs whose arguments are text for the reader, not flags or values.
const TEXT_PROGRAMS: &[&str] = &["echo", "printf"];

pub fn command_words(ctx: &Ctx) -> Examined {
    let mut out = Examined::new();
    // the lines yadoc could not make a step of too: a curly quote is often why (a k3d port
    // mapping in curly quotes is no mapping), and this finding names the cause
    let unparsed = ctx.lesson.step_errors.iter().map(|e| {
        let words: Vec<String> = e.literal.split_whitespace().map(String::from).collect();
        (e.line, &e.literal, words)
    });
    let lines = ctx
        .lesson
        .commands()
        .map(|s| (s.line, &s.literal, s.words.clone()))
        .chain(unparsed);
    for (line, literal, words) in lines {
        let Some(program) = words.first().cloned() else {
            continue;
        };
        out.saw(format!("line {line}: `{literal}`"));
        if TEXT_PROGRAMS.contains(&program.as_str()) {
            continue;
        }
        let source = ctx.lesson.source.line(line).to_string();
        // one finding a kind a line, whose edit fixes every word of that kind on it
        let dashed: Vec<(&str, String, &str)> = words.iter().filter_map(|w| dash(w)).collect();
        if let Some((w, meant, name)) = dashed.first() {
            let mut fixed = source.clone();
            for (w, meant, _) in &dashed {
                fixed = fixed.replacen(w, meant, 1);
            }
            let mut finding = ctx
                .finding(COMMAND_WORDS, line)
                .expected(format!("the flag `{meant}`, written with ASCII hyphens"))
                .observed(format!(
                    "`{w}` starts with {name}, not `-`: {program} reads it as a positional word, not a flag"
                ))
                .fix(format!(
                    "write {}",
                    dashed
                        .iter()
                        .map(|(_, m, _)| format!("`{m}`"))
                        .collect::<Vec<_>>()
                        .join(", ")
                ));
            if fixed != source {
                finding = finding.edit(Edit::ReplaceLine { line, text: fixed });
            }
            out.found(finding);
        }
        let quoted: Vec<&String> = words.iter().filter(|w| curly(w)).collect();
        if let Some(w) = quoted.first() {
            // only the words found: an apostrophe elsewhere on the line is text
            let mut fixed = source.clone();
            for w in &quoted {
                let straight: String = w
                    .chars()
                    .map(|c| QUOTES.iter().find(|(q, _)| *q == c).map_or(c, |(_, s)| *s))
                    .collect();
                fixed = fixed.replacen(w.as_str(), &straight, 1);
            }
            let mut finding = ctx
                .finding(COMMAND_WORDS, line)
                .expected("quotes the shell reads: `\"` or `'`")
                .observed(format!(
                    "`{w}`: the shell does not quote with curly quotes, so {program} gets them as part of the word"
                ))
                .fix("write straight quotes");
            if fixed != source {
                finding = finding.edit(Edit::ReplaceLine { line, text: fixed });
            }
            out.found(finding);
        }
        if program != "kubectl" {
            continue;
        }
        // `--from-literal=V` or `--from-literal V`
        let literals =
            words
                .iter()
                .enumerate()
                .filter_map(|(i, w)| match w.strip_prefix("--from-literal") {
                    Some(v) if v.starts_with('=') => Some(v[1..].to_string()),
                    Some("") => words.get(i + 1).cloned(),
                    _ => None,
                });
        for v in literals.filter(|v| v.find('=').is_none_or(|i| i == 0)) {
            out.found(
                ctx.finding(COMMAND_WORDS, line)
                    .expected("`--from-literal=KEY=VALUE`: a key, `=`, its value")
                    .observed(format!(
                        "`--from-literal={v}`: kubectl fails with \"invalid literal source {v}, expected key=value\" (kubernetes staging/src/k8s.io/kubectl/pkg/util/util.go, ParseLiteralSource)"
                    ))
                    .fix("name the key: `--from-literal=KEY=VALUE`"),
            );
        }
    }
    out
}

/// `–from-literal`: a word that starts with a typographic dash and then a letter is a positional
/// word to any flag parser (pflag, getopt), not a flag → (the word, the flag meant, the dash's name).
fn dash(w: &str) -> Option<(&str, String, &'static str)> {
    let mut chars = w.chars();
    let first = chars.next()?;
    let (_, name) = DASHES.iter().find(|(c, _)| *c == first)?;
    let rest = chars
        .as_str()
        .trim_start_matches(|c| DASHES.iter().any(|(d, _)| *d == c));
    if !rest.starts_with(|c: char| c.is_ascii_alphabetic()) {
        return None;
    }
    // one letter is a short flag (`-n`), more is a long one (`--namespace`)
    let flag_name = rest.split('=').next().unwrap_or(rest);
    let meant = if flag_name.len() == 1 {
        format!("-{rest}")
    } else {
        format!("--{rest}")
    };
    Some((w, meant, name))
}

/// `“8081:80@loadbalancer”`: curly quotes at a word's edges (or after its `=`) are the author's
/// quotes, turned typographic; the shell passes them on as characters of the word. An apostrophe
/// inside a word (`it’s`) is text, and is left alone.
fn curly(w: &str) -> bool {
    let is_quote = |c: char| QUOTES.iter().any(|(q, _)| *q == c);
    w.starts_with(is_quote)
        || w.ends_with(is_quote)
        || QUOTES.iter().any(|(q, _)| w.contains(&format!("={q}")))
}

#[cfg(test)]
mod tests {
    use crate::checks::context::Ctx;

    fn findings(md: &str) -> Vec<crate::checks::finding::Finding> {
        let lesson =
            crate::lesson::Lesson::from_bytes(std::path::Path::new("t.md"), md.as_bytes()).unwrap();
        let examined = super::command_words(&Ctx::new(&lesson));
        assert!(
            !examined.subjects.is_empty(),
            "the lesson's commands were examined"
        );
        examined.findings
    }

    #[test]
    fn a_typographic_dash_is_a_positional_word_and_its_fix_is_the_flag() {
        let f = findings(
            "# t\n\n```bash\nkubectl create configmap app \u{2013}from-literal=color=blue\nkubectl get pods \u{2014}n web\n```\n",
        );
        assert_eq!(f.len(), 2, "{f:?}");
        assert_eq!(f[0].line, 4);
        assert!(
            f[0].observed.contains("U+2013 EN DASH"),
            "{}",
            f[0].observed
        );
        assert!(
            f[0].fix.contains("`--from-literal=color=blue`"),
            "{}",
            f[0].fix
        );
        assert!(f[1].fix.contains("`-n`"), "{}", f[1].fix);
        assert_eq!(
            f[1].edit,
            Some(crate::checks::finding::Edit::ReplaceLine {
                line: 5,
                text: "kubectl get pods -n web".into()
            })
        );
    }

    #[test]
    fn curly_quotes_around_a_word_are_found_an_apostrophe_inside_one_is_not() {
        let f = findings(
            "# t\n\n```bash\nk3d cluster create x -p \u{201C}8081:80@loadbalancer\u{201D}\necho \u{201C}done\u{201D}\nkubectl annotate pod web note=it\u{2019}s\n```\n",
        );
        assert_eq!(f.len(), 1, "{f:?}");
        assert_eq!(f[0].line, 4);
        assert_eq!(
            f[0].edit,
            Some(crate::checks::finding::Edit::ReplaceLine {
                line: 4,
                text: "k3d cluster create x -p \"8081:80@loadbalancer\"".into()
            })
        );
    }

    #[test]
    fn a_literal_without_a_key_is_what_kubectl_refuses() {
        let f = findings(
            "# t\n\n```bash\nkubectl create secret generic s --from-literal=hunter2\nkubectl create secret generic s --from-literal password=hunter2\nkubectl create configmap c --from-literal=a=b=c\n```\n",
        );
        assert_eq!(f.len(), 1, "{f:?}");
        assert!(
            f[0].observed.contains("invalid literal source hunter2"),
            "{}",
            f[0].observed
        );
    }
}
