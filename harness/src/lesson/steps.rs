//! Shell blocks and prose → typed steps, each keeping its literal text and lesson line.

use serde::Serialize;

use super::shell::{self, Pipeline};

/// A port mapping of `k3d cluster create -p "8081:80@loadbalancer"`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct PortMapping {
    pub host: u16,
    pub container: u16,
    pub node_filter: String,
}

/// `k3d cluster create NAME …`, with the flags the checks and the cluster tier need.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct ClusterCreate {
    pub name: String,
    pub ports: Vec<PortMapping>,
    pub api_port: Option<u16>,
    pub agents: Option<u32>,
    pub k3s_args: Vec<String>,
    /// The words after `k3d`, in order (for rewriting).
    pub argv: Vec<String>,
}

/// What a step does.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(tag = "kind", rename_all = "kebab-case")]
pub enum StepKind {
    ClusterCreate(ClusterCreate),
    ClusterDelete {
        name: String,
    },
    ImageImport {
        image: String,
        cluster: Option<String>,
    },
    DockerBuild {
        tag: String,
        context: String,
    },
    Apply {
        /// Every `-f` of the line, in order.
        files: Vec<String>,
        namespace: Option<String>,
    },
    CreateNamespace {
        name: String,
    },
    RunPod {
        name: String,
        namespace: Option<String>,
        image: String,
    },
    /// `kubectl get|describe …` (read-only).
    Inspect {
        verb: String,
        args: Vec<String>,
        namespace: Option<String>,
        watch: bool,
        grep: Option<String>,
    },
    /// `curl … URL`, with the TLS files it passes.
    Curl {
        url: String,
        cacert: Option<String>,
        cert: Option<String>,
        key: Option<String>,
        grep: Option<String>,
    },
    /// `(yq e EXPR KUBECONFIG | base64 --decode) > OUT`
    ExtractKubeconfigField {
        expression: String,
        kubeconfig: String,
        out: String,
    },
    ShowFile {
        path: String,
    },
    /// `cat > F <<EOF … EOF` (or `tee F`): the lesson creates file F with the heredoc's text, which
    /// starts at lesson line `first_line`. The file is bound like a block the prose names.
    WriteFile {
        file: String,
        text: String,
        first_line: usize,
    },
    /// The lesson names `/etc/hosts` as the file to edit.
    EditHosts,
    /// A line to add to /etc/hosts.
    HostsEntry {
        ip: String,
        host: String,
    },
    /// A URL the prose tells the reader to open.
    Visit {
        url: String,
    },
    /// A line of a shell block that is not a command: example output.
    Output,
    /// A command yadoc does not model; kept literally.
    Unmodelled {
        program: String,
    },
}

/// One step of a lesson.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Step {
    /// Line in the lesson file.
    pub line: usize,
    /// The text exactly as the lesson has it.
    pub literal: String,
    /// Index of the block it comes from (None for prose).
    pub block: Option<usize>,
    #[serde(flatten)]
    pub kind: StepKind,
}

impl Step {
    /// Runs something (as opposed to example output, a file name, a URL to visit).
    pub fn is_command(&self) -> bool {
        !matches!(
            self.kind,
            StepKind::Output
                | StepKind::EditHosts
                | StepKind::HostsEntry { .. }
                | StepKind::Visit { .. }
        )
    }
}

/// A step line that could not be parsed, located at its lesson line.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct StepError {
    pub line: usize,
    pub literal: String,
    pub message: String,
}

