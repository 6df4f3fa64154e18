//! `shell.history-expansion`: a `!` that an interactive bash or zsh expands from the history before
//! the command runs. A reader types a lesson's commands at a prompt, where history expansion is on:
//! `echo "Hello!!" > index.html` writes the previous command line into the file. The bash manual
//! (History Expansion): only a backslash and single quotes quote the history character; inside
//! double quotes it is expanded, unless it is the last character before the closing quote. A `!`
//! followed by a blank, `=` or `(` is left alone, and so are `$!` and `${!name}` (bashline.c,
//! `bash_history_inhibit_expansion`).

use super::context::Ctx;
use super::finding::{Edit, Examined};

pub const HISTORY_EXPANSION: &str = "shell.history-expansion";

/// One `!` the shell expands: the event it names (`!!`, `!$`, `!word`) and, when it sits inside a
/// double-quoted string, that string's byte range (quotes included).
#[derive(Debug, PartialEq, Eq)]
struct Expansion {
    event: String,
    quoted: Option<(usize, usize)>,
}

/// The `!`s of `text` (one command line as typed) that interactive bash expands.
fn expansions(text: &str) -> Vec<Expansion> {
    #[derive(PartialEq)]
    enum Q {
        None,
        Single,
        Double(usize),
    }
    let chars: Vec<(usize, char)> = text.char_indices().collect();
    let mut out: Vec<Expansion> = Vec::new();
    // expansions inside the double-quoted string that is open, waiting for its closing quote
    let mut pending: Vec<String> = Vec::new();
    let mut q = Q::None;
    let mut i = 0;
    while i < chars.len() {
        let (at, c) = chars[i];
        let next = chars.get(i + 1).map(|(_, c)| *c);
        match (&q, c) {
            (Q::Single, '\'') => q = Q::None,
            (Q::Single, _) => {}
            (_, '\\') => i += 1,
            (Q::None, '\'') => q = Q::Single,
            (Q::None, '"') => q = Q::Double(at),
            (Q::Double(start), '"') => {
                let start = *start;
                out.extend(pending.drain(..).map(|event| Expansion {
                    event,
                    quoted: Some((start, at + 1)),
                }));
                q = Q::None;
            }
            (_, '!') => {
                let prev = i.checked_sub(1).map(|j| chars[j].1);
                let inhibited = match next {
                    None | Some(' ' | '\t' | '\n' | '\r' | '=' | '(') => true,
                    Some('"') => matches!(q, Q::Double(_)),
                    _ => false,
                } || prev == Some('$')
                    || (prev == Some('{') && i >= 2 && chars[i - 2].1 == '$');
                if !inhibited {
                    let event = event_at(&chars, i);
                    i += event.chars().count() - 1;
                    if matches!(q, Q::Double(_)) {
                        pending.push(event);
                    } else {
                        out.push(Expansion {
                            event,
                            quoted: None,
                        });
                    }
                }
            }
            _ => {}
        }
        i += 1;
    }
    // an unclosed double quote: the expansions in it still happen
    out.extend(pending.into_iter().map(|event| Expansion {
        event,
        quoted: None,
    }));
    out
}

/// The event designator that starts at the `!` at `chars[i]`: `!!`, `!$`, `!*`, `!-2`, `!42`,
/// `!word` (up to a blank or a shell metacharacter).
fn event_at(chars: &[(usize, char)], i: usize) -> String {
    let rest: String = chars[i + 1..].iter().map(|(_, c)| *c).collect();
    let take = match rest.chars().next() {
        Some('!' | '$' | '*' | '#') => 1,
        Some('-') | Some('0'..='9') => {
            1 + rest[1..].chars().take_while(|c| c.is_ascii_digit()).count()
        }
        _ => rest
            .chars()
            .take_while(|c| !c.is_whitespace() && !"\"';|&<>()`".contains(*c))
            .count(),
    };
    format!("!{}", rest.chars().take(take).collect::<String>())
}

