//! The one Kubernetes version yadoc speaks: the static tier decodes manifests with the k8s-openapi
//! types of this minor (the `v1_33` feature), kube-rs talks to clusters of it, and the cluster tier
//! pins a k3s image of it. Change the feature in both Cargo.toml files and this file together; a
//! test holds them to each other and to the nightly's matrix.

/// The Kubernetes minor of the k8s-openapi feature this build enables (1.MINOR).
pub const KUBERNETES_MINOR: u32 = minor();

#[allow(unreachable_code)]
const fn minor() -> u32 {
    k8s_openapi::k8s_if_1_33! { return 33; }
    k8s_openapi::k8s_if_1_34! { return 34; }
    k8s_openapi::k8s_if_1_35! { return 35; }
    0
}

/// The k3s image the cluster tier runs by default (`YADOC_K3S_IMAGE` overrides, the nightly matrix
/// sets it): a k3s release of `KUBERNETES_MINOR`. kube 5 supports the newest five minors and
/// k8s-openapi 0.29 starts at 1.33, so an older k3s would be talked to with types it does not have.
pub const DEFAULT_K3S_IMAGE: &str = "rancher/k3s:v1.33.5-k3s1";

/// The Kubernetes minor of a k3s image tag (`rancher/k3s:v1.33.5-k3s1` → 33).
pub fn k3s_minor(image: &str) -> Option<u32> {
    let tag = image.rsplit_once(':')?.1;
    let mut parts = tag.trim_start_matches('v').split('.');
    (parts.next()? == "1").then_some(())?;
    parts.next()?.parse().ok()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_default_k3s_image_is_of_the_kubernetes_minor_the_types_speak() {
        const { assert!(KUBERNETES_MINOR >= 33, "k8s-openapi 0.29 starts at 1.33") };
        assert_eq!(k3s_minor(DEFAULT_K3S_IMAGE), Some(KUBERNETES_MINOR));
        assert_eq!(k3s_minor("rancher/k3s:v1.31.5-k3s1"), Some(31));
        assert_eq!(k3s_minor("rancher/k3s:latest"), None);
    }
}
