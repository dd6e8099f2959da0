//! `trueup`: the command line over trueup-core.
//!
//! Exit codes: 0 success, 1 differences found or policy violated, 2 error.

use std::io::Write;
use std::path::{Path, PathBuf};
use std::process::ExitCode;

use clap::{Parser, Subcommand, ValueEnum};

#[derive(Parser)]
#[command(
    name = "trueup",
    version,
    about = "GitOps primitives: render overlays exactly as kustomize does"
)]
struct Cli {
    #[command(subcommand)]
    command: Command,
}

#[derive(Subcommand)]
enum Command {
    /// Render a kustomization folder; prints what `kustomize build DIR` prints.
    /// With --all, renders every overlay under a root into one file each.
    Build {
        /// The folder holding kustomization.yaml.
        #[arg(required_unless_present = "all", conflicts_with = "all")]
        dir: Option<PathBuf>,
        /// Render every overlay under this root (folders with a kustomization
        /// no other kustomization under the root uses), in parallel.
        #[arg(long, value_name = "ROOT", requires = "out")]
        all: Option<PathBuf>,
        /// With --all: where to write one YAML file per overlay, named by its
        /// path relative to ROOT.
        #[arg(long, value_name = "DIR")]
        out: Option<PathBuf>,
        /// With --all: how many overlays render at once [default: cores].
        #[arg(long, short)]
        jobs: Option<usize>,
        /// Output format.
        #[arg(long, short, value_enum, default_value_t = Output::Yaml)]
        output: Output,
        /// May kustomizations read files outside their folder? `root-only`
        /// (kustomize's default) or `none`.
        #[arg(long, default_value = "root-only", value_name = "root-only|none")]
        load_restrictor: trueup_core::LoadRestrictor,
    },
}

#[derive(Clone, Copy, ValueEnum)]
enum Output {
    /// YAML documents separated by `---`, byte-identical to kustomize.
    Yaml,
    /// One JSON array of objects.
    Json,
}

fn main() -> ExitCode {
    let cli = Cli::parse();
    match run(cli) {
        Ok(code) => code,
        Err(message) => {
            eprintln!("error: {message}");
            ExitCode::from(2)
        }
    }
}

fn run(cli: Cli) -> Result<ExitCode, String> {
    match cli.command {
        Command::Build {
            all: Some(root),
            out,
            jobs,
            output,
            load_restrictor,
            ..
        } => {
            let out = out.ok_or("--all needs --out DIR")?;
            build_all(
                &root,
                &out,
                jobs,
                output,
                trueup_core::BuildOptions { load_restrictor },
            )
        }
        Command::Build {
            dir,
            output,
            load_restrictor,
            ..
        } => {
            let dir = dir.ok_or("build needs a folder (or --all ROOT)")?;
            let set = trueup_core::build_opts(&dir, &trueup_core::BuildOptions { load_restrictor })
                .map_err(|e| e.to_string())?;
            write_stdout(render(&set, output).as_bytes())?;
            Ok(ExitCode::SUCCESS)
        }
    }
}

/// The set as text in the chosen format.
fn render(set: &trueup_core::ResourceSet, output: Output) -> String {
    match output {
        Output::Yaml => set.to_yaml(),
        Output::Json => set.to_json_pretty(),
    }
}

/// `build --all`: one file per overlay; failures are listed and make the
/// exit code 2, but every other overlay is still written.
fn build_all(
    root: &Path,
    out: &Path,
    jobs: Option<usize>,
    output: Output,
    build: trueup_core::BuildOptions,
) -> Result<ExitCode, String> {
    let options = trueup_core::BuildAllOptions {
        jobs,
        overlays: None,
        build,
    };
    let results = trueup_core::build_all(root, &options).map_err(|e| e.to_string())?;
    let extension = match output {
        Output::Yaml => "yaml",
        Output::Json => "json",
    };
    let mut failed = 0;
    for overlay in &results {
        let name = if overlay.path.is_empty() {
            "root"
        } else {
            &overlay.path
        };
        match &overlay.result {
            Ok(set) => {
                let file = out.join(format!("{name}.{extension}"));
                if let Some(parent) = file.parent() {
                    std::fs::create_dir_all(parent)
                        .map_err(|e| format!("{}: {e}", parent.display()))?;
                }
                std::fs::write(&file, render(set, output))
                    .map_err(|e| format!("{}: {e}", file.display()))?;
            }
            Err(e) => {
                failed += 1;
                eprintln!("error: {name}: {e}");
            }
        }
    }
    eprintln!(
        "rendered {} of {} overlays into {}",
        results.len() - failed,
        results.len(),
        out.display()
    );
    Ok(if failed == 0 {
        ExitCode::SUCCESS
    } else {
        ExitCode::from(2)
    })
}

/// Writes to stdout; a closed pipe (`trueup build . | head`) is not an error.
fn write_stdout(bytes: &[u8]) -> Result<(), String> {
    let mut out = std::io::stdout().lock();
    match out.write_all(bytes).and_then(|()| out.flush()) {
        Err(e) if e.kind() != std::io::ErrorKind::BrokenPipe => Err(e.to_string()),
        _ => Ok(()),
    }
}
