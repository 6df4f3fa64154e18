//! Objects as the API server stores them: the defaults it applies to a decoded object before any
//! controller acts on it (and the namespace kubectl gives an object that names none). The static
//! tier's cross-references read the stored object, as the cluster does; the markdown and schema
//! checks read the object as written, as its author did (README, "What a check reads").
//!
//! Each rule cites the kubernetes/kubernetes function it follows, read at these commits:
//! `pkg/apis/core/v1/defaults.go` @023f88a, `pkg/apis/apps/v1/defaults.go` @04791b4,
//! `pkg/apis/autoscaling/v2/defaults.go` @1adaa75. The generated `zz_generated.defaults.go` calls
//! `SetDefaults_Container` and `SetDefaults_PodSpec` for the pod template of every workload, and
//! `SetDefaults_Pod` only for Pods: so requests-from-limits applies to the pods a template makes,
//! which is what an HPA reads. Only the defaults a check of yadoc reads are applied.

use serde_json::{json, Map, Value};

/// One default applied: where, what it set, and the upstream rule.
#[derive(Debug, Clone, PartialEq)]
pub struct Applied {
    /// `spec.template.spec.containers[0].imagePullPolicy`
    pub path: String,
    pub value: Value,
    /// `SetDefaults_Container (pkg/apis/core/v1/defaults.go)`
    pub rule: &'static str,
}

impl Applied {
    /// `imagePullPolicy defaults to Always (SetDefaults_Container, pkg/apis/core/v1/defaults.go)`
    pub fn says(&self) -> String {
        let field = self.path.rsplit('.').next().unwrap_or(&self.path);
        format!("{field} defaults to {} ({})", show(&self.value), self.rule)
    }
}

fn show(v: &Value) -> String {
    match v {
        Value::String(s) => s.clone(),
        other => other.to_string(),
    }
}

const CONTAINER: &str = "SetDefaults_Container, pkg/apis/core/v1/defaults.go";
const POD: &str = "SetDefaults_Pod, pkg/apis/core/v1/defaults.go";
const SERVICE: &str = "SetDefaults_Service, pkg/apis/core/v1/defaults.go";
const DEPLOYMENT: &str = "SetDefaults_Deployment, pkg/apis/apps/v1/defaults.go";
const REPLICASET: &str = "SetDefaults_ReplicaSet, pkg/apis/apps/v1/defaults.go";
const STATEFULSET: &str = "SetDefaults_StatefulSet, pkg/apis/apps/v1/defaults.go";
const HPA: &str = "SetDefaults_HorizontalPodAutoscaler, pkg/apis/autoscaling/v2/defaults.go";
const KUBECTL_NAMESPACE: &str =
    "kubectl: an object that names no namespace lands in the one of the apply (`-n`, else the context's, `default`)";

/// Kinds whose objects live in no namespace (those the lessons and tutorials make).
const CLUSTER_SCOPED: &[&str] = &[
    "Namespace",
    "Node",
    "PersistentVolume",
    "ClusterRole",
    "ClusterRoleBinding",
    "StorageClass",
    "IngressClass",
    "CustomResourceDefinition",
    "PriorityClass",
    "CertificateSigningRequest",
];

