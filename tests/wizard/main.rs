//! The wizard and the inspect view without a terminal: messages into `update`, whole-screen
//! `TestBackend` snapshots, the real loop on a test backend, and effects performed by the runtime
//! against the test kit's servers.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

mod accessible_files;
mod canary_screens;
mod explain_box;
mod inspect_runtime;
mod inspect_view;
mod wizard_flow;
mod wizard_import;
mod wizard_live;
mod wizard_runtime;
mod wizard_snapshots;
mod wizard_users;
mod wizard_users_live;
