//! Promotion as a reviewed Git change: a release goes from environment A's
//! overlay to environment B's on a new branch `deploy/<env>-<12 hex of the
//! release id>`, made from the base branch's tip without touching the
//! working tree, ready for a pull request (title and Markdown body come
//! with it). Production accepts only what staging ran: every digest
//! promoted into B must have been in A's rendered desired state at some
//! commit of A's history on the base branch.

use std::collections::BTreeMap;

use super::write::{CommitRequest, FileChange, WriteOptions};
use super::{HistoryOptions, Repo, tree_path};
use crate::error::Error;
use crate::release::ReleaseManifest;
use crate::resource::ManifestSet;

/// Options of [`Repo::promote`].
#[derive(Debug, Clone)]
pub struct PromoteOptions {
    /// The branch promotions start from.
    pub base: String,
    /// The release to promote; `None`: the images A renders at the base
    /// tip (each must be pinned by digest).
    pub release: Option<ReleaseManifest>,
    /// B's environment name in the branch name; B's last folder when `None`.
    pub environment: Option<String>,
    /// Promote digests A never ran, for this reason (recorded in the pull
    /// request as an exception).
    pub allow_untested: Option<String>,
    /// How many commits of A's history are searched for each digest.
    pub max_history: usize,
    /// Who writes the commit.
    pub write: WriteOptions,
}

impl Default for PromoteOptions {
    fn default() -> Self {
        PromoteOptions {
            base: "main".to_owned(),
            release: None,
            environment: None,
            allow_untested: None,
            max_history: 1_000,
            write: WriteOptions::default(),
        }
    }
}

/// One image a promotion sets in B.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
pub struct PromotedImage {
    /// The image's name.
    pub name: String,
    /// What B runs before the promotion (`name:tag` or `name@digest`).
    pub current: Option<String>,
    /// The digest it gets.
    pub digest: String,
    /// The release's tag for it, if any.
    pub tag: Option<String>,
    /// The commit at which A's desired state ran this digest (`None`: it
    /// never did, and the promotion was allowed as an exception).
    #[serde(rename = "testedAt")]
    pub tested_at: Option<String>,
}

/// What [`Repo::promote`] did.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
pub struct Promotion {
    /// The branch (`deploy/prod-0123456789ab`).
    pub branch: String,
    /// Its commit.
    pub commit: String,
    /// The base branch's tip it starts from.
    pub base: String,
    /// The release's id.
    #[serde(rename = "releaseId")]
    pub release_id: String,
    /// The pull request's title.
    pub title: String,
    /// The pull request's body (Markdown).
    pub body: String,
    /// The images set in B.
    pub images: Vec<PromotedImage>,
    /// Whether the branch already held this promotion (nothing was written).
    pub existing: bool,
}

impl Promotion {
    /// As JSON: `branch`, `commit`, `base`, `releaseId`, `title`, `body`,
    /// `images` (`name`, `current`, `digest`, `tag`, `testedAt`), `existing`.
    pub fn to_json(&self) -> String {
        serde_json::to_string_pretty(self).expect("a promotion always serializes")
    }
}

/// The images of `set`, first reference of each name.
fn references(set: &ManifestSet) -> BTreeMap<String, String> {
    let mut out = BTreeMap::new();
    for image in crate::release::images_in(set) {
        let name = crate::release::split_reference(&image).0.to_owned();
        out.entry(name).or_insert(image);
    }
    out
}

