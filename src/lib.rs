//! nbsso moves a NetBox instance's single sign-on to Kanidm: a pure core (plan, validation, version
//! knowledge, generators) and the safe writer the commands and the wizard share.

pub mod app;
pub mod checks;
pub mod cli;
pub mod exit;
pub mod generate;
pub mod inspect;
pub mod kanidm;
pub mod keymap;
pub mod plan;
pub mod runtime;
pub mod secret;
pub mod theme;
pub mod versions;
pub mod view;
