//! Kubernetes knowledge: strict decoding into k8s-openapi types, the API server's defaults and
//! validation, the table of removed APIs, and the one Kubernetes version the project speaks.

pub mod apis;
pub mod decode;
pub mod defaults;
pub mod validate;
pub mod version;
