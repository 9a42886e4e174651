//! `cargo xtask features` and `cargo xtask budgets`: the generated crate's cargo features
//! as the catalogue defines them (one per module, one per area), compiled one at a time,
//! and the build-time budgets of a catalogue this size.
//!
//! `features` is CI's feature check: each module feature alone, each area alone, no
//! features and all of them; not every subset, whose number doubles with each module.
//! `budgets` measures what a user waits for: codegen over the whole catalogue, and a
//! debug build of the crate with one module, one area and every feature, each with its
//! dependencies already built.

use std::path::Path;
use std::process::Command;
use std::time::{Duration, Instant};

use codegen::model::Catalogue;

/// The package whose features these are.
const PACKAGE: &str = "wix-backend-events";

/// Arguments of `cargo xtask features`.
#[derive(clap::Args)]
pub struct Args {
    /// Print the feature sets, one per line (`-` for none), without compiling.
    #[arg(long)]
    list: bool,
}

/// What a feature set stands for.
#[derive(Clone, Copy, PartialEq, Eq)]
enum Kind {
    Module,
    Area,
    None,
    All,
}

/// One set of features to compile the crate with.
struct FeatureSet {
    kind: Kind,
    /// What it is, for the report (`module ecom-orders`).
    what: String,
    /// The `--features` value; empty for none.
    features: String,
    /// Events it compiles.
    events: usize,
}

/// The catalogue the schemas describe now.
fn catalogue(root: &Path) -> Result<Catalogue, String> {
    let sources = crate::sync::read_schemas(root)?;
    codegen::generate(&sources).map(|generated| generated.catalogue).map_err(|diagnostics| diagnostics.to_string())
}

/// Each module alone, each area alone, none, all: in that order.
fn feature_sets(catalogue: &Catalogue) -> Vec<FeatureSet> {
    let events_of = |feature: &str| {
        catalogue
            .modules
            .iter()
            .filter(|module| module.feature().as_deref() == Some(feature))
            .map(|module| module.events.len())
            .sum()
    };
    let areas = catalogue.areas();
    let mut sets: Vec<FeatureSet> = areas
        .values()
        .flatten()
        .map(|feature| FeatureSet {
            kind: Kind::Module,
            what: format!("module {feature}"),
            features: feature.clone(),
            events: events_of(feature),
        })
        .collect();
    sets.extend(areas.iter().map(|(area, modules)| FeatureSet {
        kind: Kind::Area,
        what: format!("area {area}"),
        features: (*area).to_owned(),
        events: modules.iter().map(|feature| events_of(feature)).sum(),
    }));
    sets.push(FeatureSet { kind: Kind::None, what: "no features".to_owned(), features: String::new(), events: 0 });
    sets.push(FeatureSet {
        kind: Kind::All,
        what: "all features".to_owned(),
        features: areas.keys().copied().collect::<Vec<_>>().join(","),
        events: catalogue.events().count(),
    });
    sets
}

/// `cargo xtask features`: compiles (`cargo check`) the crate with every feature set.
pub fn run(root: &Path, args: &Args) -> Result<(), String> {
    let sets = feature_sets(&catalogue(root)?);
    if args.list {
        for set in &sets {
            println!("{}", if set.features.is_empty() { "-" } else { &set.features });
        }
        return Ok(());
    }
    let started = Instant::now();
    for (index, set) in sets.iter().enumerate() {
        let took = cargo_on_features(root, "check", &set.features)?;
        println!("[{}/{}] {} ({} events): checked in {:.1} s", index + 1, sets.len(), set.what, set.events, secs(took));
    }
    println!("features: {} sets checked in {:.0} s", sets.len(), secs(started.elapsed()));
    Ok(())
}

/// Runs `cargo <verb>` on the crate's library with only `features`, and times it.
fn cargo_on_features(root: &Path, verb: &str, features: &str) -> Result<Duration, String> {
    let mut args = vec![verb, "--quiet", "-p", PACKAGE, "--lib", "--no-default-features"];
    if !features.is_empty() {
        args.extend(["--features", features]);
    }
    cargo(root, &args)
}

/// Runs cargo with `args` in `root`, and times it.
fn cargo(root: &Path, args: &[&str]) -> Result<Duration, String> {
    let program = std::env::var("CARGO").unwrap_or_else(|_| "cargo".to_owned());
    let started = Instant::now();
    // Each build here is done once: an incremental cache would only cost the time and
    // disk to write it (and would time that too), so none is kept, as in CI.
    let status = Command::new(program)
        .current_dir(root)
        .env("CARGO_INCREMENTAL", "0")
        .args(args)
        .status()
        .map_err(|error| format!("cannot run cargo: {error}"))?;
    match status.success() {
        true => Ok(started.elapsed()),
        false => Err(format!("cargo {} failed", args.join(" "))),
    }
}

