//! Shell commands from a real grammar: a command block's lines are cut into commands and output,
//! and each run of command lines is parsed by brush-parser (POSIX/bash: `&&`, `||`, `;`, pipelines,
//! heredocs, `$(…)`, `if`/`for`, quotes, comments, `\` continuations). The step classifier then sees
//! simple commands: words (unquoted), the `>` file, the heredoc body a command reads.

use brush_parser::ast;

/// A pipeline of simple commands, as the step classifier sees it.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct Pipeline {
    /// 0-based line of the pipeline within the parsed text.
    pub line: usize,
    /// The words of each command (quotes removed; `$X` and `$(…)` kept as written).
    pub commands: Vec<Vec<String>>,
    /// `> FILE` or `>> FILE` of the last command that has one.
    pub redirect: Option<String>,
    /// A heredoc read by one of the commands: its body and the 0-based line its body starts on.
    pub heredoc: Option<(String, usize)>,
    /// The heredoc's delimiter is unquoted (`<<EOF`): the shell expands `$NAME`, `${NAME}` and
    /// `$(…)` in its body before the command reads it; `<<'EOF'` keeps the body literal.
    pub heredoc_expands: bool,
    /// Shell variables the pipeline sets for the commands after it: `NAME=value` alone and
    /// `export NAME=value`; the value None when it is computed (`$(…)`, a backquote).
    pub assigns: Vec<(String, Option<String>)>,
}

/// `NAME=value` as a variable and its value (None when the shell computes it), if it is one.
fn assignment(word: &str) -> Option<(String, Option<String>)> {
    let (name, value) = word.split_once('=')?;
    let valid = !name.is_empty()
        && name.chars().all(|c| c.is_ascii_alphanumeric() || c == '_')
        && !name.starts_with(|c: char| c.is_ascii_digit());
    if !valid {
        return None;
    }
    let value = unquote(value);
    let computed = value.contains("$(") || value.contains('`') || value.contains('$');
    Some((name.to_string(), (!computed).then_some(value)))
}

/// A grammar error, at a 0-based line of the parsed text.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ScriptError {
    pub line: usize,
    pub message: String,
}

/// A run of command lines of a block: where it starts (0-based line of the block) and its text,
/// with prompts removed and placeholders made words.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Segment {
    pub first: usize,
    pub text: String,
    /// `<your-username>`-style placeholders, with their 0-based block line.
    pub placeholders: Vec<(usize, String)>,
    /// The delimiter of a heredoc the block never closes.
    pub unclosed_heredoc: Option<String>,
}

/// Cut a block into command segments; every other line is output (or a blank or comment line).
/// `is_command` decides whether a line starts a command; a `$ ` prompt always does (a transcript:
/// the lines between prompts that do not read as commands are what the commands printed).
pub fn segments(text: &str, is_command: impl Fn(&str) -> bool) -> Vec<Segment> {
    let lines: Vec<&str> = text.lines().collect();
    let transcript = lines.iter().any(|l| prompt(l).is_some());
    let mut out = Vec::new();
    let mut i = 0;
    while i < lines.len() {
        let raw = lines[i];
        // in a transcript, prompted lines are commands; an unprompted line still is when it
        // reads as one (a block that prompts only some of its commands)
        let start = prompt(raw).or_else(|| Some(raw.trim_start()).filter(|l| is_command(l)));
        let Some(first) = start else {
            i += 1;
            continue;
        };
        let mut seg = vec![first.to_string()];
        let begin = i;
        let mut depth = opens(first);
        let mut heredocs = heredoc_ends(first);
        i += 1;
        loop {
            let last = seg.last().map(String::as_str).unwrap_or("");
            let more = !heredocs.is_empty()
                || last.trim_end().ends_with('\\')
                || last.trim_end().ends_with("&&")
                || last.trim_end().ends_with("||")
                || last.trim_end().ends_with('|')
                || depth > 0
                || unbalanced_quotes(&seg.join("\n"));
            if !more || i >= lines.len() {
                break;
            }
            let l = lines[i];
            if let Some((delim, tabs)) = heredocs.first().cloned() {
                let t = if tabs { l.trim_start_matches('\t') } else { l };
                if t.trim_end() == delim {
                    heredocs.remove(0);
                }
                seg.push(l.to_string());
            } else {
                let l = if transcript {
                    l.strip_prefix("> ").unwrap_or(l)
                } else {
                    l
                };
                depth += opens(l);
                heredocs.extend(heredoc_ends(l));
                seg.push(l.to_string());
            }
            i += 1;
        }
        let text = seg.join("\n") + "\n";
        let (text, placeholders) = placeholders(&text, begin);
        out.push(Segment {
            first: begin,
            text,
            placeholders,
            unclosed_heredoc: heredocs.first().map(|(d, _)| d.clone()),
        });
    }
    out
}

