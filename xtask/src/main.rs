//! `cargo xtask <task>`: the project's own commands.
//!
//! - `codegen`: regenerate `generated/` from `schemas/` (writes only what changed).
//! - `check`: exit non-zero with a diff when generated files are stale.
//! - `decode`: decode a payload file through the generated crate, as Wix would deliver it.
//! - `features`: compile the generated crate with each module feature, each area, none and all.
//! - `budgets`: measure codegen and build times against the catalogue's budgets.
//! - `import`: regenerate `schemas/imported/` from Wix's SDK packages (`--check`: verify, offline).

mod atomic;
#[cfg(test)]
mod corpus_tests;
mod decode;
mod features;
mod import;
mod sync;

use std::process::ExitCode;

use clap::{Parser, Subcommand};

#[derive(Parser)]
#[command(name = "cargo xtask", about = "Tasks of the wix-backend-events workspace")]
struct Cli {
    #[command(subcommand)]
    task: Task,
}

#[derive(Subcommand)]
enum Task {
    /// Regenerate the crate under generated/ from schemas/.
    Codegen,
    /// Fail with a diff when generated files differ from what the schemas produce.
    Check,
    /// Decode a Velo event object or a webhook body and print it as Velo JSON.
    Decode(decode::Args),
    /// Compile the generated crate with each module feature alone, each area alone, none and all.
    Features(features::Args),
    /// Measure codegen and debug build times (one module, one area, all) against their budgets.
    Budgets,
    /// Import schemas from Wix's SDK packages (import/manifest.toml) into schemas/imported/.
    Import(import::Args),
}

fn main() -> ExitCode {
    let cli = Cli::parse();
    let root = sync::repo_root();
    let result = match cli.task {
        Task::Codegen => sync::codegen(&root),
        Task::Check => sync::check(&root),
        Task::Decode(args) => decode::run(&root, args),
        Task::Features(args) => features::run(&root, &args),
        Task::Budgets => features::budgets(&root),
        Task::Import(args) => import::run(&root, args),
    };
    match result {
        Ok(()) => ExitCode::SUCCESS,
        Err(message) => {
            if !message.is_empty() {
                eprintln!("{message}");
            }
            ExitCode::FAILURE
        }
    }
}
