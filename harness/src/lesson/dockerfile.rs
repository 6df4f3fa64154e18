//! A Dockerfile's instructions with their lines, and what its CMD runs.

/// One instruction (`COPY . /app`), with its 1-based line within the Dockerfile.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Instruction {
    pub line: usize,
    pub keyword: String,
    pub args: String,
}

/// A Dockerfile syntax problem, located within the Dockerfile.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DockerfileError {
    pub line: usize,
    pub message: String,
}

const KEYWORDS: &[&str] = &[
    "FROM",
    "RUN",
    "CMD",
    "LABEL",
    "MAINTAINER",
    "EXPOSE",
    "ENV",
    "ADD",
    "COPY",
    "ENTRYPOINT",
    "VOLUME",
    "USER",
    "WORKDIR",
    "ARG",
    "ONBUILD",
    "STOPSIGNAL",
    "HEALTHCHECK",
    "SHELL",
];

/// A parsed Dockerfile.
/// The longest line docker's parser reads (bufio.MaxScanTokenSize - 1).
pub const MAX_LINE: usize = 65_535;

/// The heredoc delimiters of an instruction's arguments (`<<EOF`, `<<-"END"`), and whether each
/// strips leading tabs.
fn heredoc_words(args: &str) -> Vec<(String, bool)> {
    let mut out = Vec::new();
    let mut rest = args;
    while let Some(at) = rest.find("<<") {
        let after = &rest[at + 2..];
        let strip = after.starts_with('-');
        let after = after.trim_start_matches('-');
        let word: String = after
            .chars()
            .take_while(|c| c.is_alphanumeric() || "_\"'".contains(*c))
            .collect();
        let bare = word.trim_matches(['"', '\'']).to_string();
        if !bare.is_empty() {
            out.push((bare, strip));
        }
        rest = &after[word.len()..];
    }
    out
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Dockerfile {
    pub instructions: Vec<Instruction>,
}

impl Dockerfile {
    /// Parse as docker's Dockerfile parser does (moby/buildkit `frontend/dockerfile/parser`): comment
    /// and empty lines are dropped, also inside a `\` continuation; a line longer than 65,535 bytes is
    /// refused (bufio.MaxScanTokenSize); `RUN`/`COPY`/`ADD` heredocs (`<<EOF` … `EOF`) are consumed.
    pub fn parse(text: &str) -> Result<Self, DockerfileError> {
        let mut instructions = Vec::new();
        let mut pending: Option<(usize, String)> = None;
        let lines: Vec<&str> = text.lines().collect();
        let mut i = 0;
        while i < lines.len() {
            let raw = lines[i];
            let line = i + 1;
            i += 1;
            if raw.len() > MAX_LINE {
                return Err(DockerfileError {
                    line,
                    message: format!(
                        "dockerfile line greater than max allowed size of {MAX_LINE} (this line has {} bytes)",
                        raw.len()
                    ),
                });
            }
            let trimmed = raw.trim();
            // docker drops comment and empty lines before joining continuations
            if trimmed.is_empty() || trimmed.starts_with('#') {
                continue;
            }
            let (start, mut acc) = pending.take().unwrap_or((line, String::new()));
            if let Some(cont) = trimmed.strip_suffix('\\') {
                acc.push_str(cont);
                acc.push(' ');
                pending = Some((start, acc));
                continue;
            }
            acc.push_str(trimmed);
            let (kw, args) = acc.split_once(char::is_whitespace).unwrap_or((&acc, ""));
            let keyword = kw.to_ascii_uppercase();
            if !KEYWORDS.contains(&keyword.as_str()) {
                return Err(DockerfileError {
                    line: start,
                    message: format!("unknown instruction `{kw}`"),
                });
            }
            let mut args = args.trim().to_string();
            if matches!(keyword.as_str(), "RUN" | "COPY" | "ADD") {
                for word in heredoc_words(&args) {
                    let strip = word.1;
                    let end = lines[i..].iter().position(|l| {
                        let l = if strip { l.trim_start_matches('\t') } else { l };
                        l.trim_end() == word.0
                    });
                    let Some(end) = end else {
                        return Err(DockerfileError {
                            line: start,
                            message: format!(
                                "the heredoc `<<{}` opened here is never closed by a `{}` line",
                                word.0, word.0
                            ),
                        });
                    };
                    args.push('\n');
                    args.push_str(&lines[i..i + end].join("\n"));
                    i += end + 1;
                }
            }
            instructions.push(Instruction {
                line: start,
                keyword,
                args,
            });
        }
        if let Some((line, _)) = pending {
            return Err(DockerfileError {
                line,
                message: "line continuation `\\` at the end of the file".into(),
            });
        }
        match instructions.iter().find(|i| i.keyword != "ARG") {
            Some(i) if i.keyword == "FROM" => Ok(Self { instructions }),
            Some(i) => Err(DockerfileError {
                line: i.line,
                message: format!(
                    "the first instruction is {}; a Dockerfile must start with FROM",
                    i.keyword
                ),
            }),
            None => Err(DockerfileError {
                line: 1,
                message: "no FROM instruction".into(),
            }),
        }
    }

    pub fn all(&self, keyword: &str) -> impl Iterator<Item = &Instruction> {
        let keyword = keyword.to_string();
        self.instructions
            .iter()
            .filter(move |i| i.keyword == keyword)
    }

    pub fn last(&self, keyword: &str) -> Option<&Instruction> {
        self.all(keyword).last()
    }

    /// The base image (`python:3.9-alpine`).
    pub fn base_image(&self) -> Option<&str> {
        self.last("FROM")
            .and_then(|i| i.args.split_whitespace().next())
    }

    /// The CMD as argv (exec form) or `sh -c` words (shell form), with its line.
    pub fn cmd(&self) -> Option<(usize, Vec<String>)> {
        let i = self.last("CMD")?;
        let argv = if i.args.trim_start().starts_with('[') {
            serde_json::from_str::<Vec<String>>(&i.args).ok()?
        } else {
            i.args.split_whitespace().map(String::from).collect()
        };
        Some((i.line, argv))
    }

    /// Ports of EXPOSE instructions, with their lines.
    pub fn exposed(&self) -> Vec<(usize, u16)> {
        self.all("EXPOSE")
            .flat_map(|i| {
                i.args
                    .split_whitespace()
                    .filter_map(|p| p.split('/').next()?.parse().ok())
                    .map(move |p| (i.line, p))
                    .collect::<Vec<_>>()
            })
            .collect()
    }

    /// Source paths of COPY/ADD instructions (not `--from` stages), with their lines.
    pub fn copy_sources(&self) -> Vec<(usize, String)> {
        let mut out = Vec::new();
        for i in self.all("COPY").chain(self.all("ADD")) {
            // the instruction line only (a heredoc's body follows it), heredoc sources are inline
            let first = i.args.lines().next().unwrap_or("");
            let words: Vec<&str> = first
                .split_whitespace()
                .filter(|w| !w.starts_with("--") && !w.starts_with("<<"))
                .collect();
            if i.args.contains("--from") || words.len() < 2 {
                continue;
            }
            if first.contains("<<") && words.len() < 2 {
                continue;
            }
            for src in &words[..words.len() - 1] {
                out.push((i.line, src.to_string()));
            }
        }
        out
    }
}

/// The port a CMD's server binds, and how it was derived.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct BoundPort {
    pub port: u16,
    pub host: String,
    pub how: String,
}

