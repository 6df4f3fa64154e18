//! The nightly's own steps, run here from the project as it is: `ci/nightly/*.sh` against assets in
//! their upstream formats, with `curl`, `sudo`, `docker` and `systemctl` replaced by shims on PATH
//! (no network, no root). The formats are the ones the scripts cite:
//! - k3d's `checksums.txt`: `sha256sum _dist/*` (k3d Makefile gen-checksum, release.yaml publishes
//!   `_dist/*`), so lines `<sha256>  _dist/k3d-linux-amd64`;
//! - `kubectl.sha256`: the bare hash (kubernetes/website install-kubectl-linux.md);
//! - `docker info` DriverStatus `[["driver-type","io.containerd.snapshotter.v1"]]` for the containerd
//!   image store (moby daemon/containerd/service.go LayerStoreStatus).

use std::io::Write;
use std::os::unix::fs::PermissionsExt;
use std::path::{Path, PathBuf};
use std::process::{Command, Output};

use sha2::{Digest, Sha256};

fn root() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
}

/// Written by a child, never by this process: a file this process holds open for writing is
/// inherited by any child another test thread forks meanwhile, and exec of it fails with ETXTBSY
/// until that child has exec'd.
fn write_exe(path: &Path, text: &str) {
    let mut child = Command::new("sh")
        .args(["-c", r#"cat > "$0" && chmod 755 "$0""#])
        .arg(path)
        .stdin(std::process::Stdio::piped())
        .spawn()
        .unwrap();
    child
        .stdin
        .take()
        .unwrap()
        .write_all(text.as_bytes())
        .unwrap();
    let status = child.wait().unwrap();
    assert!(status.success(), "writing {}: {status}", path.display());
}

fn sha(bytes: &[u8]) -> String {
    format!("{:x}", Sha256::digest(bytes))
}

/// A release server on disk: `releases/<url path>`, served by the curl shim; the shim logs every URL.
struct Release {
    dir: tempfile::TempDir,
}

const K3D: &str = "v5.9.0";
const KUBECTL: &str = "v1.33.5";

impl Release {
    fn new() -> Self {
        let dir = tempfile::tempdir().unwrap();
        let shims = dir.path().join("shims");
        std::fs::create_dir_all(&shims).unwrap();
        std::fs::create_dir_all(dir.path().join("bin")).unwrap();
        // curl -fsSL --retry 3 -o FILE URL: the URL's host and path under releases/, else exit 22
        // as curl -f does on an HTTP error
        write_exe(
            &shims.join("curl"),
            r#"#!/usr/bin/env bash
out= url=
while [ $# -gt 0 ]; do
  case "$1" in
    -o) out=$2; shift 2 ;;
    --retry) shift 2 ;;
    -*) shift ;;
    *) url=$1; shift ;;
  esac
done
echo "$url" >> "$SHIM_LOG"
src="$RELEASES/${url#https://}"
[ -f "$src" ] || { echo "curl: (22) The requested URL returned error: 404" >&2; exit 22; }
cp "$src" "$out"
"#,
        );
        // sudo runs the command as this user, and says so in the log
        write_exe(
            &shims.join("sudo"),
            "#!/usr/bin/env bash\necho \"sudo $*\" >> \"$SHIM_LOG\"\nexec \"$@\"\n",
        );
        let r = Self { dir };
        let k3d = format!(
            "#!/bin/sh\necho 'k3d version {K3D}'\necho 'k3s version v1.32.5-k3s1 (default)'\n"
        );
        let kubectl = format!(
            "#!/bin/sh\necho 'Client Version: {KUBECTL}'\necho 'Kustomize Version: v5.6.0'\n"
        );
        r.publish_k3d(k3d.as_bytes(), None);
        r.publish_kubectl(kubectl.as_bytes(), None);
        r
    }

    fn path(&self, rel: &str) -> PathBuf {
        self.dir.path().join(rel)
    }

    /// k3d's release: the binary, and checksums.txt as `sha256sum _dist/*` writes it (every
    /// artifact of the release, sorted, two spaces). `claimed`: the hash the list gives the linux
    /// binary, if not its own (a tampered download).
    fn publish_k3d(&self, binary: &[u8], claimed: Option<&str>) {
        let d = self.path(&format!(
            "releases/github.com/k3d-io/k3d/releases/download/{K3D}"
        ));
        std::fs::create_dir_all(&d).unwrap();
        std::fs::write(d.join("k3d-linux-amd64"), binary).unwrap();
        let own = sha(binary);
        let mut lines = [
            format!("{}  _dist/k3d-darwin-amd64", sha(b"darwin")),
            format!("{}  _dist/k3d-linux-386", sha(b"386")),
            format!(
                "{}  _dist/k3d-linux-amd64",
                claimed.map(String::from).unwrap_or(own)
            ),
            format!("{}  _dist/k3d-linux-arm64", sha(b"arm64")),
            format!("{}  _dist/k3d-windows-amd64.exe", sha(b"windows")),
        ];
        lines.sort_by(|a, b| a[66..].cmp(&b[66..]));
        std::fs::write(d.join("checksums.txt"), lines.join("\n") + "\n").unwrap();
    }

    /// kubectl's release: the binary and kubectl.sha256, the bare hash with no newline.
    fn publish_kubectl(&self, binary: &[u8], claimed: Option<&str>) {
        let d = self.path(&format!(
            "releases/dl.k8s.io/release/{KUBECTL}/bin/linux/amd64"
        ));
        std::fs::create_dir_all(&d).unwrap();
        std::fs::write(d.join("kubectl"), binary).unwrap();
        let own = sha(binary);
        std::fs::write(d.join("kubectl.sha256"), claimed.unwrap_or(&own)).unwrap();
    }

    fn install(&self) -> Output {
        let path = format!(
            "{}:{}",
            self.path("shims").display(),
            std::env::var("PATH").unwrap()
        );
        Command::new("bash")
            .arg(root().join("ci/nightly/install-tools.sh"))
            .env("PATH", path)
            .env("K3D_VERSION", K3D)
            .env("KUBECTL_VERSION", KUBECTL)
            .env("BIN_DIR", self.path("bin"))
            .env("RELEASES", self.path("releases"))
            .env("SHIM_LOG", self.path("calls.log"))
            .env("TMPDIR", self.dir.path())
            .output()
            .unwrap()
    }

    fn installed(&self) -> Vec<String> {
        let mut v: Vec<String> = std::fs::read_dir(self.path("bin"))
            .unwrap()
            .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
            .collect();
        v.sort();
        v
    }

    fn log(&self) -> Vec<String> {
        std::fs::read_to_string(self.path("calls.log"))
            .unwrap_or_default()
            .lines()
            .map(String::from)
            .collect()
    }

    /// Nothing of the download is left in TMPDIR (the trap removes it on every exit).
    fn assert_no_download_left(&self) {
        let left: Vec<_> = std::fs::read_dir(self.dir.path())
            .unwrap()
            .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
            .filter(|n| n.starts_with("yadoc-install."))
            .collect();
        assert!(left.is_empty(), "download dir left: {left:?}");
    }
}

