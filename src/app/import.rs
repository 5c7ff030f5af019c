//! `import`: other tools' result files into one results.json that `check` takes like any other.

use std::collections::HashMap;
use std::path::Path;

use super::{to_json, Console};
use crate::cli::ImportArgs;
use crate::collect::environment;
use crate::error::Error;
use crate::exit_code;
use crate::import;
use crate::model::Results;
use crate::output;

/// Reads every file, refuses the whole import on the first bad one (or on a benchmark id two
/// files share), and writes the results file atomically.
pub fn import_command(args: ImportArgs) -> Result<u8, Error> {
    let console = Console { quiet: false };
    // The machine and commit of where the import runs: the tools' files record neither.
    let probe = environment::Probe::start(".".into());
    let mut benchmarks = Vec::new();
    // Which file each id came from: a suite of thousands is checked in one pass.
    let mut from: HashMap<String, &Path> = HashMap::new();
    for file in &args.files {
        let input = |message: String| Error::Input { path: file.clone(), message };
        let text = std::fs::read_to_string(file).map_err(|e| input(format!("cannot read it: {e}")))?;
        let name = file.display().to_string();
        let id = benchmark_name(&args, file)?;
        let options = import::Options { file: &name, name: &id, higher_is_better: &args.higher_is_better };
        let imported = import::import(args.format, &text, &options)
            .map_err(|problem| input(format!("{problem} (reading it as {})", args.format.as_str())))?;
        if args.format == import::Format::Auto {
            let count = imported.benchmarks.len();
            console.status(&format!("{name}: {count} benchmarks, read as {}", imported.format.as_str()));
        }
        for note in &imported.notes {
            console.status(&format!("{name}: {note}"));
        }
        for benchmark in imported.benchmarks {
            if let Some(earlier) = from.insert(benchmark.id.clone(), file) {
                return Err(input(format!(
                    "benchmark `{}` is also in {}: import them into separate results files",
                    benchmark.id,
                    earlier.display()
                )));
            }
            benchmarks.push(benchmark);
        }
    }
    benchmarks.sort_by(|a, b| a.id.cmp(&b.id));
    let (git, machine) = probe.finish(None);
    let results = Results::new(environment::now_rfc3339(), git, machine, benchmarks);
    output::write_atomic(&args.output, &to_json(&results))?;
    console.status(&format!("Results: {} ({} benchmarks)", args.output.display(), results.benchmarks.len()));
    Ok(exit_code::OK)
}

/// The id of a file's one benchmark (k6, oha): `--name`, else the file's stem.
fn benchmark_name(args: &ImportArgs, file: &Path) -> Result<String, Error> {
    if let Some(name) = &args.name {
        if name.trim().is_empty() {
            return Err(Error::Usage("--name: a benchmark id cannot be empty".to_owned()));
        }
        return Ok(name.clone());
    }
    let stem = file.file_stem().map(|s| s.to_string_lossy().into_owned()).unwrap_or_default();
    if stem.is_empty() {
        return Err(Error::Input {
            path: file.to_path_buf(),
            message: "its name gives no benchmark id: pass --name".to_owned(),
        });
    }
    Ok(stem)
}