pub fn history_expansion(ctx: &Ctx) -> Examined {
    let mut out = Examined::new();
    for s in ctx.lesson.commands() {
        if !s.literal.contains('!') {
            continue;
        }
        out.saw(format!("line {}: `{}`", s.line, s.literal));
        let found = expansions(&s.literal);
        let Some(first) = found.first() else { continue };
        let events: Vec<String> = found.iter().map(|e| format!("`{}`", e.event)).collect();
        let mut finding = ctx
            .finding(HISTORY_EXPANSION, s.line)
            .expected(format!("`{}` as the lesson shows it", s.literal))
            .observed(format!(
                "{} {}: an interactive bash or zsh replaces {} from the history before the command runs (only single quotes and a backslash keep `!` literal; double quotes do not)",
                events.join(", "),
                if first.quoted.is_some() { "inside double quotes" } else { "unquoted" },
                if found.len() == 1 { "it" } else { "each" }
            ))
            .fix("write the argument in single quotes, or run `set +H` first (bash)");
        // the edit: the double-quoted strings that hold an expansion, in single quotes, where
        // that keeps their meaning (nothing in them that double quotes expand or a ' that ends
        // single quotes) and the source line holds the command as the step reads it
        let source = ctx.lesson.source.line(s.line);
        let spans: Vec<(usize, usize)> = found.iter().filter_map(|e| e.quoted).collect();
        if found.iter().all(|e| e.quoted.is_some()) && source.contains(s.literal.as_str()) {
            let offset = source.find(s.literal.as_str()).unwrap_or(0);
            let mut fixed = source.to_string();
            let safe = spans.iter().all(|&(a, b)| {
                let inner = &s.literal[a + 1..b - 1];
                !inner.contains(['\'', '$', '`', '\\'])
            });
            if safe {
                for &(a, b) in spans.iter().rev() {
                    let inner = &s.literal[a + 1..b - 1];
                    fixed.replace_range(offset + a..offset + b, &format!("'{inner}'"));
                }
                finding = finding.edit(Edit::ReplaceLine {
                    line: s.line,
                    text: fixed,
                });
            }
        }
        out.found(finding);
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    fn events(text: &str) -> Vec<String> {
        expansions(text).into_iter().map(|e| e.event).collect()
    }

    #[test]
    fn bang_events_in_double_quotes_and_unquoted_are_expanded() {
        assert_eq!(
            events(r#"echo "<h1>Hello NGINX!!</h1>" > index.html"#),
            ["!!"]
        );
        assert_eq!(events("echo hi !$"), ["!$"]);
        assert_eq!(events("ls !vi"), ["!vi"]);
        assert_eq!(events(r#"echo "run !-2 now""#), ["!-2"]);
        let e = &expansions(r#"echo "a!!b""#)[0];
        assert_eq!(e.quoted, Some((5, 11)));
    }

    #[test]
    fn bangs_the_shell_leaves_alone_are_not_expansions() {
        for fine in [
            "echo 'Hello World!!'",
            r#"echo "Hello World!""#,
            "echo Hello\\!\\!",
            "[ ! -f x ] && echo missing",
            "test $a != $b",
            "kill $!",
            "echo ${!prefix*}",
            "echo done!",
            r#"printf "%s\n" "a" "b" ; ! grep -q x f"#,
        ] {
            assert!(events(fine).is_empty(), "{fine}: {:?}", events(fine));
        }
    }

    #[test]
    fn the_fix_puts_the_double_quoted_argument_in_single_quotes() {
        let md = "```bash\necho \"<h1>Hello NGINX!!</h1>\" > index.html\n```\n";
        let f = crate::checks::examined_on(history_expansion, md).findings;
        assert_eq!(f.len(), 1, "{f:#?}");
        assert_eq!(f[0].line, 2);
        assert_eq!(
            f[0].edit,
            Some(Edit::ReplaceLine {
                line: 2,
                text: "echo '<h1>Hello NGINX!!</h1>' > index.html".into()
            })
        );
    }
}
