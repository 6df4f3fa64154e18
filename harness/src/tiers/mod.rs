//! The tiers that run things: the app natively, the image in docker (and, on machines with k3d, the cluster).

pub mod answer;
pub mod app;
pub mod cluster;
pub mod docker;
pub mod expect;
pub mod http;
pub mod image;
pub mod listener;
pub mod prereq;
pub mod spec;
pub mod venv;
pub mod workspace;
