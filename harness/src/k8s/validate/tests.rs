//! Every rule with the manifest the API server accepts and the one it rejects, at the boundary where
//! there is one (a 63-character label value passes, 64 fails).

use serde_json::Value;

use super::validate;

const DEPLOYMENT: &str = "apiVersion: apps/v1
kind: Deployment
metadata:
  name: myapp
  labels:
    app: myapp
spec:
  replicas: 1
  selector:
    matchLabels:
      app: myapp
  template:
    metadata:
      labels:
        app: myapp
    spec:
      containers:
      - name: myapp
        image: myapp:latest
        imagePullPolicy: Never
        ports:
        - containerPort: 8000
          name: http
          protocol: TCP
        resources:
          requests:
            cpu: 50m
            memory: 64Mi
          limits:
            cpu: 100m
            memory: 128Mi
";

const SERVICE: &str = "apiVersion: v1
kind: Service
metadata:
  name: myapp-service
spec:
  type: ClusterIP
  selector:
    app: myapp
  ports:
  - name: web
    protocol: TCP
    port: 80
    targetPort: 8000
";

const INGRESS: &str = "apiVersion: networking.k8s.io/v1
kind: Ingress
metadata:
  name: myapp-ingress
spec:
  rules:
  - host: myapp.local
    http:
      paths:
      - path: /
        pathType: Prefix
        backend:
          service:
            name: myapp-service
            port:
              number: 80
";

const HPA: &str = "apiVersion: autoscaling/v2
kind: HorizontalPodAutoscaler
metadata:
  name: myapp-hpa
spec:
  scaleTargetRef:
    apiVersion: apps/v1
    kind: Deployment
    name: myapp
  minReplicas: 1
  maxReplicas: 5
  metrics:
  - type: Resource
    resource:
      name: cpu
      target:
        type: Utilization
        averageUtilization: 60
";

const CONFIGMAP: &str = "apiVersion: v1
kind: ConfigMap
metadata:
  name: myapp-config
data:
  app.py: print(1)
";

const SECRET: &str = "apiVersion: v1
kind: Secret
metadata:
  name: myapp-secret
data:
  password: c2VjcmV0
";

const NAMESPACE: &str = "apiVersion: v1
kind: Namespace
metadata:
  name: hpa-test
";

const JOB: &str = "apiVersion: batch/v1
kind: Job
metadata:
  name: load
spec:
  template:
    spec:
      restartPolicy: Never
      containers:
      - name: load
        image: busybox
";

fn messages(yaml: &str) -> Vec<String> {
    let v: Value = serde_saphyr::from_str(yaml).expect("test manifest parses");
    validate(
        v["apiVersion"].as_str().unwrap(),
        v["kind"].as_str().unwrap(),
        &v,
    )
    .into_iter()
    .map(|x| x.message)
    .collect()
}

/// `base` with `from` replaced by `ok` is accepted; with `from` replaced by `bad`, refused with `said`.
#[track_caller]
fn pair(base: &str, from: &str, ok: &str, bad: &str, said: &str) {
    assert!(base.contains(from), "`{from}` in the base manifest");
    let accepted = base.replacen(from, ok, 1);
    assert_eq!(
        messages(&accepted),
        Vec::<String>::new(),
        "accepted:\n{accepted}"
    );
    let rejected = base.replacen(from, bad, 1);
    let got = messages(&rejected);
    assert!(
        got.iter().any(|m| m.contains(said)),
        "rejected with `{said}`:\n{rejected}\ngot {got:#?}"
    );
}

#[test]
fn the_course_shapes_pass() {
    for m in [
        DEPLOYMENT, SERVICE, INGRESS, HPA, CONFIGMAP, SECRET, NAMESPACE, JOB,
    ] {
        assert_eq!(messages(m), Vec::<String>::new(), "{m}");
    }
}

// names

