//! Image references as docker and the kubelet read them: `myapp`, `myapp:latest` and
//! `docker.io/library/myapp:latest` are one image.

/// The fully qualified form of an image reference: registry, path, and a tag (`:latest` when the
/// reference has neither tag nor digest). Docker's rule (distribution/reference `ParseNormalizedNamed`):
/// the first path component is a registry only when it contains `.` or `:` or is `localhost`; an
/// image on Docker Hub without a path lives under `library/`.
pub fn normalize(image: &str) -> String {
    let image = image.trim();
    let (name, suffix) = match image.split_once('@') {
        Some((n, d)) => (n.to_string(), format!("@{d}")),
        None => match image.rsplit_once(':') {
            Some((n, t)) if !t.contains('/') => (n.to_string(), format!(":{t}")),
            _ => (image.to_string(), ":latest".to_string()),
        },
    };
    let (registry, path) = match name.split_once('/') {
        Some((first, rest))
            if first.contains('.') || first.contains(':') || first == "localhost" =>
        {
            (first.to_string(), rest.to_string())
        }
        _ => ("docker.io".to_string(), name.clone()),
    };
    let registry = if registry == "index.docker.io" {
        "docker.io".to_string()
    } else {
        registry
    };
    let path = if registry == "docker.io" && !path.contains('/') {
        format!("library/{path}")
    } else {
        path
    };
    format!("{registry}/{path}{suffix}")
}

/// Whether two references name the same image.
pub fn same(a: &str, b: &str) -> bool {
    normalize(a) == normalize(b)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn short_tagged_and_qualified_forms_are_one_image() {
        for r in [
            "myapp",
            "myapp:latest",
            "docker.io/library/myapp:latest",
            "docker.io/myapp",
            "index.docker.io/library/myapp",
        ] {
            assert_eq!(normalize(r), "docker.io/library/myapp:latest", "{r}");
        }
    }

    #[test]
    fn tags_registries_ports_and_digests_are_kept_apart() {
        assert!(!same("myapp:v1", "myapp:latest"));
        assert!(!same("registry.local:5000/myapp", "myapp"));
        assert_eq!(
            normalize("localhost:5000/team/myapp:2"),
            "localhost:5000/team/myapp:2"
        );
        assert_eq!(normalize("team/myapp"), "docker.io/team/myapp:latest");
        assert_eq!(
            normalize("myapp@sha256:ab"),
            "docker.io/library/myapp@sha256:ab"
        );
    }
}
