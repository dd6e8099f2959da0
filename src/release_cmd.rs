//! `trueup release ...`: create, identify, verify, compare and apply
//! release manifests (trueup_core::release).

use std::collections::BTreeMap;
use std::path::PathBuf;
use std::process::ExitCode;

use clap::{Subcommand, ValueEnum};
use trueup_core::release::{ApplyOptions, ReleaseManifest, apply_release};

use crate::write_stdout;

#[derive(Subcommand)]
pub(crate) enum ReleaseCommand {
    /// Create a release manifest from flags, or from the images a rendered
    /// overlay runs (every one pinned by digest).
    #[command(after_help = "Examples:\n  \
        trueup release create --name shop-1.4.2 --repository https://github.com/acme/shop \\\n    \
        --revision $GITHUB_SHA --image ghcr.io/acme/shop-api@sha256:... -o release.yaml\n  \
        trueup release create --name shop-1.4.2 --repository https://github.com/acme/shop \\\n    \
        --revision $GITHUB_SHA --from-overlay apps/shop/overlays/staging")]
    Create {
        /// metadata.name.
        #[arg(long)]
        name: String,
        /// The source repository (URL).
        #[arg(long)]
        repository: String,
        /// The commit built: 40 hex digits (64 for SHA-256 repositories).
        #[arg(long)]
        revision: String,
        /// An image, pinned: NAME@sha256:... or NAME:TAG@sha256:... (repeat).
        #[arg(long = "image", value_name = "REF")]
        images: Vec<String>,
        /// Take the images from this overlay's rendered output.
        #[arg(long, value_name = "DIR", conflicts_with = "images")]
        from_overlay: Option<PathBuf>,
        /// An artifact: NAME=REF or NAME=REF@sha256:... (repeat).
        #[arg(long = "artifact", value_name = "NAME=REF")]
        artifacts: Vec<String>,
        /// spec.profile.
        #[arg(long)]
        profile: Option<String>,
        /// A label: KEY=VALUE (repeat).
        #[arg(long = "label", value_name = "KEY=VALUE")]
        labels: Vec<String>,
        /// Write the manifest here instead of standard output.
        #[arg(long, short = 'o', value_name = "FILE")]
        out: Option<PathBuf>,
    },
    /// Print a release's id: sha256 of the canonical JSON of its spec.
    Id {
        /// The release manifest (YAML or JSON).
        file: PathBuf,
    },
    /// Check a release manifest. Exit 0 valid, 1 problems (listed), 2 unreadable.
    Verify {
        /// The release manifest (YAML or JSON).
        file: PathBuf,
    },
    /// What changed from release OLD to release NEW. Exit 0 same, 1 different.
    Diff {
        /// The older release.
        old: PathBuf,
        /// The newer release.
        new: PathBuf,
        /// Output format.
        #[arg(long, short, value_enum, default_value_t = ReleaseDiffOutput::Text)]
        output: ReleaseDiffOutput,
    },
    /// Pin an overlay's images to a release's digests, changing only the
    /// bytes that must change, and record the release in
    /// release-manifest.ref.
    #[command(after_help = "Examples:\n  \
        trueup release apply release.yaml apps/shop/overlays/prod --dry-run\n  \
        trueup release apply release.yaml apps/shop/overlays/prod && git diff")]
    Apply {
        /// The release manifest.
        file: PathBuf,
        /// The environment's overlay folder.
        overlay: PathBuf,
        /// Print the unified diff of the edits and write nothing.
        #[arg(long)]
        dry_run: bool,
    },
}

#[derive(Clone, Copy, ValueEnum)]
pub(crate) enum ReleaseDiffOutput {
    /// `~ name: old -> new`, `+ name: new`, `- name: old`.
    Text,
    /// {"revision", "images", "artifacts"}.
    Json,
}

fn pairs(items: &[String], what: &str) -> Result<Vec<(String, String)>, String> {
    items
        .iter()
        .map(|item| {
            item.split_once('=')
                .map(|(k, v)| (k.to_owned(), v.to_owned()))
                .ok_or_else(|| format!("--{what} {item:?}: expected KEY=VALUE"))
        })
        .collect()
}

fn load(path: &PathBuf) -> Result<ReleaseManifest, String> {
    ReleaseManifest::load(path).map_err(|e| e.to_string())
}