fn text(o: &Output) -> String {
    format!(
        "{}{}",
        String::from_utf8_lossy(&o.stdout),
        String::from_utf8_lossy(&o.stderr)
    )
}

#[test]
fn the_nightly_install_verifies_and_installs_genuine_k3d_and_kubectl_assets() {
    let r = Release::new();
    let out = r.install();
    assert!(out.status.success(), "{}", text(&out));
    assert_eq!(r.installed(), ["k3d", "kubectl"]);
    for exe in ["k3d", "kubectl"] {
        let mode = std::fs::metadata(r.path("bin").join(exe))
            .unwrap()
            .permissions()
            .mode();
        assert_eq!(mode & 0o777, 0o755, "{exe} installed 0755");
    }
    let log = r.log();
    assert_eq!(
        log.iter()
            .filter(|l| l.starts_with("https://"))
            .collect::<Vec<_>>(),
        [
            &format!("https://github.com/k3d-io/k3d/releases/download/{K3D}/k3d-linux-amd64"),
            &format!("https://github.com/k3d-io/k3d/releases/download/{K3D}/checksums.txt"),
            &format!("https://dl.k8s.io/release/{KUBECTL}/bin/linux/amd64/kubectl"),
            &format!("https://dl.k8s.io/release/{KUBECTL}/bin/linux/amd64/kubectl.sha256"),
        ],
        "the upstream URLs"
    );
    assert!(
        log.iter().any(|l| l.starts_with("sudo install -m 0755")),
        "{log:?}"
    );
    let t = text(&out);
    assert!(
        t.contains(&format!("k3d version {K3D}")) && t.contains("Client Version"),
        "the installed tools run: {t}"
    );
    r.assert_no_download_left();
}

