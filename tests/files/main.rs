//! nbsso on files, no server: plans as users write them, the `generate` command, the safe writer,
//! every generated file as a reviewed snapshot, and the Kanidm client-state parsers. Needs nothing
//! beyond bash and python3; the fastest group to run while changing the pure core.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

mod generated_files;
mod kanidm_state;
mod plan_and_cli;
mod writer;
