//! What nbsso writes, proven by the real programs that read it: the real social-auth-core (Python
//! venvs) logs in with the generated settings, the real kanidm CLI's parser accepts every generated
//! command, the scripts run under bash against a recording `fake-kanidm`, and hostile values stay data
//! in bash and Python. Needs what `tests/run` installs (the venvs, the kanidm CLI); the slowest group
//! after the real NetBox.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

mod drift_converge;
mod idp_selftest;
mod import_patch;
mod injection;
mod kanidm_scripts;
mod socialcore_login;
mod users_migrate;