/// The object `written` as the API server stores it, applied into `namespace` when it names none,
/// and the defaults that made the difference.
pub fn stored(written: &Value, namespace: &str) -> (Value, Vec<Applied>) {
    let mut v = written.clone();
    let mut applied = Vec::new();
    let mut set = |v: &mut Value, path: &str, key: &str, value: Value, rule: &'static str| {
        if let Some(obj) = v.as_object_mut() {
            if obj.get(key).is_none_or(Value::is_null) {
                obj.insert(key.to_string(), value.clone());
                applied.push(Applied {
                    path: join(path, key),
                    value,
                    rule,
                });
            }
        }
    };
    let kind = written["kind"].as_str().unwrap_or("").to_string();
    if !CLUSTER_SCOPED.contains(&kind.as_str()) && v["metadata"].is_object() {
        set(
            &mut v["metadata"],
            "metadata",
            "namespace",
            json!(namespace),
            KUBECTL_NAMESPACE,
        );
    }
    // every rule below fills in a `spec`: an object without one is stored as written
    if v["spec"].is_object() {
        match kind.as_str() {
            "Deployment" => {
                let spec = &mut v["spec"];
                set(spec, "spec", "replicas", json!(1), DEPLOYMENT);
                set(spec, "spec", "revisionHistoryLimit", json!(10), DEPLOYMENT);
                set(
                    spec,
                    "spec",
                    "progressDeadlineSeconds",
                    json!(600),
                    DEPLOYMENT,
                );
                set(spec, "spec", "strategy", json!({}), DEPLOYMENT);
                let strategy = &mut spec["strategy"];
                set(
                    strategy,
                    "spec.strategy",
                    "type",
                    json!("RollingUpdate"),
                    DEPLOYMENT,
                );
                if strategy["type"] == "RollingUpdate" {
                    set(
                        strategy,
                        "spec.strategy",
                        "rollingUpdate",
                        json!({}),
                        DEPLOYMENT,
                    );
                    let ru = &mut strategy["rollingUpdate"];
                    let p = "spec.strategy.rollingUpdate";
                    set(ru, p, "maxUnavailable", json!("25%"), DEPLOYMENT);
                    set(ru, p, "maxSurge", json!("25%"), DEPLOYMENT);
                }
            }
            "ReplicaSet" => {
                set(&mut v["spec"], "spec", "replicas", json!(1), REPLICASET);
            }
            "StatefulSet" => {
                set(&mut v["spec"], "spec", "replicas", json!(1), STATEFULSET);
                set(
                    &mut v["spec"],
                    "spec",
                    "revisionHistoryLimit",
                    json!(10),
                    STATEFULSET,
                );
            }
            "Service" => {
                let spec = &mut v["spec"];
                set(spec, "spec", "type", json!("ClusterIP"), SERVICE);
                set(spec, "spec", "sessionAffinity", json!("None"), SERVICE);
                if let Some(ports) = spec["ports"].as_array_mut() {
                    for (i, port) in ports.iter_mut().enumerate() {
                        let p = format!("spec.ports[{i}]");
                        set(port, &p, "protocol", json!("TCP"), SERVICE);
                        // targetPort 0, "" or absent becomes the port
                        let unset = match &port["targetPort"] {
                            Value::Null => true,
                            Value::Number(n) => n.as_i64() == Some(0),
                            Value::String(s) => s.is_empty(),
                            _ => false,
                        };
                        if unset && !port["port"].is_null() {
                            if let Some(obj) = port.as_object_mut() {
                                obj.remove("targetPort");
                            }
                            let to = port["port"].clone();
                            set(port, &p, "targetPort", to, SERVICE);
                        }
                    }
                }
            }
            "HorizontalPodAutoscaler" => {
                let spec = &mut v["spec"];
                set(spec, "spec", "minReplicas", json!(1), HPA);
                if spec["metrics"].as_array().is_none_or(Vec::is_empty) {
                    // autoscaling.DefaultCPUUtilization
                    if let Some(obj) = spec.as_object_mut() {
                        obj.remove("metrics");
                    }
                    set(
                        spec,
                        "spec",
                        "metrics",
                        json!([{"type": "Resource", "resource": {"name": "cpu", "target": {"type": "Utilization", "averageUtilization": 80}}}]),
                        HPA,
                    );
                }
                // SetDefaults_HorizontalPodAutoscalerBehavior: a behavior given is filled in
                if spec["behavior"].is_object() {
                    behavior(&mut spec["behavior"], &mut applied);
                }
            }
            _ => {}
        }
    }
    for tpl in templates(&kind) {
        let spec_path = join(tpl, "spec");
        let spec = at_mut(&mut v, &spec_path);
        if let Some(spec) = spec {
            pod_spec(spec, &spec_path, &mut applied);
        }
    }
    (v, applied)
}

/// The pod specs of a kind: its own (`Pod`), or its template's.
fn templates(kind: &str) -> &'static [&'static str] {
    match kind {
        "Pod" => &[""],
        "Deployment"
        | "ReplicaSet"
        | "StatefulSet"
        | "DaemonSet"
        | "Job"
        | "ReplicationController" => &["spec.template"],
        "CronJob" => &["spec.jobTemplate.spec.template"],
        _ => &[],
    }
}

