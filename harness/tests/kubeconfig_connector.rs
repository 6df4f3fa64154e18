//! The one test of the real kubeconfig connector (`exec::kubeconfig_connector`), the code a real
//! cluster run uses to reach the API server: certificates as k3s issues them (EC P-256 keys in SEC1
//! PEM, `-----BEGIN EC PRIVATE KEY-----`; a server CA and a separate client CA, k3s
//! `pkg/daemons/control/deps/deps.go`), a kubeconfig shaped as k3d writes it (k3d
//! `pkg/client/kubeconfig.go` KubeconfigGet: cluster `k3d-NAME`, user `admin@k3d-NAME`, server
//! `https://<API host>:<port>`; for the `--api-port 127.0.0.1:FREE` every cluster run passes,
//! `https://127.0.0.1:FREE`, the host kept by cmd/util/ports.go ParsePortExposureSpec), and a local
//! rustls server on 127.0.0.1 that
//! requires the client certificate, as the API server does. Not a cluster: an HTTPS endpoint
//! answering one pod list.

use std::path::Path;
use std::process::Command;
use std::sync::Arc;

use base64::Engine;
use k8s_openapi::api::core::v1::Pod;
use kube::Api;
use rustls::pki_types::pem::PemObject;
use rustls::pki_types::{CertificateDer, PrivateKeyDer};
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use yadoc::tiers::cluster::exec;

fn openssl(dir: &Path, args: &[&str]) {
    let out = Command::new("openssl")
        .args(args)
        .current_dir(dir)
        .output()
        .expect("openssl runs (ci/setup.sh installs it)");
    assert!(
        out.status.success(),
        "openssl {args:?}: {}",
        String::from_utf8_lossy(&out.stderr)
    );
}

/// A CA, and a leaf signed by it with `ext` (subjectAltName, extendedKeyUsage), all EC P-256.
fn issue(dir: &Path, ca: &str, ca_cn: &str, leaf: &str, subj: &str, ext: &str) {
    if !dir.join(format!("{ca}.crt")).exists() {
        openssl(
            dir,
            &[
                "ecparam",
                "-name",
                "prime256v1",
                "-genkey",
                "-noout",
                "-out",
                &format!("{ca}.key"),
            ],
        );
        openssl(
            dir,
            &[
                "req",
                "-x509",
                "-new",
                "-key",
                &format!("{ca}.key"),
                "-subj",
                &format!("/CN={ca_cn}"),
                "-days",
                "2",
                "-addext",
                "basicConstraints=critical,CA:TRUE",
                "-addext",
                "keyUsage=critical,digitalSignature,keyEncipherment,keyCertSign",
                "-out",
                &format!("{ca}.crt"),
            ],
        );
    }
    openssl(
        dir,
        &[
            "ecparam",
            "-name",
            "prime256v1",
            "-genkey",
            "-noout",
            "-out",
            &format!("{leaf}.key"),
        ],
    );
    openssl(
        dir,
        &[
            "req",
            "-new",
            "-key",
            &format!("{leaf}.key"),
            "-subj",
            subj,
            "-out",
            &format!("{leaf}.csr"),
        ],
    );
    std::fs::write(dir.join(format!("{leaf}.ext")), ext).unwrap();
    openssl(
        dir,
        &[
            "x509",
            "-req",
            "-in",
            &format!("{leaf}.csr"),
            "-CA",
            &format!("{ca}.crt"),
            "-CAkey",
            &format!("{ca}.key"),
            "-CAcreateserial",
            "-days",
            "2",
            "-extfile",
            &format!("{leaf}.ext"),
            "-out",
            &format!("{leaf}.crt"),
        ],
    );
}

