//! `trueup`: the command line over trueup-core.
//!
//! Exit codes: 0 success, 1 differences found or policy violated, 2 error.

use std::io::Write;
use std::path::{Path, PathBuf};
use std::process::ExitCode;

use std::io::IsTerminal;

use clap::{CommandFactory, Parser, Subcommand, ValueEnum};

mod release_cmd;

#[global_allocator]
static ALLOCATOR: mimalloc::MiMalloc = mimalloc::MiMalloc;

#[derive(Parser)]
#[command(
    name = "trueup",
    version,
    about = "GitOps primitives: render overlays exactly as kustomize does, diff Git against the cluster",
    after_help = "Exit codes: 0 success (in sync), 1 differences found, 2 error.\n\
                  Try: trueup build apps/web/overlays/prod    trueup diff apps/web/overlays/prod --live live.yaml"
)]
struct Cli {
    /// Colour in diffs: `auto` (on a terminal, unless NO_COLOR is set), `always`, `never`.
    #[arg(long, global = true, value_enum, default_value_t = ColorChoice::Auto, value_name = "WHEN")]
    color: ColorChoice,
    #[command(subcommand)]
    command: Command,
}

#[derive(Clone, Copy, ValueEnum)]
enum ColorChoice {
    /// On a terminal, unless NO_COLOR is set (to a non-empty value) or TERM is `dumb`.
    Auto,
    /// Always.
    Always,
    /// Never.
    Never,
}

impl ColorChoice {
    /// Whether standard output gets colour.
    fn enabled(self) -> bool {
        match self {
            ColorChoice::Always => true,
            ColorChoice::Never => false,
            ColorChoice::Auto => {
                std::env::var_os("NO_COLOR").is_none_or(|v| v.is_empty())
                    && std::env::var_os("TERM").is_none_or(|t| t != "dumb")
                    && std::io::stdout().is_terminal()
            }
        }
    }
}

