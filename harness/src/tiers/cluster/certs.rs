//! Lesson 3's certificates and API call: the fields of the kubeconfig extracted as the lesson does (yq +
//! base64 when mikefarah yq v4 is installed, else read by yadoc), and curl with them on --api-port.

use std::path::Path;

use super::exec::{fail, ClusterRun, Executed, Failure};
use crate::lesson::steps::Step;

impl ClusterRun<'_> {
    /// `(yq e EXPR ~/.kube/config | base64 --decode) > OUT`: with yq when installed, else built in.
    pub(super) fn extract(
        &mut self,
        step: &Step,
        expression: &str,
        kubeconfig: &str,
        out: &str,
    ) -> Result<(), Failure> {
        let kc = self.iso.kubeconfig.display().to_string();
        let rewrites = vec![format!("{kubeconfig} → {kc} (the run's kubeconfig)")];
        if let Some(yq) = self.tools.yq.clone() {
            let line = format!("({yq} e '{expression}' '{kc}' | base64 --decode) > '{out}'");
            self.cli(step, "sh", vec!["-c".into(), line], rewrites)?;
            return Ok(());
        }
        self.executed.push(Executed {
            line: step.line,
            literal: step.literal.clone(),
            program: "builtin-extract".into(),
            argv: vec![expression.into(), kc.clone(), out.into()],
            rewrites: vec![
                "yq (mikefarah v4) not installed: the same path read and base64-decoded by yadoc"
                    .into(),
            ],
        });
        if self.dry_run {
            return Ok(());
        }
        let bytes = extract_field(Path::new(&kc), expression).map_err(|e| {
            fail(
                step.line,
                format!("{expression} in the kubeconfig"),
                e,
                "check the yq path against the kubeconfig",
            )
        })?;
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
        if self.tools.curl.is_some() {
            self.cli(step, "curl", argv, rewrites)?;
            return Ok(());
        }
        self.notes.push(format!("{}:{} curl not installed: the same request made with reqwest and the same certificates", self.lesson.file_name(), step.line));
        self.executed.push(Executed {
            line: step.line,
            literal: step.literal.clone(),
            program: "builtin-curl".into(),
            argv,
            rewrites,
        });
        Ok(())
    }
}

/// `.clusters[0].cluster."certificate-authority-data"` of a kubeconfig, base64-decoded.
pub fn extract_field(kubeconfig: &Path, expression: &str) -> Result<Vec<u8>, String> {
    use base64::Engine;
    let text = std::fs::read_to_string(kubeconfig)
        .map_err(|e| format!("{}: {e}", kubeconfig.display()))?;
    let doc = crate::yaml::YamlDoc::parse(&text)
        .map_err(|e| format!("line {}: {}", e.line, e.message))?;
    let mut v = &doc.value;
    for part in expression.trim_start_matches('.').split('.') {
        let part = part.trim_matches('"');
        let (key, index) = match part.split_once('[') {
            Some((k, i)) => (k, i.trim_end_matches(']').parse::<usize>().ok()),
            None => (part, None),
        };
        if !key.is_empty() {
            v = &v[key];
        }
        if let Some(i) = index {
            v = &v[i];
        }
    }
    let s = v
        .as_str()
        .ok_or_else(|| format!("{expression} is not a string in {}", kubeconfig.display()))?;
    base64::engine::general_purpose::STANDARD
        .decode(s.trim())
        .map_err(|e| format!("{expression} is not base64: {e}"))
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
            "clusters:\n- cluster:\n    certificate-authority-data: aGVsbG8=\n",
        )
        .unwrap();
        assert_eq!(
            extract_field(&p, r#".clusters[0].cluster."certificate-authority-data""#).unwrap(),
            b"hello"
        );
        assert!(extract_field(&p, ".users[0].user.x").is_err());
    }
}
