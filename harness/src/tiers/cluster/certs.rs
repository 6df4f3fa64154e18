//! Lesson 3's certificates and API call: the fields of the kubeconfig extracted as the lesson does (yq +
//! base64 when mikefarah yq v4 is installed, else read by yadoc), and curl with them on --api-port.

use std::path::Path;

use super::exec::{fail, ClusterRun, Executed, Failure};
use crate::lesson::kubeconfig_path::KubeconfigPath;
use crate::lesson::steps::Step;

impl ClusterRun<'_> {
    /// `(yq e EXPR ~/.kube/config | base64 --decode) > OUT`, from the run's kubeconfig. yq runs as
    /// its own command, so that its failure is seen: under `sh -c` (dash, no pipefail) a yq error or a
    /// missing path (`null`) still exits 0 and leaves 3 bytes of garbage for curl to fail on. `-e`
    /// makes a null result an error; the file goes to yq on stdin (a snap-confined yq cannot open
    /// files under /tmp). Where yq is absent or fails, yadoc reads the same path itself, and says so.
    /// Every failure is located at the lesson's extraction line.
    pub(super) fn extract(
        &mut self,
        step: &Step,
        expression: &str,
        kubeconfig: &str,
        out: &str,
    ) -> Result<(), Failure> {
        let kc = self.iso.kubeconfig.clone();
        let kc_shown = kc.display().to_string();
        // an entry picked by name names the lesson's cluster: in the run it has the run's name
        let mut expression = expression.to_string();
        let mut renamed = None;
        if let (Some(path), Some(lesson_cluster)) =
            (KubeconfigPath::parse(&expression), self.current.clone())
        {
            let run_cluster = self.iso.cluster(&lesson_cluster);
            let p = path.renamed(
                &format!("k3d-{lesson_cluster}"),
                &format!("k3d-{run_cluster}"),
            );
            if p != path {
                renamed = Some(format!(
                    "k3d-{lesson_cluster} → k3d-{run_cluster} (the run's cluster)"
                ));
                expression = p.expression();
            }
        }
        let expression = expression.as_str();
        let mut decoded = None;
        if let Some(yq) = self.tools.yq.clone() {
            self.executed.push(Executed {
                line: step.line,
                literal: step.literal.clone(),
                program: "yq".into(),
                argv: vec!["e".into(), "-e".into(), expression.into(), "-".into()],
                rewrites: vec![
                    format!("{kubeconfig} → {kc_shown} on stdin (the run's kubeconfig)"),
                    "| base64 --decode > FILE: decoded and written by yadoc, so a failure is seen"
                        .into(),
                ],
                kubeconfig: None,
            });
            if self.dry_run {
                return Ok(());
            }
            {
                let ran = self
                    .tools
                    .cmd(&yq)
                    .args(["e", "-e", expression, "-"])
                    .stdin_file(&kc)
                    .deadline(self.deadlines.command)
                    .run();
                match ran {
                    Ok(o) => match decode_field(&o.stdout, expression) {
                        Ok(bytes) => decoded = Some(bytes),
                        Err(e) => self.notes.push(format!(
                            "{}:{} yq printed no usable value ({e}); yadoc reads the kubeconfig itself",
                            self.lesson.file_name(),
                            step.line
                        )),
                    },
                    Err(e) => self.notes.push(format!(
                        "{}:{} yq failed ({}); yadoc reads the kubeconfig itself",
                        self.lesson.file_name(),
                        step.line,
                        crate::process::tail(&e.output(), 1)
                    )),
                }
            }
        }
        if decoded.is_none() {
            self.executed.push(Executed {
                line: step.line,
                literal: step.literal.clone(),
                program: "builtin-extract".into(),
                argv: vec![expression.into(), kc_shown.clone(), out.into()],
                rewrites: std::iter::once(
                    "the same path read and base64-decoded by yadoc (yq, mikefarah v4, absent or failed)".to_string(),
                )
                .chain(renamed.clone())
                .collect(),
                kubeconfig: None,
            });
            if self.dry_run {
                return Ok(());
            }
            decoded = Some(extract_field(&kc, expression).map_err(|e| {
                fail(
                    step.line,
                    format!("{expression} in the kubeconfig, base64-encoded PEM"),
                    e,
                    "check the yq path against the kubeconfig (`kubectl config view --raw`)",
                )
            })?);
        }
        if self.dry_run {
            return Ok(());
        }
        let bytes = decoded.unwrap_or_default();
        std::fs::write(self.iso.lesson_dir().join(out), bytes).map_err(|e| {
            fail(
                step.line,
                format!("{out} written"),
                e.to_string(),
                "free disk space",
            )
        })?;
        Ok(())
    }

    /// The lesson's curl to the API server, on the mapped --api-port, with its certificate files.
    /// Without curl the cluster tier does not run at all (a prerequisite, `tools.rs`): the API call
    /// and the volume comparison that rests on its output are never skipped in silence.
    pub(super) async fn curl(
        &mut self,
        step: &Step,
        url: &str,
        cacert: &Option<String>,
        cert: &Option<String>,
        key: &Option<String>,
    ) -> Result<(), Failure> {
        self.cluster_in_use(step, None)?;
        let (host, free, note) = self.iso.api_url(url);
        let (_, _, port) = crate::checks::access::split_url(url).unwrap_or_default();
        let mut argv: Vec<String> = Vec::new();
        for (flag, v) in [("--cacert", cacert), ("--cert", cert), ("--key", key)] {
            if let Some(v) = v {
                argv.extend([flag.to_string(), v.clone()]);
            }
        }
        argv.extend([
            "--connect-to".into(),
            format!("{host}:{port}:127.0.0.1:{free}"),
            "-sS".into(),
            "--fail".into(),
            url.to_string(),
        ]);
        let rewrites = note.into_iter().collect();
        self.cli(step, "curl", argv, rewrites)?;
        Ok(())
    }
}