#[test]
fn the_nightly_install_refuses_a_tampered_k3d_and_installs_nothing() {
    let r = Release::new();
    r.publish_k3d(b"#!/bin/sh\necho evil\n", Some(&sha(b"the genuine k3d")));
    let out = r.install();
    assert!(!out.status.success());
    let t = text(&out);
    assert!(
        t.contains("k3d-linux-amd64 of k3d v5.9.0 does not match its checksum"),
        "{t}"
    );
    assert!(
        r.installed().is_empty(),
        "nothing installed: {:?}",
        r.installed()
    );
    r.assert_no_download_left();
}

#[test]
fn the_nightly_install_refuses_a_tampered_kubectl_and_installs_nothing() {
    let r = Release::new();
    r.publish_kubectl(
        b"#!/bin/sh\necho evil\n",
        Some(&sha(b"the genuine kubectl")),
    );
    let out = r.install();
    assert!(!out.status.success());
    assert!(
        text(&out).contains("kubectl v1.33.5 does not match its checksum"),
        "{}",
        text(&out)
    );
    assert!(r.installed().is_empty(), "{:?}", r.installed());
    r.assert_no_download_left();
}

#[test]
fn the_nightly_install_refuses_a_checksum_list_without_the_linux_artifact() {
    let r = Release::new();
    let d = r.path(&format!(
        "releases/github.com/k3d-io/k3d/releases/download/{K3D}"
    ));
    // the line the old workflow's `grep ' k3d-linux-amd64$'` expected: not k3d's format
    let bare = std::fs::read_to_string(d.join("checksums.txt"))
        .unwrap()
        .replace("_dist/", "");
    std::fs::write(d.join("checksums.txt"), bare).unwrap();
    let out = r.install();
    assert!(!out.status.success());
    assert!(
        text(&out).contains("has no line for _dist/k3d-linux-amd64"),
        "{}",
        text(&out)
    );
    assert!(r.installed().is_empty());
}

#[test]
fn the_nightly_install_fails_on_a_missing_release_and_says_which_url() {
    let r = Release::new();
    std::fs::remove_file(r.path(&format!(
        "releases/dl.k8s.io/release/{KUBECTL}/bin/linux/amd64/kubectl.sha256"
    )))
    .unwrap();
    let out = r.install();
    assert!(!out.status.success());
    assert!(
        text(&out).contains(&format!(
            "cannot download https://dl.k8s.io/release/{KUBECTL}/bin/linux/amd64/kubectl.sha256"
        )),
        "{}",
        text(&out)
    );
    assert!(r.installed().is_empty());
    r.assert_no_download_left();
}

