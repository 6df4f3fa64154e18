//! Shell blocks and prose → typed steps, each keeping its literal text and lesson line.

use serde::Serialize;

use super::script;
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
    /// The command names the cluster (else k3d's default name, `k3s-default`).
    pub explicit_name: bool,
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
    /// `kubectl create -f FILE|URL`: like apply, but fails when an object already exists.
    CreateFrom {
        files: Vec<String>,
        namespace: Option<String>,
    },
    /// `kubectl apply -k DIR` / `kubectl create -k DIR`: objects a kustomization generates.
    Kustomize {
        dir: String,
        namespace: Option<String>,
    },
    /// An object a command makes itself: `kubectl create deployment|service|configmap|secret …`,
    /// `expose`, `autoscale` (what `--dry-run=client -o yaml` would print, by kind and name).
    CreateObject {
        object: String,
        name: String,
        namespace: Option<String>,
    },
    /// `kubectl delete KIND NAME` / `kubectl delete -f FILE`.
    Delete {
        object: Option<String>,
        names: Vec<String>,
        files: Vec<String>,
        namespace: Option<String>,
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
    /// `<your-username>`-style placeholders of the line: the reader replaces them, so the step is a
    /// template, not a command to replay.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub placeholders: Vec<String>,
    /// The words of the step's command as it runs (`sudo` and its options removed; empty for
    /// what is no command), from the shell grammar.
    #[serde(skip)]
    pub words: Vec<String>,
}