/// `$ cmd` → `cmd`: a shell prompt is not part of the command.
fn prompt(line: &str) -> Option<&str> {
    let t = line.trim_start();
    t.strip_prefix("$ ")
        .or_else(|| t.strip_prefix("% "))
        .map(str::trim_start)
        .filter(|c| !c.is_empty())
}

/// Net compound commands a line opens (`if … then`, `for … do`) minus those it closes (`fi`, `done`).
fn opens(line: &str) -> i32 {
    let mut n = 0;
    for w in line.split([' ', ';', '\t']).filter(|w| !w.is_empty()) {
        match w {
            "if" | "for" | "while" | "until" | "case" => n += 1,
            "fi" | "done" | "esac" => n -= 1,
            _ => {}
        }
    }
    n
}

/// The delimiters of the heredocs a line opens (`<<EOF`, `<<'EOF'`, `<<-EOF`), in order.
fn heredoc_ends(line: &str) -> Vec<(String, bool)> {
    let mut out = Vec::new();
    let mut rest = line;
    while let Some(at) = rest.find("<<") {
        let after = &rest[at + 2..];
        if let Some(here_string) = after.strip_prefix('<') {
            rest = here_string;
            continue;
        }
        let tabs = after.starts_with('-');
        let after = after.trim_start_matches('-').trim_start();
        let word: String = after
            .chars()
            .take_while(|c| !c.is_whitespace() && !";|&>)".contains(*c))
            .collect();
        let delim = word.trim_matches(['\'', '"']).replace('\\', "");
        if !delim.is_empty() {
            out.push((delim, tabs));
        }
        rest = &after[word.len().min(after.len())..];
    }
    out
}

/// An odd number of unescaped `'` or `"` outside the other kind: the command goes on.
fn unbalanced_quotes(s: &str) -> bool {
    let mut q: Option<char> = None;
    let mut esc = false;
    for c in s.chars() {
        if esc {
            esc = false;
            continue;
        }
        match (q, c) {
            (Some('\''), '\'') => q = None,
            (Some('\''), _) => {}
            (_, '\\') => esc = true,
            (Some('"'), '"') => q = None,
            (None, '\'' | '"') => q = Some(c),
            (None, '#') => {
                // a comment: the rest of its line cannot open a quote
                return false;
            }
            _ => {}
        }
    }
    q.is_some()
}

/// `<your-username>` in a command is a placeholder for the reader to replace, which a shell would
/// read as redirections. It becomes the word `{your-username}` (same columns) for the grammar, and
/// is returned with its line. A real redirection has a space or `<<` around it (`< in.txt`).
fn placeholders(text: &str, first: usize) -> (String, Vec<(usize, String)>) {
    let mut found = Vec::new();
    let mut out = String::with_capacity(text.len());
    for (i, line) in text.split_inclusive('\n').enumerate() {
        let mut rest = line;
        while let Some(at) = rest.find('<') {
            let (before, from) = rest.split_at(at);
            out.push_str(before);
            match placeholder_len(from).filter(|_| !before.ends_with('<')) {
                Some(n) => {
                    let p = &from[..n];
                    out.push('{');
                    out.push_str(&p[1..n - 1]);
                    out.push('}');
                    found.push((first + i, p.to_string()));
                    rest = &from[n..];
                }
                None => {
                    // `<<EOF`, `< file`: the shell's own
                    let skip = from.chars().take_while(|c| *c == '<').count();
                    out.push_str(&from[..skip]);
                    rest = &from[skip..];
                }
            }
        }
        out.push_str(rest);
    }
    (out, found)
}

