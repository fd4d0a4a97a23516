//! Built-in pipelines for people trying the agent: `echo`, `play`, `ivr`.

mod echo;
mod ivr;
mod play;

pub use echo::Echo;
pub use ivr::Ivr;
pub use play::Play;