#[derive(Subcommand)]
#[allow(
    clippy::large_enum_variant,
    reason = "one command is parsed once per process; boxing its flags buys nothing"
)]
enum Command {
    /// Render a kustomization folder; prints what `kustomize build DIR` prints.
    /// With --all, renders every overlay under a root into one file each.
    #[command(after_help = "Examples:\n  \
        trueup build apps/web/overlays/prod\n  \
        trueup build apps/web/overlays/prod -o json\n  \
        trueup build apps/web/overlays/prod --rev v1.4      # as it is at a tag, from Git objects\n  \
        trueup build --all . --out rendered/ --jobs 4        # every overlay, one file each\n  \
        trueup build --all apps --rev main --out rendered/ --render-cache .cache/render")]
    Build {
        /// The folder holding kustomization.yaml [default: the current folder].
        #[arg(conflicts_with = "all")]
        dir: Option<PathBuf>,
        /// Render every overlay under this root (folders with a kustomization
        /// no other kustomization under the root uses), in parallel.
        #[arg(long, value_name = "ROOT", requires = "out")]
        all: Option<PathBuf>,
        /// With --all: where to write one file per overlay, named by its path
        /// relative to ROOT with `/` written `%2F` (apps%2Fweb%2Fprod.yaml).
        #[arg(long, value_name = "DIR", requires = "all")]
        out: Option<PathBuf>,
        /// With --all: how many overlays render at once [default: cores].
        #[arg(long, short, requires = "all")]
        jobs: Option<usize>,
        /// With --all: only shard INDEX of COUNT (`2/4`), a deterministic
        /// split by overlay path: COUNT CI jobs, one shard each, render
        /// every overlay exactly once.
        #[arg(long, value_name = "INDEX/COUNT", requires = "all")]
        shard: Option<trueup_core::kustomize::Shard>,
        /// With --all: only the overlays whose inputs (any file they read,
        /// bases and components included) differ from Git revision REV —
        /// the set a pull request changes; compared from Git objects.
        #[arg(long, value_name = "REV", requires = "all")]
        changed_since: Option<String>,
        /// With --all: keep renders in DIR, keyed by the content of every
        /// file they read (their blob ids with --rev); an overlay whose
        /// inputs did not change is read from there, not rendered again.
        #[arg(
            long,
            value_name = "DIR",
            requires = "all",
            conflicts_with = "changed_since"
        )]
        render_cache: Option<PathBuf>,
        /// Output format.
        #[arg(long, short, value_enum, default_value_t = Output::Yaml)]
        output: Output,
        #[command(flatten)]
        flags: RenderFlags,
        /// Render the folder (with --all: every overlay under ROOT) as it is
        /// at this Git revision, from Git objects (no checkout; the working
        /// tree is not read).
        #[arg(long, value_name = "REV", conflicts_with = "changed_since")]
        rev: Option<String>,
        /// With --rev: the repository [default: the one containing the current folder].
        #[arg(long, value_name = "DIR", requires = "rev")]
        repo: Option<PathBuf>,
    },
    /// The commits that changed anything under PATH, newest first: the
    /// deployment audit log of an environment.
    #[command(after_help = "Examples:\n  \
        trueup history apps/web/overlays/prod -n 10\n  \
        trueup history apps/web/overlays/prod --since v1.3 -o json")]
    History {
        /// A folder (or file) of the repository.
        path: PathBuf,
        /// At most this many commits.
        #[arg(long, short = 'n')]
        max: Option<usize>,
        /// Only commits not reachable from this revision (SINCE..REV).
        #[arg(long, value_name = "REV")]
        since: Option<String>,
        /// Where to start.
        #[arg(long, value_name = "REV", default_value = "HEAD")]
        rev: String,
        /// The repository [default: the one PATH is in].
        #[arg(long, value_name = "DIR")]
        repo: Option<PathBuf>,
        /// Output format.
        #[arg(long, short, value_enum, default_value_t = HistoryOutput::Text)]
        output: HistoryOutput,
    },
    /// Commit, on a branch, PATH restored as it was at a revision (--to), or
    /// the revert of one commit limited to PATH (--revert). The working tree
    /// is not touched; the branch moves only if nobody else moved it. Prints
    /// the new commit's id (stdout) and what happened (stderr); nothing to
    /// do is not an error.
    #[command(after_help = "Examples:\n  \
        trueup rollback apps/web/overlays/prod --to v1.3\n  \
        trueup rollback apps/web/overlays/prod --revert 2213616f50f8 --branch deploy/prod-revert")]
    Rollback {
        /// A folder (or file) of the repository.
        path: PathBuf,
        /// The revision whose PATH to restore.
        #[arg(
            long,
            value_name = "REV",
            required_unless_present = "revert",
            conflicts_with = "revert"
        )]
        to: Option<String>,
        /// The commit whose changes under PATH to revert.
        #[arg(long, value_name = "COMMIT")]
        revert: Option<String>,
        /// The branch to commit to [default: the branch HEAD is on].
        #[arg(long, short)]
        branch: Option<String>,
        /// The repository [default: the one PATH is in].
        #[arg(long, value_name = "DIR")]
        repo: Option<PathBuf>,
    },
    /// Compare desired state (Git) with live state (the cluster), three-way
    /// with the last-applied state. Exit 0 when everything is Synced, 1 when
    /// anything differs, is missing or is extraneous, 2 on error.
    #[command(after_help = "Examples:\n  \
        trueup diff apps/web/overlays/prod --live live.yaml -n shop-prod\n  \
        kubectl get deploy,svc,cm -n shop-prod -o json | trueup diff apps/web/overlays/prod --live - -o json\n  \
        trueup diff --from-rev v1.3 --to-rev v1.4 apps/web/overlays/prod   # what a promotion changes")]
    Diff {
        /// Desired state: overlay folders (rendered), folders of YAML files, or YAML files.
        #[arg(required = true, value_name = "DESIRED")]
        desired: Vec<PathBuf>,
        /// Live objects: a YAML or JSON file, or a `kind: List` from
        /// `kubectl get -o yaml`; `-` reads them from standard input.
        #[arg(
            long,
            value_name = "FILE",
            required_unless_present = "from_rev",
            conflicts_with = "from_rev"
        )]
        live: Option<PathBuf>,
        /// Instead of live state: compare the overlay DESIRED at this Git
        /// revision with --to-rev (what a promotion will change).
        #[arg(long, value_name = "REV", requires = "to_rev")]
        from_rev: Option<String>,
        /// The newer revision for --from-rev.
        #[arg(long, value_name = "REV", requires = "from_rev")]
        to_rev: Option<String>,
        /// With --from-rev: the repository [default: the one containing the current folder].
        #[arg(long, value_name = "DIR")]
        repo: Option<PathBuf>,
        /// The last-applied state; by default each live object's
        /// kubectl.kubernetes.io/last-applied-configuration annotation.
        #[arg(long, value_name = "FILE", conflicts_with = "from_rev")]
        last_applied: Option<PathBuf>,
        /// CustomResourceDefinitions (files or folders) that say which custom
        /// kinds are cluster-scoped (repeat; those in DESIRED count too, and
        /// live objects tell the rest).
        #[arg(long, value_name = "PATH", conflicts_with = "from_rev")]
        crds: Vec<PathBuf>,
        /// Output format.
        #[arg(long, short, value_enum, default_value_t = DiffOutput::Text)]
        output: DiffOutput,
        /// A YAML file of ignore rules, like Argo CD's ignoreDifferences.
        #[arg(long, value_name = "RULES_FILE", conflicts_with = "from_rev")]
        ignore: Option<PathBuf>,
        /// The application's name, as the tracking annotation or label carries it (marks extraneous objects).
        #[arg(long, conflicts_with = "from_rev")]
        app: Option<String>,
        /// The namespace desired objects without one go to.
        #[arg(long, short, conflicts_with = "from_rev")]
        namespace: Option<String>,
        /// How live objects are tied to their application, as Argo CD's
        /// resourceTrackingMethod: annotation (argocd.argoproj.io/tracking-id,
        /// Argo CD 3's default), label, or annotation+label.
        #[arg(long, value_name = "METHOD", default_value = "annotation", value_parser = ["annotation", "label", "annotation+label"], conflicts_with = "from_rev")]
        tracking_method: String,
        /// The label that ties live objects to their application, with
        /// --tracking-method label or annotation+label.
        #[arg(long, default_value = trueup_core::diff::DEFAULT_TRACKING_LABEL, conflicts_with = "from_rev")]
        tracking_label: String,
        /// A managedFields manager whose updates are hand edits (repeat;
        /// replaces the default list: kubectl-edit, kubectl-patch, kubectl-set,
        /// kubectl-label, kubectl-annotate, kubectl-scale, kubectl-replace).
        #[arg(
            long = "hand-edit-manager",
            value_name = "MANAGER",
            conflicts_with = "from_rev"
        )]
        hand_edit_managers: Vec<String>,
        /// Do not compare the `rules` of aggregated Roles and ClusterRoles
        /// (Argo CD's `ignoreAggregatedRoles`).
        #[arg(long, conflicts_with = "from_rev")]
        ignore_aggregated_roles: bool,
        /// Whose `status` is not compared, as Argo CD's
        /// ignoreResourceStatusField: all (Argo CD 3's default), crd (only
        /// CustomResourceDefinitions', Argo CD 2's default) or none.
        #[arg(long, value_name = "WHICH", default_value = "all", value_parser = ["all", "crd", "none"], conflicts_with = "from_rev")]
        ignore_resource_status_field: String,
        /// A server-side apply field manager whose `Apply` entry in
        /// managedFields is the last-applied state (repeat; replaces the
        /// default list: argocd-controller, kubectl, kustomize-controller,
        /// helm-controller).
        #[arg(
            long = "apply-manager",
            value_name = "MANAGER",
            conflicts_with = "from_rev"
        )]
        apply_managers: Vec<String>,
        /// Show Secret values as they are (they are masked as ++++++++ by
        /// default, one mask per distinct value, as Argo CD shows them).
        #[arg(long, conflicts_with = "from_rev")]
        show_secrets: bool,
        /// An annotation whose value is masked on Secrets too (repeat).
        #[arg(
            long = "sensitive-annotation",
            value_name = "KEY",
            conflicts_with = "from_rev"
        )]
        sensitive_annotations: Vec<String>,
        /// Argo CD health checks: a folder laid out as Argo CD's
        /// resource_customizations (<group>/<kind>/health.lua), or an argocd-cm
        /// ConfigMap file (resource.customizations.health.<group>_<kind>).
        #[arg(long, value_name = "DIR|FILE", conflicts_with = "from_rev")]
        health_scripts: Option<PathBuf>,
        /// How many threads compare resources [default: cores].
        #[arg(long, short, conflicts_with = "from_rev")]
        jobs: Option<usize>,
    },
    /// Promote a release from one environment's overlay to the next as a
    /// commit on a new branch `deploy/<env>-<release id>`, ready for a pull
    /// request; digests the first environment never ran are refused. Exit 0
    /// promoted (or already promoted), 1 refused as untested, 2 error.
    #[command(after_help = "Examples:\n  \
        trueup promote --from apps/shop/overlays/staging --to apps/shop/overlays/prod\n  \
        trueup promote --from apps/shop/overlays/staging --to apps/shop/overlays/prod --release release.yaml -o json\n  \
        git push origin deploy/prod-0123456789ab   # then open the pull request")]
    Promote {
        /// The overlay the release comes from (staging), relative to the repository's root.
        #[arg(long, value_name = "PATH")]
        from: String,
        /// The overlay it goes to (prod).
        #[arg(long, value_name = "PATH")]
        to: String,
        /// The release to promote; by default the images --from renders at the base tip.
        #[arg(long, value_name = "FILE")]
        release: Option<PathBuf>,
        /// The branch promotions start from.
        #[arg(long, default_value = "main")]
        base: String,
        /// The environment's name in the branch name (default: --to's last folder).
        #[arg(long = "env", value_name = "NAME")]
        environment: Option<String>,
        /// Promote digests --from never ran, for this reason (recorded in the pull request).
        #[arg(long, value_name = "REASON")]
        allow_untested: Option<String>,
        /// The repository (default: the one the current folder is in).
        #[arg(long, value_name = "DIR")]
        repo: Option<PathBuf>,
        /// Output: the pull request's title and body, or JSON (branch, commit, base, releaseId, title, body, images).
        #[arg(long, short, value_enum, default_value_t = PromoteOutput::Text)]
        output: PromoteOutput,
    },
    /// The evidence bundle of an environment at a sync revision: the
    /// release, the hash of Git's desired state, the diff against live
    /// state, live image drift, attached results and exceptions, with a
    /// content id. Exit 0 ready, 1 not ready, 2 error; `evidence verify
    /// FILE` checks a bundle's id.
    #[command(after_help = "Examples:\n  \
        kubectl get deploy,pods -n shop-prod -o json > live.json\n  \
        trueup evidence --release release.yaml --env apps/shop/overlays/prod --rev $SYNC_REV --live live.json --results smoke.xml > evidence.json\n  \
        trueup evidence verify evidence.json")]
    Evidence(release_cmd::EvidenceArgs),
    /// Release manifests: create, id, verify, diff, apply to an overlay.
    Release {
        #[command(subcommand)]
        command: release_cmd::ReleaseCommand,
    },
    /// Guardrails: render every overlay under ROOT and check the rendered
    /// objects and every file of the repository: no secret values, private
    /// keys, kubeconfigs or credentials in Git; images pinned by digest
    /// where required; `images:` entries that match; one owner per object;
    /// environments isolated by namespace; schema-valid objects; valid
    /// names. Configured by ROOT/.trueup/verify.yaml. Exit 0 when no
    /// finding is an error, 1 when one is, 2 on error.
    #[command(after_help = "Examples:\n  \
        trueup verify                                # the current folder\n  \
        trueup verify . -o sarif > trueup.sarif       # for GitHub code scanning\n  \
        trueup verify . --shard 2/4 -o json          # one of 4 CI jobs")]
    Verify {
        /// The repository root [default: the current folder].
        root: Option<PathBuf>,
        /// The configuration [default: ROOT/.trueup/verify.yaml, if there].
        #[arg(long, value_name = "FILE")]
        config: Option<PathBuf>,
        /// Output format.
        #[arg(long, short, value_enum, default_value_t = VerifyOutput::Text)]
        output: VerifyOutput,
        /// How many overlays render at once [default: cores].
        #[arg(long, short)]
        jobs: Option<usize>,
        /// Only shard INDEX of COUNT (`2/4`) of the overlays and files, split
        /// as `build --all --shard` splits them. Rules across overlays
        /// (ownership, isolation) then see only the shard's overlays.
        #[arg(long, value_name = "INDEX/COUNT")]
        shard: Option<trueup_core::kustomize::Shard>,
        #[command(flatten)]
        flags: RenderFlags,
    },
    /// Print a completion script for a shell.
    #[command(after_help = "Examples:\n  \
        trueup completions bash > ~/.local/share/bash-completion/completions/trueup\n  \
        trueup completions zsh > \"${fpath[1]}/_trueup\"\n  \
        trueup completions fish > ~/.config/fish/completions/trueup.fish")]
    Completions {
        /// The shell.
        shell: clap_complete::Shell,
    },
}

