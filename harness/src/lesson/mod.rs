//! The lesson model: markdown blocks with provenance, the files they become, the steps they run.

pub mod block;
pub mod markdown;
pub mod shell;