/// What a CMD runs: `python app.py` or `gunicorn --bind H:P module:app`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Server {
    Python {
        script: String,
    },
    Gunicorn {
        bind: Option<(String, u16)>,
        module: String,
        app: String,
    },
    Other {
        program: String,
    },
}

pub fn server_of(argv: &[String]) -> Option<Server> {
    let program = argv.first()?;
    let base = program.rsplit('/').next().unwrap_or(program);
    if base.starts_with("python") {
        // `python -m flask run`: a module's own command line, not a script of the lesson
        if let Some(i) = argv.iter().position(|a| a == "-m") {
            return Some(Server::Other {
                program: argv.get(i + 1).cloned().unwrap_or_default(),
            });
        }
        let script = argv.iter().skip(1).find(|a| !a.starts_with('-'))?.clone();
        return Some(Server::Python { script });
    }
    if base == "gunicorn" {
        let mut bind = None;
        let mut target = None;
        let mut it = argv.iter().skip(1);
        while let Some(a) = it.next() {
            let value = if a == "--bind" || a == "-b" {
                it.next().cloned()
            } else {
                a.strip_prefix("--bind=").map(String::from)
            };
            if let Some(v) = value {
                if let Some((h, p)) = v.rsplit_once(':') {
                    bind = p.parse().ok().map(|p| (h.to_string(), p));
                }
            } else if !a.starts_with('-') {
                target = Some(a.clone());
            }
        }
        let (module, app) = target?
            .split_once(':')
            .map(|(m, a)| (m.to_string(), a.to_string()))?;
        return Some(Server::Gunicorn { bind, module, app });
    }
    Some(Server::Other {
        program: program.clone(),
    })
}