#[derive(Clone, Copy, ValueEnum)]
enum PromoteOutput {
    /// The branch and commit, then the pull request's title and body.
    Text,
    /// One JSON object.
    Json,
}

#[derive(Clone, Copy, ValueEnum)]
enum HistoryOutput {
    /// One line per commit (id, time, author, subject), then its files.
    Text,
    /// A JSON list of commits: id, author, email, time, subject, files.
    Json,
}

#[derive(Clone, Copy, ValueEnum)]
enum DiffOutput {
    /// Changes and unified diffs of what differs, then a summary.
    Text,
    /// One JSON object (with --live: summary, sync, health, resources,
    /// warnings; with --from-rev: summary and resources).
    Json,
}

#[derive(Clone, Copy, ValueEnum)]
enum VerifyOutput {
    /// One line per finding: `file:line:column: rule: message`.
    Text,
    /// `{"findings": [...], "exceptions": [...]}`.
    Json,
    /// SARIF 2.1.0 for GitHub code scanning.
    Sarif,
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
    let color = cli.color.enabled();
    match cli.command {
        Command::Release { command } => release_cmd::run(command),
        Command::Evidence(args) => release_cmd::evidence(args),
        Command::Promote {
            from,
            to,
            release,
            base,
            environment,
            allow_untested,
            repo,
            output,
        } => {
            let repo =
                trueup_core::git::open_or_discover(repo.as_deref()).map_err(|e| e.to_string())?;
            let from = repo.relative_path(&from).map_err(|e| e.to_string())?;
            let to = repo.relative_path(&to).map_err(|e| e.to_string())?;
            let release = release
                .map(trueup_core::release::ReleaseManifest::load)
                .transpose()
                .map_err(|e| e.to_string())?;
            let options = trueup_core::git::PromoteOptions {
                base,
                release,
                environment,
                allow_untested,
                ..Default::default()
            };
            match repo.promote(&from, &to, &options) {
                Ok(promotion) => {
                    let text = match output {
                        PromoteOutput::Json => format!("{}\n", promotion.to_json()),
                        PromoteOutput::Text => format!(
                            "{} {} ({})\n\n# {}\n\n{}",
                            promotion.branch,
                            promotion.commit,
                            if promotion.existing {
                                "already there"
                            } else {
                                "new"
                            },
                            promotion.title,
                            promotion.body
                        ),
                    };
                    write_stdout(text.as_bytes())?;
                    Ok(ExitCode::SUCCESS)
                }
                Err(e @ trueup_core::Error::Untested { .. }) => {
                    eprintln!("refused: {e}");
                    Ok(ExitCode::from(1))
                }
                Err(e) => Err(e.to_string()),
            }
        }
        Command::Verify {
            root,
            config,
            output,
            jobs,
            shard,
            flags,
        } => {
            let root = root.unwrap_or_else(|| PathBuf::from("."));
            let config = config
                .map(trueup_core::guard::VerifyConfig::load)
                .transpose()
                .map_err(|e| e.to_string())?;
            let options = trueup_core::guard::VerifyOptions {
                config,
                jobs,
                shard,
                build: flags.build_options(),
                today: None,
            };
            let report = trueup_core::guard::verify(&root, &options).map_err(|e| e.to_string())?;
            let text = match output {
                VerifyOutput::Text => report.to_text(),
                VerifyOutput::Json => format!("{}\n", report.to_json()),
                VerifyOutput::Sarif => format!("{}\n", report.to_sarif()),
            };
            write_stdout(text.as_bytes())?;
            if matches!(output, VerifyOutput::Text) {
                eprintln!("{}", report.summary());
            }
            Ok(if report.failed() {
                ExitCode::from(1)
            } else {
                ExitCode::SUCCESS
            })
        }
        Command::Completions { shell } => {
            let mut script = Vec::new();
            clap_complete::generate(shell, &mut Cli::command(), "trueup", &mut script);
            write_stdout(&script)?;
            Ok(ExitCode::SUCCESS)
        }
        Command::Build {
            all: Some(root),
            out,
            jobs,
            shard,
            changed_since,
            render_cache,
            output,
            flags,
            rev,
            repo,
            ..
        } => {
            let out = out.ok_or("--all needs --out DIR")?;
            let options = trueup_core::BuildAllOptions {
                jobs,
                shard,
                changed_since,
                cache: render_cache.map(trueup_core::kustomize::RenderCache::new),
                build: flags.build_options(),
                ..Default::default()
            };
            build_all(
                &root,
                rev.as_deref(),
                repo.as_deref(),
                &out,
                options,
                output,
            )
        }
        Command::Diff {
            desired,
            from_rev: Some(from),
            to_rev: Some(to),
            repo,
            output,
            ..
        } => {
            let [path] = desired.as_slice() else {
                return Err("--from-rev compares one overlay folder".into());
            };
            let (repo, path) =
                trueup_core::git::locate(repo.as_deref(), path).map_err(|e| e.to_string())?;
            let delta = repo
                .diff_revisions(&path, &from, &to, &trueup_core::BuildOptions::default())
                .map_err(|e| e.to_string())?;
            let text = match output {
                DiffOutput::Text if color => colorize(&delta.to_text()),
                DiffOutput::Text => delta.to_text(),
                DiffOutput::Json => delta.to_json_pretty() + "\n",
            };
            write_stdout(text.as_bytes())?;
            Ok(if delta.resources.is_empty() {
                ExitCode::SUCCESS
            } else {
                ExitCode::from(1)
            })
        }
        Command::History {
            path,
            max,
            since,
            rev,
            repo,
            output,
        } => {
            let (repo, path) =
                trueup_core::git::locate(repo.as_deref(), &path).map_err(|e| e.to_string())?;
            let options = trueup_core::git::HistoryOptions {
                rev: Some(rev),
                max,
                since,
            };
            let commits = repo.history(&path, &options).map_err(|e| e.to_string())?;
            let text = match output {
                HistoryOutput::Json => {
                    serde_json::to_string_pretty(&commits).map_err(|e| e.to_string())? + "\n"
                }
                HistoryOutput::Text => commits
                    .iter()
                    .map(|c| {
                        format!(
                            "{} {} {} {}\n{}",
                            &c.id[..12],
                            c.time,
                            c.author,
                            c.subject,
                            c.files
                                .iter()
                                .map(|f| format!("    {f}\n"))
                                .collect::<String>()
                        )
                    })
                    .collect(),
            };
            write_stdout(text.as_bytes())?;
            Ok(ExitCode::SUCCESS)
        }
        Command::Rollback {
            path,
            to,
            revert,
            branch,
            repo,
        } => {
            let (repo, path) =
                trueup_core::git::locate(repo.as_deref(), &path).map_err(|e| e.to_string())?;
            let what =
                trueup_core::git::Rollback::from_options(to, revert).map_err(|e| e.to_string())?;
            let outcome = repo
                .rollback(&path, &what, branch.as_deref(), &Default::default())
                .map_err(|e| e.to_string())?;
            // The new commit's id on stdout (for scripts), what happened on stderr.
            if let Some(commit) = &outcome.commit {
                write_stdout(format!("{commit}\n").as_bytes())?;
            }
            eprintln!("{}", outcome.message);
            Ok(ExitCode::SUCCESS)
        }
        Command::Diff {
            desired,
            live,
            last_applied,
            crds,
            output,
            ignore,
            app,
            namespace,
            tracking_method,
            tracking_label,
            hand_edit_managers,
            apply_managers,
            ignore_aggregated_roles,
            ignore_resource_status_field,
            jobs,
            show_secrets,
            sensitive_annotations,
            health_scripts,
            ..
        } => {
            let live = live.ok_or("diff needs --live FILE (or --from-rev A --to-rev B)")?;
            let err = |e: trueup_core::Error| e.to_string();
            let defaults = trueup_core::diff::DiffOptions::default();
            let mut options = trueup_core::diff::DiffOptions {
                last_applied: last_applied
                    .map(|path| trueup_core::diff::load_desired(&[path]))
                    .transpose()
                    .map_err(err)?,
                crds: (!crds.is_empty())
                    .then(|| trueup_core::diff::load_desired(&crds))
                    .transpose()
                    .map_err(err)?,
                hand_edit_managers: if hand_edit_managers.is_empty() {
                    defaults.hand_edit_managers
                } else {
                    hand_edit_managers
                },
                apply_managers: if apply_managers.is_empty() {
                    defaults.apply_managers
                } else {
                    apply_managers
                },
                ignore_aggregated_roles,
                ignore_resource_status_field: ignore_resource_status_field.parse().map_err(err)?,
                tracking_method: tracking_method.parse().map_err(err)?,
                tracking_label,
                app,
                namespace,
                jobs,
                show_secrets,
                sensitive_annotations,
                ..defaults
            };
            options
                .read_files(ignore.as_deref(), health_scripts.as_deref())
                .map_err(err)?;
            let desired = trueup_core::diff::load_desired(&desired).map_err(err)?;
            let live = if live.as_os_str() == "-" {
                trueup_core::load_manifests_reader(std::io::stdin().lock(), "<stdin>")
                    .map_err(err)?
            } else {
                trueup_core::diff::load_live(&live).map_err(err)?
            };
            let report = trueup_core::diff::diff(&desired, &live, &options).map_err(err)?;
            // Warnings go to standard error too, where a pipeline's reader sees them.
            for w in &report.warnings {
                eprintln!("warning: {w}");
            }
            let text = match output {
                DiffOutput::Text if color => colorize(&report.to_text()),
                DiffOutput::Text => report.to_text(),
                DiffOutput::Json => report.to_json_pretty() + "\n",
            };
            write_stdout(text.as_bytes())?;
            let code = if report.in_sync() {
                ExitCode::SUCCESS
            } else {
                ExitCode::from(1)
            };
            // The process ends here: freeing thousands of objects one by one
            // would only delay the exit.
            std::mem::forget((desired, live, report));
            Ok(code)
        }
        Command::Build {
            dir,
            output,
            flags,
            rev: Some(rev),
            repo,
            ..
        } => {
            let dir = dir.unwrap_or_else(|| PathBuf::from("."));
            let options = flags.build_options();
            let set = trueup_core::git::build_path(&dir, Some(&rev), repo.as_deref(), &options)
                .map_err(|e| e.to_string())?;
            write_stdout(render(&set, output).as_bytes())?;
            Ok(ExitCode::SUCCESS)
        }
        Command::Build { out: Some(_), .. } | Command::Build { jobs: Some(_), .. } => {
            Err("--out and --jobs go with --all ROOT".into())
        }
        Command::Build {
            dir, output, flags, ..
        } => {
            // As `kustomize build` with no argument: the current folder.
            let dir = dir.unwrap_or_else(|| PathBuf::from("."));
            let set =
                trueup_core::build_opts(&dir, &flags.build_options()).map_err(|e| e.to_string())?;
            write_stdout(render(&set, output).as_bytes())?;
            Ok(ExitCode::SUCCESS)
        }
    }
}

