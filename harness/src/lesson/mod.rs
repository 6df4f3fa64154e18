//! The lesson model: markdown blocks with provenance, the files they become, the steps they run.

pub mod artifact;
pub mod bind;
pub mod block;
pub mod classify;
pub mod definition;
pub mod dockerfile;
pub mod image_ref;
pub mod kubeconfig_path;
pub mod markdown;
pub mod model;
pub mod script;
pub mod shell;
pub mod steps;
pub mod tabs;

pub use model::Lesson;