/// Parse the lines of a shell block (first text line at lesson line `first_line`).
pub fn parse_block(text: &str, first_line: usize, block: usize) -> (Vec<Step>, Vec<StepError>) {
    let mut steps = Vec::new();
    let mut errors = Vec::new();
    let mut pending: Option<(usize, String)> = None;
    let lines: Vec<&str> = text.lines().collect();
    let mut i = 0;
    while i < lines.len() {
        let raw = lines[i];
        let line = first_line + i;
        i += 1;
        let (start, mut acc) = pending.take().unwrap_or((line, String::new()));
        let trimmed = raw.trim();
        if let Some(cont) = trimmed.strip_suffix('\\') {
            acc.push_str(cont);
            pending = Some((start, acc));
            continue;
        }
        acc.push_str(trimmed);
        // a shell prompt is not part of the command (`$ kubectl apply -f a.yaml`)
        if let Some(cmd) = acc.strip_prefix("$ ") {
            acc = cmd.trim_start().to_string();
        }
        if acc.is_empty() || acc.starts_with('#') {
            continue;
        }
        if let Some(h) = heredoc(&acc) {
            // the heredoc's body is the file's text, never commands or output
            let body_start = i;
            let end = lines[i..]
                .iter()
                .position(|l| {
                    let l = if h.strip_tabs {
                        l.trim_start_matches('\t')
                    } else {
                        l
                    };
                    l.trim_end() == h.delimiter
                })
                .map(|n| i + n);
            let Some(end) = end else {
                errors.push(StepError {
                    line: start,
                    literal: acc.clone(),
                    message: format!("the heredoc is never closed by a `{}` line", h.delimiter),
                });
                break;
            };
            let body: String = lines[body_start..end]
                .iter()
                .map(|l| format!("{l}\n"))
                .collect();
            i = end + 1;
            let kind = match written_file(&h.command) {
                Some(file) => StepKind::WriteFile {
                    file,
                    text: body,
                    first_line: first_line + body_start,
                },
                None => match parse_line(&h.command) {
                    Ok(k) => k,
                    Err(message) => {
                        errors.push(StepError {
                            line: start,
                            literal: acc,
                            message,
                        });
                        continue;
                    }
                },
            };
            steps.push(Step {
                line: start,
                literal: acc,
                block: Some(block),
                kind,
            });
            continue;
        }
        match parse_line(&acc) {
            Ok(kind) => steps.push(Step {
                line: start,
                literal: acc,
                block: Some(block),
                kind,
            }),
            Err(message) => errors.push(StepError {
                line: start,
                literal: acc,
                message,
            }),
        }
    }
    (steps, errors)
}

/// A command line that opens a heredoc: the command without `<<WORD`, the delimiter, and whether
/// `<<-` strips leading tabs.
struct Heredoc {
    command: String,
    delimiter: String,
    strip_tabs: bool,
}

fn heredoc(line: &str) -> Option<Heredoc> {
    let at = line.find("<<")?;
    if line[at..].starts_with("<<<") {
        return None; // a here-string, one line
    }
    let rest = &line[at + 2..];
    let strip_tabs = rest.starts_with('-');
    let rest = rest.trim_start_matches('-').trim_start();
    let word: String = rest
        .chars()
        .take_while(|c| !c.is_whitespace() && !";|&>".contains(*c))
        .collect();
    let delimiter = word.trim_matches(['\'', '"']).to_string();
    if delimiter.is_empty() {
        return None;
    }
    let command = format!("{} {}", &line[..at], &rest[word.len()..]);
    Some(Heredoc {
        command: command.split_whitespace().collect::<Vec<_>>().join(" "),
        delimiter,
        strip_tabs,
    })
}

/// The file a heredoc command writes: `cat > F`, `cat >> F`, `tee F`.
fn written_file(command: &str) -> Option<String> {
    let p = shell::pipeline(command).ok()?;
    let first = p.commands.first()?;
    match first
        .iter()
        .map(String::as_str)
        .collect::<Vec<_>>()
        .as_slice()
    {
        ["cat"] if p.commands.len() == 1 => p.redirect.clone(),
        ["tee", rest @ ..] => rest
            .iter()
            .find(|a| !a.starts_with('-'))
            .map(|f| f.to_string()),
        _ => None,
    }
}

/// URLs the prose points the reader at (`http://myapp.local:8081/`).
pub fn visits(prose: &str, line: usize) -> Vec<Step> {
    prose
        .split_whitespace()
        .filter(|w| w.starts_with("http://") || w.starts_with("https://"))
        .map(|w| w.trim_end_matches(['.', ',', ')', ';', '(']))
        .map(|url| Step {
            line,
            literal: url.to_string(),
            block: None,
            kind: StepKind::Visit {
                url: url.to_string(),
            },
        })
        .collect()
}