/// `SetDefaults_Container` for each container, and `SetDefaults_Pod`'s requests from limits (on a
/// Pod, and on the pods a template makes).
fn pod_spec(spec: &mut Value, path: &str, applied: &mut Vec<Applied>) {
    for group in ["containers", "initContainers"] {
        let Some(containers) = spec[group].as_array_mut() else {
            continue;
        };
        for (i, c) in containers.iter_mut().enumerate() {
            let cpath = format!("{path}.{group}[{i}]");
            if c["imagePullPolicy"].is_null() {
                if let Some(image) = c["image"].as_str() {
                    let policy = if latest(image) {
                        "Always"
                    } else {
                        "IfNotPresent"
                    };
                    if let Some(obj) = c.as_object_mut() {
                        obj.insert("imagePullPolicy".into(), json!(policy));
                        applied.push(Applied {
                            path: join(&cpath, "imagePullPolicy"),
                            value: json!(policy),
                            rule: CONTAINER,
                        });
                    }
                }
            }
            let limits: Map<String, Value> = c["resources"]["limits"]
                .as_object()
                .cloned()
                .unwrap_or_default();
            if limits.is_empty() {
                continue;
            }
            if !c["resources"]["requests"].is_object() {
                c["resources"]["requests"] = json!({});
            }
            for (key, value) in limits {
                let requests = c["resources"]["requests"].as_object_mut();
                if let Some(requests) = requests {
                    if !requests.contains_key(&key) {
                        requests.insert(key.clone(), value.clone());
                        applied.push(Applied {
                            path: format!("{cpath}.resources.requests.{key}"),
                            value,
                            rule: POD,
                        });
                    }
                }
            }
        }
    }
}

/// `GenerateHPAScaleUpRules` / `GenerateHPAScaleDownRules`: the default rules, with what the
/// behavior sets copied over them.
fn behavior(b: &mut Value, applied: &mut Vec<Applied>) {
    let defaults = [
        (
            "scaleUp",
            json!({"stabilizationWindowSeconds": 0, "selectPolicy": "Max", "policies": [
                {"type": "Pods", "value": 4, "periodSeconds": 15},
                {"type": "Percent", "value": 100, "periodSeconds": 15}]}),
        ),
        (
            "scaleDown",
            json!({"selectPolicy": "Max", "policies": [
                {"type": "Percent", "value": 100, "periodSeconds": 15}]}),
        ),
    ];
    for (side, rules) in defaults {
        if !b[side].is_object() {
            b[side] = json!({});
        }
        let Some(obj) = b[side].as_object_mut() else {
            continue;
        };
        for (k, v) in rules.as_object().into_iter().flatten() {
            if obj.get(k).is_none_or(Value::is_null) {
                obj.insert(k.clone(), v.clone());
                applied.push(Applied {
                    path: format!("spec.behavior.{side}.{k}"),
                    value: v.clone(),
                    rule: HPA,
                });
            }
        }
    }
}

/// Whether the image resolves to the tag `latest`: no tag and no digest, or `:latest`
/// (`parsers.ParseImageName`, pkg/util/parsers, as `SetDefaults_Container` reads it).
pub fn latest(image: &str) -> bool {
    if image.contains('@') {
        return false;
    }
    let last = image.rsplit('/').next().unwrap_or(image);
    match last.rsplit_once(':') {
        Some((_, tag)) => tag == "latest",
        None => true,
    }
}

fn join(path: &str, key: &str) -> String {
    if path.is_empty() {
        key.to_string()
    } else {
        format!("{path}.{key}")
    }
}