/// Length of a `<word>` or `<two words>` placeholder at the start of `s`: letters first, then
/// letters, digits, `_ . -`, single spaces between words, closed by `>`.
fn placeholder_len(s: &str) -> Option<usize> {
    let b = s.as_bytes();
    if b.first() != Some(&b'<') || !b.get(1).is_some_and(|c| c.is_ascii_alphabetic()) {
        return None;
    }
    let mut i = 2;
    while i < b.len() {
        match b[i] {
            b'>' => return Some(i + 1),
            c if c.is_ascii_alphanumeric() || matches!(c, b'_' | b'.' | b'-') => i += 1,
            b' ' if b.get(i + 1).is_some_and(|c| c.is_ascii_alphabetic()) => i += 1,
            _ => return None,
        }
    }
    None
}

/// Restore a placeholder's angle brackets in a word (`{YOUR_USERNAME}/app` → `<YOUR_USERNAME>/app`).
pub fn restore(word: &str, placeholders: &[(usize, String)]) -> String {
    let mut w = word.to_string();
    for (_, p) in placeholders {
        let braced = format!("{{{}}}", &p[1..p.len() - 1]);
        w = w.replace(&braced, p);
    }
    w
}

/// A word as the shell passes it on, quotes removed: `'…'` is literal, `"…"` keeps its text (a `\`
/// escapes `$`, `` ` ``, `"`, `\` there), a `\` outside quotes escapes the next character.
/// Expansions (`$X`, `$(…)`) stay as written.
pub fn unquote(word: &str) -> String {
    let mut out = String::with_capacity(word.len());
    let mut chars = word.chars().peekable();
    while let Some(c) = chars.next() {
        match c {
            '\'' => {
                for q in chars.by_ref() {
                    if q == '\'' {
                        break;
                    }
                    out.push(q);
                }
            }
            '"' => {
                while let Some(q) = chars.next() {
                    match q {
                        '"' => break,
                        '\\' if matches!(chars.peek(), Some('$' | '`' | '"' | '\\')) => {
                            out.extend(chars.next());
                        }
                        _ => out.push(q),
                    }
                }
            }
            '\\' => out.extend(chars.next()),
            _ => out.push(c),
        }
    }
    out
}

/// Parse a segment's text into pipelines of simple commands, in order (compound commands' bodies
/// included; `$(…)` substitutions stay inside their words).
pub fn parse(text: &str) -> Result<Vec<Pipeline>, ScriptError> {
    let options = brush_parser::ParserOptions::default();
    let source = brush_parser::SourceInfo::default();
    let mut parser =
        brush_parser::Parser::new(std::io::BufReader::new(text.as_bytes()), &options, &source);
    let program = parser.parse_program().map_err(|e| ScriptError {
        line: error_line(&e),
        message: plain(&e.to_string()),
    })?;
    let mut out = Vec::new();
    for list in &program.complete_commands {
        compound_list(list, &mut out);
    }
    Ok(out)
}

fn error_line(e: &brush_parser::ParseError) -> usize {
    match e {
        brush_parser::ParseError::ParsingNearToken(t) => t.location().start.line.saturating_sub(1),
        brush_parser::ParseError::Tokenizing {
            position: Some(p), ..
        } => p.line.saturating_sub(1),
        _ => 0,
    }
}

fn plain(s: &str) -> String {
    s.lines().next().unwrap_or(s).trim().to_string()
}

fn compound_list(list: &ast::CompoundList, out: &mut Vec<Pipeline>) {
    for item in &list.0 {
        let and_or = &item.0;
        pipeline(&and_or.first, out);
        for next in &and_or.additional {
            match next {
                ast::AndOr::And(p) | ast::AndOr::Or(p) => pipeline(p, out),
            }
        }
    }
}