/// A kubeconfig field as yq printed it: one base64 string, decoded to PEM.
pub fn decode_field(printed: &str, expression: &str) -> Result<Vec<u8>, String> {
    use base64::Engine;
    let s = printed.trim();
    if s.is_empty() || s == "null" {
        return Err(format!("{expression} is empty or null"));
    }
    let bytes = base64::engine::general_purpose::STANDARD
        .decode(s)
        .map_err(|e| format!("{expression} is not base64: {e}"))?;
    pem_or_err(bytes, expression)
}

/// What the lesson extracts is a certificate or a key: PEM, never empty.
fn pem_or_err(bytes: Vec<u8>, expression: &str) -> Result<Vec<u8>, String> {
    if bytes.windows(11).any(|w| w == b"-----BEGIN ") {
        Ok(bytes)
    } else {
        Err(format!(
            "{expression} decodes to {} bytes that are not PEM (no -----BEGIN line)",
            bytes.len()
        ))
    }
}

/// A kubeconfig field (`.clusters[0].cluster."certificate-authority-data"`, or an entry selected by
/// name), base64-decoded: what `yq e EXPR | base64 --decode` gives.
pub fn extract_field(kubeconfig: &Path, expression: &str) -> Result<Vec<u8>, String> {
    use base64::Engine;
    let path = KubeconfigPath::parse(expression)
        .ok_or_else(|| format!("{expression}: yadoc reads `.LIST[N].FIELD` and `.LIST[] | select(.name == \"X\") | .FIELD` paths"))?;
    let text = std::fs::read_to_string(kubeconfig)
        .map_err(|e| format!("{}: {e}", kubeconfig.display()))?;
    let s = path
        .read(&text)
        .map_err(|e| format!("{expression} in {}: {e}", kubeconfig.display()))?;
    let bytes = base64::engine::general_purpose::STANDARD
        .decode(s.trim())
        .map_err(|e| format!("{expression} is not base64: {e}"))?;
    pem_or_err(bytes, expression)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn extracts_and_decodes_a_kubeconfig_field_like_yq() {
        let dir = tempfile::tempdir().unwrap();
        let p = dir.path().join("kc");
        std::fs::write(
            &p,
            // base64 of "-----BEGIN CERTIFICATE-----\nCA\n"
            "clusters:\n- cluster:\n    certificate-authority-data: LS0tLS1CRUdJTiBDRVJUSUZJQ0FURS0tLS0tCkNBCg==\n  name: a\n- cluster:\n    certificate-authority-data: aGVsbG8=\n  name: b\n",
        )
        .unwrap();
        assert_eq!(
            extract_field(&p, r#".clusters[0].cluster."certificate-authority-data""#).unwrap(),
            b"-----BEGIN CERTIFICATE-----\nCA\n"
        );
        assert!(extract_field(&p, ".users[0].user.x").is_err());
        let not_pem = extract_field(&p, r#".clusters[1].cluster."certificate-authority-data""#);
        assert!(not_pem.unwrap_err().contains("not PEM"));
    }

    #[test]
    fn a_null_or_empty_yq_result_is_an_error_not_three_bytes_of_garbage() {
        assert!(decode_field("null\n", ".x")
            .unwrap_err()
            .contains("empty or null"));
        assert!(decode_field("", ".x").is_err());
        assert!(decode_field("not base64!", ".x")
            .unwrap_err()
            .contains("not base64"));
        assert_eq!(
            decode_field("LS0tLS1CRUdJTiBDRVJUSUZJQ0FURS0tLS0tCkNBCg==\n", ".x").unwrap(),
            b"-----BEGIN CERTIFICATE-----\nCA\n"
        );
    }
}
