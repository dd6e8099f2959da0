//! YAML in and out: parsing with kustomize's scalar rules and limits, and
//! printing byte-for-byte as `kustomize build` prints.

mod emit;
mod fast;
pub(crate) mod fields;
mod parse;
mod resolve;
mod timestamp;
mod value;

pub(crate) use emit::format_float;
pub use emit::{compare_keys, to_yaml, write_yaml};
pub use parse::{
    Document, ParseLimits, parse_documents, parse_documents_with, parse_documents_with_full_reader,
};
pub(crate) use parse::{PathStep, Schema, kustomization_string_lists, parse_documents_as};
pub(crate) use resolve::{Resolved, ResolvedNumber, resolve_plain_v3};
pub use value::{Mapping, Value};