impl Repo {
    /// Promotes a release from the overlay at `from` (A) to the overlay at
    /// `to` (B), paths relative to the repository's root: plans the
    /// byte-minimal edit of B (see [`crate::release::apply_release_source`]),
    /// refuses digests A never ran (unless [`PromoteOptions::allow_untested`]),
    /// and commits the edit on a new branch from the base tip with
    /// compare-and-swap. Re-running the same promotion finds the branch
    /// and writes nothing; a branch of that name with other content is an
    /// error.
    pub fn promote(
        &self,
        from: &str,
        to: &str,
        options: &PromoteOptions,
    ) -> Result<Promotion, Error> {
        let (from, to) = (tree_path(from), tree_path(to));
        let base = self
            .branch_tip(&options.base)?
            .ok_or_else(|| self.error(format!("branch {} does not exist", options.base)))?;
        let tree = self.tree_source(&base)?;
        let render = |path: &str| -> Result<ManifestSet, Error> {
            let set = crate::kustomize::build_source(&tree, path)?;
            tree.check_intact()?;
            Ok(set)
        };
        let rendered_from = render(&from)?;
        let rendered_to = render(&to)?;
        let release = match &options.release {
            Some(release) => release.clone(),
            None => ReleaseManifest::from_manifests(
                &format!("{}-{}", last_folder(&from), &base[..12]),
                self.name(),
                &base,
                &rendered_from,
            )
            .map_err(|e| Error::release(crate::source::display(&from), e.to_string()))?,
        };
        let current = references(&rendered_to);
        let mut images: Vec<PromotedImage> = release
            .images
            .iter()
            .filter(|image| current.contains_key(&image.name))
            .filter_map(|image| {
                Some(PromotedImage {
                    name: image.name.clone(),
                    current: current.get(&image.name).cloned(),
                    digest: image.digest.clone()?,
                    tag: image.tag.clone(),
                    tested_at: None,
                })
            })
            .collect();
        if images.is_empty() {
            return Err(Error::release(
                crate::source::display(&to),
                format!("runs none of the images of release {}", release.name),
            ));
        }
        self.find_tested(&from, &base, &rendered_from, &mut images, options)?;
        let untested: Vec<String> = images
            .iter()
            .filter(|i| i.tested_at.is_none())
            .map(|i| format!("{}@{}", i.name, i.digest))
            .collect();
        if !untested.is_empty() && options.allow_untested.is_none() {
            return Err(Error::Untested {
                environment: crate::source::display(&from).to_owned(),
                images: untested.join(", "),
            });
        }
        // B's render from above serves as the edit's "before"; its "after"
        // gives the pull request's desired-state difference.
        let (edits, rendered_after) =
            crate::release::plan_release(&release, &tree, &to, Some(&rendered_to))?;
        let Some(rendered_after) = rendered_after else {
            return Err(Error::release(
                crate::source::display(&to),
                format!(
                    "already runs the images of release {} on {}: nothing to promote",
                    release.id(),
                    options.base
                ),
            ));
        };
        let environment = options
            .environment
            .clone()
            .unwrap_or_else(|| last_folder(&to).to_owned());
        let id = release.id();
        let hex = id.strip_prefix("sha256:").unwrap_or(&id);
        let branch = format!("deploy/{environment}-{}", &hex[..12.min(hex.len())]);
        let title = format!("Promote {} to {environment}", release.name);
        let changes: Vec<FileChange> = edits
            .iter()
            .map(|e| FileChange {
                path: e.path.clone(),
                content: Some(e.new.clone()),
            })
            .collect();
        let mut promotion = Promotion {
            branch: branch.clone(),
            commit: String::new(),
            base: base.clone(),
            release_id: id.clone(),
            title: title.clone(),
            body: String::new(),
            images,
            existing: false,
        };
        let message = format!(
            "{title}\n\nRelease {} ({id}) from {} to {}.\n",
            release.name,
            crate::source::display(&from),
            crate::source::display(&to)
        );
        let request = CommitRequest {
            branch: branch.clone(),
            parent: Some(base.clone()),
            changes: changes.clone(),
            message,
            options: options.write.clone(),
        };
        let written = match self.branch_tip(&branch)? {
            Some(tip) => Err(tip),
            None => match self.commit(&request) {
                Ok(commit) => Ok(commit),
                // Another promotion created the branch in between.
                Err(Error::BranchMoved { .. }) => match self.branch_tip(&branch)? {
                    Some(tip) => Err(tip),
                    None => return Err(self.error(format!("cannot create {branch}"))),
                },
                Err(e) => return Err(e),
            },
        };
        match written {
            Ok(commit) => promotion.commit = commit,
            Err(tip) => {
                if !self.holds(&tip, &base, &changes)? {
                    return Err(self.error(format!(
                        "branch {branch} exists with other content: delete it, or promote another release"
                    )));
                }
                promotion.commit = tip;
                promotion.existing = true;
            }
        }
        let delta = crate::diff::compare_desired(&rendered_to, &rendered_after);
        promotion.body = body(
            &release,
            &from,
            &to,
            &options.base,
            &promotion,
            &delta,
            options,
        );
        Ok(promotion)
    }