pub(crate) fn run(command: ReleaseCommand) -> Result<ExitCode, String> {
    match command {
        ReleaseCommand::Create {
            name,
            repository,
            revision,
            images,
            from_overlay,
            artifacts,
            profile,
            labels,
            out,
        } => {
            let mut release = match from_overlay {
                Some(dir) => {
                    let rendered = trueup_core::build(&dir).map_err(|e| e.to_string())?;
                    ReleaseManifest::from_manifests(&name, &repository, &revision, &rendered)
                        .map_err(|e| e.to_string())?
                }
                None => {
                    let mut release = ReleaseManifest::new(&name, &repository, &revision);
                    for image in &images {
                        release.add_image(image);
                    }
                    release
                }
            };
            for (artifact, reference) in pairs(&artifacts, "artifact")? {
                release.add_artifact_reference(&artifact, &reference);
            }
            let labels: BTreeMap<String, String> = pairs(&labels, "label")?.into_iter().collect();
            release.set_profile(profile.as_deref(), labels);
            let problems = release.verify();
            if !problems.is_empty() {
                let listed: Vec<String> = problems.iter().map(ToString::to_string).collect();
                return Err(format!(
                    "the release is not valid:\n  {}",
                    listed.join("\n  ")
                ));
            }
            let yaml = release.to_yaml();
            match out {
                Some(path) => {
                    std::fs::write(&path, yaml).map_err(|e| format!("{}: {e}", path.display()))?;
                    eprintln!("{} -> {}", release.id(), path.display());
                }
                None => write_stdout(yaml.as_bytes())?,
            }
            Ok(ExitCode::SUCCESS)
        }
        ReleaseCommand::Id { file } => {
            let release = load(&file)?;
            write_stdout(format!("{}\n", release.id()).as_bytes())?;
            Ok(ExitCode::SUCCESS)
        }
        ReleaseCommand::Verify { file } => {
            let release = load(&file)?;
            let problems = release.verify();
            if problems.is_empty() {
                write_stdout(
                    format!("{}: valid, id {}\n", file.display(), release.id()).as_bytes(),
                )?;
                return Ok(ExitCode::SUCCESS);
            }
            let mut text = String::new();
            for problem in &problems {
                text.push_str(&format!("{}: {problem}\n", file.display()));
            }
            write_stdout(text.as_bytes())?;
            Ok(ExitCode::from(1))
        }
        ReleaseCommand::Diff { old, new, output } => {
            let diff = load(&old)?.compare(&load(&new)?);
            let text = match output {
                ReleaseDiffOutput::Text => diff.to_text(),
                ReleaseDiffOutput::Json => format!("{}\n", diff.to_json()),
            };
            write_stdout(text.as_bytes())?;
            Ok(if diff.is_empty() {
                ExitCode::SUCCESS
            } else {
                ExitCode::from(1)
            })
        }
        ReleaseCommand::Apply {
            file,
            overlay,
            dry_run,
        } => {
            let release = load(&file)?;
            let edits = apply_release(&release, &overlay, &ApplyOptions { write: !dry_run })
                .map_err(|e| e.to_string())?;
            if dry_run {
                let diff: String = edits.iter().map(|e| e.unified_diff()).collect();
                write_stdout(diff.as_bytes())?;
            } else if edits.is_empty() {
                eprintln!("{}: already runs {}", overlay.display(), release.id());
            } else {
                for edit in &edits {
                    eprintln!("wrote {}", edit.path);
                }
            }
            Ok(ExitCode::SUCCESS)
        }
    }
}

