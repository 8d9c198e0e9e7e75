//! nbsso moves a NetBox instance's single sign-on to Kanidm: a pure core (plan, validation, version
//! knowledge, generators) and the safe writer the commands and the wizard share.

pub mod accessible;
pub mod allocator;
pub mod app;
pub mod checks;
pub mod cli;
pub mod deploy;
pub mod exit;
pub mod explain;
pub mod generate;
pub mod inspect;
pub mod kanidm;
pub mod keymap;
#[cfg(test)]
mod module_graph;
pub mod plan;
pub mod pyconf;
pub mod quote;
pub mod report;
pub mod runtime;
pub mod secret;
pub mod theme;
pub mod users;
pub mod versions;
pub mod view;