/// Flask's `app.run(...)` in a script: (1-based line, port, host, the call as written). Flask's
/// defaults apply where the call omits them: port 5000, host 127.0.0.1.
pub fn flask_run(script: &str) -> Option<(usize, u16, String, String)> {
    // code only: a comment's `app.run(port=1)` runs nothing; the call under `if __name__ ==
    // "__main__":` is the one `python app.py` makes, else the last one
    let code = |l: &str| l.split(" #").next().unwrap_or("").to_string();
    let calls: Vec<(usize, String)> = script
        .lines()
        .enumerate()
        .filter(|(_, l)| !l.trim_start().starts_with('#'))
        .map(|(i, l)| (i, code(l)))
        .filter(|(_, l)| l.contains(".run("))
        .collect();
    let main = script
        .lines()
        .position(|l| l.starts_with("if __name__") && l.contains("__main__"));
    let (i, call) = calls
        .iter()
        .find(|(i, _)| main.is_some_and(|m| *i > m))
        .or(calls.last())
        .cloned()?;
    let port = arg_of(&call, "port")
        .and_then(|p| p.parse().ok())
        .unwrap_or(5000);
    let host = arg_of(&call, "host").unwrap_or_else(|| "127.0.0.1".into());
    Some((i + 1, port, host, call.trim().to_string()))
}

#[cfg(test)]
mod parser_tests {
    use super::*;

    #[test]
    fn a_comment_inside_a_continuation_is_dropped_as_docker_does() {
        let d = Dockerfile::parse("FROM python:3.9\nRUN pip install \\\n# the web framework\n    flask \\\n\n    gunicorn\nCMD [\"python\", \"app.py\"]\n").unwrap();
        let run = d.last("RUN").unwrap();
        assert_eq!(run.line, 2);
        assert!(
            run.args.contains("flask") && run.args.contains("gunicorn"),
            "{run:?}"
        );
        assert_eq!(d.cmd().unwrap().0, 7);
    }

    #[test]
    fn a_line_over_65535_bytes_is_refused_at_its_line() {
        let ok = format!("FROM python:3.9\nLABEL x={}\n", "a".repeat(MAX_LINE - 8));
        assert!(Dockerfile::parse(&ok).is_ok());
        let long = format!("FROM python:3.9\nLABEL x={}\n", "a".repeat(MAX_LINE - 7));
        let e = Dockerfile::parse(&long).unwrap_err();
        assert_eq!(e.line, 2);
        assert!(
            e.message
                .starts_with("dockerfile line greater than max allowed size of 65535"),
            "{e:?}"
        );
    }

