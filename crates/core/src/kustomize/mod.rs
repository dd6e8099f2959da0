//! Rendering kustomizations the way `kustomize build` does.
//!
//! Rendered: `resources` and `components` (to any depth, with kustomize's load
//! restrictor, cycle and duplicate checks), generators (`configMapGenerator`,
//! `secretGenerator`, `generatorOptions`, content hashes), `namespace`,
//! `namePrefix` / `nameSuffix` with name-reference rewriting, `commonLabels`,
//! `labels`, `commonAnnotations`, `images`, `replicas`, `patches`,
//! `patchesStrategicMerge`, `patchesJson6902`, `replacements`,
//! `configurations`, `sortOptions`, `vars`, builtin `generators`,
//! `transformers` and `validators`, `buildMetadata`, `crds`, `openapi` and
//! remote resources (Git repositories and HTTP files), in kustomize's order.
//! `helmCharts` and external plugins (exec, Go, KRM functions) are refused
//! by name rather than rendered differently.
//!
//! One module per concern: `kustomization` reads the file strictly,
//! `fieldspec` says where transformers write, `transform` holds the simple
//! transformers, `patches`, `generator`, `replacement`, `nameref` the rest,
//! `render_all` renders every overlay of a tree in parallel.

mod bounded;
mod changed;
mod crds;
mod fieldspec;
mod generator;
mod kustomization;
mod nameref;
mod origin;
mod parsed_files;
pub(crate) use parsed_files::ParsedFiles;
mod patches;
mod plugins;
mod remembered;
mod remote;
mod render_all;
mod render_cache;
mod replacement;
mod selector;
mod transform;
mod vars;

use std::path::Path;

pub use fieldspec::{CustomReferral, FieldSpec, TransformerConfig};
pub use generator::{Behavior, GeneratorArgs, GeneratorOptions, content_hash};
pub use kustomization::{
    ImageRewrite, KUSTOMIZATION_FILE_NAMES, Kustomization, KustomizationKind, LabelSet, OpenApi,
    PatchEntry, PatchSource, ReplacementEntry, ReplicaCount, SortOptions,
};
pub use remote::{RemoteAccess, RepoSpec, default_cache_dir, repo_spec};
pub use render_all::{
    BuildAllOptions, OverlayResult, Progress, Shard, build_all, build_all_each, build_all_source,
    build_all_source_each, find_overlays, output_file_name,
};
pub use render_cache::{RenderCache, kept_round_trip};
pub use replacement::{
    DelimitedPart, IdSelector, Replacement, ReplacementSource, ReplacementTarget,
};
pub use selector::Selector;
pub(crate) use transform::split_image;
pub use vars::Var;

use crate::error::Error;
use crate::resource::{ManifestSet, Resource};
use crate::source::{self, DirSource, EntryKind, Source};
use crate::yaml::{ParseLimits, Value};
use vars::VarSet;

/// Renders the kustomization in the folder `path`, as `kustomize build path` does.
///
/// ```no_run
/// let set = trueup_core::build("examples/gitops/apps/web/overlays/prod").unwrap();
/// print!("{}", set.to_yaml());
/// ```
pub fn build(path: impl AsRef<Path>) -> Result<ManifestSet, Error> {
    build_opts(path, &BuildOptions::default())
}

/// kustomize's load restrictor: may a kustomization read files outside its folder?
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum LoadRestrictor {
    /// Only files in or below the kustomization's folder (kustomize's default).
    #[default]
    RootOnly,
    /// Any file (`kustomize build --load-restrictor LoadRestrictionsNone`).
    None,
}

impl std::str::FromStr for LoadRestrictor {
    type Err = Error;

    /// `root-only` / `none`, or kustomize's `LoadRestrictionsRootOnly` / `LoadRestrictionsNone`.
    fn from_str(s: &str) -> Result<Self, Error> {
        match s {
            "root-only" | "rootOnly" | "LoadRestrictionsRootOnly" => Ok(LoadRestrictor::RootOnly),
            "none" | "LoadRestrictionsNone" => Ok(LoadRestrictor::None),
            other => Err(Error::overlay(
                "load_restrictor",
                format!("{other:?}: expected root-only or none"),
            )),
        }
    }
}

/// Options of [`build_opts`] and [`build_source_opts`].
#[derive(Debug, Clone, Default)]
pub struct BuildOptions {
    /// Whether files outside a kustomization's folder may be read.
    pub load_restrictor: LoadRestrictor,
    /// Whether remote resources (HTTP files, Git repositories) may be fetched.
    pub remote: RemoteAccess,
    /// Where fetched Git repositories are cached ([`default_cache_dir`] when `None`).
    pub cache_dir: Option<std::path::PathBuf>,
}

/// [`build`] with options.
///
/// Errors name files as the caller does: with `path` `apps/web/prod`, a
/// broken base file is `apps/web/base/cm.yaml`. A `path` that does not
/// exist, or is not a folder, is an [`Error::Io`] saying so.
pub fn build_opts(path: impl AsRef<Path>, options: &BuildOptions) -> Result<ManifestSet, Error> {
    let path = path.as_ref();
    let shown = path.to_string_lossy();
    check_folder(path, &shown)?;
    let source = DirSource::new(path);
    build_source_opts(&source, "", options)
        .map_err(|e| e.relative_to_folder(&folder_for_names(path)))
}

/// The folder error names are joined to: as the caller gave it, unless a
/// part of it is a symbolic link, where `..` would name the wrong folder
/// (`prod -> /srv/x/prod`: `prod/../base` is `/srv/x/base`); then its real path.
pub(crate) fn folder_for_names(path: &Path) -> String {
    let linked = path
        .ancestors()
        .filter(|a| !a.as_os_str().is_empty())
        .any(|a| std::fs::symlink_metadata(a).is_ok_and(|m| m.file_type().is_symlink()));
    match linked.then(|| std::fs::canonicalize(path).ok()).flatten() {
        Some(real) => real.to_string_lossy().into_owned(),
        None => path.to_string_lossy().into_owned(),
    }
}

