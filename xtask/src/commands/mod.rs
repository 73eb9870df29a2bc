//! One module per command. A command uses the shared modules of the library (`xtask::...`)
//! and `crate::flags` for its arguments, never another command: what two commands need
//! moves into the library.

pub mod bench;
pub mod book;
pub mod demo;
pub mod doctor;
pub mod flake;
pub mod hint;
pub mod progress;
pub mod reset;
pub mod skeleton;
pub mod transcripts;
pub mod verify;
pub mod watch;
