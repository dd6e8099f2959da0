//! `trueup`: the command line over trueup-core.
//!
//! Exit codes: 0 success, 1 differences found or policy violated, 2 error.

use std::io::Write;
use std::path::PathBuf;
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
    Build {
        /// The folder holding kustomization.yaml.
        dir: PathBuf,
        /// Output format.
        #[arg(long, short, value_enum, default_value_t = Output::Yaml)]
        output: Output,
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
        Command::Build { dir, output } => {
            let set = trueup_core::build(&dir).map_err(|e| e.to_string())?;
            let text = match output {
                Output::Yaml => set.to_yaml(),
                Output::Json => {
                    let objects: Vec<&trueup_core::Value> = set.iter().map(|r| r.value()).collect();
                    let mut json =
                        serde_json::to_string_pretty(&objects).map_err(|e| e.to_string())?;
                    json.push('\n');
                    json
                }
            };
            write_stdout(text.as_bytes())?;
            Ok(ExitCode::SUCCESS)
        }
    }
}

/// Writes to stdout; a closed pipe (`trueup build . | head`) is not an error.
fn write_stdout(bytes: &[u8]) -> Result<(), String> {
    let mut out = std::io::stdout().lock();
    match out.write_all(bytes).and_then(|()| out.flush()) {
        Err(e) if e.kind() != std::io::ErrorKind::BrokenPipe => Err(e.to_string()),
        _ => Ok(()),
    }
}