/// `trueup evidence ...`.
#[derive(clap::Args)]
#[command(args_conflicts_with_subcommands = true)]
pub(crate) struct EvidenceArgs {
    #[command(subcommand)]
    command: Option<EvidenceCommand>,
    /// The release intended.
    #[arg(long, value_name = "FILE")]
    release: Option<PathBuf>,
    /// The environment's overlay path.
    #[arg(long = "env", value_name = "PATH")]
    environment: Option<PathBuf>,
    /// The GitOps sync revision.
    #[arg(long, value_name = "REV")]
    rev: Option<String>,
    /// The live objects (`kubectl get -o yaml|json`; `-` reads standard input).
    #[arg(long, value_name = "LIVE")]
    live: Option<PathBuf>,
    /// A results file to attach (repeat): its name and sha256 are recorded.
    #[arg(long = "results", value_name = "FILE")]
    results: Vec<PathBuf>,
    /// Approved exceptions: a YAML list of {id, rule, reason, approver, expires, match}.
    #[arg(long, value_name = "FILE")]
    exceptions: Option<PathBuf>,
    /// The namespace desired objects without one go to.
    #[arg(long, short)]
    namespace: Option<String>,
    /// When the bundle is made (RFC 3339); default SOURCE_DATE_EPOCH, else now.
    #[arg(long, value_name = "TIME")]
    created_at: Option<String>,
    /// The repository (default: the one the current folder is in).
    #[arg(long, value_name = "DIR")]
    repo: Option<PathBuf>,
    /// Output format.
    #[arg(long, short, value_enum, default_value_t = EvidenceOutput::Json)]
    output: EvidenceOutput,
}

#[derive(Subcommand)]
enum EvidenceCommand {
    /// Check a bundle's id against its content. Exit 0 valid and ready, 1
    /// valid but not ready, 2 tampered or unreadable.
    Verify {
        /// The bundle (JSON).
        file: PathBuf,
    },
}

#[derive(Clone, Copy, ValueEnum)]
pub(crate) enum EvidenceOutput {
    /// The bundle as JSON.
    Json,
    /// The bundle as Markdown, for people.
    Md,
}

pub(crate) fn evidence(args: EvidenceArgs) -> Result<ExitCode, String> {
    let err = |e: trueup_core::Error| e.to_string();
    if let Some(EvidenceCommand::Verify { file }) = args.command {
        let text =
            std::fs::read_to_string(&file).map_err(|e| format!("{}: {e}", file.display()))?;
        let ready = trueup_core::release::verify_evidence(&text, &file.display().to_string())
            .map_err(err)?;
        write_stdout(
            format!(
                "{}: valid, {}\n",
                file.display(),
                if ready { "ready" } else { "not ready" }
            )
            .as_bytes(),
        )?;
        return Ok(if ready {
            ExitCode::SUCCESS
        } else {
            ExitCode::from(1)
        });
    }
    let need = |what: &str| format!("evidence needs --{what}");
    let release = load(&args.release.ok_or_else(|| need("release"))?)?;
    let environment = args.environment.ok_or_else(|| need("env"))?;
    let rev = args.rev.ok_or_else(|| need("rev"))?;
    let live_path = args.live.ok_or_else(|| need("live"))?;
    let live = if live_path.as_os_str() == "-" {
        trueup_core::load_manifests_reader(std::io::stdin().lock(), "<stdin>").map_err(err)?
    } else {
        trueup_core::diff::load_live(&live_path).map_err(err)?
    };
    let attachments = trueup_core::release::read_attachments(&args.results).map_err(err)?;
    let exceptions = match &args.exceptions {
        Some(path) => trueup_core::release::load_exceptions(path).map_err(err)?,
        None => Vec::new(),
    };
    let repo = trueup_core::git::open_or_discover(args.repo.as_deref()).map_err(err)?;
    let environment = repo.relative_path(&environment).map_err(err)?;
    let bundle = repo
        .evidence(&trueup_core::git::EvidenceRequest {
            release: &release,
            environment: &environment,
            revision: &rev,
            live: &live,
            attachments: &attachments,
            exceptions: &exceptions,
            created_at: args.created_at,
            diff: trueup_core::diff::DiffOptions {
                namespace: args.namespace,
                ..Default::default()
            },
        })
        .map_err(err)?;
    let text = match args.output {
        EvidenceOutput::Json => format!(
            "{}\n",
            serde_json::to_string_pretty(&bundle).map_err(|e| e.to_string())?
        ),
        EvidenceOutput::Md => trueup_core::release::evidence_markdown(&bundle),
    };
    write_stdout(text.as_bytes())?;
    let ready = matches!(
        bundle.get_path(&["ready"]),
        Some(trueup_core::Value::Bool(true))
    );
    Ok(if ready {
        ExitCode::SUCCESS
    } else {
        ExitCode::from(1)
    })
}