#[test]
fn names_by_kind() {
    pair(HPA, "name: myapp-hpa", "name: myapp-hpa.v2", "name: MyApp-HPA", "metadata.name: Invalid value: \"MyApp-HPA\": a lowercase RFC 1123 subdomain must consist of");
    let long = "a".repeat(253);
    pair(
        DEPLOYMENT,
        "name: myapp\n  labels",
        &format!("name: {long}\n  labels"),
        &format!("name: {long}a\n  labels"),
        "must be no more than 253 characters",
    );
    // Service names are DNS-1035 labels: a letter first, no dots
    pair(
        SERVICE,
        "name: myapp-service",
        "name: s1",
        "name: 1-service",
        "a DNS-1035 label must consist of",
    );
    pair(
        SERVICE,
        "name: myapp-service",
        "name: myapp-service",
        "name: myapp.service",
        "a DNS-1035 label",
    );
    // Namespace names are DNS-1123 labels: no dots, at most 63
    pair(
        NAMESPACE,
        "name: hpa-test",
        &format!("name: {}", "n".repeat(63)),
        &format!("name: {}", "n".repeat(64)),
        "must be no more than 63 characters",
    );
    pair(
        NAMESPACE,
        "name: hpa-test",
        "name: 1-hpa",
        "name: hpa.test",
        "must not contain dots",
    );
    pair(
        NAMESPACE,
        "  name: hpa-test\n",
        "  name: hpa-test\n",
        "  labels: {}\n",
        "metadata.name: Required value: name or generateName is required",
    );
}

// labels and selectors

#[test]
fn labels_and_selectors() {
    let v63 = "v".repeat(63);
    pair(
        DEPLOYMENT,
        "    app: myapp\nspec:",
        &format!("    app: {v63}\nspec:"),
        &format!("    app: {v63}v\nspec:"),
        "metadata.labels: Invalid value: \"vvvvvvvvv",
    );
    pair(
        DEPLOYMENT,
        "    app: myapp\nspec:",
        "    app.kubernetes.io/name: myapp\nspec:",
        "    Example.com/name: myapp\nspec:",
        "prefix part a lowercase RFC 1123 subdomain",
    );
    pair(
        DEPLOYMENT,
        "    app: myapp\nspec:",
        "    app: my_app.v1\nspec:",
        "    app: my app\nspec:",
        "a valid label must be an empty string or consist of",
    );
    pair(DEPLOYMENT, "      app: myapp\n  template", "      app: myapp\n    matchExpressions:\n    - {key: tier, operator: Exists}\n  template", "      app: myapp\n    matchExpressions:\n    - {key: tier, operator: Equals, values: [a]}\n  template", "spec.selector.matchExpressions[0].operator: Unsupported value: \"Equals\"");
    pair(DEPLOYMENT, "      app: myapp\n  template", "      app: myapp\n    matchExpressions:\n    - {key: tier, operator: In, values: [a]}\n  template", "      app: myapp\n    matchExpressions:\n    - {key: tier, operator: In}\n  template", "must be specified when `operator` is 'In' or 'NotIn'");
    pair(
        DEPLOYMENT,
        "  selector:\n    matchLabels:\n      app: myapp\n",
        "  selector:\n    matchLabels:\n      app: myapp\n",
        "  selector: {}\n",
        "empty selector is invalid for deployment",
    );
    pair(
        DEPLOYMENT,
        "  selector:\n    matchLabels:\n      app: myapp\n",
        "  selector:\n    matchLabels:\n      app: myapp\n",
        "",
        "spec.selector: Required value",
    );
}

// quantities

