//! Kubernetes knowledge: strict decoding into k8s-openapi types and the table of removed APIs.

pub mod apis;
pub mod decode;