fn pipeline(p: &ast::Pipeline, out: &mut Vec<Pipeline>) {
    let mut pl = Pipeline::default();
    let mut line = None;
    for cmd in &p.seq {
        match cmd {
            ast::Command::Simple(s) => {
                let simple = simple(s);
                line = line.or(simple.line);
                if simple.redirect.is_some() {
                    pl.redirect = simple.redirect;
                }
                if let Some((body, body_line, expands)) = simple.heredoc {
                    pl.heredoc = Some((body, body_line));
                    pl.heredoc_expands = expands;
                }
                pl.assigns.extend(simple.assigns);
                if !simple.words.is_empty() {
                    pl.commands.push(simple.words);
                }
            }
            // `(yq … | base64 -d) > file`: a group of one pipeline is that pipeline, with the
            // group's redirection
            ast::Command::Compound(c, redirects) => match single_pipeline(c) {
                Some(inner) => {
                    let mut inner_out = Vec::new();
                    pipeline(inner, &mut inner_out);
                    for p in inner_out {
                        line = line.or(Some(p.line));
                        pl.commands.extend(p.commands);
                        pl.redirect = p.redirect.or(pl.redirect.take());
                        if p.heredoc.is_some() {
                            pl.heredoc_expands = p.heredoc_expands;
                        }
                        pl.heredoc = p.heredoc.or(pl.heredoc.take());
                        pl.assigns.extend(p.assigns);
                    }
                    for r in redirects.iter().flat_map(|r| r.0.iter()) {
                        if let ast::IoRedirect::File(
                            _,
                            ast::IoFileRedirectKind::Write
                            | ast::IoFileRedirectKind::Append
                            | ast::IoFileRedirectKind::Clobber,
                            ast::IoFileRedirectTarget::Filename(f),
                        ) = r
                        {
                            pl.redirect = Some(unquote(&f.value));
                        }
                    }
                }
                None => compound(c, out),
            },
            ast::Command::Function(f) => compound(&f.body.0, out),
            ast::Command::ExtendedTest(..) => {}
        }
    }
    if !pl.commands.is_empty() || !pl.assigns.is_empty() {
        pl.line = line.unwrap_or(0);
        out.push(pl);
    }
}

/// A heredoc body as the shell passes it on: `$NAME` and `${NAME}` of the variables `env` knows
/// replaced by their values; an escaped `\$`, and what `env` does not know (a variable never set,
/// `$(…)`), left as written.
pub fn expand(body: &str, env: &std::collections::BTreeMap<String, Option<String>>) -> String {
    let mut out = String::with_capacity(body.len());
    let mut rest = body;
    while let Some(i) = rest.find('$') {
        out.push_str(&rest[..i]);
        let after = &rest[i + 1..];
        if rest[..i].ends_with('\\') {
            out.push('$');
            rest = after;
            continue;
        }
        let (name, len) = match after.strip_prefix('{') {
            Some(braced) => match braced.find('}') {
                Some(end) => (&braced[..end], end + 2),
                None => ("", 0),
            },
            None => {
                let end = after
                    .find(|c: char| !(c.is_ascii_alphanumeric() || c == '_'))
                    .unwrap_or(after.len());
                (&after[..end], end)
            }
        };
        match env.get(name) {
            Some(Some(value)) if !name.is_empty() => {
                out.push_str(value);
                rest = &after[len..];
            }
            _ => {
                out.push('$');
                rest = after;
            }
        }
    }
    out.push_str(rest);
    out
}

/// The pipeline of a subshell or brace group that holds just one (`( a | b )`).
fn single_pipeline(c: &ast::CompoundCommand) -> Option<&ast::Pipeline> {
    let list = match c {
        ast::CompoundCommand::Subshell(s) => &s.list,
        ast::CompoundCommand::BraceGroup(b) => &b.list,
        _ => return None,
    };
    match list.0.as_slice() {
        [item] if item.0.additional.is_empty() => Some(&item.0.first),
        _ => None,
    }
}

fn compound(c: &ast::CompoundCommand, out: &mut Vec<Pipeline>) {
    match c {
        ast::CompoundCommand::BraceGroup(b) => compound_list(&b.list, out),
        ast::CompoundCommand::Subshell(s) => compound_list(&s.list, out),
        ast::CompoundCommand::ForClause(f) => compound_list(&f.body.list, out),
        ast::CompoundCommand::WhileClause(w) | ast::CompoundCommand::UntilClause(w) => {
            compound_list(&w.0, out);
            compound_list(&w.1.list, out);
        }
        ast::CompoundCommand::IfClause(i) => {
            compound_list(&i.condition, out);
            compound_list(&i.then, out);
            for e in i.elses.iter().flatten() {
                if let Some(c) = &e.condition {
                    compound_list(c, out);
                }
                compound_list(&e.body, out);
            }
        }
        ast::CompoundCommand::CaseClause(c) => {
            for item in &c.cases {
                if let Some(cmd) = &item.cmd {
                    compound_list(cmd, out);
                }
            }
        }
        _ => {}
    }
}

