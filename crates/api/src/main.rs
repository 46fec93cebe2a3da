//! `orient`: the command line of the orientation assistant.

mod app;
mod cli;
mod config;
mod open_questions;
mod rails;
mod reports;
mod server;

fn main() {
    if let Err(e) = cli::run() {
        // One clear line for the user, never a panic or a backtrace.
        eprintln!("orient: {e:#}");
        std::process::exit(1);
    }
}