#[tokio::test]
async fn the_runs_kubeconfig_reaches_an_api_server_with_k3s_style_ec_certificates() {
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    issue(d, "server-ca", "k3s-server-ca@1764237600", "serving", "/O=k3s/CN=k3s",
        "subjectAltName=DNS:kubernetes,DNS:localhost,IP:127.0.0.1,IP:0.0.0.0\nextendedKeyUsage=serverAuth\nkeyUsage=critical,digitalSignature,keyEncipherment\n");
    issue(
        d,
        "client-ca",
        "k3s-client-ca@1764237600",
        "admin",
        "/O=system:masters/CN=system:admin",
        "extendedKeyUsage=clientAuth\nkeyUsage=critical,digitalSignature,keyEncipherment\n",
    );
    let read = |f: &str| std::fs::read(d.join(f)).unwrap();
    assert!(
        String::from_utf8(read("admin.key"))
            .unwrap()
            .starts_with("-----BEGIN EC PRIVATE KEY-----"),
        "SEC1, as k3s writes keys"
    );

    // the API server: TLS on 127.0.0.1, client certificate required, one pod list
    let provider = Arc::new(rustls::crypto::ring::default_provider());
    let mut client_roots = rustls::RootCertStore::empty();
    client_roots
        .add(CertificateDer::from_pem_slice(&read("client-ca.crt")).unwrap())
        .unwrap();
    let verifier = rustls::server::WebPkiClientVerifier::builder_with_provider(
        Arc::new(client_roots),
        provider.clone(),
    )
    .build()
    .unwrap();
    let config = rustls::ServerConfig::builder_with_provider(provider)
        .with_safe_default_protocol_versions()
        .unwrap()
        .with_client_cert_verifier(verifier)
        .with_single_cert(
            vec![CertificateDer::from_pem_slice(&read("serving.crt")).unwrap()],
            PrivateKeyDer::from_pem_slice(&read("serving.key")).unwrap(),
        )
        .unwrap();
    let acceptor = tokio_rustls::TlsAcceptor::from(Arc::new(config));
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let port = listener.local_addr().unwrap().port();
    let pods = serde_json::json!({"apiVersion": "v1", "kind": "PodList", "metadata": {"resourceVersion": "7"},
        "items": [{"apiVersion": "v1", "kind": "Pod", "metadata": {"name": "nginx", "namespace": "default"}, "spec": {"containers": [{"name": "nginx", "image": "nginx:latest"}]}}]});
    let body = serde_json::to_vec(&pods).unwrap();
    let server = tokio::spawn(async move {
        let (tcp, _) = listener.accept().await.unwrap();
        let mut tls = acceptor
            .accept(tcp)
            .await
            .expect("TLS handshake with the client's certificate");
        let peer = tls
            .get_ref()
            .1
            .peer_certificates()
            .map(|c| c.len())
            .unwrap_or(0);
        let mut request = Vec::new();
        let mut buf = [0u8; 4096];
        while !request.windows(4).any(|w| w == b"\r\n\r\n") {
            let n = tls.read(&mut buf).await.unwrap();
            assert!(n > 0, "the client closed before its request");
            request.extend_from_slice(&buf[..n]);
        }
        let head = format!(
            "HTTP/1.1 200 OK\r\ncontent-type: application/json\r\ncontent-length: {}\r\n\r\n",
            body.len()
        );
        tls.write_all(head.as_bytes()).await.unwrap();
        tls.write_all(&body).await.unwrap();
        tls.flush().await.unwrap();
        (
            peer,
            String::from_utf8_lossy(&request)
                .lines()
                .next()
                .unwrap_or("")
                .to_string(),
        )
    });

    // the kubeconfig, as k3d writes it
    let b64 = |f: &str| base64::engine::general_purpose::STANDARD.encode(read(f));
    let kubeconfig = d.join("kubeconfig-yadoc-test-0");
    std::fs::write(&kubeconfig, format!(
        "apiVersion: v1\nclusters:\n- cluster:\n    certificate-authority-data: {}\n    server: https://127.0.0.1:{port}\n  name: k3d-yadoc-test-0\ncontexts:\n- context:\n    cluster: k3d-yadoc-test-0\n    user: admin@k3d-yadoc-test-0\n  name: k3d-yadoc-test-0\ncurrent-context: k3d-yadoc-test-0\nkind: Config\npreferences: {{}}\nusers:\n- name: admin@k3d-yadoc-test-0\n  user:\n    client-certificate-data: {}\n    client-key-data: {}\n",
        b64("server-ca.crt"), b64("admin.crt"), b64("admin.key"))).unwrap();

    let client = (exec::kubeconfig_connector())(kubeconfig)
        .await
        .expect("a client from the run's kubeconfig");
    let list = Api::<Pod>::namespaced(client, "default")
        .list(&Default::default())
        .await
        .expect("the pod list over TLS");
    assert_eq!(list.items[0].metadata.name.as_deref(), Some("nginx"));
    let (peer_certs, request) = server.await.unwrap();
    assert_eq!(peer_certs, 1, "the client presented its certificate");
    assert!(
        request.starts_with("GET /api/v1/namespaces/default/pods"),
        "{request}"
    );
}