#[test]
fn quantities_and_requests_within_limits() {
    pair(
        DEPLOYMENT,
        "cpu: 50m",
        "cpu: 0.05",
        "cpu: 50mm",
        "resources.requests[cpu]: Invalid value: \"50mm\": unable to parse quantity's suffix",
    );
    pair(
        DEPLOYMENT,
        "cpu: 50m",
        "cpu: 50m",
        "cpu: fifty",
        "quantities must match the regular expression",
    );
    pair(DEPLOYMENT, "cpu: 50m", "cpu: 100m", "cpu: 101m", "resources.requests[cpu]: Invalid value: \"101m\": must be less than or equal to cpu limit of 100m");
    pair(
        DEPLOYMENT,
        "memory: 64Mi",
        "memory: 128Mi",
        "memory: 129Mi",
        "must be less than or equal to memory limit of 128Mi",
    );
    pair(
        DEPLOYMENT,
        "memory: 64Mi",
        "memory: 64M",
        "memory: 64m",
        "fractional byte value \"64m\" is invalid, must be an integer",
    );
    pair(
        DEPLOYMENT,
        "cpu: 50m",
        "cpu: 0",
        "cpu: -1",
        "must be greater than or equal to 0",
    );
}

// ports

#[test]
fn ports_protocols_and_port_names() {
    pair(
        DEPLOYMENT,
        "containerPort: 8000",
        "containerPort: 65535",
        "containerPort: 65536",
        "containerPort: Invalid value: 65536: must be between 1 and 65535, inclusive",
    );
    pair(
        DEPLOYMENT,
        "containerPort: 8000",
        "containerPort: 1",
        "containerPort: 0",
        "containerPort: Required value",
    );
    pair(
        DEPLOYMENT,
        "protocol: TCP",
        "protocol: UDP",
        "protocol: tcp",
        "protocol: Unsupported value: \"tcp\": supported values: \"SCTP\", \"TCP\", \"UDP\"",
    );
    pair(
        DEPLOYMENT,
        "name: http\n",
        &format!("name: {}\n", "h".repeat(15)),
        &format!("name: {}\n", "h".repeat(16)),
        "ports[0].name: Invalid value",
    );
    pair(
        DEPLOYMENT,
        "name: http\n",
        "name: http-2\n",
        "name: \"8080\"\n",
        "must contain at least one letter (a-z)",
    );
    pair(
        DEPLOYMENT,
        "          name: http\n          protocol: TCP\n",
        "          name: http\n        - containerPort: 8001\n          name: metrics\n",
        "          name: http\n        - containerPort: 8001\n          name: http\n",
        "Duplicate value: \"http\"",
    );
    pair(
        SERVICE,
        "port: 80",
        "port: 65535",
        "port: 65536",
        "spec.ports[0].port: Invalid value: 65536: must be between 1 and 65535, inclusive",
    );
    pair(
        SERVICE,
        "targetPort: 8000",
        "targetPort: http",
        "targetPort: HTTP_PORT",
        "spec.ports[0].targetPort: Invalid value: \"HTTP_PORT\"",
    );
    pair(
        SERVICE,
        "  - name: web\n",
        "  - name: web\n",
        "  - name: Web\n",
        "spec.ports[0].name: Invalid value: \"Web\"",
    );
    pair(
        SERVICE,
        "    targetPort: 8000\n",
        "    targetPort: 8000\n  - name: metrics\n    port: 81\n",
        "    targetPort: 8000\n  - port: 81\n",
        "spec.ports[1].name: Required value",
    );
    pair(
        SERVICE,
        "protocol: TCP",
        "protocol: SCTP",
        "protocol: HTTP",
        "spec.ports[0].protocol: Unsupported value: \"HTTP\"",
    );
}

// workloads

