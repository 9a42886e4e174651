//! `cargo xtask decode`: runs the `wix-events` tool of the generated crate, so that
//! decoding uses exactly the types users get (and the xtask itself never depends on
//! generated code, which may be stale while it regenerates it).

use std::path::Path;
use std::process::Command;

/// Arguments, passed through to `wix-events decode`.
#[derive(clap::Args)]
#[command(trailing_var_arg = true, disable_help_flag = true)]
pub struct Args {
    /// `--event NAME [--strict] FILE`, or `--jwt --public-key KEY.pem FILE`; see `--help`.
    #[arg(allow_hyphen_values = true)]
    args: Vec<String>,
}

/// Builds and runs the tool; its exit status becomes ours.
pub fn run(root: &Path, args: Args) -> Result<(), String> {
    let cargo = std::env::var("CARGO").unwrap_or_else(|_| "cargo".to_owned());
    // The tool is the generated crate built with its `cli` feature, which no other build
    // produces: the first run compiles it, and says so rather than sit silent.
    let target = std::env::var_os("CARGO_TARGET_DIR").map_or_else(|| root.join("target"), std::path::PathBuf::from);
    let tool = target.join("debug").join(format!("wix-events{}", std::env::consts::EXE_SUFFIX));
    if !tool.exists() {
        eprintln!("xtask decode: building the wix-events tool (wix-backend-events --features cli) once; later runs start at once");
    }
    let status = Command::new(cargo)
        .current_dir(root)
        .args([
            "run",
            "--quiet",
            "--package",
            "wix-backend-events",
            "--features",
            "cli",
            "--bin",
            "wix-events",
            "--",
            "decode",
        ])
        .args(&args.args)
        .status()
        .map_err(|error| format!("cannot run cargo: {error}"))?;
    match status.code() {
        Some(0) => Ok(()),
        // The tool has already said what went wrong.
        Some(_) => Err(String::new()),
        None => Err("decode was interrupted".to_owned()),
    }
}
