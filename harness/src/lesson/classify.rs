//! What a block's content is, whatever its info string says.

use super::block::Block;

/// The kind of content a block holds, judged from the content itself.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Content {
    Dockerfile,
    Python,
    Requirements,
    /// A Kubernetes object (`apiVersion` + `kind`), with its kind.
    Manifest {
        kind: String,
    },
    /// A kubeconfig shown as an example (`kind: Config`).
    Kubeconfig,
    /// YAML that is not a whole object: an excerpt of one.
    YamlFragment,
    /// Shell commands (at least one line starts with a command the lessons use).
    Shell,
    /// Anything else: example output, a file name, a diagram.
    Other,
}

impl Content {
    /// The info strings that render this content correctly.
    pub fn expected_langs(&self) -> &'static [&'static str] {
        match self {
            Content::Dockerfile => &["dockerfile", "docker"],
            Content::Python => &["python", "py", "python3"],
            Content::Manifest { .. } => &["yaml", "yml", "json"],
            Content::Kubeconfig | Content::YamlFragment => &["yaml", "yml"],
            Content::Shell => &["bash", "sh", "shell", "console", "zsh", ""],
            // a plain-text file: no code language's highlighting fits it (`makefile` colours
            // `Flask==2.1.0` as a rule, `bash` as an assignment); GitHub Linguist calls it
            // "Pip Requirements"
            Content::Requirements => &[
                "text",
                "txt",
                "plaintext",
                "pip-requirements",
                "requirements",
            ],
            Content::Other => &[],
        }
    }

    pub fn describe(&self) -> String {
        match self {
            Content::Dockerfile => "a Dockerfile".into(),
            Content::Python => "Python code".into(),
            Content::Requirements => "a pip requirements file".into(),
            Content::Manifest { kind } => format!("a Kubernetes {kind} manifest"),
            Content::Kubeconfig => "a kubeconfig".into(),
            Content::YamlFragment => "a YAML excerpt".into(),
            Content::Shell => "shell commands".into(),
            Content::Other => "example output or text".into(),
        }
    }
}

/// Programs (and shell words) whose lines make a block a shell block: the lessons' own, the
/// tools Kubernetes and docker tutorials use, and the shell's keywords and builtins.
pub const COMMANDS: &[&str] = &[
    "k3d",
    "docker",
    "kubectl",
    "kubebuilder",
    "operator-sdk",
    "curl",
    "yq",
    "cat",
    "base64",
    "grep",
    "echo",
    "pip",
    "pip3",
    "python",
    "python3",
    "sudo",
    "export",
    "cd",
    "mkdir",
    "wget",
    "kind",
    "minikube",
    "helm",
    "podman",
    "git",
    "go",
    "make",
    "jq",
    "sed",
    "awk",
    "az",
    "gcloud",
    "aws",
    "brew",
    "choco",
    "apt",
    "apt-get",
    "yum",
    "dnf",
    "snap",
    "chmod",
    "chown",
    "mv",
    "cp",
    "rm",
    "ls",
    "touch",
    "tee",
    "printf",
    "source",
    "set",
    "unset",
    "sleep",
    "watch",
    "ssh",
    "scp",
    "openssl",
    "systemctl",
    "npm",
    "hey",
    "for",
    "if",
    "while",
    "until",
    "kill",
    "env",
    "unzip",
    "tar",
    "install",
    "ln",
    "which",
    "crictl",
    "nerdctl",
    "ctr",
    "k3s",
    "flask",
    "gunicorn",
    "exit",
    "kustomize",
    "htpasswd",
    "nslookup",
    "ping",
    "dig",
    "xargs",
    "head",
    "tail",
    "sort",
    "wc",
    "cut",
    "tr",
    "diff",
    "read",
    "eval",
    "exec",
    "alias",
    "time",
    "nohup",
    "bash",
    "sh",
    "zsh",
    "docker-compose",
    "skaffold",
    "tilt",
    "stern",
    "kubens",
    "kubectx",
];

