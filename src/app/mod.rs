//! The wizard's core in the Elm architecture: one [`Model`], one [`Msg`] enum, one [`update`] that
//! returns [`Effect`]s for the runtime to perform. Each screen's state and update is a module of
//! [`screens`]. Pure: no terminal, network or disk in here.

pub mod effect;
pub mod model;
pub mod msg;
pub mod screens;
pub mod step;
pub mod update;

pub use effect::Effect;
pub use model::{Config, Model};
pub use msg::Msg;
pub use step::{Focusable, Step};
pub use update::update;