    #[test]
    fn heredocs_are_consumed_and_an_unterminated_one_is_said_so() {
        let d = Dockerfile::parse("FROM python:3.9\nRUN <<EOF\necho hello\npip install flask\nEOF\nCOPY <<-\"END\" /app/app.py\n\tprint(1)\n\tEND\nCMD [\"python\", \"/app/app.py\"]\n").unwrap();
        assert_eq!(d.instructions.len(), 4, "{d:?}");
        assert!(d.last("RUN").unwrap().args.contains("pip install flask"));
        assert_eq!(d.cmd().unwrap().0, 9);
        assert!(d.copy_sources().is_empty(), "a heredoc is its own source");
        let e = Dockerfile::parse("FROM python:3.9\nRUN <<EOF\necho hello\n").unwrap_err();
        assert_eq!(e.line, 2);
        assert!(e.message.contains("never closed by a `EOF` line"), "{e:?}");
    }
}

#[cfg(test)]
mod flask_run_tests {
    use super::flask_run;

    #[test]
    fn a_commented_call_is_not_the_call() {
        let script = "from flask import Flask\napp = Flask(__name__)\n# app.run(port=9999)\nif __name__ == '__main__':\n    app.run(host='0.0.0.0', port=5000)  # app.run(port=1)\n";
        let (line, port, host, _) = flask_run(script).unwrap();
        assert_eq!((line, port, host.as_str()), (5, 5000, "0.0.0.0"));
    }

    #[test]
    fn the_call_under_main_wins_over_an_earlier_one() {
        let script = "def helper(a):\n    a.run(port=1)\nif __name__ == \"__main__\":\n    app.run(port=8080)\n";
        assert_eq!(flask_run(script).unwrap().1, 8080);
    }
}

/// `host='0.0.0.0'` in `app.run(debug=True, host='0.0.0.0')`.
fn arg_of(call: &str, name: &str) -> Option<String> {
    let i = call.find(&format!("{name}="))?;
    let rest = &call[i + name.len() + 1..];
    let v: String = rest
        .trim_start()
        .chars()
        .take_while(|c| !",)".contains(*c))
        .collect();
    Some(v.trim().trim_matches(['\'', '"']).to_string())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_instructions_cmd_and_ports() {
        let d = Dockerfile::parse("# c\nFROM python:3.9\nWORKDIR /app\nCOPY requirements.txt /app\nEXPOSE 5000\nCMD [\"gunicorn\", \"--bind\", \"0.0.0.0:5000\", \"app:app\"]\n").unwrap();
        assert_eq!(d.base_image(), Some("python:3.9"));
        assert_eq!(d.exposed(), vec![(5, 5000)]);
        assert_eq!(d.copy_sources(), vec![(4, "requirements.txt".to_string())]);
        let (line, argv) = d.cmd().unwrap();
        assert_eq!(line, 6);
        assert_eq!(
            server_of(&argv),
            Some(Server::Gunicorn {
                bind: Some(("0.0.0.0".into(), 5000)),
                module: "app".into(),
                app: "app".into()
            })
        );
    }

    #[test]
    fn reads_flask_run_with_its_defaults() {
        assert_eq!(
            flask_run("x\n    app.run(debug=True, host='0.0.0.0')\n"),
            Some((
                2,
                5000,
                "0.0.0.0".into(),
                "app.run(debug=True, host='0.0.0.0')".into()
            ))
        );
        assert_eq!(
            flask_run("app.run(port=8080)").map(|r| (r.1, r.2)),
            Some((8080, "127.0.0.1".into()))
        );
        assert_eq!(flask_run("print(1)"), None);
    }

    #[test]
    fn an_unknown_instruction_is_located() {
        let e = Dockerfile::parse("FROM x\nCOPPY . .\n").unwrap_err();
        assert_eq!(e.line, 2);
        assert!(e.message.contains("COPPY"));
    }

    #[test]
    fn a_dockerfile_without_from_is_an_error() {
        assert_eq!(Dockerfile::parse("RUN x\n").unwrap_err().line, 1);
    }
}