/// Classify a block by its content.
pub fn classify(block: &Block) -> Content {
    let lines: Vec<&str> = block
        .text
        .lines()
        .map(str::trim)
        .filter(|l| !l.is_empty())
        .collect();
    let code: Vec<&str> = lines
        .iter()
        .copied()
        .filter(|l| !l.starts_with('#'))
        .collect();
    let lang = block.lang();
    if code
        .first()
        .is_some_and(|l| upper_word(l) == "FROM" && !l.contains(" import "))
    {
        return Content::Dockerfile;
    }
    if !code.is_empty() && code.iter().all(|l| is_requirement(l)) {
        return Content::Requirements;
    }
    // unpinned (`flask`, `redis`): requirements when the prose before the block names the file
    if unpinned_requirements(&block.text) && block.prose_before.contains("requirements") {
        return Content::Requirements;
    }
    if code.iter().any(|l| {
        l.starts_with("import ")
            || (l.starts_with("from ") && l.contains(" import "))
            || l.starts_with("def ")
    }) {
        return Content::Python;
    }
    if code.iter().any(|l| is_command_line(l)) {
        return Content::Shell;
    }
    let looks_yaml =
        lang == "yaml" || lang == "yml" || code.iter().any(|l| l.starts_with("apiVersion:"));
    // flow style (`{apiVersion: v1, kind: Pod, …}`) and JSON manifests: the parser says what they are
    let flow = lang == "json" || block.text.trim_start().starts_with('{');
    if flow && block.text.contains("apiVersion") && block.text.contains("kind") {
        if let Ok(doc) = crate::yaml::YamlDoc::parse(&block.text) {
            let kind = doc.value["kind"].as_str().unwrap_or("").to_string();
            if doc.value["apiVersion"].is_string() && !kind.is_empty() {
                return Content::Manifest { kind };
            }
        }
    }
    if looks_yaml {
        let top = |key: &str| {
            block
                .text
                .lines()
                .find_map(|l| l.strip_prefix(key).map(|v| v.trim().to_string()))
        };
        return match (top("apiVersion:"), top("kind:")) {
            (Some(_), Some(kind)) if kind == "Config" => Content::Kubeconfig,
            (Some(_), Some(kind)) => Content::Manifest {
                kind: kind.split('#').next().unwrap_or("").trim().to_string(),
            },
            _ => Content::YamlFragment,
        };
    }
    Content::Other
}

fn upper_word(line: &str) -> String {
    line.split_whitespace()
        .next()
        .unwrap_or("")
        .to_ascii_uppercase()
}

/// Every line a bare package name (`flask`, `redis[hiredis]`), as an unpinned requirements file has.
pub fn unpinned_requirements(text: &str) -> bool {
    let lines: Vec<&str> = text
        .lines()
        .map(|l| l.split('#').next().unwrap_or("").trim())
        .filter(|l| !l.is_empty())
        .collect();
    !lines.is_empty()
        && lines.iter().all(|l| {
            let name = l.split('[').next().unwrap_or(l);
            !name.is_empty()
                && name
                    .chars()
                    .next()
                    .is_some_and(|c| c.is_ascii_alphanumeric())
                && name
                    .chars()
                    .all(|c| c.is_ascii_alphanumeric() || "._-".contains(c))
                && (l.len() == name.len() || l.ends_with(']'))
        })
}

/// `Flask==2.1.0`, `gunicorn>=20`, `requests`-with-a-version: a pip requirement line.
pub fn is_requirement(line: &str) -> bool {
    let line = line.split('#').next().unwrap_or("").trim();
    let Some(pos) = line.find(['=', '>', '<', '~', '!']) else {
        return false;
    };
    let (name, spec) = line.split_at(pos);
    let name = name.trim();
    !name.is_empty()
        && name
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || "-_.[]".contains(c))
        && ["==", ">=", "<=", "~=", "!=", ">", "<"]
            .iter()
            .any(|op| spec.starts_with(op))
        && !spec.contains(' ')
}