fn parse_line(line: &str) -> Result<StepKind, String> {
    if line == "/etc/hosts" {
        return Ok(StepKind::EditHosts);
    }
    let words: Vec<&str> = line.split_whitespace().collect();
    if words.len() == 2 && words[0].parse::<std::net::IpAddr>().is_ok() {
        return Ok(StepKind::HostsEntry {
            ip: words[0].into(),
            host: words[1].into(),
        });
    }
    if !super::classify::is_command_line(line) {
        return Ok(StepKind::Output);
    }
    let p = shell::pipeline(line).map_err(|e| format!("column {}: {}", e.column + 1, e.message))?;
    parse_pipeline(&p)
}

fn grep_of(p: &Pipeline) -> Option<String> {
    p.commands
        .iter()
        .skip(1)
        .find(|c| c.first().map(String::as_str) == Some("grep"))
        .map(|c| c[1..].join(" "))
}

/// The words of a command as it runs, without a leading `sudo` (`sudo docker build …` builds as
/// `docker build …` does; yadoc never runs sudo).
pub fn without_sudo(cmd: &[String]) -> &[String] {
    match cmd.first().map(String::as_str) {
        Some("sudo") => &cmd[1..],
        _ => cmd,
    }
}

/// The first command of a step's line, as `without_sudo` gives it.
pub fn command_words(literal: &str) -> Vec<String> {
    shell::pipeline(literal)
        .ok()
        .and_then(|p| p.commands.into_iter().next())
        .map(|c| without_sudo(&c).to_vec())
        .unwrap_or_default()
}

fn parse_pipeline(p: &Pipeline) -> Result<StepKind, String> {
    let Some(cmd) = p.commands.first() else {
        return Err("empty command".into());
    };
    let cmd = without_sudo(cmd);
    let w: Vec<&str> = cmd.iter().map(String::as_str).collect();
    let flags = Flags(&w);
    let kind = match w.as_slice() {
        ["k3d", "cluster", "create", name, ..] if !name.starts_with('-') => {
            StepKind::ClusterCreate(ClusterCreate {
                name: name.to_string(),
                ports: flags
                    .all(&["-p", "--port"])
                    .iter()
                    .map(|v| port_mapping(v))
                    .collect::<Result<_, _>>()?,
                api_port: flags
                    .one(&["--api-port"])
                    .map(|v| {
                        v.rsplit(':')
                            .next()
                            .unwrap_or(v)
                            .parse()
                            .map_err(|_| format!("--api-port `{v}` is not a port"))
                    })
                    .transpose()?,
                agents: flags
                    .one(&["--agents", "-a"])
                    .map(|v| {
                        v.parse()
                            .map_err(|_| format!("--agents `{v}` is not a number"))
                    })
                    .transpose()?,
                k3s_args: flags
                    .all(&["--k3s-arg"])
                    .iter()
                    .map(|s| s.to_string())
                    .collect(),
                argv: cmd[1..].to_vec(),
            })
        }
        ["k3d", "cluster", "create", ..] => {
            return Err("`k3d cluster create` without a cluster name".into());
        }
        ["k3d", "cluster", "delete", name, ..] => StepKind::ClusterDelete {
            name: name.to_string(),
        },
        ["k3d", "image", "import", image, ..] => StepKind::ImageImport {
            image: image.to_string(),
            cluster: flags.one(&["-c", "--cluster"]).map(String::from),
        },
        ["docker", "build", ..] => StepKind::DockerBuild {
            tag: flags
                .one(&["-t", "--tag"])
                .ok_or("`docker build` without `-t TAG`")?
                .to_string(),
            context: flags.positional(2).unwrap_or(".").to_string(),
        },
        ["kubectl", "apply", ..] => StepKind::Apply {
            files: {
                let files: Vec<String> = flags
                    .all(&["-f", "--filename"])
                    .iter()
                    .map(|f| f.to_string())
                    .collect();
                if files.is_empty() {
                    return Err("`kubectl apply` without `-f FILE`".into());
                }
                files
            },
            namespace: flags.one(&["-n", "--namespace"]).map(String::from),
        },
        ["kubectl", "create", "ns" | "namespace", name, ..] => StepKind::CreateNamespace {
            name: name.to_string(),
        },
        ["kubectl", "run", name, ..] => StepKind::RunPod {
            name: name.to_string(),
            namespace: flags.one(&["-n", "--namespace"]).map(String::from),
            image: flags
                .one(&["--image"])
                .ok_or("`kubectl run` without `--image`")?
                .to_string(),
        },
        ["kubectl", verb @ ("get" | "describe"), rest @ ..] => StepKind::Inspect {
            verb: verb.to_string(),
            args: rest.iter().map(|s| s.to_string()).collect(),
            namespace: flags.one(&["-n", "--namespace"]).map(String::from),
            watch: w.contains(&"--watch") || w.contains(&"-w"),
            grep: grep_of(p),
        },
        ["curl", ..] => StepKind::Curl {
            url: w
                .iter()
                .find(|a| a.starts_with("http://") || a.starts_with("https://"))
                .ok_or("`curl` without a URL")?
                .to_string(),
            cacert: flags.one(&["--cacert"]).map(String::from),
            cert: flags.one(&["--cert", "-E"]).map(String::from),
            key: flags.one(&["--key"]).map(String::from),
            grep: grep_of(p),
        },
        ["yq", _, expression, kubeconfig, ..]
            if p.commands
                .iter()
                .any(|c| c.first().map(String::as_str) == Some("base64")) =>
        {
            StepKind::ExtractKubeconfigField {
                expression: expression.to_string(),
                kubeconfig: kubeconfig.to_string(),
                out: p.redirect.clone().ok_or("yq | base64 without `> FILE`")?,
            }
        }
        ["cat", path] => StepKind::ShowFile {
            path: path.to_string(),
        },
        [program, ..] => StepKind::Unmodelled {
            program: program.to_string(),
        },
        [] => return Err("empty command".into()),
    };
    Ok(kind)
}

