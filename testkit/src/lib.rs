//! nbsso's test kit: what the integration tests (`tests/*/main.rs`) and the benchmarks share.
//!
//! * [`idp`]: a Kanidm-shaped OIDC provider on loopback TLS ([`idp::TestIdp`]).
//! * [`netbox`]: a NetBox-shaped login server in front of it ([`netbox::TestNetbox`]).
//! * [`hostile`]: servers that answer with huge, endless, slow, broken or misleading data.
//! * [`skewed_date`]: a plain-HTTP server whose `Date` is off by a known amount.
//! * [`https`]: a tiny blocking HTTPS client that trusts a given CA; [`certs`]: a CA and its server.
//! * [`jose`]: JWK/JWS helpers (verify the IdP's tokens like a relying party).
//! * [`oidc_client`]: authorise + token requests against the IdP (PKCE S256).
//! * [`netbox_real`]: the real NetBox 4.7.3 with PostgreSQL and Redis, and a headless login driver.
//! * [`python`]: the real social-auth-core in venvs, driven by `tests/python/`.
//! * [`kanidm`]: the generated scripts against `fake-kanidm`, and the real kanidm CLI's parser.
//! * [`wizard`], [`inspect`]: drive `update` with keys, render on a `TestBackend`.
//! * [`tmux`]: the built binary in a private tmux server, for journeys in a real terminal.
//! * [`plans`]: the example plans and check runs; [`fixtures`]: captures from real Kanidm releases.

pub mod certs;
pub mod fixtures;
pub mod hostile;
pub mod https;
pub mod idp;
mod idp_config;
mod idp_endpoints;
mod idp_flow;
pub mod inspect;
pub mod jose;
pub mod kanidm;
pub mod netbox;
pub mod netbox_real;
pub mod oidc_client;
pub mod pair;
pub mod plans;
pub mod python;
pub mod skewed_date;
pub mod tmux;
pub mod wizard;

use std::path::{Path, PathBuf};

/// The nbsso repository, where `examples/`, `tests/fixtures/` and `tests/python/` live.
pub fn repo_root() -> &'static Path {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .parent()
        .expect("testkit/ sits inside the nbsso repository")
}

/// The `nbsso` binary cargo built for this test or bench run. Cargo builds a package's binaries
/// before its integration tests and benches, and runs those from `target/<profile>/deps/`; the
/// binary sits in `target/<profile>/` (`CARGO_BIN_EXE_nbsso` exists only inside nbsso's own tests).
pub fn built_nbsso() -> PathBuf {
    let exe = std::env::current_exe().expect("the test binary's path");
    let bin = exe
        .parent()
        .and_then(Path::parent)
        .map(|profile| profile.join(format!("nbsso{}", std::env::consts::EXE_SUFFIX)))
        .unwrap_or_else(|| panic!("{} is not in target/<profile>/deps/", exe.display()));
    assert!(
        bin.is_file(),
        "{} does not exist: run the tests through cargo, which builds it first",
        bin.display()
    );
    bin
}