fn secs(duration: Duration) -> f64 {
    duration.as_secs_f64()
}

/// The catalogue's budgets (BENCHMARKS.md): a user with one module feature waits at most
/// 15 s for the crate, with every feature at most 3 minutes, and codegen over the whole
/// catalogue takes at most 5 s.
const MODULE_BUDGET: Duration = Duration::from_secs(15);
const ALL_BUDGET: Duration = Duration::from_secs(180);
const CODEGEN_BUDGET: Duration = Duration::from_secs(5);

/// `cargo xtask budgets`: measures and prints each budget, and fails when one is missed.
pub fn budgets(root: &Path) -> Result<(), String> {
    let catalogue = catalogue(root)?;
    let sets = feature_sets(&catalogue);
    let mut missed = Vec::new();
    let mut report = |what: String, took: Duration, budget: Option<Duration>| {
        let verdict = match budget {
            Some(budget) if took > budget => {
                missed.push(what.clone());
                format!("over its {:.0} s budget", secs(budget))
            }
            Some(budget) => format!("within {:.0} s", secs(budget)),
            None => String::new(),
        };
        println!("{what:<48} {:>8.2} s  {verdict}", secs(took));
    };

    // Codegen: the in-memory generation and comparison a run does, best of three so that
    // a cold file cache does not count; over growing parts of the catalogue.
    let sources = crate::sync::read_schemas(root)?;
    let total_events = catalogue.events().count();
    for share in [10, 100, total_events] {
        let (part, events) = sources_with_events(&sources, share.min(total_events));
        let took = (0..3).map(|_| time(|| codegen::generate(&part).map(drop).map_err(|error| error.to_string()))).min();
        let took = took.unwrap_or(Ok(Duration::ZERO))?;
        let budget = (events == total_events).then_some(CODEGEN_BUDGET);
        report(format!("codegen, {} schemas, {events} events", part.len()), took, budget);
        if share >= total_events {
            break;
        }
    }
    let took = time(|| crate::sync::plan(root).map(drop))?;
    report(format!("codegen plan (generate + compare), {total_events} events"), took, Some(CODEGEN_BUDGET));

    // Builds: dependencies built once first, then the crate alone, cleaned before each.
    cargo_on_features(root, "build", "")?;
    let largest = |kind: Kind| sets.iter().filter(|set| set.kind == kind).max_by_key(|set| set.events);
    for (set, budget) in [
        (largest(Kind::Module), Some(MODULE_BUDGET)),
        (largest(Kind::Area), None),
        (largest(Kind::All), Some(ALL_BUDGET)),
    ] {
        let Some(set) = set else { continue };
        // The generated crates' build outputs (the crate and its area crates), not
        // their dependencies'.
        let mut clean = vec!["clean".to_owned(), "--quiet".to_owned(), "-p".to_owned(), PACKAGE.to_owned()];
        for area in catalogue.areas().keys().copied().chain([codegen::model::COMMON]) {
            clean.extend(["-p".to_owned(), codegen::emit::crates::package(area)]);
        }
        cargo(root, &clean.iter().map(String::as_str).collect::<Vec<_>>())?;
        let took = cargo_on_features(root, "build", &set.features)?;
        report(format!("debug build, {} ({} events)", set.what, set.events), took, budget);
    }
    if missed.is_empty() {
        Ok(())
    } else {
        Err(format!("budgets missed: {}", missed.join("; ")))
    }
}

/// The first schemas, in path order, that hold at least `events` events, and how many
/// they hold. The schemas others build on come first: `common` (which every event
/// needs) and the shared types (`schemas/imported/shared/`, `<area>/shared.yaml`); a
/// schema that fails without one not yet taken is left out.
fn sources_with_events(sources: &[codegen::SchemaSource], events: usize) -> (Vec<codegen::SchemaSource>, usize) {
    let is_base = |source: &&codegen::SchemaSource| {
        source.path.starts_with("schemas/common/")
            || source.path.contains("/shared/")
            || source.path.ends_with("/shared.yaml")
    };
    let mut part: Vec<codegen::SchemaSource> = sources.iter().filter(is_base).cloned().collect();
    let mut count = 0;
    for source in sources.iter().filter(|source| !is_base(source)) {
        if count >= events {
            break;
        }
        part.push(source.clone());
        match codegen::generate(&part) {
            Ok(generated) => count = generated.catalogue.events().count(),
            Err(_) => drop(part.pop()),
        }
    }
    (part, count)
}

fn time(work: impl FnOnce() -> Result<(), String>) -> Result<Duration, String> {
    let started = Instant::now();
    work()?;
    Ok(started.elapsed())
}
