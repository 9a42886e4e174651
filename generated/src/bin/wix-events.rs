//! `wix-events`: decode Wix event payloads from the command line, as a service would
//! (`wix-events --help`; `cargo xtask decode ...` runs it). The tool is the runtime's
//! `cli`, run over this crate's events.

fn main() -> std::process::ExitCode {
    wix_backend_events::cli::main::<wix_backend_events::Event>()
}