fn port_mapping(v: &str) -> Result<PortMapping, String> {
    let (ports, filter) = v.split_once('@').unwrap_or((v, ""));
    let parts: Vec<&str> = ports.split(':').collect();
    let bad = || format!("port mapping `{v}` is not HOST:CONTAINER@NODEFILTER");
    let (host, container) = match parts.as_slice() {
        [h, c] | [_, h, c] => (
            h.parse().map_err(|_| bad())?,
            c.split('/')
                .next()
                .unwrap_or(c)
                .parse()
                .map_err(|_| bad())?,
        ),
        _ => return Err(bad()),
    };
    Ok(PortMapping {
        host,
        container,
        node_filter: filter.to_string(),
    })
}

/// Flag lookup over a command's words: `-f x`, `-f=x`, `--flag=x`.
struct Flags<'a>(&'a [&'a str]);

impl Flags<'_> {
    fn all(&self, names: &[&str]) -> Vec<&str> {
        let mut out = Vec::new();
        let mut i = 0;
        while i < self.0.len() {
            let w = self.0[i];
            for n in names {
                if w == *n {
                    if let Some(v) = self.0.get(i + 1) {
                        out.push(*v);
                        i += 1;
                    }
                } else if let Some(v) = w.strip_prefix(&format!("{n}=")) {
                    out.push(v);
                }
            }
            i += 1;
        }
        out
    }

    fn one(&self, names: &[&str]) -> Option<&str> {
        self.all(names).last().copied()
    }

    /// The n-th word that is neither a flag nor a flag's value (0 = the program).
    fn positional(&self, n: usize) -> Option<&str> {
        // flags of the lessons' commands that take a value as the next word
        const VALUED: &[&str] = &[
            "-t",
            "--tag",
            "-f",
            "--file",
            "--build-arg",
            "--label",
            "--target",
            "--platform",
            "-n",
            "--namespace",
            "-c",
            "--cluster",
            "-o",
            "--output",
            "-p",
            "--port",
        ];
        let mut seen = 0;
        let mut i = 0;
        while i < self.0.len() {
            let w = self.0[i];
            if w.starts_with('-') {
                if VALUED.contains(&w) {
                    i += 1;
                }
            } else {
                if seen == n {
                    return Some(w);
                }
                seen += 1;
            }
            i += 1;
        }
        None
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn one(line: &str) -> StepKind {
        let (steps, errors) = parse_block(line, 10, 0);
        assert!(errors.is_empty(), "{errors:?}");
        steps.into_iter().next().unwrap().kind
    }

    #[test]
    fn k3d_create_keeps_ports_agents_and_k3s_args() {
        let StepKind::ClusterCreate(c) = one(
            r#"k3d cluster create yadoc-with-etcd --api-port 6551 -p "8082:80@loadbalancer" --agents 3 --k3s-arg "--cluster-init@server:0""#,
        ) else {
            panic!()
        };
        assert_eq!(c.name, "yadoc-with-etcd");
        assert_eq!(c.api_port, Some(6551));
        assert_eq!(
            c.ports,
            vec![PortMapping {
                host: 8082,
                container: 80,
                node_filter: "loadbalancer".into()
            }]
        );
        assert_eq!(c.agents, Some(3));
        assert_eq!(c.k3s_args, vec!["--cluster-init@server:0"]);
    }

    #[test]
    fn kubectl_docker_and_curl_lines_become_typed_steps() {
        assert_eq!(
            one("docker build -t myapp:latest ."),
            StepKind::DockerBuild {
                tag: "myapp:latest".into(),
                context: ".".into()
            }
        );
        assert_eq!(
            one("docker build --tag myapp:latest --no-cache app/"),
            StepKind::DockerBuild {
                tag: "myapp:latest".into(),
                context: "app/".into()
            }
        );
        assert_eq!(
            one("kubectl apply -f hpa.yaml"),
            StepKind::Apply {
                files: vec!["hpa.yaml".into()],
                namespace: None
            }
        );
        assert_eq!(
            one("kubectl create ns hpa-test"),
            StepKind::CreateNamespace {
                name: "hpa-test".into()
            }
        );
        assert_eq!(
            one("kubectl run nginx -n api-test --image=nginx:latest"),
            StepKind::RunPod {
                name: "nginx".into(),
                namespace: Some("api-test".into()),
                image: "nginx:latest".into()
            }
        );
        assert_eq!(
            one("k3d image import myapp:hpa-test -c yadoc-exposed"),
            StepKind::ImageImport {
                image: "myapp:hpa-test".into(),
                cluster: Some("yadoc-exposed".into())
            }
        );
        let StepKind::Curl { url, cacert, grep, .. } = one("curl --cacert ca.crt --cert c.crt --key c.key https://0.0.0.0:6550/api/v1/namespaces/api-test/pods | grep volumes -C 2") else { panic!() };
        assert_eq!(url, "https://0.0.0.0:6550/api/v1/namespaces/api-test/pods");
        assert_eq!(cacert.as_deref(), Some("ca.crt"));
        assert_eq!(grep.as_deref(), Some("volumes -C 2"));
    }

    #[test]
    fn hosts_lines_and_output_are_not_commands() {
        assert_eq!(
            one("127.0.0.1        myapp.local"),
            StepKind::HostsEntry {
                ip: "127.0.0.1".into(),
                host: "myapp.local".into()
            }
        );
        assert_eq!(one("/etc/hosts"), StepKind::EditHosts);
        assert_eq!(one("NAME   READY   STATUS"), StepKind::Output);
        assert_eq!(
            one("$ kubectl apply -f a.yaml -f b.yaml -n web"),
            StepKind::Apply {
                files: vec!["a.yaml".into(), "b.yaml".into()],
                namespace: Some("web".into())
            },
            "a prompt is not part of the command, and every -f counts"
        );
        assert!(matches!(
            one("sudo docker build -t myapp ."),
            StepKind::DockerBuild { ref tag, .. } if tag == "myapp"
        ));
    }

    #[test]
    fn a_broken_command_line_is_a_located_error() {
        let (_, errors) = parse_block("\nkubectl apply\n", 10, 0);
        assert_eq!(errors[0].line, 11);
        assert!(errors[0].message.contains("-f FILE"));
    }

    #[test]
    fn a_heredoc_writes_a_file_and_its_body_is_not_commands() {
        let (steps, errors) = parse_block(
            "cat > .dockerignore <<'EOF'\n*.md\nkubectl delete ns x\nEOF\ndocker build -t myapp .\n",
            10,
            0,
        );
        assert!(errors.is_empty(), "{errors:?}");
        assert_eq!(steps.len(), 2, "{steps:?}");
        assert_eq!(
            steps[0].kind,
            StepKind::WriteFile {
                file: ".dockerignore".into(),
                text: "*.md\nkubectl delete ns x\n".into(),
                first_line: 11
            }
        );
        assert_eq!(steps[1].line, 14);
        let (_, errors) = parse_block("tee app.py <<EOF\nprint(1)\n", 1, 0);
        assert_eq!(errors[0].line, 1, "an unclosed heredoc is a located error");
    }
}
