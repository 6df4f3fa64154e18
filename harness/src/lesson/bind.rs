//! Which file each block becomes: from the prose before it ("create a new file named service.yaml",
//! "here is our Dockerfile", "hpa.yaml:"), else from its content and the commands that use the file
//! (`kind: Ingress` + `kubectl apply -f ingress.yaml`).

use super::artifact::{Artifact, Body, Origin};
use super::block::Block;
use super::classify::Content;
use super::dockerfile::{server_of, Dockerfile, Server};
use super::steps::{Step, StepKind};

/// `# whoami.yaml` (or `// app.py`) as a block's first non-empty line: the file it is.
fn comment_name(text: &str) -> Option<String> {
    let first = text.lines().find(|l| !l.trim().is_empty())?.trim();
    let name = first
        .strip_prefix('#')
        .or_else(|| first.strip_prefix("//"))?
        .trim();
    let file = !name.contains(' ')
        && (name == "Dockerfile"
            || [".yaml", ".yml", ".py", ".txt", ".toml", ".json"]
                .iter()
                .any(|e| name.ends_with(e) && name.len() > e.len()));
    file.then(|| name.trim_start_matches("./").to_string())
}

/// Bind every file-like block to a file name.
pub fn bind(blocks: &[Block], contents: &[Content], steps: &[Step]) -> Vec<Artifact> {
    let applied: Vec<&str> = steps
        .iter()
        .flat_map(|s| match &s.kind {
            StepKind::Apply { files, .. } => files.iter().map(String::as_str).collect(),
            _ => Vec::new(),
        })
        .collect();
    // The Dockerfile tells which script and requirements file the app blocks are.
    let docker = blocks
        .iter()
        .zip(contents)
        .filter(|(_, c)| **c == Content::Dockerfile)
        .filter_map(|(b, _)| Dockerfile::parse(&b.text).ok())
        .next_back();
    let script =
        docker
            .as_ref()
            .and_then(|d| d.cmd())
            .and_then(|(_, argv)| match server_of(&argv)? {
                Server::Python { script } => Some(script),
                Server::Gunicorn { module, .. } => Some(format!("{module}.py")),
                Server::Other { .. } => None,
            });

    let mut files: Vec<Artifact> = Vec::new();
    for (block, content) in blocks.iter().zip(contents) {
        // a first line `# whoami.yaml` names the file, whatever the prose says
        let names = match comment_name(&block.text) {
            Some(n) => vec![n],
            None => file_names(&block.prose_before),
        };
        let pick = |pred: &dyn Fn(&str) -> bool| names.iter().rev().find(|n| pred(n)).cloned();
        let bound = match content {
            Content::Dockerfile => pick(&|n| n == "Dockerfile")
                .map(|n| (n, "the prose before it names the file".to_string()))
                .or(Some((
                    "Dockerfile".into(),
                    "its content starts with FROM".into(),
                ))),
            Content::Python => pick(&|n| n.ends_with(".py"))
                .map(|n| (n, "the prose before it names the file".to_string()))
                .or_else(|| {
                    script
                        .clone()
                        .map(|s| (s, "the Dockerfile's CMD runs it".into()))
                }),
            Content::Requirements => pick(&|n| n.ends_with(".txt") && n.contains("requirements"))
                .map(|n| (n, "the prose before it names the file".to_string()))
                .or(Some((
                    "requirements.txt".into(),
                    "it holds pinned pip requirements".into(),
                ))),
            Content::Manifest { kind } => {
                let k = kind.to_ascii_lowercase();
                let short = short_name(&k);
                let about_kind = |n: &str| n.contains(&k) || n.starts_with(short);
                let yaml = |n: &str| n.ends_with(".yaml") || n.ends_with(".yml");
                let unbound = |n: &str| !files.iter().any(|a| a.name == n);
                let named: Vec<&String> = names.iter().filter(|n| yaml(n)).collect();
                let prose = "the prose before it names the file".to_string();
                if named.len() == 1 {
                    Some((named[0].clone(), prose))
                } else if let Some(n) = named.iter().find(|n| about_kind(n)) {
                    Some(((*n).clone(), prose))
                } else if let Some(n) = named.iter().rev().find(|n| unbound(n)) {
                    Some(((*n).clone(), prose))
                } else if let Some(f) = applied.iter().find(|f| about_kind(f) && unbound(f)) {
                    Some((
                        f.to_string(),
                        format!("it is a {kind} and the lesson applies `{f}`"),
                    ))
                } else {
                    // two unnamed blocks of one kind are two files, not one shown twice
                    let name = if unbound(&format!("{k}.yaml")) {
                        format!("{k}.yaml")
                    } else {
                        format!("{k}-L{}.yaml", block.open_line + 1)
                    };
                    Some((name, format!("it is a {kind} (no file name in the text)")))
                }
            }
            // a file with no content yadoc recognises (`.dockerignore`) is bound only by name
            Content::Other => pick(&|n| DOTFILES.contains(&n))
                .or_else(|| {
                    // a block in a file's language (```html) after prose naming such a file:
                    // `templates/index.html` (a path named with its directory wins)
                    let lang = block.lang();
                    let ext = format!(".{lang}");
                    (!lang.is_empty() && OTHER_EXTS.contains(&ext.as_str()))
                        .then(|| pick(&|n| n.ends_with(&ext)))
                        .flatten()
                        .map(|n| {
                            names
                                .iter()
                                .find(|m| m.ends_with(&format!("/{n}")))
                                .cloned()
                                .unwrap_or(n)
                        })
                })
                .map(|n| (n, "the prose before it names the file".to_string())),
            _ => None,
        };
        if let Some((name, why)) = bound {
            // a later FROM-only excerpt does not replace a whole Dockerfile shown before it
            if name == "Dockerfile" {
                let has_cmd = |t: &str| {
                    Dockerfile::parse(t)
                        .map(|d| d.cmd().is_some() || d.last("ENTRYPOINT").is_some())
                        .unwrap_or(false)
                };
                if files.iter().any(|a| a.name == name && has_cmd(a.text()))
                    && !has_cmd(&block.text)
                {
                    continue;
                }
            }
            files.retain(|a| a.name != name);
            files.push(Artifact {
                name,
                body: Body::Text(block.text.clone()),
                origin: Origin::Read {
                    block: block.index,
                    first_line: block.open_line + 1,
                    bound_by: why,
                },
            });
        }
    }
    // files the lesson's commands write (`cat > .dockerignore <<EOF`), after the blocks: a reader
    // who runs the command has that file
    for s in steps {
        if let StepKind::WriteFile {
            file,
            text,
            first_line,
        } = &s.kind
        {
            let name = file.trim_start_matches("./").to_string();
            files.retain(|a| a.name != name);
            files.push(Artifact {
                name,
                body: Body::Text(text.clone()),
                origin: Origin::Read {
                    block: s.block.unwrap_or(0),
                    first_line: *first_line,
                    bound_by: format!("`{}` at line {} writes it", s.literal, s.line),
                },
            });
        }
    }
    files
}