/// A folder to render must exist and be a folder (or a link to one); the
/// error says which, with the path as the caller gave it.
pub(crate) fn check_folder(path: &Path, shown: &str) -> Result<(), Error> {
    use std::io::{Error as IoError, ErrorKind as IoKind};
    match std::fs::metadata(path) {
        Ok(meta) if meta.is_dir() => Ok(()),
        Ok(_) => Err(Error::io(
            shown,
            IoError::new(
                IoKind::NotADirectory,
                "is not a directory; give the folder that holds the kustomization",
            ),
        )),
        Err(e) if e.kind() == IoKind::NotFound => Err(Error::io(
            shown,
            IoError::new(IoKind::NotFound, "does not exist"),
        )),
        Err(e) => Err(Error::io(shown, e)),
    }
}

/// Renders the kustomization in folder `dir` of any [`Source`].
///
/// ```
/// use trueup_core::{MemorySource, build_source};
/// let src: MemorySource = [
///     ("app/kustomization.yaml", "resources:\n- cm.yaml\n"),
///     ("app/cm.yaml", "apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: app\n"),
/// ].into_iter().collect();
/// let set = build_source(&src, "app").unwrap();
/// assert_eq!(set.to_yaml(), "apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: app\n");
/// ```
pub fn build_source(source: &dyn Source, dir: &str) -> Result<ManifestSet, Error> {
    build_source_opts(source, dir, &BuildOptions::default())
}

/// [`build_source`] with options.
pub fn build_source_opts(
    source: &dyn Source,
    dir: &str,
    options: &BuildOptions,
) -> Result<ManifestSet, Error> {
    build_source_noting(source, dir, options).map(|(set, _)| set)
}

/// What a build noticed that does not change its output: for `verify`.
#[derive(Debug, Clone, Default)]
pub(crate) struct BuildNotes {
    /// Every `images:` entry of every kustomization of the build, in the
    /// order they were applied, and whether it matched an image.
    pub(crate) image_entries: Vec<ImageEntryUse>,
    /// Whether anything was fetched from a remote target (an HTTP file or
    /// a Git repository): such a render is not cached.
    pub(crate) remote: bool,
}

/// One `images:` entry as a build applied it.
#[derive(Debug, Clone)]
pub(crate) struct ImageEntryUse {
    /// The kustomization file.
    pub(crate) file: String,
    /// The entry's index in its `images:` list.
    pub(crate) index: usize,
    /// The entry.
    pub(crate) rewrite: ImageRewrite,
    /// Whether it matched at least one image.
    pub(crate) matched: bool,
}

/// [`build_source_opts`], also telling what the build noticed.
pub(crate) fn build_source_noting(
    source: &dyn Source,
    dir: &str,
    options: &BuildOptions,
) -> Result<(ManifestSet, BuildNotes), Error> {
    build_source_sharing(source, dir, options, None)
}

/// [`build_source_noting`], copying what `parsed` holds — parsed resource
/// files and kustomizations, and rendered bases when it shares renders —
/// instead of parsing or rendering it again (and keeping there what it
/// parses and renders).
pub(crate) fn build_source_sharing(
    source: &dyn Source,
    dir: &str,
    options: &BuildOptions,
    parsed: Option<&ParsedFiles>,
) -> Result<(ManifestSet, BuildNotes), Error> {
    let dir = source::normalize(dir);
    let mut renderer = Renderer {
        source: SourceHandle::Local(source),
        parsed,
        remote: options.remote,
        cache_dir: options
            .cache_dir
            .clone()
            .unwrap_or_else(remote::default_cache_dir),
        remote_stack: Vec::new(),
        stack: Vec::new(),
        root_sort: None,
        root_file: String::new(),
        restrict: options.load_restrictor == LoadRestrictor::RootOnly,
        folder_stack: Vec::new(),
        metadata: origin::BuildMetadata::default(),
        origin: None,
        schema: None,
        schema_set: false,
        unknown_kind_read: false,
        notes: BuildNotes::default(),
        fetched: std::cell::Cell::new(false),
    };
    let (mut set, config, vars) = renderer.render(&dir)?;
    let root_file = std::mem::take(&mut renderer.root_file);
    generator::apply_name_hashes(&mut set, &root_file)?;
    nameref::fix_references(&mut set, &config, &root_file)?;
    vars.resolve(&mut set, &config.var_reference, &root_file)?;
    set.drop_local_config();
    origin::finish(&mut set, renderer.metadata);
    check_role_binding_subjects(&set, &root_file)?;
    set.normalize_annotations();
    match renderer.root_sort {
        Some(SortOptions::Fifo) => {}
        Some(SortOptions::Legacy {
            order_first,
            order_last,
        }) => {
            let (default_first, default_last) = crate::resource::legacy_kind_order();
            let owned = |l: &[&str]| l.iter().map(|s| s.to_string()).collect::<Vec<_>>();
            let first = order_first.unwrap_or_else(|| owned(default_first));
            let last = order_last.unwrap_or_else(|| owned(default_last));
            set.sort_legacy_with(&first, &last);
        }
        None => set.sort_legacy(),
    }
    let mut notes = renderer.notes;
    notes.remote = renderer.fetched.get();
    Ok((set, notes))
}

/// kustomize refuses a RoleBinding whose ServiceAccount subject has a
/// `namespace` key with no value ("namespace is blank"); an empty string
/// or a missing key is fine, and so is any ClusterRoleBinding.
fn check_role_binding_subjects(set: &ManifestSet, file: &str) -> Result<(), Error> {
    for r in set {
        let id = r.id();
        if id.kind != "RoleBinding" || id.group != "rbac.authorization.k8s.io" {
            continue;
        }
        let Some(Value::Seq(subjects)) = r.value().get_path(&["subjects"]) else {
            continue;
        };
        let blank = subjects.iter().filter_map(Value::as_map).any(|s| {
            s.get("kind").and_then(Value::as_str) == Some("ServiceAccount")
                && matches!(s.get("namespace"), Some(Value::Null))
        });
        if blank {
            return Err(Error::overlay(
                file,
                format!(
                    "{id}: a ServiceAccount subject's namespace is blank (give one, or leave the key out)"
                ),
            ));
        }
    }
    Ok(())
}