/// How overlays are rendered: the flags `build` and `verify` share.
#[derive(clap::Args)]
struct RenderFlags {
    /// May kustomizations read files outside their folder? `root-only`
    /// (kustomize's default) or `none`.
    #[arg(long, default_value = "root-only", value_name = "root-only|none")]
    load_restrictor: trueup_core::LoadRestrictor,
    /// Never fetch remote resources (HTTP files, Git repositories): a
    /// kustomization that needs one fails, naming it. Repositories are
    /// cached in TRUEUP_CACHE_DIR (default ~/.cache/trueup).
    #[arg(long)]
    no_remote: bool,
}

impl RenderFlags {
    fn build_options(&self) -> trueup_core::BuildOptions {
        trueup_core::BuildOptions {
            load_restrictor: self.load_restrictor,
            remote: (!self.no_remote).into(),
            cache_dir: None,
        }
    }
}

/// A text report with ANSI colours, line by line: removed lines red, added
/// green, hunk headers cyan, file headers bold, statuses and warnings
/// yellow or red.
fn colorize(text: &str) -> String {
    const RESET: &str = "\x1b[0m";
    let mut out = String::with_capacity(text.len() + text.len() / 8);
    for line in text.split_inclusive('\n') {
        let style = if line.starts_with("+++") || line.starts_with("---") {
            "\x1b[1m"
        } else if line.starts_with('+') {
            "\x1b[32m"
        } else if line.starts_with('-') {
            "\x1b[31m"
        } else if line.starts_with("@@") {
            "\x1b[36m"
        } else if line.starts_with("OutOfSync") || line.starts_with("changed") {
            "\x1b[33m"
        } else if line.starts_with("Missing")
            || line.starts_with("Extraneous")
            || line.starts_with("added")
            || line.starts_with("removed")
            || line.starts_with("warning:")
        {
            "\x1b[1;33m"
        } else {
            ""
        };
        if style.is_empty() {
            out.push_str(line);
        } else {
            let body = line.strip_suffix('\n');
            out.push_str(style);
            out.push_str(body.unwrap_or(line));
            out.push_str(RESET);
            if body.is_some() {
                out.push('\n');
            }
        }
    }
    out
}