/// A docker whose image store is the containerd one until `systemctl restart docker` has read a
/// daemon.json that turns the snapshotter off (what dockerd does at start).
fn docker_shims(dir: &Path) {
    let shims = dir.join("shims");
    std::fs::create_dir_all(&shims).unwrap();
    write_exe(
        &shims.join("docker"),
        r#"#!/usr/bin/env bash
echo "docker $*" >> "$SHIM_LOG"
if [ "$1 $2" = "info --format" ]; then
  cat "$SHIM_STATE/driver-status"
fi
"#,
    );
    write_exe(
        &shims.join("systemctl"),
        r#"#!/usr/bin/env bash
echo "systemctl $*" >> "$SHIM_LOG"
if [ "$*" = "restart docker" ] && python3 -c 'import json,sys; sys.exit(0 if json.load(open(sys.argv[1]))["features"]["containerd-snapshotter"] is False else 1)' "$DOCKER_DAEMON_JSON"; then
  echo '[["Backing Filesystem","extfs"],["Supports d_type","true"],["Using metacopy","false"],["Native Overlay Diff","true"],["userxattr","false"]]' > "$SHIM_STATE/driver-status"
fi
"#,
    );
    write_exe(
        &shims.join("sudo"),
        "#!/usr/bin/env bash\necho \"sudo $*\" >> \"$SHIM_LOG\"\nexec \"$@\"\n",
    );
}

fn docker_store(dir: &Path) -> Output {
    let path = format!(
        "{}:{}",
        dir.join("shims").display(),
        std::env::var("PATH").unwrap()
    );
    Command::new("bash")
        .arg(root().join("ci/nightly/docker-store.sh"))
        .env("PATH", path)
        .env("DOCKER_DAEMON_JSON", dir.join("daemon.json"))
        .env("SHIM_LOG", dir.join("calls.log"))
        .env("SHIM_STATE", dir)
        .output()
        .unwrap()
}

#[test]
fn the_nightly_sets_the_classic_image_store_keeping_the_daemons_other_settings() {
    let d = tempfile::tempdir().unwrap();
    docker_shims(d.path());
    std::fs::write(
        d.path().join("driver-status"),
        r#"[["driver-type","io.containerd.snapshotter.v1"]]"#,
    )
    .unwrap();
    std::fs::write(
        d.path().join("daemon.json"),
        r#"{"exec-opts": ["native.cgroupdriver=cgroupfs"]}"#,
    )
    .unwrap();
    let out = docker_store(d.path());
    assert!(out.status.success(), "{}", text(&out));
    let conf: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(d.path().join("daemon.json")).unwrap())
            .unwrap();
    assert_eq!(conf["features"]["containerd-snapshotter"], false);
    assert_eq!(conf["exec-opts"][0], "native.cgroupdriver=cgroupfs");
    let log = std::fs::read_to_string(d.path().join("calls.log")).unwrap();
    assert!(log.contains("systemctl restart docker"), "{log}");
    assert!(text(&out).contains("the classic image store is in use"));
}

#[test]
fn the_nightly_leaves_a_classic_store_docker_alone() {
    let d = tempfile::tempdir().unwrap();
    docker_shims(d.path());
    std::fs::write(
        d.path().join("driver-status"),
        r#"[["Backing Filesystem","extfs"],["Supports d_type","true"]]"#,
    )
    .unwrap();
    let out = docker_store(d.path());
    assert!(out.status.success(), "{}", text(&out));
    assert!(!d.path().join("daemon.json").exists(), "no file written");
    let log = std::fs::read_to_string(d.path().join("calls.log")).unwrap();
    assert!(!log.contains("systemctl"), "no restart: {log}");
}

#[test]
fn the_nightly_fails_when_docker_keeps_the_containerd_store_after_the_restart() {
    let d = tempfile::tempdir().unwrap();
    docker_shims(d.path());
    // a systemctl that restarts nothing
    write_exe(
        &d.path().join("shims/systemctl"),
        "#!/usr/bin/env bash\necho \"systemctl $*\" >> \"$SHIM_LOG\"\n",
    );
    std::fs::write(
        d.path().join("driver-status"),
        r#"[["driver-type","io.containerd.snapshotter.v1"]]"#,
    )
    .unwrap();
    let out = docker_store(d.path());
    assert!(!out.status.success());
    assert!(
        text(&out).contains("still uses the containerd image store"),
        "{}",
        text(&out)
    );
}