/// Finds the kustomization file in a folder, as kustomize does.
pub fn find_kustomization(source: &dyn Source, dir: &str) -> Result<String, Error> {
    let mut found = KUSTOMIZATION_FILE_NAMES
        .iter()
        .map(|name| source::normalize_join(dir, name))
        .filter(|path| source.entry(path) == Some(EntryKind::File));
    match (found.next(), found.next()) {
        (Some(path), None) => Ok(path),
        (Some(_), Some(_)) => Err(Error::overlay(
            source::display(dir),
            "found more than one kustomization file; keep one of kustomization.yaml, kustomization.yml, Kustomization",
        )),
        (None, _) => Err(Error::overlay(
            source::display(dir),
            "unable to find one of 'kustomization.yaml', 'kustomization.yml' or 'Kustomization' in this folder",
        )),
    }
}

/// A transformer configuration: the built-in one, or a copy extended by
/// `configurations`.
type Config = std::borrow::Cow<'static, TransformerConfig>;

/// What one `resources` entry gives: its objects, and for a kustomization
/// its transformer configuration and vars.
type Loaded = (ManifestSet, Option<(Config, VarSet)>);

/// The files being read: the caller's source, or a fetched repository's.
#[derive(Clone)]
enum SourceHandle<'s> {
    Local(&'s dyn Source),
    Remote(std::sync::Arc<crate::git::TreeSource>),
}

impl SourceHandle<'_> {
    fn get(&self) -> &dyn Source {
        match self {
            SourceHandle::Local(source) => *source,
            SourceHandle::Remote(tree) => tree.as_ref(),
        }
    }
}

struct Renderer<'s> {
    source: SourceHandle<'s>,
    /// Files parsed (and bases rendered) earlier in this run, if shared.
    parsed: Option<&'s ParsedFiles>,
    /// Whether remote resources may be fetched.
    remote: RemoteAccess,
    /// Where fetched repositories are cached.
    cache_dir: std::path::PathBuf,
    /// The remote repositories being rendered (URL, path, reference), for cycles.
    remote_stack: Vec<String>,
    /// The folders being rendered, outermost first, for cycle detection.
    stack: Vec<String>,
    /// The top kustomization's `sortOptions`.
    root_sort: Option<SortOptions>,
    /// The top kustomization's file, for messages about the whole build.
    root_file: String,
    /// Whether files must be in or below their kustomization's folder.
    restrict: bool,
    /// The identities of the folders being rendered ([`Source::folder_id`]),
    /// for cycles through links.
    folder_stack: Vec<String>,
    /// The top kustomization's `buildMetadata`.
    metadata: origin::BuildMetadata,
    /// The custom OpenAPI schema strategic merges follow, once a
    /// kustomization named one (`openapi`); kustomize keeps the first one
    /// set for the rest of the build.
    schema: patches::Schema,
    /// Whether `openapi` set the schema (a later one is then ignored).
    schema_set: bool,
    /// Whether an object of a kind outside kustomize's built-in scope table
    /// was read before the schema was set: kyaml then loads its built-in
    /// schema beside a custom one.
    unknown_kind_read: bool,
    /// While origins are tracked (the top kustomization has
    /// `buildMetadata`): the folder being rendered, relative to the top one
    /// (or to a remote repository's root).
    origin: Option<origin::Place>,
    /// What the build noticed, for `verify`.
    notes: BuildNotes,
    /// Whether a remote target was fetched.
    fetched: std::cell::Cell<bool>,
}

impl<'s> Renderer<'s> {
    /// What the run shares of parsed files and rendered bases, while this
    /// renders the repository's own files: a remote target's paths are not
    /// unique across repositories.
    fn shared_parses(&self) -> Option<&'s ParsedFiles> {
        self.parsed
            .filter(|_| matches!(self.source, SourceHandle::Local(_)))
    }
}

