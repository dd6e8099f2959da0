//! `mutable-image` and `unused-image-override`.

use super::spans::{PathPart, Position, Step};
use super::{Environment, Files, Finding, Place, Severity};
use crate::kustomize::{BuildNotes, ImageEntryUse, split_image};
use crate::resource::Resource;
use crate::yaml::Value;

/// The container lists whose `image` kustomize and the API server read.
const CONTAINER_LISTS: &[&str] = &["containers", "initContainers", "ephemeralContainers"];

/// Every container image of `value`, with its path.
fn container_images(value: &Value, path: &mut Vec<Step>, out: &mut Vec<(Vec<Step>, String)>) {
    match value {
        Value::Map(map) => {
            for (key, field) in map {
                path.push(Step::Key(key.clone()));
                if CONTAINER_LISTS.contains(&key.as_str())
                    && let Value::Seq(containers) = field
                {
                    for (i, container) in containers.iter().enumerate() {
                        if let Some(image) = container.get_path(&["image"]).and_then(Value::as_str)
                        {
                            let mut at = path.clone();
                            at.push(Step::Index(i));
                            at.push(Step::Key("image".into()));
                            out.push((at, image.to_owned()));
                        }
                    }
                }
                container_images(field, path, out);
                path.pop();
            }
        }
        Value::Seq(items) => {
            for (i, item) in items.iter().enumerate() {
                path.push(Step::Index(i));
                container_images(item, path, out);
                path.pop();
            }
        }
        _ => {}
    }
}

/// `mutable-image`: each container image without a digest where the
/// environment requires digests, and each with `:latest` or no tag.
pub(crate) fn check_images(
    resource: &Resource,
    place: &Place,
    environment: Option<&Environment>,
    notes: &BuildNotes,
    files: &Files<'_>,
    findings: &mut Vec<Finding>,
) {
    if resource.id().kind == "CustomResourceDefinition" {
        return;
    }
    let mut images = Vec::new();
    container_images(resource.value(), &mut Vec::new(), &mut images);
    for (path, image) in images {
        let (name, tag, digest) = split_image(&image);
        if !digest.is_empty() {
            continue;
        }
        let message = match environment {
            Some(env) if env.require_digests => format!(
                "image {image} is not pinned by digest; environment {} requires digests (promote by digest)",
                env.name
            ),
            _ if tag.is_empty() => {
                format!("image {image} has no tag (it means :latest); pin a version or a digest")
            }
            _ if tag == "latest" => {
                format!("image {image} uses the mutable tag :latest; pin a version or a digest")
            }
            _ => continue,
        };
        let parts: Vec<PathPart<'_>> = path.iter().map(PathPart::from).collect();
        let mut finding = if place.written_text(&parts).as_deref() == Some(image.as_str()) {
            place.finding(
                "mutable-image",
                Severity::Error,
                place.locate(&parts),
                message,
            )
        } else {
            // Set by an `images:` entry: the last one that produced this name.
            match notes.image_entries.iter().rev().find(|e| {
                e.matched && e.rewrite.new_name.as_deref().unwrap_or(&e.rewrite.name) == name
            }) {
                Some(entry) => {
                    let field = if entry.rewrite.new_tag.is_some() {
                        "newTag"
                    } else if entry.rewrite.new_name.is_some() {
                        "newName"
                    } else {
                        "name"
                    };
                    let at = entry_field(files, entry, field);
                    let mut f = place.finding("mutable-image", Severity::Error, at, message);
                    f.file = entry.file.clone();
                    f
                }
                None => place.finding(
                    "mutable-image",
                    Severity::Error,
                    place.locate(&parts),
                    message,
                ),
            }
        };
        finding.image = Some(image.clone());
        findings.push(finding);
    }
}

/// Where `field` of an `images:` entry is in its kustomization.
fn entry_field(files: &Files<'_>, entry: &ImageEntryUse, field: &str) -> Position {
    files
        .documents(&entry.file)
        .and_then(|docs| {
            docs.first().map(|k| {
                k.locate(&[
                    PathPart::Key("images"),
                    PathPart::Index(entry.index),
                    PathPart::Key(field),
                ])
            })
        })
        .unwrap_or(Position::START)
}

/// `unused-image-override`: `images:` entries that matched no image.
pub(crate) fn unused_overrides(
    notes: &BuildNotes,
    environment: Option<&Environment>,
    files: &Files<'_>,
    findings: &mut Vec<Finding>,
) {
    let severity = match environment {
        Some(env) if env.require_digests => Severity::Error,
        _ => Severity::Warning,
    };
    for entry in notes.image_entries.iter().filter(|e| !e.matched) {
        let at = entry_field(files, entry, "name");
        findings.push(Finding {
            image: Some(entry.rewrite.name.clone()),
            ..Finding::new(
                "unused-image-override",
                severity,
                &entry.file,
                at,
                format!(
                    "images[{}] {:?} matches no container image this kustomization renders; kustomize ignores it without a word, so the old image keeps running (check the name)",
                    entry.index, entry.rewrite.name
                ),
            )
        });
    }
}