/// The value at a dotted path (`spec.template.spec`), when every step is an object.
fn at_mut<'v>(v: &'v mut Value, path: &str) -> Option<&'v mut Value> {
    let mut cur = v;
    for key in path.split('.').filter(|k| !k.is_empty()) {
        cur = cur.as_object_mut()?.get_mut(key)?;
    }
    cur.is_object().then_some(cur)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn stored_yaml(yaml: &str) -> (Value, Vec<Applied>) {
        let v: Value = serde_saphyr::from_str(yaml).unwrap();
        stored(&v, "default")
    }

    fn rules(applied: &[Applied]) -> Vec<(String, &'static str)> {
        applied.iter().map(|a| (a.path.clone(), a.rule)).collect()
    }

    const DEPLOY: &str = "apiVersion: apps/v1\nkind: Deployment\nmetadata:\n  name: web\nspec:\n  selector:\n    matchLabels: {app: web}\n  template:\n    metadata:\n      labels: {app: web}\n    spec:\n      containers:\n      - name: web\n        image: web:1.0\n        resources:\n          limits: {cpu: 200m, memory: 64Mi}\n";

    #[test]
    fn requests_default_to_limits_and_stay_where_given() {
        let (v, applied) = stored_yaml(DEPLOY);
        let c = &v["spec"]["template"]["spec"]["containers"][0];
        assert_eq!(
            c["resources"]["requests"],
            json!({"cpu": "200m", "memory": "64Mi"})
        );
        assert!(rules(&applied).contains(&(
            "spec.template.spec.containers[0].resources.requests.cpu".into(),
            POD
        )));
        // a request given stays; only the missing one comes from the limit
        let given = DEPLOY.replace(
            "        resources:\n",
            "        resources:\n          requests: {cpu: 50m}\n",
        );
        let (v, _) = stored_yaml(&given);
        let c = &v["spec"]["template"]["spec"]["containers"][0];
        assert_eq!(
            c["resources"]["requests"],
            json!({"cpu": "50m", "memory": "64Mi"})
        );
        // neither: nothing to default
        let none = DEPLOY.replace(
            "        resources:\n          limits: {cpu: 200m, memory: 64Mi}\n",
            "",
        );
        let (v, _) = stored_yaml(&none);
        assert!(v["spec"]["template"]["spec"]["containers"][0]["resources"].is_null());
    }

    #[test]
    fn image_pull_policy_is_always_for_latest_or_no_tag_and_if_not_present_otherwise() {
        let policy = |image: &str| {
            let (v, applied) = stored_yaml(&DEPLOY.replace("web:1.0", image));
            let p = v["spec"]["template"]["spec"]["containers"][0]["imagePullPolicy"].clone();
            (p, applied.iter().any(|a| a.rule == CONTAINER))
        };
        assert_eq!(policy("myapp:latest"), (json!("Always"), true));
        assert_eq!(policy("myapp"), (json!("Always"), true));
        assert_eq!(policy("localhost:5000/myapp"), (json!("Always"), true));
        assert_eq!(policy("myapp:hpa-test"), (json!("IfNotPresent"), true));
        assert_eq!(
            policy("localhost:5000/myapp:1"),
            (json!("IfNotPresent"), true)
        );
        assert_eq!(policy("myapp@sha256:abc"), (json!("IfNotPresent"), true));
        // written: never replaced
        let (v, applied) = stored_yaml(&DEPLOY.replace(
            "image: web:1.0",
            "image: web:latest\n        imagePullPolicy: Never",
        ));
        assert_eq!(
            v["spec"]["template"]["spec"]["containers"][0]["imagePullPolicy"],
            "Never"
        );
        assert!(!applied.iter().any(|a| a.rule == CONTAINER));
    }

    #[test]
    fn a_deployment_gets_replicas_strategy_and_history_unless_written() {
        let (v, applied) = stored_yaml(DEPLOY);
        assert_eq!(v["spec"]["replicas"], 1);
        assert_eq!(v["spec"]["revisionHistoryLimit"], 10);
        assert_eq!(v["spec"]["progressDeadlineSeconds"], 600);
        assert_eq!(
            v["spec"]["strategy"],
            json!({"type": "RollingUpdate", "rollingUpdate": {"maxUnavailable": "25%", "maxSurge": "25%"}})
        );
        assert!(applied
            .iter()
            .any(|a| a.path == "spec.replicas" && a.rule == DEPLOYMENT));
        let written = DEPLOY.replace(
            "spec:\n  selector:",
            "spec:\n  replicas: 3\n  strategy: {type: Recreate}\n  selector:",
        );
        let (v, applied) = stored_yaml(&written);
        assert_eq!(v["spec"]["replicas"], 3);
        assert_eq!(v["spec"]["strategy"], json!({"type": "Recreate"}));
        assert!(!applied
            .iter()
            .any(|a| a.path.starts_with("spec.strategy") || a.path == "spec.replicas"));
    }

    #[test]
    fn a_service_port_gets_its_target_port_and_tcp_unless_written() {
        let svc = "apiVersion: v1\nkind: Service\nmetadata: {name: web}\nspec:\n  selector: {app: web}\n  ports:\n  - port: 80\n  - port: 81\n    targetPort: 8081\n    protocol: UDP\n";
        let (v, applied) = stored_yaml(svc);
        assert_eq!(
            v["spec"]["ports"][0],
            json!({"port": 80, "targetPort": 80, "protocol": "TCP"})
        );
        assert_eq!(
            v["spec"]["ports"][1],
            json!({"port": 81, "targetPort": 8081, "protocol": "UDP"})
        );
        assert_eq!(v["spec"]["type"], "ClusterIP");
        assert!(applied
            .iter()
            .any(|a| a.path == "spec.ports[0].targetPort" && a.rule == SERVICE));
        assert!(!applied.iter().any(|a| a.path.starts_with("spec.ports[1]")));
        // targetPort 0 counts as unset
        let (v, _) = stored_yaml(&svc.replace("targetPort: 8081", "targetPort: 0"));
        assert_eq!(v["spec"]["ports"][1]["targetPort"], 81);
    }

    #[test]
    fn an_hpa_gets_min_replicas_cpu_80_and_a_given_behavior_filled_in() {
        let hpa = "apiVersion: autoscaling/v2\nkind: HorizontalPodAutoscaler\nmetadata: {name: web}\nspec:\n  scaleTargetRef: {apiVersion: apps/v1, kind: Deployment, name: web}\n  maxReplicas: 5\n";
        let (v, applied) = stored_yaml(hpa);
        assert_eq!(v["spec"]["minReplicas"], 1);
        assert_eq!(
            v["spec"]["metrics"][0]["resource"]["target"]["averageUtilization"],
            80
        );
        assert!(
            v["spec"]["behavior"].is_null(),
            "no behavior given: none made"
        );
        assert!(applied
            .iter()
            .all(|a| a.rule == HPA || a.rule == KUBECTL_NAMESPACE));
        let with = hpa.replace("  maxReplicas: 5\n", "  maxReplicas: 5\n  minReplicas: 2\n  behavior:\n    scaleDown: {stabilizationWindowSeconds: 60}\n");
        let (v, _) = stored_yaml(&with);
        assert_eq!(v["spec"]["minReplicas"], 2);
        assert_eq!(
            v["spec"]["behavior"]["scaleDown"]["stabilizationWindowSeconds"],
            60
        );
        assert_eq!(v["spec"]["behavior"]["scaleDown"]["selectPolicy"], "Max");
        assert_eq!(v["spec"]["behavior"]["scaleUp"]["policies"][0]["value"], 4);
    }

    #[test]
    fn an_object_that_names_no_namespace_lands_in_the_applys_and_a_cluster_scoped_one_in_none() {
        let cm: Value =
            serde_saphyr::from_str("apiVersion: v1\nkind: ConfigMap\nmetadata: {name: c}\n")
                .unwrap();
        let (v, applied) = stored(&cm, "hpa-test");
        assert_eq!(v["metadata"]["namespace"], "hpa-test");
        assert_eq!(applied[0].rule, KUBECTL_NAMESPACE);
        let named: Value = serde_saphyr::from_str(
            "apiVersion: v1\nkind: ConfigMap\nmetadata: {name: c, namespace: x}\n",
        )
        .unwrap();
        assert_eq!(stored(&named, "hpa-test").0["metadata"]["namespace"], "x");
        let ns: Value =
            serde_saphyr::from_str("apiVersion: v1\nkind: Namespace\nmetadata: {name: x}\n")
                .unwrap();
        assert!(stored(&ns, "default").0["metadata"]["namespace"].is_null());
    }
}