impl Renderer<'_> {
    fn read_text(&self, path: &str) -> Result<String, Error> {
        let bytes = self.source.get().read(path)?;
        String::from_utf8(bytes).map_err(|e| Error::Yaml {
            location: crate::error::Location::file(path),
            message: format!("not valid UTF-8 (byte {})", e.utf8_error().valid_up_to()),
        })
    }

    fn render(&mut self, dir: &str) -> Result<(ManifestSet, Config, VarSet), Error> {
        let mut set = ManifestSet::new();
        // kustomize's accumulator starts with no field specs; each base's
        // configuration and then this kustomization's own (the built-in one,
        // copied only when `configurations` or `crds` add to it) merge in.
        let mut config = Config::Borrowed(fieldspec::empty_config());
        let mut vars = VarSet::default();
        self.accumulate(
            dir,
            &mut set,
            &mut config,
            &mut vars,
            KustomizationKind::Kustomization,
        )?;
        Ok((set, config, vars))
    }

    /// kustomize's `accumulateTarget`: resources, generators, components
    /// (which act on everything accumulated so far), then transformers.
    fn accumulate(
        &mut self,
        dir: &str,
        set: &mut ManifestSet,
        config: &mut Config,
        vars: &mut VarSet,
        expected: KustomizationKind,
    ) -> Result<(), Error> {
        let file = find_kustomization(self.source.get(), dir)?;
        // The kustomization file itself is held to the same rule: a link to
        // one outside its folder is refused, as kustomize refuses it.
        let is_link = self
            .source
            .get()
            .entry_no_follow(&file)
            .is_some_and(|(_, link)| link);
        self.check_restriction(dir, &file, &file, is_link)?;
        let text = self.read_text(&file)?;
        let kustomization = match self.shared_parses() {
            Some(parsed) => parsed.kustomization(&file, &text)?,
            None => Kustomization::parse(&text, &file)?,
        };
        let is_root = self.root_file.is_empty();
        if is_root {
            self.root_sort = kustomization.sort_options.clone();
            self.root_file = file.clone();
            self.metadata = origin::BuildMetadata::from_options(&kustomization.build_metadata);
            if !kustomization.build_metadata.is_empty() {
                self.origin = Some(origin::Place::default());
            }
        }
        if !self.schema_set
            && let Some(openapi) = &kustomization.openapi
        {
            self.schema_set = true;
            self.schema = match openapi {
                OpenApi::Path(path) => {
                    let (full, text) = self.read_entry_text(dir, &file, path)?;
                    let custom = crate::patch::openapi::CustomSchema::intern(&text)
                        .map_err(|e| Error::overlay(&full, format!("invalid schema file: {e}")))?;
                    Some(crate::patch::strategic_merge::SchemaChoice {
                        custom,
                        with_builtin: self.unknown_kind_read,
                    })
                }
                OpenApi::BuiltinVersion => None,
            };
        }
        let file_name = file.rsplit('/').next().unwrap_or(&file).to_owned();
        // Where the builtin plugins of this kustomization are configured.
        // Where the builtin plugins of this kustomization are configured.
        let place = self.origin.clone();
        let record = |set: &mut ManifestSet, kind: &str, times: usize| {
            if let Some(place) = &place {
                let by = place.builtin(&file_name, kind);
                for _ in 0..times {
                    origin::record_transformation(set, &by);
                }
            }
        };
        match (expected, kustomization.kind) {
            (KustomizationKind::Component, KustomizationKind::Kustomization) => {
                return Err(Error::overlay(
                    &file,
                    "listed in components, so it must be a kustomization of kind: Component",
                ));
            }
            (KustomizationKind::Kustomization, KustomizationKind::Component) if !is_root => {
                return Err(Error::overlay(
                    &file,
                    "a kind: Component cannot be listed in resources; list it in components",
                ));
            }
            _ => {}
        }
        let folder = self.source.get().folder_id(dir)?;
        if self.folder_stack.contains(&folder) {
            return Err(Error::overlay(
                &file,
                format!(
                    "cycle detected: {} is a folder being rendered already (through a symbolic link)",
                    source::display(dir)
                ),
            ));
        }
        self.stack.push(dir.to_owned());
        self.folder_stack.push(folder);
        for entry in &kustomization.resources {
            let (loaded, child) = self.load_resource(dir, &file, entry)?;
            set.extend(loaded, &file)?;
            if let Some((child_config, child_vars)) = child {
                merge_config(config, &child_config);
                vars.merge_set(child_vars, &file)?;
            }
        }
        let own = if kustomization.configurations.is_empty() {
            Config::Borrowed(fieldspec::defaults())
        } else {
            let mut files = TransformerConfig::empty();
            for path in &kustomization.configurations {
                let (full, text) = self.read_entry_text(dir, &file, path)?;
                let docs = crate::yaml::parse_documents(&text).map_err(|e| e.in_file(&full))?;
                for doc in docs {
                    files.merge(&TransformerConfig::from_value(&doc.value, &full)?);
                }
            }
            let mut own = fieldspec::defaults().clone();
            own.merge(&files);
            Config::Owned(own)
        };
        merge_config(config, &own);
        if !kustomization.crds.is_empty() {
            let mut found = TransformerConfig::empty();
            for path in &kustomization.crds {
                let (full, text) = self.read_entry_text(dir, &file, path)?;
                found.merge(&crds::config_from_definitions(&text, &full)?);
            }
            merge_config(config, &Config::Owned(found));
        }
        for args in &kustomization.generators {
            let read = |path: &str| -> Result<Vec<u8>, Error> {
                self.read_entry(dir, &file, path).map(|(_, bytes)| bytes)
            };
            let mut generated =
                generator::generate(args, &kustomization.generator_options, &file, &read)?;
            if let Some(place) = &place {
                let kind = format!("{}Generator", args.kind);
                let by = place.builtin(&file_name, &kind);
                origin::set_origin_if_missing(&mut generated.value, &by);
            }
            generator::absorb(set, generated, &file)?;
        }
        for (config, origin) in self.plugin_configs(dir, &file, &kustomization.generator_plugins)? {
            let by = self
                .origin
                .as_ref()
                .and_then(|_| origin::Origin::of_plugin(config.value()));
            match plugins::generator(&config, &origin)? {
                plugins::Generator::Data(args) => {
                    let read = |path: &str| -> Result<Vec<u8>, Error> {
                        self.read_entry(dir, &file, path).map(|(_, bytes)| bytes)
                    };
                    let mut generated =
                        generator::generate(&args, &plugins::no_global_options(), &file, &read)?;
                    if let Some(by) = &by {
                        origin::set_origin_if_missing(&mut generated.value, by);
                    }
                    generator::absorb(set, generated, &file)?;
                }
                plugins::Generator::IamPolicy {
                    service_account,
                    namespace,
                    gcp_account,
                    project,
                } => {
                    let mut value = plugins::Generator::iam_service_account(
                        &service_account,
                        &namespace,
                        &gcp_account,
                        &project,
                    );
                    if let Some(by) = &by {
                        origin::set_origin_if_missing(&mut value, by);
                    }
                    let generated = generator::Generated {
                        value,
                        behavior: Behavior::Create,
                        needs_hash: false,
                    };
                    generator::absorb(set, generated, &file)?;
                }
            }
        }
        for component in &kustomization.components {
            let path = source::normalize_join(dir, component);
            if self.source.get().entry(&path).is_none()
                && let Some(spec) = remote::repo_spec(component)
            {
                self.in_repo(&file, component, &spec, |r, path| {
                    r.accumulate(path, set, config, vars, KustomizationKind::Component)
                })?;
                continue;
            }
            if self.stack.contains(&path) {
                return Err(Error::overlay(
                    &file,
                    format!("cycle detected at component {component}"),
                ));
            }
            if self.source.get().entry(&path) != Some(EntryKind::Dir) {
                return Err(Error::overlay(
                    &file,
                    format!("components: '{component}' is not a folder"),
                ));
            }
            let saved = self.origin.clone();
            if let Some(o) = &mut self.origin {
                *o = o.join(component);
            }
            let done = self.accumulate(&path, set, config, vars, KustomizationKind::Component);
            self.origin = saved;
            done?;
        }
        // kustomize's builtin transformers, in its order; with build
        // metadata, each instance is recorded on every object after it ran.
        let k = &kustomization;
        let legacy_patches = self.load_legacy_patches(dir, &file, &k.patches_strategic_merge)?;
        patches::apply(
            set,
            &legacy_patches,
            &file,
            patches::Kind::StrategicMerge,
            self.schema,
        )?;
        record(
            set,
            "PatchStrategicMergeTransformer",
            usize::from(!legacy_patches.is_empty()),
        );
        let patches = self.load_patches(dir, &file, &k.patches)?;
        let json_patches = self.load_patches(dir, &file, &k.patches_json6902)?;
        patches::apply(set, &patches, &file, patches::Kind::Detect, self.schema)?;
        record(set, "PatchTransformer", patches.len());
        if let Some(ns) = &k.namespace {
            transform::namespace(
                set,
                ns,
                &config.namespace,
                false,
                transform::SubjectMode::DefaultOnly,
                &file,
            )?;
            record(set, "NamespaceTransformer", 1);
        }
        transform::prefix_suffix(set, &k.name_prefix, &k.name_suffix, config, &file)?;
        record(
            set,
            "PrefixTransformer",
            usize::from(!k.name_prefix.is_empty()),
        );
        record(
            set,
            "SuffixTransformer",
            usize::from(!k.name_suffix.is_empty()),
        );
        transform::labels(set, k, config, &file)?;
        let label_transformers = if k.labels.is_empty() && k.common_labels.is_empty() {
            0
        } else {
            k.labels.len() + 1
        };
        record(set, "LabelTransformer", label_transformers);
        transform::annotations(set, k, config, &file)?;
        record(
            set,
            "AnnotationsTransformer",
            usize::from(!k.common_annotations.is_empty()),
        );
        patches::apply(
            set,
            &json_patches,
            &file,
            patches::Kind::Json6902,
            self.schema,
        )?;
        record(set, "PatchJson6902Transformer", json_patches.len());
        // replicas and images come after patchesJson6902 in kustomize's order.
        transform::replicas(set, &k.replicas, &config.replicas, &file)?;
        record(set, "ReplicaCountTransformer", k.replicas.len());
        let matched = transform::images(set, &k.images, &config.images, &file)?;
        self.notes
            .image_entries
            .extend(
                k.images
                    .iter()
                    .zip(matched)
                    .enumerate()
                    .map(|(index, (rewrite, matched))| ImageEntryUse {
                        file: file.clone(),
                        index,
                        rewrite: rewrite.clone(),
                        matched,
                    }),
            );
        record(set, "ImageTagTransformer", k.images.len());
        let replacements = self.load_replacements(dir, &file, &k.replacements)?;
        replacement::apply(set, &replacements, &file)?;
        record(
            set,
            "ReplacementTransformer",
            usize::from(!k.replacements.is_empty()),
        );
        for (config, origin) in self.plugin_configs(dir, &file, &k.transformer_plugins)? {
            let by = self
                .origin
                .as_ref()
                .and_then(|_| origin::Origin::of_plugin(config.value()));
            let transformer = plugins::transformer(&config, &origin, "transformers")?;
            self.run_transformer(dir, &file, set, transformer)?;
            if let Some(by) = &by {
                origin::record_transformation(set, by);
            }
        }
        // kustomize's runValidators: each runs on a copy it must not change.
        for (config, origin) in self.plugin_configs(dir, &file, &k.validator_plugins)? {
            let transformer = plugins::transformer(&config, &origin, "validators")?;
            let mut copy = set.clone();
            self.run_transformer(dir, &file, &mut copy, transformer)?;
            if copy.to_yaml() != set.to_yaml() {
                return Err(Error::overlay(
                    &origin,
                    format!(
                        "validator shouldn't modify the resource map: {} changed it",
                        config.id()
                    ),
                ));
            }
        }
        vars.declare(set, &kustomization.vars, &file)?;
        self.stack.pop();
        self.folder_stack.pop();
        Ok(())
    }

    /// The plugin configurations of `generators:` or `transformers:`, in
    /// order, each with the file it came from: inline YAML, files of them,
    /// or folders whose kustomization renders them (kustomize's
    /// accumulateResources, so that two with one identity are an error).
    fn plugin_configs(
        &mut self,
        dir: &str,
        file: &str,
        entries: &[String],
    ) -> Result<Vec<(Resource, String)>, Error> {
        if entries.is_empty() {
            return Ok(Vec::new());
        }
        // kustomize takes every inline configuration first, then the files
        // and folders, whatever the order they are listed in.
        let is_inline = |entry: &str| {
            entry.contains('\n')
                || crate::yaml::parse_documents(entry)
                    .is_ok_and(|docs| docs.iter().any(|d| d.value.as_map().is_some()))
        };
        let (inline, paths): (Vec<&String>, Vec<&String>) =
            entries.iter().partition(|e| is_inline(e));
        let mut configs = ManifestSet::new();
        for entry in inline {
            let mut set =
                ManifestSet::from_yaml_keeping_local(entry, file, &ParseLimits::default())?;
            if let Some(o) = &self.origin {
                let file_name = file.rsplit('/').next().unwrap_or(file);
                self.annotate_origin(&mut set, &o.file(file_name));
            }
            self.note_kinds(&set);
            configs.extend(set, file)?;
        }
        for entry in paths {
            let (set, _) = self.load_resource(dir, file, entry)?;
            configs.extend(set, file)?;
        }
        Ok(configs
            .into_iter()
            .map(|r| {
                let origin = r.origin().file.clone().unwrap_or_else(|| file.to_owned());
                (r, origin)
            })
            .collect())
    }

    /// Runs one builtin transformer of `transformers:`; files it names are
    /// relative to the kustomization's folder, as in kustomize.
    fn run_transformer(
        &self,
        dir: &str,
        file: &str,
        set: &mut ManifestSet,
        transformer: plugins::Transformer,
    ) -> Result<(), Error> {
        use plugins::Transformer as T;
        match transformer {
            T::Namespace {
                namespace,
                specs,
                unset_only,
                subjects,
            } => {
                if !namespace.is_empty() {
                    transform::namespace(set, &namespace, &specs, unset_only, subjects, file)?;
                }
            }
            T::Affix {
                prefix,
                suffix,
                specs,
            } => transform::prefix_suffix_at(set, &prefix, &suffix, &specs, file, "prefix/suffix")?,
            T::Labels { pairs, specs } => {
                transform::apply_pairs(set, file, "LabelTransformer", &pairs, &specs)?
            }
            T::Annotations { pairs, specs } => {
                transform::apply_pairs(set, file, "AnnotationsTransformer", &pairs, &specs)?
            }
            T::Image { rewrite, specs } => {
                transform::images(set, &[rewrite], &specs, file)?;
            }
            T::Replicas { replica, specs } => transform::replicas(set, &[replica], &specs, file)?,
            T::Patch { entry, json6902 } => {
                let loaded = self.load_patches(dir, file, &[entry])?;
                let kind = if json6902 {
                    patches::Kind::Json6902
                } else {
                    patches::Kind::Detect
                };
                patches::apply(set, &loaded, file, kind, self.schema)?;
            }
            T::StrategicMerge { paths, patches } => {
                let mut loaded = self.load_legacy_patches(dir, file, &paths)?;
                if let Some(text) = patches {
                    loaded.extend(self.load_patches(dir, file, &[plugins::inline_patch(&text)])?);
                }
                patches::apply(
                    set,
                    &loaded,
                    file,
                    patches::Kind::StrategicMerge,
                    self.schema,
                )?;
            }
            T::Replacements(entries) => {
                let replacements = self.load_replacements(dir, file, &entries)?;
                replacement::apply(set, &replacements, file)?;
            }
            T::Hash => generator::apply_name_hashes(set, file)?,
        }
        Ok(())
    }

    /// Notes whether `set` holds a kind kyaml's built-in scope table lacks,
    /// while no schema is set yet.
    fn note_kinds(&mut self, set: &ManifestSet) {
        if !self.schema_set && !self.unknown_kind_read {
            self.unknown_kind_read = set.iter().any(|r| !r.id().in_kustomize_scope_table());
        }
    }

    /// Sets the origin annotation `path` on every object of `set`.
    fn annotate_origin(&self, set: &mut ManifestSet, by: &origin::Origin) {
        let mut values = set.take_values();
        for value in &mut values {
            origin::set_origin(value, by);
        }
        set.put_values(values);
    }

    /// The replacements of a kustomization, files read.
    fn load_replacements(
        &self,
        dir: &str,
        file: &str,
        entries: &[ReplacementEntry],
    ) -> Result<Vec<Replacement>, Error> {
        let mut out = Vec::new();
        for entry in entries {
            match entry {
                ReplacementEntry::Inline(r) => out.push(r.clone()),
                ReplacementEntry::File(path) => {
                    let (full, text) = self.read_entry_text(dir, file, path)?;
                    let docs = crate::yaml::parse_documents(&text).map_err(|e| e.in_file(&full))?;
                    for doc in docs.into_iter().filter(|d| !d.value.is_null()) {
                        match &doc.value {
                            Value::Seq(items) => {
                                for (i, item) in items.iter().enumerate() {
                                    out.push(replacement::from_value(
                                        item,
                                        &full,
                                        &format!("[{i}]"),
                                    )?);
                                }
                            }
                            other => {
                                out.push(replacement::from_value(other, &full, "replacement")?)
                            }
                        }
                    }
                }
            }
        }
        Ok(out)
    }

    /// Reads the text of each patch (files relative to `dir`, within it).
    fn load_patches(
        &self,
        dir: &str,
        file: &str,
        entries: &[PatchEntry],
    ) -> Result<Vec<patches::LoadedPatch>, Error> {
        entries
            .iter()
            .map(|entry| {
                let (text, origin) = match &entry.source {
                    PatchSource::Inline(text) => (text.clone(), file.to_owned()),
                    PatchSource::File(path) => {
                        let (full, text) = self.read_entry_text(dir, file, path)?;
                        (text, full)
                    }
                };
                Ok(patches::LoadedPatch {
                    entry: entry.clone(),
                    text,
                    origin,
                })
            })
            .collect()
    }

    /// `patchesStrategicMerge` entries: a file when one exists at that path,
    /// otherwise the text of a patch.
    fn load_legacy_patches(
        &self,
        dir: &str,
        file: &str,
        entries: &[String],
    ) -> Result<Vec<patches::LoadedPatch>, Error> {
        let as_entries: Vec<PatchEntry> = entries
            .iter()
            .map(|entry| {
                let path = source::normalize_join(dir, entry);
                let is_file = !entry.contains('\n')
                    && self.source.get().entry(&path) == Some(EntryKind::File);
                let looks_inline = entry.contains('\n') || entry.contains(": ");
                let source = if is_file || !looks_inline {
                    PatchSource::File(entry.clone())
                } else {
                    PatchSource::Inline(entry.clone())
                };
                PatchEntry {
                    source,
                    target: None,
                    allow_name_change: false,
                    allow_kind_change: false,
                }
            })
            .collect();
        self.load_patches(dir, file, &as_entries)
    }

    /// A file a kustomization names: an `http(s)://` URL (fetched, as
    /// kustomize's loader does), or a path in or below its folder. Returns
    /// its name for messages and its bytes.
    fn read_entry(&self, dir: &str, file: &str, entry: &str) -> Result<(String, Vec<u8>), Error> {
        let shown = remote::shown(entry);
        if remote::is_http(entry) {
            if self.remote == RemoteAccess::Refused {
                return Err(remote::refused(entry, file));
            }
            self.fetched.set(true);
            let bytes = remote::fetch_http(entry).map_err(|failure| {
                Error::overlay(file, format!("{shown}: {}", remote::describe(&failure)))
            })?;
            return Ok((shown.into_owned(), bytes));
        }
        let full = self.restricted_file(dir, file, entry)?;
        let bytes = self.source.get().read(&full)?;
        Ok((full, bytes))
    }

    /// [`Renderer::read_entry`] as UTF-8 text.
    fn read_entry_text(
        &self,
        dir: &str,
        file: &str,
        entry: &str,
    ) -> Result<(String, String), Error> {
        let (name, bytes) = self.read_entry(dir, file, entry)?;
        let text = String::from_utf8(bytes).map_err(|e| Error::Yaml {
            location: crate::error::Location::file(&name),
            message: format!("not valid UTF-8 (byte {})", e.utf8_error().valid_up_to()),
        })?;
        Ok((name, text))
    }

    /// A remote `resources` entry: a file over HTTP(S) when the URL gives
    /// one, else a Git repository target (kustomize tries them in that order).
    fn load_remote(&mut self, file: &str, entry: &str) -> Result<Option<Loaded>, Error> {
        let shown = remote::shown(entry);
        let spec = remote::repo_spec(entry);
        if !remote::is_http(entry) {
            return match spec {
                Some(spec) => {
                    self.fetched.set(true);
                    self.load_repo(file, entry, &spec).map(Some)
                }
                None => Ok(None),
            };
        }
        if self.remote == RemoteAccess::Refused {
            return Err(remote::refused(entry, file));
        }
        // What the URL gave when it was not a file of objects.
        self.fetched.set(true);
        let not_a_file = match remote::fetch_http(entry) {
            Ok(bytes) => {
                let parsed = String::from_utf8(bytes)
                    .map_err(|_| Error::overlay(file, format!("{shown}: not UTF-8 text")))
                    .and_then(|text| {
                        ManifestSet::from_yaml_keeping_local(&text, &shown, &ParseLimits::default())
                    });
                match parsed {
                    Ok(mut set) => {
                        if let Some(o) = &self.origin {
                            self.annotate_origin(&mut set, &o.file(entry));
                        }
                        self.note_kinds(&set);
                        return Ok(Some((set, None)));
                    }
                    Err(e) => e.to_string(),
                }
            }
            Err(failure) => remote::describe(&failure),
        };
        let Some(spec) = spec else {
            return Err(Error::overlay(
                file,
                format!("resources: {shown}: {not_a_file}"),
            ));
        };
        // kustomize then takes the URL as a Git repository; when that fails
        // too, both reasons are told.
        self.load_repo(file, entry, &spec)
            .map(Some)
            .map_err(|e| match e {
                Error::Overlay { file, message } => Error::overlay(
                    file,
                    format!("{message} (as a file over HTTP: {not_a_file})"),
                ),
                other => other,
            })
    }

    /// Renders the kustomization at a Git repository target, read from the
    /// fetched repository's objects.
    fn load_repo(&mut self, file: &str, entry: &str, spec: &RepoSpec) -> Result<Loaded, Error> {
        let (set, config, vars) = self.in_repo(file, entry, spec, |r, path| r.render(path))?;
        Ok((set, Some((config, vars))))
    }

    /// Runs `f` with the files of a fetched Git repository target as the
    /// source (given the target's folder in it), then restores the source.
    fn in_repo<T>(
        &mut self,
        file: &str,
        entry: &str,
        spec: &RepoSpec,
        f: impl FnOnce(&mut Self, &str) -> Result<T, Error>,
    ) -> Result<T, Error> {
        let shown = remote::shown(entry);
        if self.remote == RemoteAccess::Refused {
            return Err(remote::refused(entry, file));
        }
        let key = format!("{}//{}?ref={}", spec.clone_url, spec.path, spec.reference);
        if self.remote_stack.contains(&key) {
            return Err(Error::overlay(
                file,
                format!("cycle detected: {shown} is being rendered already"),
            ));
        }
        let tree = std::sync::Arc::new(
            remote::fetch_repo(spec, &self.cache_dir)
                .map_err(|m| Error::overlay(file, format!("{shown}: {m}")))?,
        );
        let source = std::mem::replace(
            &mut self.source,
            SourceHandle::Remote(std::sync::Arc::clone(&tree)),
        );
        // kustomize reads a fetched repository root-only, whatever the flag.
        let restrict = std::mem::replace(&mut self.restrict, true);
        let stack = std::mem::take(&mut self.stack);
        let folders = std::mem::take(&mut self.folder_stack);
        let saved_origin = self.origin.clone();
        if self.origin.is_some() {
            self.origin = Some(origin::Place {
                path: crate::source::normalize(&spec.path),
                repo: spec.clone_url.clone(),
                reference: spec.reference.clone(),
            });
        }
        self.remote_stack.push(key);
        let done = f(self, &crate::source::normalize(&spec.path))
            .and_then(|value| tree.check_intact().map(|()| value));
        self.restrict = restrict;
        self.remote_stack.pop();
        self.origin = saved_origin;
        self.folder_stack = folders;
        self.stack = stack;
        self.source = source;
        done.map_err(|e| match e {
            Error::Unsupported { field, file: inner } => Error::Unsupported {
                field,
                file: format!("{shown} ({inner})"),
            },
            other => Error::overlay(file, format!("{shown}: {other}")),
        })
    }

    /// A file a kustomization names, which must be in or below its folder.
    fn restricted_file(&self, dir: &str, file: &str, entry: &str) -> Result<String, Error> {
        let path = source::normalize_join(dir, entry);
        let found = self.source.get().entry_no_follow(&path);
        self.check_restriction(dir, file, &path, found.is_some_and(|(_, link)| link))?;
        match found {
            Some((EntryKind::File, _)) => Ok(path),
            _ => Err(Error::overlay(
                file,
                format!(
                    "'{entry}' does not exist (looked for {})",
                    source::display(&path)
                ),
            )),
        }
    }

    /// Refuses a file outside `dir` unless the load restrictor is lifted, as
    /// kustomize's LoadRestrictionsRootOnly does: by its path, then by its
    /// real path (symbolic links resolved) against the folder's real path,
    /// so no link leads out either. Special files (devices, pipes) are
    /// refused whatever the restrictor.
    fn check_restriction(
        &self,
        dir: &str,
        file: &str,
        path: &str,
        is_link: bool,
    ) -> Result<(), Error> {
        let refuse = |why: &str| {
            Error::overlay(
                file,
                format!(
                    "security; file '{path}' is not in or below '{}'{why} (kustomize's load restrictor)",
                    source::display(dir)
                ),
            )
        };
        if !self.restrict {
            return Ok(());
        }
        if !source::is_within(path, dir) {
            return Err(refuse(""));
        }
        // Without a link below `dir` the real path is inside `dir`'s real
        // path by construction: one lstat per step down (usually one), and
        // only a link costs resolving both real paths.
        let below = if dir.is_empty() {
            path
        } else {
            path.strip_prefix(dir)
                .map_or(path, |rest| rest.trim_start_matches('/'))
        };
        let mut step = dir.to_owned();
        let mut linked = is_link;
        // The folders between `dir` and the file (the file itself is known).
        let parts: Vec<&str> = below.split('/').filter(|p| !p.is_empty()).collect();
        for part in parts.iter().take(parts.len().saturating_sub(1)) {
            if linked {
                break;
            }
            step = source::normalize_join(&step, part);
            linked = self.source.get().is_symlink(&step);
        }
        if !linked || self.source.get().entry(path).is_none() {
            return Ok(()); // a missing file is reported by the caller
        }
        let real = self.source.get().real_path(path)?;
        let real_dir = self.source.get().real_path(dir)?;
        if !source::is_within(&real, &real_dir) {
            return Err(refuse(" (through a symbolic link)"));
        }
        Ok(())
    }

    /// One `resources` entry: a file of objects, or a folder with its own
    /// kustomization (whose transformer configuration comes along).
    fn load_resource(&mut self, dir: &str, file: &str, entry: &str) -> Result<Loaded, Error> {
        if remote::is_http(entry)
            && let Some(loaded) = self.load_remote(file, entry)?
        {
            return Ok(loaded);
        }
        let path = source::normalize_join(dir, entry);
        match self.source.get().entry_no_follow(&path) {
            Some((EntryKind::File, is_link)) => {
                self.check_restriction(dir, file, &path, is_link)?;
                let text = self.read_text(&path)?;
                let mut set = match self.shared_parses() {
                    Some(parsed) => parsed.objects(&path, &text)?,
                    None => {
                        ManifestSet::from_yaml_keeping_local(&text, &path, &ParseLimits::default())?
                    }
                };
                if let Some(o) = &self.origin {
                    self.annotate_origin(&mut set, &o.file(entry));
                }
                self.note_kinds(&set);
                Ok((set, None))
            }
            Some((EntryKind::Dir, _)) => {
                if self.stack.contains(&path) {
                    let mut chain: Vec<&str> =
                        self.stack.iter().map(|d| source::display(d)).collect();
                    chain.push(source::display(&path));
                    return Err(Error::overlay(
                        file,
                        format!("cycle detected: {}", chain.join(" -> ")),
                    ));
                }
                // A base renders the same for every overlay of a run (no
                // origins to record, no custom schema, nothing remote):
                // rendered once when the run shares renders.
                let shared = self.shared_parses().filter(|p| {
                    p.shares_renders()
                        && self.origin.is_none()
                        && !self.schema_set
                        && !self.fetched.get()
                });
                if let Some(base) = shared.and_then(|p| p.rendered(&path)) {
                    self.unknown_kind_read |= base.reads_unknown_kinds;
                    // Its last user takes it whole; others copy it.
                    return Ok(match std::sync::Arc::try_unwrap(base) {
                        Ok(base) => (base.set, Some((base.config, base.vars))),
                        Err(base) => (
                            base.set.clone(),
                            Some((base.config.clone(), base.vars.clone())),
                        ),
                    });
                }
                let read_unknown_before = self.unknown_kind_read;
                let saved = self.origin.clone();
                if let Some(o) = &mut self.origin {
                    *o = o.join(entry);
                }
                let rendered = self.render(&path);
                self.origin = saved;
                let (set, config, vars) = rendered?;
                if let Some(parsed) = shared
                    && !self.schema_set
                    && !self.fetched.get()
                    && !read_unknown_before
                    && parsed.keeps_rendered(&path)
                {
                    parsed.keep_rendered(
                        &path,
                        parsed_files::RenderedBase {
                            set: set.clone(),
                            config: config.clone(),
                            vars: vars.clone(),
                            reads_unknown_kinds: self.unknown_kind_read,
                        },
                    );
                }
                Ok((set, Some((config, vars))))
            }
            None => match self.load_remote(file, entry)? {
                Some(loaded) => Ok(loaded),
                None => Err(Error::overlay(
                    file,
                    format!(
                        "resources: '{entry}' does not exist (looked for {})",
                        source::display(&path)
                    ),
                )),
            },
        }
    }
}

/// kustomize's `TransformerConfig.Merge` into an accumulator, without
/// copying while only the built-in configuration is involved.
fn merge_config(into: &mut Config, other: &Config) {
    let empty = fieldspec::empty_config();
    let is =
        |c: &Config, t: &TransformerConfig| matches!(c, Config::Borrowed(b) if std::ptr::eq(*b, t));
    match other {
        Config::Borrowed(o) if std::ptr::eq(*o, empty) => {}
        Config::Borrowed(o) if is(into, empty) || is(into, o) => *into = Config::Borrowed(o),
        _ => into.to_mut().merge(other),
    }
}