    /// Finds, for each image, a commit at which A's rendered desired state
    /// runs its digest: the base tip first, then A's history on the base
    /// branch, newest first.
    fn find_tested(
        &self,
        from: &str,
        base: &str,
        at_tip: &ManifestSet,
        images: &mut [PromotedImage],
        options: &PromoteOptions,
    ) -> Result<(), Error> {
        let mark = |set: &ManifestSet, commit: &str, images: &mut [PromotedImage]| {
            let runs: Vec<String> = crate::release::images_in(set);
            for image in images.iter_mut().filter(|i| i.tested_at.is_none()) {
                let pinned = |r: &String| {
                    let (name, _, digest) = crate::release::split_reference(r);
                    name == image.name && digest == Some(image.digest.as_str())
                };
                if runs.iter().any(pinned) {
                    image.tested_at = Some(commit.to_owned());
                }
            }
        };
        mark(at_tip, base, images);
        if images.iter().all(|i| i.tested_at.is_some()) {
            return Ok(());
        }
        let history = self.history(
            from,
            &HistoryOptions {
                rev: Some(base.to_owned()),
                max: Some(options.max_history),
                since: None,
            },
        )?;
        for commit in history {
            // A commit where A does not render (yet) ran nothing.
            if let Ok(set) = self.build(from, &commit.id, &Default::default()) {
                mark(&set, &commit.id, images);
            }
            if images.iter().all(|i| i.tested_at.is_some()) {
                break;
            }
        }
        Ok(())
    }

    /// Whether commit `tip` is exactly this promotion: one commit whose
    /// tree is its parent's with `changes` made, nothing else, on a parent
    /// the base branch holds (the base tip, or an older commit of it when
    /// the base moved since the branch was made).
    fn holds(&self, tip: &str, base: &str, changes: &[FileChange]) -> Result<bool, Error> {
        let (parents, tree) = self.commit_shape(tip)?;
        let [parent] = parents[..] else {
            return Ok(false);
        };
        if tree != self.tree_with(parent, changes)? {
            return Ok(false);
        }
        let base = self.resolve_id(base)?;
        if parent == base {
            return Ok(true);
        }
        let repo = self.local();
        let walk = repo.rev_walk([base]).all().map_err(|e| self.error(e))?;
        for (seen, info) in walk.enumerate() {
            let info = info.map_err(|e| self.error(e))?;
            if info.id == parent {
                return Ok(true);
            }
            if seen > 100_000 {
                break;
            }
        }
        Ok(false)
    }
}

fn last_folder(path: &str) -> &str {
    path.rsplit('/').next().unwrap_or(path)
}