/// Files without an extension yadoc recognises that a lesson may name and show (they change what
/// docker build sends or what the app reads).
pub const DOTFILES: &[&str] = &[".dockerignore", ".env", ".flaskenv", ".gitignore"];

/// Extensions of files a lesson may show in a block of that language (```html → .html).
const OTHER_EXTS: &[&str] = &[
    ".html",
    ".css",
    ".js",
    ".json",
    ".toml",
    ".properties",
    ".sh",
    ".conf",
    ".ini",
    ".xml",
];

/// The kubectl short name of a kind (`hpa` for horizontalpodautoscaler).
fn short_name(kind: &str) -> &str {
    match kind {
        "horizontalpodautoscaler" => "hpa",
        "deployment" => "deploy",
        "service" => "svc",
        "ingress" => "ing",
        "namespace" => "ns",
        "configmap" => "cm",
        other => other,
    }
}

/// File names mentioned in prose: `app.py`, `deployment.yaml`, `requirements.txt`, `Dockerfile`.
pub fn file_names(prose: &str) -> Vec<String> {
    prose
        .split(|c: char| c.is_whitespace() || ",;:()'\"`".contains(c))
        .map(|w| w.trim_end_matches(['.', '!', '?']))
        .filter(|w| {
            *w == "Dockerfile"
                || DOTFILES.contains(w)
                || [".py", ".yaml", ".yml", ".txt"]
                    .iter()
                    .chain(OTHER_EXTS)
                    .any(|ext| {
                        w.len() > ext.len()
                            && w.ends_with(ext)
                            && w.chars()
                                .all(|c| c.is_ascii_alphanumeric() || "-_./".contains(c))
                    })
        })
        .map(String::from)
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn unpinned_requirements_are_requirements_when_the_prose_names_the_file() {
        assert!(super::super::classify::unpinned_requirements(
            "flask\nredis[hiredis]\n"
        ));
        assert!(!super::super::classify::unpinned_requirements(
            "NAME READY\n"
        ));
        assert!(!super::super::classify::unpinned_requirements(
            "kubectl get pods\n"
        ));
        let blocks = crate::lesson::markdown::parse(&crate::source::SourceText::new(
            "Create requirements.txt:\n\n```\nflask\nredis\n```\n".into(),
        ))
        .blocks;
        let contents: Vec<_> = blocks
            .iter()
            .map(super::super::classify::classify)
            .collect();
        let files = bind(&blocks, &contents, &[]);
        assert_eq!(files[0].name, "requirements.txt");
    }

    #[test]
    fn finds_file_names_in_prose() {
        assert_eq!(
            file_names("Next, create a new file named Dockerfile with the following contents:"),
            vec!["Dockerfile"]
        );
        assert_eq!(
            file_names(
                "There are no big changes to the service.yaml and ingress.yaml files, besides"
            ),
            vec!["service.yaml", "ingress.yaml"]
        );
        assert_eq!(file_names("hpa.yaml:"), vec!["hpa.yaml"]);
        assert_eq!(
            file_names("Add a .dockerignore file next to it:"),
            vec![".dockerignore"]
        );
    }
}