impl Step {
    /// Runs something (as opposed to example output, a file name, a URL to visit).
    pub fn is_command(&self) -> bool {
        !matches!(
            self.kind,
            StepKind::EditHosts | StepKind::HostsEntry { .. } | StepKind::Visit { .. }
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

/// Parse the lines of a shell block (first text line at lesson line `first_line`): command lines go
/// through the shell grammar (`script`), every other line is output and yields no step.
pub fn parse_block(text: &str, first_line: usize, block: usize) -> (Vec<Step>, Vec<StepError>) {
    parse_block_in(text, first_line, block, &mut Env::default())
}

/// The reader's terminal as the lesson leaves it so far: the shell variables it set (`NAME=value`,
/// `export NAME=value`; None for one whose value the shell computes) and the namespace kubectl's
/// current context points at.
#[derive(Debug, Clone, Default)]
pub struct Env {
    pub vars: std::collections::BTreeMap<String, Option<String>>,
    /// The namespace `kubectl config set-context --current --namespace=X` (or `kubens X`) set,
    /// where kubectl commands without `-n` land; None: the context's own (default).
    pub namespace: Option<String>,
    /// The namespaces the lesson gave named contexts (`set-context NAME --namespace=X`), for a
    /// later `use-context NAME`.
    pub context_namespaces: std::collections::BTreeMap<String, String>,
}

impl Env {
    /// Follow what a kubectl command does to the current context's namespace.
    fn follow(&mut self, words: &[String]) {
        let w: Vec<&str> = words.iter().map(String::as_str).collect();
        let flag = |name: &str| {
            w.iter().enumerate().find_map(|(i, x)| {
                x.strip_prefix(&format!("{name}="))
                    .map(str::to_string)
                    .or_else(|| {
                        (*x == name)
                            .then(|| w.get(i + 1).map(|v| v.to_string()))
                            .flatten()
                    })
            })
        };
        match w.as_slice() {
            ["kubens", ns] if !ns.starts_with('-') => self.namespace = Some(ns.to_string()),
            ["kubectl", "config", "set-context", rest @ ..] => {
                let Some(ns) = flag("--namespace") else {
                    return;
                };
                let named = rest
                    .iter()
                    .find(|x| !x.starts_with('-') && !x.contains("current-context"));
                // `--current`, or `$(kubectl config current-context)`: the current context
                let current = rest.contains(&"--current")
                    || rest.iter().any(|x| x.contains("current-context"));
                if current {
                    self.namespace = Some(ns);
                } else if let Some(name) = named {
                    self.context_namespaces.insert(name.to_string(), ns);
                }
            }
            ["kubectl", "config", "use-context", name, ..] => {
                self.namespace = self.context_namespaces.get(*name).cloned();
            }
            _ => {}
        }
    }

    /// A kubectl command as it runs in the current context: with `--namespace=X` when the
    /// context points at X and the command names no namespace itself.
    fn in_context(&self, words: &mut Vec<String>) {
        let Some(ns) = &self.namespace else { return };
        let kubectl = words.first().is_some_and(|w| w == "kubectl");
        let own = words.get(1).is_some_and(|w| w == "config")
            || words.iter().any(|w| {
                matches!(w.as_str(), "-n" | "--namespace" | "-A" | "--all-namespaces")
                    || w.starts_with("--namespace=")
                    || w.starts_with("-n=")
            });
        if kubectl && !own {
            words.push(format!("--namespace={ns}"));
        }
    }
}

/// `parse_block`, in a shell whose variables `env` holds: the block's assignments go into it, and
/// an unquoted heredoc's body is what the shell passes on (`script::expand`).
pub fn parse_block_in(
    text: &str,
    first_line: usize,
    block: usize,
    env: &mut Env,
) -> (Vec<Step>, Vec<StepError>) {
    let mut steps = Vec::new();
    let mut errors = Vec::new();
    let lines: Vec<&str> = text.lines().collect();
    // lines that are not commands but still say something: /etc/hosts entries and the file name
    for (i, raw) in lines.iter().enumerate() {
        let t = raw.trim();
        let words: Vec<&str> = t.split_whitespace().collect();
        let kind = if t == "/etc/hosts" {
            StepKind::EditHosts
        } else if words.len() == 2 && words[0].parse::<std::net::IpAddr>().is_ok() {
            StepKind::HostsEntry {
                ip: words[0].into(),
                host: words[1].into(),
            }
        } else {
            continue;
        };
        steps.push(Step {
            line: first_line + i,
            literal: t.to_string(),
            block: Some(block),
            kind,
            placeholders: Vec::new(),
            words: Vec::new(),
        });
    }
    for seg in script::segments(text, super::classify::is_command_line) {
        let seg_lines: Vec<&str> = seg.text.lines().collect();
        let at = |n: usize| first_line + seg.first + n;
        let literal_at = |n: usize| {
            let mut lit = String::new();
            for l in seg_lines.iter().skip(n) {
                let t = l.trim();
                match t.strip_suffix('\\') {
                    Some(cont) => lit.push_str(cont),
                    None => {
                        lit.push_str(t);
                        break;
                    }
                }
            }
            script::restore(&lit, &seg.placeholders)
        };
        if let Some(delim) = &seg.unclosed_heredoc {
            errors.push(StepError {
                line: at(0),
                literal: literal_at(0),
                message: format!("the heredoc is never closed by a `{delim}` line"),
            });
            continue;
        }
        let pipelines = match script::parse(&seg.text) {
            Ok(p) => p,
            Err(e) => {
                errors.push(StepError {
                    line: at(e.line.min(seg_lines.len().saturating_sub(1))),
                    literal: literal_at(0),
                    message: format!("the shell cannot parse it: {}", e.message),
                });
                continue;
            }
        };
        for p in pipelines {
            env.vars.extend(p.assigns.iter().cloned());
            if p.commands.is_empty() {
                continue;
            }
            let line = at(p.line);
            let literal = literal_at(p.line);
            let placeholders: Vec<String> = seg
                .placeholders
                .iter()
                .filter(|(l, _)| {
                    first_line + *l >= line && first_line + *l < line.max(at(p.line + 1))
                })
                .map(|(_, p)| p.clone())
                .collect();
            let mut pipeline = Pipeline {
                commands: p
                    .commands
                    .iter()
                    // the words as the shell passes them: the variables the lesson set, expanded
                    // (the quotes are gone here, so a `'$NAME'` is expanded too; only a variable
                    // the lesson set is, which a lesson rarely quotes to keep it literal)
                    .map(|c| {
                        c.iter()
                            .map(|w| {
                                script::expand(&script::restore(w, &seg.placeholders), &env.vars)
                            })
                            .collect()
                    })
                    .collect(),
                redirect: p.redirect.clone(),
            };
            for c in &mut pipeline.commands {
                env.in_context(c);
                env.follow(c);
            }
            let heredoc = p.heredoc.as_ref().map(|(body, l)| {
                let body = if p.heredoc_expands {
                    script::expand(body, &env.vars)
                } else {
                    body.clone()
                };
                (body, at(*l))
            });
            // a heredoc a command reads as `-f -` / `--config=-` is a file of the lesson: a manifest
            // (`kubectl apply -f - <<EOF`), a kind config (`kind create cluster --config=-`)
            if let Some((text, body_line)) = &heredoc {
                if let Some(file) = stdin_file(&mut pipeline, line) {
                    steps.push(Step {
                        line,
                        literal: literal.clone(),
                        block: Some(block),
                        kind: StepKind::WriteFile {
                            file,
                            text: text.clone(),
                            first_line: *body_line,
                        },
                        placeholders: Vec::new(),
                        words: Vec::new(),
                    });
                }
            }
            // `cat <<EOF | kubectl apply -f -`: the command is the one `cat` feeds
            if pipeline.commands.len() > 1
                && matches!(
                    pipeline.commands[0]
                        .iter()
                        .map(String::as_str)
                        .collect::<Vec<_>>()
                        .as_slice(),
                    ["cat"] | ["cat", "-"]
                )
            {
                pipeline.commands.remove(0);
            }
            let kind = match (&heredoc, written_file(&pipeline)) {
                (Some((text, body_line)), Some(file)) => StepKind::WriteFile {
                    file,
                    text: text.clone(),
                    first_line: *body_line,
                },
                _ => match parse_pipeline(&pipeline) {
                    Ok(k) => k,
                    Err(message) => {
                        errors.push(StepError {
                            line,
                            literal,
                            message,
                        });
                        continue;
                    }
                },
            };
            let words = pipeline
                .commands
                .first()
                .map(|c| without_sudo(c).to_vec())
                .unwrap_or_default();
            steps.push(Step {
                line,
                literal,
                block: Some(block),
                kind,
                placeholders,
                words,
            });
        }
    }
    steps.sort_by_key(|s| s.line);
    (steps, errors)
}

/// A command of the pipeline that reads a file from standard input (`-f -`, `--config=-`): the
/// `-` becomes `stdin-L{line}.yaml`, the name the heredoc's body is bound to.
fn stdin_file(p: &mut Pipeline, line: usize) -> Option<String> {
    let name = format!("stdin-L{line}.yaml");
    let mut found = false;
    for cmd in &mut p.commands {
        let mut i = 0;
        while i < cmd.len() {
            let w = cmd[i].as_str();
            if matches!(w, "-f" | "--filename" | "--config" | "-c")
                && cmd.get(i + 1).is_some_and(|v| v == "-")
            {
                cmd[i + 1] = name.clone();
                found = true;
            } else if let Some(flag) = ["-f=-", "--filename=-", "--config=-"]
                .iter()
                .find(|f| w == **f)
            {
                cmd[i] = format!("{}={name}", &flag[..flag.len() - 2]);
                found = true;
            }
            i += 1;
        }
    }
    found.then_some(name)
}

/// The file a heredoc command writes: `cat > F`, `cat >> F`, `tee F`.
fn written_file(p: &Pipeline) -> Option<String> {
    let first = p.commands.first()?;
    match first
        .iter()
        .map(String::as_str)
        .collect::<Vec<_>>()
        .as_slice()
    {
        ["cat"] | ["cat", "-"] if p.commands.len() == 1 => p.redirect.clone(),
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
            placeholders: Vec::new(),
            words: Vec::new(),
        })
        .collect()
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
        Some("sudo") => {
            // sudo's own options (`-E`, `--preserve-env=X`, `-u USER`) come before the command
            let mut i = 1;
            while let Some(w) = cmd.get(i) {
                if !w.starts_with('-') {
                    break;
                }
                i += if matches!(w.as_str(), "-u" | "--user" | "-g" | "--group") {
                    2
                } else {
                    1
                };
            }
            &cmd[i.min(cmd.len())..]
        }
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
        // k3d cluster create [NAME]: without a name, k3d names it k3s-default
        // (k3d-io/k3d pkg/types/types.go `DefaultClusterName`; cmd/cluster/clusterCreate.go
        // `cobra.RangeArgs(0, 1)`)
        ["k3d", "cluster", "create", ..] => StepKind::ClusterCreate(ClusterCreate {
            name: Flags(&w[3..])
                .positional_with(0, K3D_VALUED)
                .unwrap_or("k3s-default")
                .to_string(),
            explicit_name: Flags(&w[3..]).positional_with(0, K3D_VALUED).is_some(),
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
        }),
        ["k3d", "cluster", "delete", name, ..] => StepKind::ClusterDelete {
            name: name.to_string(),
        },
        ["k3d", "image", "import", image, ..] => StepKind::ImageImport {
            image: image.to_string(),
            cluster: flags.one(&["-c", "--cluster"]).map(String::from),
        },
        // `docker build` and nothing else names the command (minikube's handbook: "For Docker,
        // use: docker build"), as a reference; there is no build to run
        ["docker" | "podman" | "nerdctl", "build"] => StepKind::Unmodelled {
            program: w[0].to_string(),
        },
        ["docker", "build", ..] => StepKind::DockerBuild {
            tag: flags
                .one(&["-t", "--tag"])
                .ok_or("`docker build` without `-t TAG`")?
                .to_string(),
            context: flags.positional(2).unwrap_or(".").to_string(),
        },
        ["kubectl", "apply" | "create", ..] if flags.one(&["-k", "--kustomize"]).is_some() => {
            StepKind::Kustomize {
                dir: flags.one(&["-k", "--kustomize"]).unwrap_or(".").to_string(),
                namespace: flags.one(&["-n", "--namespace"]).map(String::from),
            }
        }
        ["kubectl", "create", ..] if !flags.all(&["-f", "--filename"]).is_empty() => {
            StepKind::CreateFrom {
                files: flags
                    .all(&["-f", "--filename"])
                    .iter()
                    .map(|f| f.to_string())
                    .collect(),
                namespace: flags.one(&["-n", "--namespace"]).map(String::from),
            }
        }
        ["kubectl", "create", "secret", _, name, ..]
        | ["kubectl", "create", "configmap"
        | "cm"
        | "deployment"
        | "deploy"
        | "service"
        | "svc"
        | "job"
        | "cronjob"
        | "serviceaccount"
        | "sa"
        | "role"
        | "rolebinding"
        | "clusterrole"
        | "clusterrolebinding"
        | "ingress"
        | "quota"
        | "priorityclass"
        | "poddisruptionbudget"
        | "pdb", name, ..]
            if !name.starts_with('-') =>
        {
            let kind = match w[2] {
                "secret" => "Secret",
                "configmap" | "cm" => "ConfigMap",
                "deployment" | "deploy" => "Deployment",
                "service" | "svc" => "Service",
                "job" => "Job",
                "cronjob" => "CronJob",
                "serviceaccount" | "sa" => "ServiceAccount",
                "role" => "Role",
                "rolebinding" => "RoleBinding",
                "clusterrole" => "ClusterRole",
                "clusterrolebinding" => "ClusterRoleBinding",
                "ingress" => "Ingress",
                "quota" => "ResourceQuota",
                "priorityclass" => "PriorityClass",
                _ => "PodDisruptionBudget",
            };
            // `kubectl create service clusterip NAME`
            let name = if kind == "Service" {
                w.get(4).copied().unwrap_or(name)
            } else {
                name
            };
            StepKind::CreateObject {
                object: kind.into(),
                name: name.to_string(),
                namespace: flags.one(&["-n", "--namespace"]).map(String::from),
            }
        }
        ["kubectl", verb @ ("expose" | "autoscale"), what, rest @ ..] => {
            // `expose deployment/web` or `expose deployment web`: the new object takes its name
            // unless `--name` says otherwise
            let n = match what.split_once('/') {
                Some((_, n)) => n,
                None => rest
                    .iter()
                    .find(|a| !a.starts_with('-'))
                    .copied()
                    .unwrap_or(""),
            };
            let kind = if *verb == "expose" {
                "Service"
            } else {
                "HorizontalPodAutoscaler"
            };
            StepKind::CreateObject {
                object: kind.into(),
                name: flags.one(&["--name"]).unwrap_or(n).to_string(),
                namespace: flags.one(&["-n", "--namespace"]).map(String::from),
            }
        }
        ["kubectl", "delete", rest @ ..] => {
            let files: Vec<String> = flags
                .all(&["-f", "--filename"])
                .iter()
                .map(|f| f.to_string())
                .collect();
            let positional: Vec<&str> = rest
                .iter()
                .copied()
                .filter(|a| !a.starts_with('-'))
                .filter(|a| !files.iter().any(|f| f == a))
                .filter(|a| Some(*a) != flags.one(&["-n", "--namespace"]))
                .collect();
            let (kind, names) = match positional.split_first() {
                Some((k, names)) if !k.contains('/') => (
                    Some(k.to_string()),
                    names.iter().map(|n| n.to_string()).collect(),
                ),
                _ => (None, positional.iter().map(|n| n.to_string()).collect()),
            };
            StepKind::Delete {
                object: kind,
                names,
                files,
                namespace: flags.one(&["-n", "--namespace"]).map(String::from),
            }
        }
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
        ["kubectl", "run", ..] => StepKind::RunPod {
            // the name is the first word that is no flag (`kubectl run -it --rm debug --image=…`)
            name: Flags(&w[2..])
                .positional_with(0, KUBECTL_RUN_VALUED)
                .ok_or("`kubectl run` without a pod name")?
                .to_string(),
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
                .copied()
                .or_else(|| flags.positional_with(1, CURL_VALUED))
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
        self.positional_with(n, VALUED)
    }

    /// The n-th positional word, where `valued` lists the flags that take the next word as value.
    fn positional_with(&self, n: usize, valued: &[&str]) -> Option<&'_ str> {
        let mut seen = 0;
        let mut i = 0;
        while i < self.0.len() {
            let w = self.0[i];
            if w.starts_with('-') && w.len() > 1 {
                if valued.contains(&w) {
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

/// Flags of `k3d cluster create` that take a value (k3d-io/k3d cmd/cluster/clusterCreate.go @
/// 46f3480d, v5.9.0; every other flag there is a bool).
pub const K3D_VALUED: &[&str] = &[
    "-a",
    "--agents",
    "--agents-memory",
    "--api-port",
    "-c",
    "--config",
    "-e",
    "--env",
    "--gpus",
    "--host-alias",
    "-i",
    "--image",
    "--k3s-arg",
    "--k3s-node-label",
    "--lb-config-override",
    "--network",
    "-p",
    "--port",
    "--registry-config",
    "--registry-create",
    "--registry-use",
    "--runtime-label",
    "--runtime-ulimit",
    "-s",
    "--servers",
    "--servers-memory",
    "--subnet",
    "--timeout",
    "--token",
    "-v",
    "--volume",
];

/// Every flag of `k3d cluster create` (the same file), and k3d's persistent flags (cmd/root.go).
pub const K3D_CLUSTER_CREATE_FLAGS: &[&str] = &[
    "agents",
    "agents-memory",
    "api-port",
    "config",
    "enforce-registry-port-match",
    "env",
    "gpus",
    "host-alias",
    "host-pid-mode",
    "image",
    "k3s-arg",
    "k3s-node-label",
    "kubeconfig-switch-context",
    "kubeconfig-update-default",
    "lb-config-override",
    "network",
    "no-image-volume",
    "no-lb",
    "no-rollback",
    "port",
    "registry-config",
    "registry-create",
    "registry-use",
    "runtime-label",
    "runtime-ulimit",
    "servers",
    "servers-memory",
    "subnet",
    "timeout",
    "token",
    "volume",
    "wait",
    "verbose",
    "trace",
    "timestamps",
    "help",
];

/// curl options that take a value (the ones tutorials use; others are rare before the URL).
const CURL_VALUED: &[&str] = &[
    "-H",
    "--header",
    "-d",
    "--data",
    "-o",
    "--output",
    "-X",
    "--request",
    "-u",
    "--user",
    "--cacert",
    "--cert",
    "-E",
    "--key",
    "-w",
    "--write-out",
    "--resolve",
    "-m",
    "--max-time",
    "--connect-timeout",
    "-A",
    "--user-agent",
    "-x",
    "--proxy",
    "-T",
    "--upload-file",
    "-F",
    "--form",
    "-b",
    "--cookie",
    "-c",
    "--cookie-jar",
    "-e",
    "--referer",
    "--retry",
];

/// `kubectl run` flags that take the next word as value (kubectl's `run` command).
const KUBECTL_RUN_VALUED: &[&str] = &[
    "-n",
    "--namespace",
    "--image",
    "-l",
    "--labels",
    "--env",
    "--port",
    "--overrides",
    "--restart",
    "--serviceaccount",
    "--image-pull-policy",
    "--annotations",
    "--context",
    "--kubeconfig",
    "--pod-running-timeout",
    "--requests",
    "--limits",
    "-o",
    "--output",
];

/// Flags of the lessons' commands that take a value as the next word.
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
        assert!(
            parse_block("NAME   READY   STATUS\n", 1, 0).0.is_empty(),
            "output yields no step"
        );
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