/// The set as text in the chosen format.
fn render(set: &trueup_core::ManifestSet, output: Output) -> String {
    match output {
        Output::Yaml => set.to_yaml(),
        Output::Json => set.to_json_pretty(),
    }
}

/// `build --all`: one file per overlay; failures are listed and make the
/// exit code 2, but every other overlay is still written.
fn build_all(
    root: &Path,
    rev: Option<&str>,
    repo: Option<&Path>,
    out: &Path,
    mut options: trueup_core::BuildAllOptions,
    output: Output,
) -> Result<ExitCode, String> {
    // On a terminal, a progress line on standard error, redrawn in place
    // (cleared before each line about an overlay).
    let terminal = std::io::stderr().is_terminal();
    let progress = terminal.then(|| {
        trueup_core::kustomize::Progress::new(|done, total| {
            if done == total || done % 16 == 0 {
                eprint!("\rrendering: {done}/{total} overlays");
                if done == total {
                    eprint!("\r\x1b[K");
                }
            }
        })
    });
    options.progress = progress;
    let extension = match output {
        Output::Yaml => "yaml",
        Output::Json => "json",
    };
    std::fs::create_dir_all(out).map_err(|e| format!("{}: {e}", out.display()))?;
    let mut failed = 0;
    // Each overlay written as soon as it is rendered: memory stays bounded
    // however many there are.
    let total = trueup_core::git::build_all_path_each(root, rev, repo, &options, &mut |overlay| {
        let name = if overlay.path.is_empty() {
            "."
        } else {
            &overlay.path
        };
        // One flat file per overlay, named so that none can collide; a
        // failed render or write is reported and the others go on.
        let file = out.join(trueup_core::kustomize::output_file_name(
            &overlay.path,
            extension,
        ));
        let written = match &overlay.result {
            Ok(set) => std::fs::write(&file, render(set, output))
                .map_err(|e| format!("cannot write {}: {e}", file.display())),
            Err(e) => Err(e.to_string()),
        };
        if terminal {
            eprint!("\r\x1b[K");
        }
        // Each line formatted first: one write to the unbuffered stderr.
        let line = match written {
            Ok(()) => format!("{name} -> {}\n", file.display()),
            Err(e) => {
                failed += 1;
                format!("error: {name}: {e}\n")
            }
        };
        eprint!("{line}");
    })
    .map_err(|e| e.to_string())?;
    eprintln!(
        "rendered {} of {total} overlays into {}",
        total - failed,
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