#[test]
fn deployment_rules() {
    pair(
        DEPLOYMENT,
        "replicas: 1",
        "replicas: 0",
        "replicas: -1",
        "spec.replicas: Invalid value: -1: must be greater than or equal to 0",
    );
    pair(DEPLOYMENT, "    spec:\n      containers:", "    spec:\n      restartPolicy: Always\n      containers:", "    spec:\n      restartPolicy: OnFailure\n      containers:", "spec.template.spec.restartPolicy: Unsupported value: \"OnFailure\": supported values: \"Always\"");
    pair(DEPLOYMENT, "  replicas: 1\n", "  replicas: 1\n  strategy:\n    type: Recreate\n", "  replicas: 1\n  strategy:\n    type: Recreate\n    rollingUpdate:\n      maxSurge: 1\n", "spec.strategy.rollingUpdate: Forbidden: may not be specified when strategy `type` is 'Recreate'");
    pair(
        DEPLOYMENT,
        "  replicas: 1\n",
        "  replicas: 1\n  strategy:\n    type: RollingUpdate\n",
        "  replicas: 1\n  strategy:\n    type: Rolling\n",
        "spec.strategy.type: Unsupported value: \"Rolling\"",
    );
    pair(DEPLOYMENT, "  replicas: 1\n", "  replicas: 1\n  strategy:\n    rollingUpdate:\n      maxUnavailable: 0\n      maxSurge: 1\n", "  replicas: 1\n  strategy:\n    rollingUpdate:\n      maxUnavailable: 0\n      maxSurge: 0\n", "may not be 0 when `maxSurge` is 0");
    pair(
        DEPLOYMENT,
        "  replicas: 1\n",
        "  replicas: 1\n  strategy:\n    rollingUpdate:\n      maxUnavailable: 100%\n",
        "  replicas: 1\n  strategy:\n    rollingUpdate:\n      maxUnavailable: 101%\n",
        "must not be greater than 100%",
    );
    pair(
        DEPLOYMENT,
        "  replicas: 1\n",
        "  replicas: 1\n  strategy:\n    rollingUpdate:\n      maxSurge: 25%\n",
        "  replicas: 1\n  strategy:\n    rollingUpdate:\n      maxSurge: 25 percent\n",
        "a valid percent string must be a numeric string followed by an ending '%'",
    );
    pair(
        DEPLOYMENT,
        "  replicas: 1\n",
        "  replicas: 1\n  minReadySeconds: 5\n  progressDeadlineSeconds: 6\n",
        "  replicas: 1\n  minReadySeconds: 5\n  progressDeadlineSeconds: 5\n",
        "must be greater than minReadySeconds",
    );
    pair(
        DEPLOYMENT,
        "      - name: myapp\n",
        "      - name: my-app\n",
        "      - name: My_App\n",
        "spec.template.spec.containers[0].name: Invalid value: \"My_App\"",
    );
    pair(DEPLOYMENT, "imagePullPolicy: Never", "imagePullPolicy: IfNotPresent", "imagePullPolicy: never", "imagePullPolicy: Unsupported value: \"never\": supported values: \"Always\", \"IfNotPresent\", \"Never\"");
    pair(JOB, "      restartPolicy: Never\n", "      restartPolicy: OnFailure\n", "      restartPolicy: Always\n", "spec.template.spec.restartPolicy: Unsupported value: \"Always\": supported values: \"OnFailure\", \"Never\"");
    pair(
        JOB,
        "      restartPolicy: Never\n",
        "      restartPolicy: Never\n",
        "",
        "spec.template.spec.restartPolicy: Required value",
    );
}

// HPA v2

#[test]
fn hpa_rules() {
    pair(
        HPA,
        "  minReplicas: 1\n  maxReplicas: 5\n",
        "  minReplicas: 5\n  maxReplicas: 5\n",
        "  minReplicas: 5\n  maxReplicas: 2\n",
        "spec.maxReplicas: Invalid value: 2: must be greater than or equal to `minReplicas`",
    );
    pair(
        HPA,
        "minReplicas: 1",
        "minReplicas: 1",
        "minReplicas: 0",
        "spec.minReplicas: Invalid value: 0: must be greater than 0",
    );
    pair(
        HPA,
        "averageUtilization: 60",
        "averageUtilization: 1",
        "averageUtilization: 0",
        "averageUtilization: Invalid value: 0: must be greater than 0",
    );
    pair(
        HPA,
        "        type: Utilization\n",
        "        type: Utilization\n",
        "        type: Percent\n",
        "must be either Utilization, Value, or AverageValue",
    );
    pair(
        HPA,
        "  - type: Resource\n",
        "  - type: Resource\n",
        "  - type: Memory\n",
        "spec.metrics[0].type: Unsupported value: \"Memory\"",
    );
    pair(HPA, "  - type: Resource\n", "  - type: Resource\n", "  - type: Pods\n", "spec.metrics[0].pods: Required value: must populate information for the given metric source");
    pair(
        HPA,
        "        averageUtilization: 60\n",
        "        averageUtilization: 60\n",
        "",
        "must set either a target raw value or a target utilization",
    );
    pair(
        HPA,
        "        averageUtilization: 60\n",
        "        averageValue: 100m\n",
        "        averageUtilization: 60\n        averageValue: 100m\n",
        "may not set both a target raw value and a target utilization",
    );
    pair(
        HPA,
        "        averageUtilization: 60\n",
        "        averageValue: 100m\n",
        "        averageValue: \"0\"\n",
        "averageValue: Invalid value: \"0\": must be positive",
    );
    pair(
        HPA,
        "    name: myapp\n  minReplicas",
        "    name: myapp\n  minReplicas",
        "    name: \"\"\n  minReplicas",
        "spec.scaleTargetRef.name: Required value",
    );
}

