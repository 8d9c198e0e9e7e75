//! The checks on real sockets against the test kit's servers on 127.0.0.1 (the Kanidm-shaped IdP,
//! the NetBox-shaped server, the hostile servers, a server with a skewed clock), through the engine
//! and through `nbsso check` / `nbsso inspect`; and the self-tests of those servers. Needs no
//! network and nothing installed; some cases wait out deadlines, so this group takes seconds.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

mod canary;
mod check_cli;
mod checks_hostile;
mod checks_kanidm;
mod checks_netbox;
mod clock;
mod explain_report;
mod inspect_cli;
mod test_servers_selftest;