/// The pull request's body: the images old → new, the desired-state
/// difference of B, where staging ran each digest, and any exception.
fn body(
    release: &ReleaseManifest,
    from: &str,
    to: &str,
    base_branch: &str,
    promotion: &Promotion,
    delta: &crate::diff::DesiredDiff,
    options: &PromoteOptions,
) -> String {
    use std::fmt::Write as _;
    let mut out = String::new();
    let short = |id: &str| id.get(..12).unwrap_or(id).to_owned();
    let _ = writeln!(
        out,
        "Promotes release **{}** (`{}`) from `{}` to `{}`, from `{base_branch}` at `{}`.\n",
        release.name,
        promotion.release_id,
        crate::source::display(from),
        crate::source::display(to),
        short(&promotion.base)
    );
    let _ = writeln!(
        out,
        "| image | now | promoted | ran in `{}` at |",
        crate::source::display(from)
    );
    let _ = writeln!(out, "| --- | --- | --- | --- |");
    for image in &promotion.images {
        let promoted = match &image.tag {
            Some(tag) => format!("`{}` ({tag})", image.digest),
            None => format!("`{}`", image.digest),
        };
        let tested = match &image.tested_at {
            Some(commit) => format!("`{}`", short(commit)),
            None => "**never** (exception)".to_owned(),
        };
        let now = image
            .current
            .as_deref()
            .map_or("-".to_owned(), |c| format!("`{c}`"));
        let _ = writeln!(out, "| `{}` | {now} | {promoted} | {tested} |", image.name);
    }
    let s = &delta.summary;
    let _ = writeln!(
        out,
        "\n### Desired state of `{}`\n\n{} added, {} removed, {} changed, {} unchanged.\n",
        crate::source::display(to),
        s.added,
        s.removed,
        s.changed,
        s.unchanged
    );
    for r in &delta.resources {
        let _ = writeln!(out, "- {} `{}`", r.change.as_str(), r.id);
        for c in &r.changes {
            let show = |v: &Option<crate::yaml::Value>| match v {
                Some(v) => format!("`{}`", serde_json::to_string(v).unwrap_or_default()),
                None => "(none)".to_owned(),
            };
            let _ = writeln!(out, "  - `{}`: {} → {}", c.path, show(&c.from), show(&c.to));
        }
    }
    if let Some(reason) = &options.allow_untested
        && promotion.images.iter().any(|i| i.tested_at.is_none())
    {
        let _ = writeln!(
            out,
            "\n### Exception\n\nPromoted without having run in `{}`: {reason}",
            crate::source::display(from)
        );
    }
    out
}

/// What [`Repo::evidence`] records.
#[derive(Debug, Clone)]
pub struct EvidenceRequest<'a> {
    /// The release intended.
    pub release: &'a ReleaseManifest,
    /// The environment's overlay path, relative to the repository's root.
    pub environment: &'a str,
    /// The GitOps sync revision.
    pub revision: &'a str,
    /// The live objects.
    pub live: &'a ManifestSet,
    /// Attached results.
    pub attachments: &'a [crate::release::Attachment],
    /// Approved exceptions.
    pub exceptions: &'a [crate::release::Exception],
    /// When the bundle is made (RFC 3339); `SOURCE_DATE_EPOCH` or now when `None`.
    pub created_at: Option<String>,
    /// How the diff against live state is made (namespace, ignore rules...).
    pub diff: crate::diff::DiffOptions,
}

impl Repo {
    /// The evidence bundle of an environment at a sync revision (see
    /// [`crate::release::evidence_bundle`]): its overlay rendered at that
    /// revision from Git objects, diffed against the live objects.
    pub fn evidence(&self, request: &EvidenceRequest<'_>) -> Result<crate::yaml::Value, Error> {
        let environment = tree_path(request.environment);
        let revision = self.resolve(request.revision)?;
        let desired = self.build(&environment, &revision, &Default::default())?;
        let report = crate::diff::diff(&desired, request.live, &request.diff)?;
        let created_at = request
            .created_at
            .clone()
            .unwrap_or_else(crate::release::evidence_time);
        crate::release::evidence_bundle(&crate::release::EvidenceInput {
            release: request.release,
            environment: &environment,
            revision: &revision,
            desired: &desired,
            report: &report,
            live: request.live,
            attachments: request.attachments,
            exceptions: request.exceptions,
            created_at: &created_at,
        })
    }
}