// Ingress v1

#[test]
fn ingress_rules() {
    pair(INGRESS, "pathType: Prefix", "pathType: Exact", "pathType: prefix", "pathType: Unsupported value: \"prefix\": supported values: \"Exact\", \"ImplementationSpecific\", \"Prefix\"");
    pair(
        INGRESS,
        "        pathType: Prefix\n",
        "        pathType: ImplementationSpecific\n",
        "",
        "pathType: Required value: pathType must be specified",
    );
    pair(
        INGRESS,
        "- path: /",
        "- path: /api",
        "- path: api",
        "spec.rules[0].http.paths[0].path: Invalid value: \"api\": must be an absolute path",
    );
    pair(
        INGRESS,
        "- path: /",
        "- path: /a/b",
        "- path: /a//b",
        "must not contain '//'",
    );
    pair(
        INGRESS,
        "host: myapp.local",
        "host: \"*.myapp.local\"",
        "host: myapp.local:8081",
        "spec.rules[0].host: Invalid value: \"myapp.local:8081\": a lowercase RFC 1123 subdomain",
    );
    pair(
        INGRESS,
        "host: myapp.local",
        "host: myapp.local",
        "host: 127.0.0.1",
        "must be a DNS name, not an IP address",
    );
    pair(
        INGRESS,
        "host: myapp.local",
        "host: myapp.local",
        "host: \"*myapp.local\"",
        "a wildcard DNS-1123 subdomain must start with '*.'",
    );
    pair(
        INGRESS,
        "              number: 80\n",
        "              name: web\n",
        "              number: 80\n              name: web\n",
        "cannot set both port name & port number",
    );
    pair(
        INGRESS,
        "              number: 80\n",
        "              number: 65535\n",
        "              number: 65536\n",
        "must be between 1 and 65535, inclusive",
    );
    pair(
        INGRESS,
        "            port:\n              number: 80\n",
        "            port:\n              number: 80\n",
        "            port: {}\n",
        "port name or number is required",
    );
    pair(
        INGRESS,
        "            name: myapp-service\n",
        "            name: myapp-service\n",
        "            name: MyApp\n",
        "backend.service.name: Invalid value: \"MyApp\": a DNS-1035 label",
    );
}

// ConfigMap, Secret

#[test]
fn config_keys_and_secret_data() {
    pair(
        CONFIGMAP,
        "  app.py: print(1)",
        "  app_v2.py: print(1)",
        "  app py: print(1)",
        "a valid config key must consist of alphanumeric characters, '-', '_' or '.'",
    );
    pair(
        CONFIGMAP,
        "  app.py: print(1)",
        "  .env: x",
        "  ..env: x",
        "must not start with '..'",
    );
    pair(
        SECRET,
        "password: c2VjcmV0",
        "password: c2VjcmV0",
        "password: not base64!",
        "illegal base64 data",
    );
    pair(
        SECRET,
        "password: c2VjcmV0",
        "tls.key: c2VjcmV0",
        "tls/key: c2VjcmV0",
        "a valid config key",
    );
}
