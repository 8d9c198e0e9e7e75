//! Shared helpers for the integration tests (`mod support;` in each tests/*.rs).
//!
//! * [`idp`]: a Kanidm-shaped OIDC provider on loopback TLS ([`idp::TestIdp`]).
//! * [`https`]: a tiny blocking HTTPS client that trusts a given CA.
//! * [`jose`]: JWK/JWS helpers (verify the IdP's tokens like a relying party).
//! * [`oidc_client`]: authorise + token requests against the IdP (PKCE S256).
//! * [`netbox_real`]: the real NetBox 4.7.3 with PostgreSQL and Redis, and a headless login driver.
//! * [`python`]: the real social-auth-core in venvs, driven by `tests/python/`.
#![allow(dead_code, unused_imports)]

pub mod certs;
pub mod hostile;
pub mod https;
pub mod idp;
mod idp_config;
mod idp_endpoints;
mod idp_flow;
pub mod jose;
pub mod kanidm;
pub mod netbox;
pub mod netbox_real;
pub mod oidc_client;
pub mod plans;
pub mod python;
pub mod skewed_date;