/// Info strings that name a language other than a POSIX shell, or output: such a block holds no
/// command yadoc replays (```powershell, ```php, ```output, ```text, ```json).
pub fn not_shell(lang: &str) -> bool {
    const OTHER: &[&str] = &[
        "powershell",
        "ps1",
        "pwsh",
        "cmd",
        "bat",
        "batch",
        "php",
        "js",
        "javascript",
        "ts",
        "typescript",
        "go",
        "golang",
        "java",
        "c",
        "cpp",
        "rust",
        "ruby",
        "rb",
        "html",
        "xml",
        "css",
        "json",
        "toml",
        "ini",
        "output",
        "text",
        "txt",
        "plaintext",
        "plain",
        "log",
        "python",
        "py",
        "python3",
        "yaml",
        "yml",
        "dockerfile",
        "docker",
        "sql",
        "diff",
        "properties",
        "hcl",
        "terraform",
        "csharp",
        "cs",
        "kotlin",
        "swift",
        "scala",
        "mermaid",
        "nginx",
        "apacheconf",
        "conf",
        "none",
        "markdown",
        "md",
    ];
    OTHER.contains(&lang)
}

/// A line that starts with one of the lessons' commands (possibly inside parentheses).
pub fn is_command_line(line: &str) -> bool {
    let first = line
        .trim_start_matches(['(', ' '])
        .split_whitespace()
        .next()
        .unwrap_or("");
    // `NAME=value …` (an assignment) and `./script.sh` run too
    let assignment = first.split_once('=').is_some_and(|(n, _)| {
        !n.is_empty()
            && n.chars().all(|c| c.is_ascii_alphanumeric() || c == '_')
            && !n.starts_with(|c: char| c.is_ascii_digit())
    });
    COMMANDS.contains(&first) || assignment || (first.starts_with("./") && first.len() > 2)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::lesson::block::FenceEnd;

    fn block(info: &str, text: &str) -> Block {
        Block {
            index: 0,
            info: info.into(),
            text: text.into(),
            open_line: 1,
            end: FenceEnd::Closed { line: 3 },
            prose_before: String::new(),
            prose_line: 1,
            form: Default::default(),
        }
    }

    #[test]
    fn content_decides_not_the_info_string() {
        assert_eq!(
            classify(&block("bash", "# c\nFROM python:3.9\n")),
            Content::Dockerfile
        );
        assert_eq!(
            classify(&block("bash", "Flask==2.1.0\ngunicorn==20.1.0\n")),
            Content::Requirements
        );
        assert_eq!(
            classify(&block("", "from flask import Flask\n")),
            Content::Python
        );
        assert_eq!(
            classify(&block("yaml", "apiVersion: v1\nkind: Service\n")),
            Content::Manifest {
                kind: "Service".into()
            }
        );
        assert_eq!(
            classify(&block("yaml", "apiVersion: v1\nkind: Config\n")),
            Content::Kubeconfig
        );
        assert_eq!(
            classify(&block("yaml", "namespace: hpa-test\n")),
            Content::YamlFragment
        );
        assert_eq!(
            classify(&block("bash", "kubectl get ing\n")),
            Content::Shell
        );
        assert_eq!(classify(&block("bash", "myapp:hpa-test\n")), Content::Other);
        assert_eq!(
            classify(&block(
                "yaml",
                "{apiVersion: v1, kind: Namespace, metadata: {name: web}}\n"
            )),
            Content::Manifest {
                kind: "Namespace".into()
            },
            "flow style"
        );
        assert_eq!(
            classify(&block(
                "json",
                "{\"apiVersion\": \"v1\", \"kind\": \"Service\", \"metadata\": {\"name\": \"s\"}}\n"
            )),
            Content::Manifest {
                kind: "Service".into()
            },
            "JSON"
        );
    }
}