#[test]
fn the_nightly_frees_the_runner_toolchains_the_lessons_never_use() {
    let d = tempfile::tempdir().unwrap();
    let runner = d.path().join("runner");
    for p in [
        "usr/share/dotnet/sdk",
        "usr/local/lib/android/sdk",
        "opt/hostedtoolcache/CodeQL/2.20.0",
        "opt/hostedtoolcache/Python/3.12.3",
        "usr/local/bin",
    ] {
        std::fs::create_dir_all(runner.join(p)).unwrap();
    }
    let shims = d.path().join("shims");
    std::fs::create_dir_all(&shims).unwrap();
    write_exe(
        &shims.join("sudo"),
        "#!/usr/bin/env bash\necho \"sudo $*\" >> \"$SHIM_LOG\"\nexec \"$@\"\n",
    );
    let out = Command::new("bash")
        .arg(root().join("ci/nightly/free-disk.sh"))
        .env(
            "PATH",
            format!("{}:{}", shims.display(), std::env::var("PATH").unwrap()),
        )
        .env("RUNNER_ROOT", &runner)
        .env("SHIM_LOG", d.path().join("calls.log"))
        .output()
        .unwrap();
    assert!(out.status.success(), "{}", text(&out));
    assert!(!runner.join("usr/share/dotnet").exists());
    assert!(!runner.join("usr/local/lib/android").exists());
    assert!(!runner.join("opt/hostedtoolcache/CodeQL").exists());
    assert!(
        runner.join("opt/hostedtoolcache/Python/3.12.3").exists(),
        "the Python setup-python uses is kept"
    );
    assert!(runner.join("usr/local/bin").exists());
    let t = text(&out);
    assert!(t.contains("3 toolchain dir(s) removed"), "{t}");
    assert!(t.contains("Avail"), "df -h before and after: {t}");
}

#[test]
fn the_workflows_build_yadoc_on_the_promised_toolchain_with_the_locked_dependencies() {
    let d = tempfile::tempdir().unwrap();
    let shims = d.path().join("shims");
    std::fs::create_dir_all(&shims).unwrap();
    write_exe(
        &shims.join("rustup"),
        "#!/usr/bin/env bash\necho \"rustup $*\" >> \"$SHIM_LOG\"\n",
    );
    // cargo "builds" a yadoc that prints its version where cargo would put it
    write_exe(
        &shims.join("cargo"),
        "#!/usr/bin/env bash\necho \"cargo $*\" >> \"$SHIM_LOG\"\nmkdir -p \"$CARGO_TARGET_DIR/release\"\nprintf '#!/bin/sh\\necho yadoc 0.1.0\\n' > \"$CARGO_TARGET_DIR/release/yadoc\"\nchmod +x \"$CARGO_TARGET_DIR/release/yadoc\"\n",
    );
    let out = Command::new("bash")
        .arg(root().join("ci/build-yadoc.sh"))
        .env(
            "PATH",
            format!("{}:{}", shims.display(), std::env::var("PATH").unwrap()),
        )
        .env("CARGO_TARGET_DIR", d.path().join("target"))
        .env("SHIM_LOG", d.path().join("calls.log"))
        .output()
        .unwrap();
    assert!(out.status.success(), "{}", text(&out));
    let manifest = std::fs::read_to_string(root().join("Cargo.toml")).unwrap();
    let msrv = manifest
        .lines()
        .find_map(|l| l.strip_prefix("rust-version = \""))
        .and_then(|l| l.strip_suffix('"'))
        .expect("rust-version in Cargo.toml");
    let log = std::fs::read_to_string(d.path().join("calls.log")).unwrap();
    assert_eq!(
        log.lines().collect::<Vec<_>>(),
        [
            format!("rustup toolchain install {msrv} --profile minimal --no-self-update"),
            format!("cargo +{msrv} build --release --locked -p yadoc"),
        ]
    );
    assert!(text(&out).contains("yadoc 0.1.0"));
}