/// What a simple command gives the classifier: its words, its `>` file, the heredoc it reads
/// (body, line, whether the shell expands it), its first line, the variables it sets.
struct Simple {
    words: Vec<String>,
    redirect: Option<String>,
    heredoc: Option<(String, usize, bool)>,
    line: Option<usize>,
    assigns: Vec<(String, Option<String>)>,
}

fn simple(s: &ast::SimpleCommand) -> Simple {
    let mut words = Vec::new();
    let mut redirect = None;
    let mut heredoc = None;
    let mut line = None;
    let mut prefix_assigns: Vec<(String, Option<String>)> = Vec::new();
    let word = |w: &ast::Word, words: &mut Vec<String>, line: &mut Option<usize>| {
        if line.is_none() {
            *line = w.loc.as_ref().map(|l| l.start.line.saturating_sub(1));
        }
        words.push(unquote(&w.value));
    };
    let mut items = |items: &[ast::CommandPrefixOrSuffixItem],
                     words: &mut Vec<String>,
                     line: &mut Option<usize>,
                     assigns: &mut Vec<(String, Option<String>)>| {
        for item in items {
            match item {
                ast::CommandPrefixOrSuffixItem::Word(w) => word(w, words, line),
                ast::CommandPrefixOrSuffixItem::IoRedirect(r) => match r {
                    ast::IoRedirect::File(
                        _,
                        ast::IoFileRedirectKind::Write
                        | ast::IoFileRedirectKind::Append
                        | ast::IoFileRedirectKind::Clobber,
                        ast::IoFileRedirectTarget::Filename(f),
                    ) if !f.value.starts_with("/dev/") => redirect = Some(unquote(&f.value)),
                    ast::IoRedirect::HereDocument(_, h) => {
                        let body_line = h.here_end.loc.as_ref().map(|l| l.start.line).unwrap_or(1);
                        heredoc = Some((h.doc.value.clone(), body_line, h.requires_expansion));
                    }
                    _ => {}
                },
                // `VAR=value cmd`: the assignment is not a word of the command
                ast::CommandPrefixOrSuffixItem::AssignmentWord(_, w) => {
                    if line.is_none() {
                        *line = w.loc.as_ref().map(|l| l.start.line.saturating_sub(1));
                    }
                    assigns.extend(assignment(&w.value));
                    // `export NAME=value`: a word of the command too
                    words.push(unquote(&w.value));
                }
                _ => {}
            }
        }
    };
    let mut suffix_assigns = Vec::new();
    if let Some(p) = &s.prefix {
        items(&p.0, &mut Vec::new(), &mut line, &mut prefix_assigns);
    }
    // `VAR=value cmd` sets VAR for that command only; `VAR=value` alone, for what follows
    let alone = s.word_or_name.is_none();
    if let Some(w) = &s.word_or_name {
        word(w, &mut words, &mut line);
    }
    if let Some(sfx) = &s.suffix {
        items(&sfx.0, &mut words, &mut line, &mut suffix_assigns);
    }
    let mut assigns = if alone { prefix_assigns } else { Vec::new() };
    if words.first().is_some_and(|w| w == "export") {
        assigns.extend(suffix_assigns);
    }
    Simple {
        words,
        redirect,
        heredoc,
        line,
        assigns,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_heredoc_body_gets_the_values_of_the_variables_set_and_keeps_the_rest() {
        let env: std::collections::BTreeMap<String, Option<String>> = [
            ("NAME".to_string(), Some("web".to_string())),
            ("IMG".to_string(), None),
        ]
        .into();
        assert_eq!(
            expand(
                "name: $NAME\nimage: ${NAME}:1\nx: $IMG $(date) \\$NAME $OTHER",
                &env
            ),
            "name: web\nimage: web:1\nx: $IMG $(date) \\$NAME $OTHER"
        );
        let p = parse("NAME=web\nexport MODE=\"prod\" X=$(date)\nFOO=1 ls\n").unwrap();
        let assigns: Vec<_> = p.iter().flat_map(|p| p.assigns.clone()).collect();
        assert_eq!(
            assigns,
            [
                ("NAME".to_string(), Some("web".to_string())),
                ("MODE".to_string(), Some("prod".to_string())),
                ("X".to_string(), None)
            ]
        );
    }

    fn cmds(text: &str) -> Vec<Vec<String>> {
        parse(text)
            .unwrap()
            .into_iter()
            .flat_map(|p| p.commands)
            .collect()
    }

    #[test]
    fn and_or_lists_sequences_and_pipelines_are_simple_commands() {
        assert_eq!(
            cmds("brew update && brew install k3d\n"),
            [vec!["brew", "update"], vec!["brew", "install", "k3d"]]
        );
        let p = parse("kubectl get pods -o json | jq '.items[0]' > out.json; echo ok || true\n")
            .unwrap();
        assert_eq!(p[0].commands.len(), 2);
        assert_eq!(p[0].redirect.as_deref(), Some("out.json"));
        assert_eq!(p[1].commands[0], ["echo", "ok"]);
    }

    #[test]
    fn a_heredoc_is_the_body_its_command_reads() {
        let p = parse("cat <<EOF | kubectl apply -f -\napiVersion: v1\nkind: ConfigMap\nEOF\n")
            .unwrap();
        assert_eq!(p.len(), 1);
        assert_eq!(p[0].commands[1], ["kubectl", "apply", "-f", "-"]);
        let (body, line) = p[0].heredoc.clone().unwrap();
        assert_eq!(body, "apiVersion: v1\nkind: ConfigMap\n");
        assert_eq!(line, 1, "the body starts on the line after the command");
    }

    #[test]
    fn compound_commands_and_substitutions_parse() {
        let text = "if [ \"$(docker ps -q -f name=\"${name}\" || true)\" = '' ]; then\n  docker run -d -p \"127.0.0.1:${port}:5000\" --name \"${name}\" registry:2\nfi\n";
        let c = cmds(text);
        assert!(c.iter().any(|c| c[0] == "docker" && c[1] == "run"), "{c:?}");
    }

    #[test]
    fn transcripts_keep_prompted_lines_and_drop_output() {
        let s = segments(
            "$ docker build -t app .\nSending build context\nStep 1 : FROM alpine\n$ docker images\nREPOSITORY TAG\n",
            crate::lesson::classify::is_command_line,
        );
        assert_eq!(s.len(), 2);
        assert_eq!(s[0].text, "docker build -t app .\n");
        assert_eq!(s[1].first, 3);
    }

    #[test]
    fn placeholders_are_words_not_redirections() {
        let s = segments("docker push <your-user>/app:1\n", |_| true);
        assert_eq!(s[0].placeholders, [(0, "<your-user>".to_string())]);
        let c = cmds(&s[0].text);
        assert_eq!(restore(&c[0][2], &s[0].placeholders), "<your-user>/app:1");
        // a real redirection is left alone
        let s = segments("sort < in.txt > out.txt\ncat <<EOF\nx\nEOF\n", |_| true);
        assert!(s.iter().all(|s| s.placeholders.is_empty()), "{s:?}");
    }

    #[test]
    fn continuation_lines_join_one_command() {
        let s = segments(
            "kubectl create configmap app-env \\\n       --from-env-file=app.env\nconfigmap/app-env created\n",
            |l| l.starts_with("kubectl"),
        );
        assert_eq!(s.len(), 1);
        assert_eq!(cmds(&s[0].text)[0].len(), 5);
    }

    #[test]
    fn quotes_go_the_way_the_shell_removes_them() {
        // lesson 3's yq expression keeps its inner double quotes inside single quotes
        assert_eq!(
            unquote(r#"'.users[0].user."client-key-data"'"#),
            r#".users[0].user."client-key-data""#
        );
        assert_eq!(unquote(r#""a \"b\" $X""#), r#"a "b" $X"#);
        assert_eq!(unquote(r"8081:80@loadbalancer"), "8081:80@loadbalancer");
        assert_eq!(unquote(r"a\ b"), "a b");
    }

    #[test]
    fn a_grammar_error_is_located() {
        let e = parse("echo ok\nif true; then\n").unwrap_err();
        assert!(!e.message.is_empty());
    }
}
