//! Reading YAML text into [`Value`]s: one per document, with kustomize's scalar
//! rules and limits that stop hostile input early.

use std::borrow::Cow;
use std::collections::HashMap;

use saphyr_parser::{Event, Parser, ScalarStyle, Span, Tag};

use super::resolve::{Resolved, ResolvedNumber, resolve_plain_v3};
use super::timestamp::Timestamp;
use super::value::{Mapping, Value};
use crate::error::{Error, Location};

/// Bounds on what one parse may cost, so hostile input fails fast.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ParseLimits {
    /// The deepest nesting of mappings and sequences allowed.
    pub max_depth: usize,
    /// How many nodes alias expansion may add to one document (billion-laughs guard).
    pub max_alias_nodes: usize,
    /// The largest document, in characters.
    pub max_document_size: usize,
}

impl Default for ParseLimits {
    /// Depth 256, 100,000 nodes from aliases, 16 MiB per document: well above
    /// any real Kubernetes object (the API server stores at most ~1.5 MiB).
    fn default() -> Self {
        ParseLimits {
            max_depth: 256,
            max_alias_nodes: 100_000,
            max_document_size: 16 << 20,
        }
    }
}

impl ParseLimits {
    /// Limits from optional settings, each `None` taking its default (the
    /// shape binding options come in).
    pub fn from_options(
        max_depth: Option<usize>,
        max_alias_nodes: Option<usize>,
        max_document_size: Option<usize>,
    ) -> Self {
        let defaults = ParseLimits::default();
        ParseLimits {
            max_depth: max_depth.unwrap_or(defaults.max_depth),
            max_alias_nodes: max_alias_nodes.unwrap_or(defaults.max_alias_nodes),
            max_document_size: max_document_size.unwrap_or(defaults.max_document_size),
        }
    }
}

/// Which Go YAML library's rules a text is read with.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub(crate) enum Schema {
    /// Resources: go-yaml v3 (YAML 1.2 booleans); keys must be strings or integers.
    #[default]
    Objects,
    /// Kustomization files: `sigs.k8s.io/yaml` over go-yaml v2 (YAML 1.1
    /// booleans such as `yes` and `on`); any scalar key becomes a string.
    Kustomization,
    /// Resources read as objects (kustomize's resource loader): as
    /// [`Schema::Objects`], and an object's annotation values are the text
    /// they were written with.
    Resources,
    /// Patches: as [`Schema::Resources`] for annotation values, except that
    /// a null stays null (it deletes the annotation).
    Patches,
}

/// One YAML document of a stream.
#[derive(Debug, Clone, PartialEq)]
pub struct Document {
    /// Position in the stream, counting from 0 and including empty documents.
    pub index: usize,
    /// The 1-based line where the document's content starts.
    pub line: usize,
    /// The document's root value; `Value::Null` for an empty document.
    pub value: Value,
    /// Where the document maps a key to nothing at all (`key:` with no
    /// value, as opposed to `key: null`), read under
    /// [`Schema::Resources`]: kustomize's strategic merge drops those.
    pub(crate) empty_nulls: Vec<Vec<PathStep>>,
}

/// One step of a path into a value.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum PathStep {
    /// A mapping key.
    Key(String),
    /// A sequence index.
    Index(usize),
}

/// Parses every document in `text` with the default [`ParseLimits`].
///
/// ```
/// let docs = trueup_core::yaml::parse_documents("a: 1\n---\nb: yes\n").unwrap();
/// assert_eq!(docs.len(), 2);
/// assert_eq!(docs[1].value.get_path(&["b"]).and_then(|v| v.as_str()), Some("yes"));
/// ```
pub fn parse_documents(text: &str) -> Result<Vec<Document>, Error> {
    parse_documents_with(text, &ParseLimits::default())
}

/// Parses every document in `text` under the given limits.
pub fn parse_documents_with(text: &str, limits: &ParseLimits) -> Result<Vec<Document>, Error> {
    parse_documents_as(text, limits, Schema::Objects)
}

/// Parses every document in `text` under the given limits and schema.
///
/// Block YAML as tools and people write manifests goes through a fast
/// reader ([`super::fast`]); anything it is not sure about (anchors, tags,
/// flow collections, folded or multi-line scalars, errors...) is read again
/// from the start by saphyr-parser, so the result never depends on which
/// reader ran.
pub(crate) fn parse_documents_as(
    text: &str,
    limits: &ParseLimits,
    schema: Schema,
) -> Result<Vec<Document>, Error> {
    // Printable ASCII and line feeds, as manifests mostly are, holds none of
    // the characters the checks below look for: one pass instead of three.
    let ascii = printable_ascii(text);
    if !ascii {
        refuse_control_characters(text)?;
    }
    // Byte length bounds the character count the document-size limit is about.
    if text.len() <= limits.max_document_size && (ascii || !has_line_separators(text)) {
        let mut builder = Builder::new(limits, schema);
        builder.printable_ascii = ascii;
        let mut docs = Vec::new();
        if super::fast::read(text, &mut |event, span| {
            builder.handle(event, span, &mut docs)
        })
        .is_some()
        {
            return Ok(docs);
        }
    }
    parse_documents_full(text, limits, schema)
}

/// The string items of the top-level lists named `fields` in a
/// kustomization's text, one list per field, as the kustomization reader
/// sees them: the first non-null document, field names matched ignoring
/// ASCII case, the last of repeated fields winning, items that are not
/// strings left out. What finding overlays needs of every kustomization
/// (`resources`, `bases`, `components`). Tried in turn: the line skim
/// ([`skim_lines`], the usual layout), the fast reader's events (no value
/// built), and the full parse.
pub(crate) fn kustomization_string_lists(
    text: &str,
    fields: &[&str],
) -> Result<Vec<Vec<String>>, Error> {
    match skim_lines(text, fields).or_else(|| skim_string_lists(text, fields)) {
        Some(lists) => Ok(lists),
        None => string_lists_parsed(text, fields),
    }
}

/// [`kustomization_string_lists`] line by line, for the plain layout nearly
/// every kustomization has: one document, top-level keys that are words at
/// the start of a line, the asked-for lists as `- item` lines of plain
/// words. Other keys' values are stepped over line by line, following only
/// what could hide a line at the margin: a quoted scalar or a flow
/// collection left open (then this skim gives up) and block scalars.
/// `None` for anything else (a document marker, a flow list, a quoted or
/// unusual item, a repeated key or one in another case, an indented
/// document...): the fast reader's skim answers then. Text the full parse
/// refuses may still be skimmed here (a malformed value under another key):
/// its overlay fails to render with that error all the same.
fn skim_lines(text: &str, fields: &[&str]) -> Option<Vec<Vec<String>>> {
    if !printable_ascii(text) || text.len() > ParseLimits::default().max_document_size {
        return None;
    }
    let mut lists = vec![Vec::new(); fields.len()];
    // Top-level keys seen: a repeated one is left to the other skims.
    let mut keys: Vec<&str> = Vec::new();
    // The asked-for list being read, and the indentation of its items.
    let mut reading: Option<(usize, Option<usize>)> = None;
    // Inside a block scalar: lines indented deeper than this are its text.
    let mut block: Option<usize> = None;
    let mut rest = text;
    while !rest.is_empty() {
        // Lines found by a byte loop (quicker here than a `char` pattern).
        let end = rest.bytes().position(|b| b == b'\n').unwrap_or(rest.len());
        let line = &rest[..end];
        rest = rest.get(end + 1..).unwrap_or("");
        let body = line.trim_start_matches(' ');
        let indent = line.len() - body.len();
        if let Some(deeper_than) = block {
            if body.is_empty() || indent > deeper_than {
                continue;
            }
            block = None;
        }
        if body.is_empty() || body.starts_with('#') {
            continue;
        }
        if keys.is_empty() && indent > 0 {
            // An indented document: its keys are not at the margin.
            return None;
        }
        // What follows a `-` indicator (with its space).
        let item = body
            .strip_prefix('-')
            .filter(|rest| rest.is_empty() || rest.starts_with(' '));
        if let (Some((field, items_indent)), Some(item)) = (&mut reading, item) {
            // Items share one indentation (the first item's).
            if *items_indent.get_or_insert(indent) != indent {
                return None;
            }
            let item = without_comment(item)?;
            if item.is_empty() {
                // A null item (unless lines below give it a value: they
                // are indented, and refused below).
                continue;
            }
            match scalar_value(
                Cow::Borrowed(plain_word(item)?),
                ScalarStyle::Plain,
                None,
                Schema::Kustomization,
            ) {
                Ok(Value::String(s)) => lists[*field].push(s),
                Ok(_) => {}
                Err(_) => return None,
            }
            continue;
        }
        if indent > 0 || item.is_some() {
            // Inside another key's value (an item of its list may be
            // written at the margin), or below an asked-for list's item.
            if reading.is_some() || keys.is_empty() {
                return None;
            }
            block = stepped_over(body, indent)?;
            continue;
        }
        // A top-level key: a word, a colon, and a value that ends on this
        // line or is indented below it.
        let (key, rest) = body.split_once(':')?;
        if key.is_empty()
            || !key.starts_with(|c: char| c.is_ascii_alphabetic() || c == '_')
            || !key
                .bytes()
                .all(|c| c.is_ascii_alphanumeric() || matches!(c, b'_' | b'-' | b'.'))
            || keys.contains(&key)
        {
            return None;
        }
        keys.push(key);
        let field = fields.iter().position(|f| f.eq_ignore_ascii_case(key));
        reading = None;
        match field {
            // Another case of an asked-for name: the other skims order them.
            Some(_) if !fields.contains(&key) => return None,
            Some(field) if without_comment(rest)?.is_empty() => reading = Some((field, None)),
            Some(_) => return None,
            None if rest.is_empty() || rest.starts_with(' ') => {
                block = node_stepped_over(rest.trim_start_matches(' '), 0, true)?;
            }
            None => return None,
        }
    }
    Some(lists)
}

/// Steps over a line inside another key's value (`body`, indented by
/// `indent`): `Some` of the column that a block scalar it opens must be
/// indented past, `Some(None)` when it is complete; `None` when it leaves
/// something open over later lines (a quote, a flow collection) or holds
/// what the skim does not follow (anchors, aliases, tags).
fn stepped_over(body: &str, indent: usize) -> Option<Option<usize>> {
    let (mut text, mut column) = (body, indent);
    loop {
        if text == "-" {
            return Some(None);
        }
        match text.strip_prefix("- ") {
            Some(rest) => {
                let node = rest.trim_start_matches(' ');
                // A block scalar right after the `-` belongs to the item.
                if node.starts_with(['|', '>']) {
                    return block_header(node).then_some(Some(column));
                }
                column += text.len() - node.len();
                text = node;
            }
            None => return node_stepped_over(text, column, false),
        }
    }
}

/// [`stepped_over`] for one node starting at `column`: a scalar, or a
/// `key: value` pair (not when the node is itself a key's value: `a: b: c`
/// is no YAML).
fn node_stepped_over(text: &str, column: usize, is_value: bool) -> Option<Option<usize>> {
    let Some(&first) = text.as_bytes().first() else {
        return Some(None);
    };
    match first {
        b'#' => Some(None),
        b'|' | b'>' => block_header(text).then_some(Some(column)),
        b'"' | b'\'' => {
            let after = &text[closing_quote(text)?..];
            if let Some(value) = after.strip_prefix(':') {
                // A quoted key: its value follows.
                if value.is_empty() {
                    return Some(None);
                }
                if is_value {
                    return None;
                }
                let value_text = value.strip_prefix(' ')?.trim_start_matches(' ');
                return node_stepped_over(value_text, column, true);
            }
            let after = after.trim_start_matches(' ');
            (after.is_empty() || after.starts_with('#')).then_some(None)
        }
        b'[' | b'{' | b']' | b'}' | b',' | b'&' | b'*' | b'!' | b'?' | b'%' | b'@' | b'`' => None,
        _ => {
            // A plain scalar, or a plain key and its value: one pass for
            // a comment (` #`) and a key's colon (`: ` or at the end).
            let bytes = text.as_bytes();
            for (i, &b) in bytes.iter().enumerate() {
                match b {
                    b'#' if bytes[i - 1] == b' ' => return Some(None),
                    b':' if bytes.get(i + 1).is_none_or(|&next| next == b' ') => {
                        if is_value {
                            return None;
                        }
                        let value = text[i + 1..].trim_start_matches(' ');
                        return node_stepped_over(value, column, true);
                    }
                    _ => {}
                }
            }
            Some(None)
        }
    }
}

/// Where a quoted scalar at the start of `text` closes (the byte after its
/// closing quote), if it closes on this line with no escape (an escape can
/// spell a character the full parse refuses).
fn closing_quote(text: &str) -> Option<usize> {
    let bytes = text.as_bytes();
    let quote = bytes[0];
    let mut i = 1;
    while i < bytes.len() {
        match bytes[i] {
            b'\\' if quote == b'"' => return None,
            b'\'' if quote == b'\'' && bytes.get(i + 1) == Some(&b'\'') => i += 2,
            b if b == quote => return Some(i + 1),
            _ => i += 1,
        }
    }
    None
}

/// Whether `text` is a block scalar header: `|` or `>`, then at most a
/// chomping indicator and an indentation digit, then a comment or nothing.
fn block_header(text: &str) -> bool {
    let rest = &text[1..];
    let indicators = rest
        .bytes()
        .take_while(|b| matches!(b, b'-' | b'+' | b'1'..=b'9'))
        .count();
    let after = &rest[indicators..];
    indicators <= 2
        && (after.is_empty() || after.starts_with(" #") || after.trim_start_matches(' ').is_empty())
}

/// `text` after a `: ` or `- ` without its trailing comment and spaces;
/// `None` when it does not start with a space (or end the line).
fn without_comment(text: &str) -> Option<&str> {
    if !(text.is_empty() || text.starts_with(' ')) {
        return None;
    }
    let text = match text.bytes().position(|b| b == b'#') {
        // A `#` starts a comment after a space only.
        Some(at) if text.as_bytes()[at - 1] == b' ' => &text[..at],
        Some(_) => match text.find(" #") {
            Some(at) => &text[..at],
            None => text,
        },
        None => text,
    };
    Some(text.trim_matches(' '))
}

/// `item` when it is a word that reads back as itself: letters, digits and
/// `./_-~@+=`, not starting with a sign or indicator.
fn plain_word(item: &str) -> Option<&str> {
    let starts_well =
        item.starts_with(|c: char| c.is_ascii_alphanumeric() || matches!(c, '.' | '/' | '_'));
    (starts_well
        && item.bytes().all(|c| {
            c.is_ascii_alphanumeric()
                || matches!(c, b'.' | b'/' | b'_' | b'-' | b'~' | b'@' | b'+' | b'=')
        }))
    .then_some(item)
}

/// [`kustomization_string_lists`] by a full parse.
fn string_lists_parsed(text: &str, fields: &[&str]) -> Result<Vec<Vec<String>>, Error> {
    let docs = parse_documents_as(text, &ParseLimits::default(), Schema::Kustomization)?;
    let mut lists = vec![Vec::new(); fields.len()];
    let first = docs.into_iter().map(|d| d.value).find(|v| !v.is_null());
    if let Some(Value::Map(map)) = first {
        for (key, value) in &map {
            if let Some(i) = fields.iter().position(|f| f.eq_ignore_ascii_case(key)) {
                lists[i] = value
                    .as_seq()
                    .map(|items| {
                        items
                            .iter()
                            .filter_map(Value::as_str)
                            .map(str::to_owned)
                            .collect()
                    })
                    .unwrap_or_default();
            }
        }
    }
    Ok(lists)
}

/// [`kustomization_string_lists`] from the fast reader's events, building
/// nothing but the strings asked for; `None` for any text where that could
/// differ from the full parse (outside the fast reader's subset, a root
/// that is not a mapping, a merge key, anything over the limits).
fn skim_string_lists(text: &str, fields: &[&str]) -> Option<Vec<Vec<String>>> {
    let limits = ParseLimits::default();
    // The fast reader takes printable ASCII only, which holds none of the
    // characters the full parse refuses.
    if !printable_ascii(text) || text.len() > limits.max_document_size {
        return None;
    }
    // Any error only says "give up"; the full parse then gives the answer.
    let give_up = || Error::Yaml {
        location: Location::default(),
        message: String::new(),
    };
    // Each key naming an asked-for field, in the order of its first
    // appearance, with the items of its last value: the full parse keeps a
    // repeated key at its first place with its last value, then reads the
    // fields whatever their case in that order, the last one winning.
    let mut matched: Vec<(String, usize, Vec<String>)> = Vec::new();
    let mut depth = 0usize;
    let mut first_done = false;
    let mut expects_key = false;
    // The matched key whose value comes next, and the one whose sequence
    // is being read.
    let mut pending: Option<usize> = None;
    let mut reading: Option<usize> = None;
    super::fast::read(text, &mut |event, _| {
        match event {
            Event::MappingStart(..) | Event::SequenceStart(..) => {
                let is_seq = matches!(event, Event::SequenceStart(..));
                if depth == 0 {
                    if is_seq && !first_done {
                        return Err(give_up());
                    }
                    expects_key = true;
                } else if depth == 1 && !first_done {
                    reading = pending.take().filter(|_| is_seq);
                }
                depth += 1;
                if depth > limits.max_depth {
                    return Err(give_up());
                }
            }
            Event::MappingEnd | Event::SequenceEnd => {
                depth -= 1;
                match depth {
                    0 => first_done = true,
                    1 => {
                        reading = None;
                        expects_key = true;
                    }
                    _ => {}
                }
            }
            Event::Scalar(value, style, _, tag) => {
                // An escape can spell a character kustomize cannot print,
                // anywhere in the text: the full parse refuses it.
                if style == ScalarStyle::DoubleQuoted && unprintable_character(&value).is_some() {
                    return Err(give_up());
                }
                if first_done {
                    return Ok(());
                }
                match depth {
                    // A scalar root: a null document is skipped, which the
                    // full parse does.
                    0 => return Err(give_up()),
                    1 if expects_key => {
                        if style == ScalarStyle::Plain && value == "<<" {
                            return Err(give_up());
                        }
                        pending = fields
                            .iter()
                            .position(|f| f.eq_ignore_ascii_case(&value))
                            .map(|field| {
                                match matched.iter().position(|(key, ..)| *key == value) {
                                    Some(at) => {
                                        matched[at].2.clear();
                                        at
                                    }
                                    None => {
                                        matched.push((value.into_owned(), field, Vec::new()));
                                        matched.len() - 1
                                    }
                                }
                            });
                        expects_key = false;
                    }
                    1 => {
                        pending = None;
                        expects_key = true;
                    }
                    2 => {
                        if let Some(at) = reading {
                            match scalar_value(value, style, tag.as_deref(), Schema::Kustomization)
                            {
                                Ok(Value::String(s)) => matched[at].2.push(s),
                                Ok(_) => {}
                                Err(_) => return Err(give_up()),
                            }
                        }
                    }
                    _ => {}
                }
            }
            Event::Alias(_) => return Err(give_up()),
            _ => {}
        }
        Ok(())
    })?;
    let mut lists = vec![Vec::new(); fields.len()];
    for (_, field, items) in matched {
        lists[field] = items;
    }
    Some(lists)
}

/// [`parse_documents_with`] through saphyr-parser alone, never the fast
/// reader: what the fuzz target `yaml_read` compares the fast path with.
/// Not part of the stable API.
#[doc(hidden)]
pub fn parse_documents_with_full_reader(
    text: &str,
    limits: &ParseLimits,
) -> Result<Vec<Document>, Error> {
    refuse_control_characters(text)?;
    parse_documents_full(text, limits, Schema::Objects)
}

/// Whether `text` is printable ASCII and line feeds only: no control, C1,
/// non-character or line-separator character can be in it.
fn printable_ascii(text: &str) -> bool {
    text.bytes()
        .all(|b| (0x20..0x7F).contains(&b) || b == b'\n')
}

/// Refuses raw control characters, as kustomize's YAML reader does.
fn refuse_control_characters(text: &str) -> Result<(), Error> {
    match refused_character(text) {
        Some(at) => Err(character_error(
            text,
            at,
            "a control character, which kustomize's YAML reader refuses",
        )),
        None => Ok(()),
    }
}

/// [`parse_documents_as`] with saphyr-parser alone: every construct, and the
/// errors with their lines.
pub(crate) fn parse_documents_full(
    text: &str,
    limits: &ParseLimits,
    schema: Schema,
) -> Result<Vec<Document>, Error> {
    let mut builder = Builder::new(limits, schema);
    let mut docs = Vec::new();
    let mut parser = Parser::new_from_str(text);
    // A block scalar that runs to the end of a text without a final line
    // break has no final line break to clip or keep (YAML 1.2, rule
    // b-chomped-last; go-yaml and so kustomize agree); saphyr adds one.
    let end_without_newline =
        (!text.is_empty() && !text.ends_with('\n')).then(|| text.chars().count());
    // U+2028, U+2029 and U+0085 (NEL) are line breaks for go-yaml but not
    // for YAML 1.2:
    // kustomize reads them as such only inside quoted strings, where both
    // agree. Anywhere else they would change what the text means.
    let mut separators: Vec<usize> = if has_line_separators(text) {
        text.chars()
            .enumerate()
            .filter(|(_, c)| matches!(c, '\u{2028}' | '\u{2029}' | '\u{85}'))
            .map(|(i, _)| i)
            .collect()
    } else {
        Vec::new()
    };
    while let Some(next) = parser.next_event() {
        let (mut event, span) = next.map_err(|e| {
            let mut err =
                builder.error_at(e.marker().line(), format!("invalid YAML: {}", e.info()));
            if let Error::Yaml { location, .. } = &mut err {
                location.column = Some(e.marker().col() + 1);
            }
            err
        })?;
        if let Event::Scalar(value, style @ (ScalarStyle::Literal | ScalarStyle::Folded), _, _) =
            &mut event
        {
            if *style == ScalarStyle::Folded {
                fold_as_go_yaml(value.to_mut());
            }
            if end_without_newline == Some(span.end.index()) && value.ends_with('\n') {
                value.to_mut().pop();
            }
        }
        if !separators.is_empty()
            && let Event::Scalar(_, ScalarStyle::SingleQuoted | ScalarStyle::DoubleQuoted, _, _) =
                &event
        {
            separators.retain(|&at| at < span.start.index() || at >= span.end.index());
        }
        builder.handle(event, span, &mut docs)?;
    }
    if let Some(&at) = separators.first() {
        let byte = text.char_indices().nth(at).map_or(0, |(b, _)| b);
        return Err(character_error(
            text,
            byte,
            "a line break for kustomize's YAML reader outside a quoted string, which it would read differently; quote the value",
        ));
    }
    Ok(docs)
}

/// Whether the text holds U+2028 or U+2029 (bytes E2 80 A8 / E2 80 A9).
fn has_line_separators(text: &str) -> bool {
    let bytes = text.as_bytes();
    bytes
        .windows(3)
        .any(|w| w[0] == 0xE2 && w[1] == 0x80 && (w[2] == 0xA8 || w[2] == 0xA9))
        || bytes.windows(2).any(|w| w == [0xC2, 0x85])
}

/// An error about the character at byte `at`, with its line and column.
fn character_error(text: &str, at: usize, why: &str) -> Error {
    let before = &text[..at];
    let line = before.bytes().filter(|&b| b == b'\n').count() + 1;
    let column = before.rsplit('\n').next().map_or(0, |l| l.chars().count()) + 1;
    let c = text[at..].chars().next().unwrap_or('\0');
    Error::Yaml {
        location: Location {
            file: None,
            document: None,
            line: Some(line),
            column: Some(column),
        },
        message: format!("U+{:04X} is {why}", u32::from(c)),
    }
}

/// go-yaml (and so kustomize) folds a `>` block scalar as YAML 1.2 does,
/// except that the line break before a more-indented line that follows a
/// normal line (directly or after empty lines) is doubled. In the folded text,
/// more-indented lines are the ones that start with a blank.
fn fold_as_go_yaml(value: &mut String) {
    let starts_blank = |line: &str| line.starts_with([' ', '\t']);
    if !value.split('\n').any(starts_blank) {
        return;
    }
    let mut out = String::with_capacity(value.len() + 8);
    let mut previous_normal = false;
    for (i, line) in value.split('\n').enumerate() {
        if i > 0 {
            out.push('\n');
        }
        if line.is_empty() {
            continue;
        }
        if starts_blank(line) {
            if previous_normal {
                out.push('\n');
            }
            previous_normal = false;
        } else {
            previous_normal = true;
        }
        out.push_str(line);
    }
    *value = out;
}

/// The text a value holds: its strings and keys, in bytes (what copying it
/// costs beyond its nodes).
fn text_bytes(value: &Value) -> usize {
    match value {
        Value::String(s) => s.len(),
        Value::Seq(items) => items.iter().map(text_bytes).sum(),
        Value::Map(map) => map.iter().map(|(k, v)| k.len() + text_bytes(v)).sum(),
        _ => 8,
    }
}

/// A collection being filled.
enum Frame {
    Seq {
        items: Vec<Value>,
        anchor: usize,
        nodes: usize,
    },
    Map {
        map: Mapping,
        /// The key waiting for its value, with its line.
        key: Option<(String, usize)>,
        /// Whether the key waiting is the merge key `<<`.
        merge_pending: bool,
        /// Whether the value waiting is dropped (a quoted `"<<"` key in a
        /// resource, which kustomize leaves out of what it prints).
        drop_pending: bool,
        merges: Vec<(Value, usize)>,
        anchor: usize,
        nodes: usize,
        line: usize,
    },
}

/// Builds [`Value`]s from parser events, with kustomize's scalar rules and the limits.
pub(super) struct Builder<'l> {
    limits: &'l ParseLimits,
    schema: Schema,
    stack: Vec<Frame>,
    /// Anchored values of the current document, with their node counts and text bytes.
    anchors: HashMap<usize, (Value, usize, usize)>,
    alias_nodes: usize,
    /// Bytes of text copied by aliases in the current document.
    alias_bytes: usize,
    document_index: usize,
    document_start: usize,
    document_line: usize,
    root: Option<Value>,
    /// The current document's [`Document::empty_nulls`].
    empty_nulls: Vec<Vec<PathStep>>,
    /// The text is printable ASCII: only double-quoted scalars (escapes)
    /// need looking at for characters kustomize cannot print.
    printable_ascii: bool,
}

impl<'l> Builder<'l> {
    pub(super) fn new(limits: &'l ParseLimits, schema: Schema) -> Self {
        Builder {
            schema,
            limits,
            stack: Vec::new(),
            anchors: HashMap::new(),
            alias_nodes: 0,
            alias_bytes: 0,
            document_index: 0,
            document_start: 0,
            printable_ascii: false,
            document_line: 1,
            root: None,
            empty_nulls: Vec::new(),
        }
    }

    /// Takes one parser event; finished documents go to `docs`.
    pub(super) fn handle(
        &mut self,
        event: Event<'_>,
        span: Span,
        docs: &mut Vec<Document>,
    ) -> Result<(), Error> {
        match event {
            Event::DocumentStart(_) => {
                self.document_start = span.start.index();
                self.document_line = span.start.line();
                self.anchors.clear();
                self.alias_nodes = 0;
                self.alias_bytes = 0;
            }
            Event::DocumentEnd => {
                let value = self.root.take().unwrap_or_default();
                docs.push(Document {
                    index: self.document_index,
                    line: self.document_line,
                    value,
                    empty_nulls: std::mem::take(&mut self.empty_nulls),
                });
                self.document_index += 1;
            }
            Event::StreamStart | Event::StreamEnd | Event::Nothing => {}
            other => self.event(other, span)?,
        }
        Ok(())
    }

    fn error_at(&self, line: usize, message: String) -> Error {
        Error::Yaml {
            location: Location {
                file: None,
                document: Some(self.document_index + 1),
                line: Some(line),
                column: None,
            },
            message,
        }
    }

    fn event(&mut self, event: Event<'_>, span: Span) -> Result<(), Error> {
        let line = span.start.line();
        if self.stack.is_empty() && self.root.is_none() {
            // The document's root node: where its content starts.
            self.document_line = line;
        }
        if span.start.index().saturating_sub(self.document_start) > self.limits.max_document_size {
            return Err(self.error_at(
                line,
                format!(
                    "document is larger than the limit of {} characters",
                    self.limits.max_document_size
                ),
            ));
        }
        match event {
            Event::Scalar(text, style, anchor, tag) => {
                // Printable ASCII text holds none, except through the
                // escapes of a double-quoted scalar (`"\u0080"`).
                let raw_ascii = self.printable_ascii && style != ScalarStyle::DoubleQuoted;
                if let Some(c) = (!raw_ascii).then(|| unprintable_character(&text)).flatten() {
                    return Err(self.error_at(
                        line,
                        format!(
                            "the text contains U+{:04X}, a control character kustomize cannot print (its YAML printer refuses it)",
                            u32::from(c)
                        ),
                    ));
                }
                if self.expects_key() {
                    return self.key(text, style, tag, line);
                }
                if self.schema == Schema::Resources
                    && text.is_empty()
                    && style == ScalarStyle::Plain
                    && tag.is_none()
                    && matches!(self.stack.last(), Some(Frame::Map { .. }))
                {
                    self.empty_nulls.push(self.current_path());
                }
                let value = if self.in_object_annotations() {
                    // kustomize prints an object's annotation values as the
                    // text they were written with: `port: 8080` is "8080",
                    // `ratio: 1.50` is "1.50", `x: null` is "null" (in a
                    // patch, a null deletes the annotation).
                    let resolved = scalar_value(text.clone(), style, tag.as_deref(), self.schema)
                        .map_err(|message| self.error_at(line, message))?;
                    if self.schema == Schema::Patches && resolved.is_null() {
                        resolved
                    } else {
                        Value::String(text.into_owned())
                    }
                } else {
                    scalar_value(text, style, tag.as_deref(), self.schema)
                        .map_err(|message| self.error_at(line, message))?
                };
                self.complete(value, anchor, 1, line)
            }
            Event::Alias(id) => {
                if self.expects_key() {
                    return Err(self.error_at(line, "an alias cannot be a mapping key".into()));
                }
                let (nodes, bytes) = match self.anchors.get(&id) {
                    Some((_, nodes, bytes)) => (*nodes, *bytes),
                    None => return Err(self.error_at(line, "alias to an unknown anchor".into())),
                };
                // Count before copying, so a bomb is refused without building
                // it: by nodes, and by text (a few aliases of one long string
                // are few nodes but many bytes).
                self.alias_nodes += nodes;
                self.alias_bytes = self.alias_bytes.saturating_add(bytes);
                if self.alias_nodes > self.limits.max_alias_nodes {
                    return Err(self.error_at(
                        line,
                        format!(
                            "aliases expand to more than {} nodes (alias bomb?)",
                            self.limits.max_alias_nodes
                        ),
                    ));
                }
                if self.alias_bytes > self.limits.max_document_size {
                    return Err(self.error_at(
                        line,
                        format!(
                            "aliases expand to more than {} bytes of text, the document size limit (alias bomb?)",
                            self.limits.max_document_size
                        ),
                    ));
                }
                let value = self.anchors[&id].0.clone();
                self.complete(value, 0, nodes, line)
            }
            Event::SequenceStart(anchor, _) | Event::MappingStart(anchor, _) => {
                if self.expects_key() {
                    return Err(self.error_at(
                        line,
                        "a mapping key must be a string, not a collection".into(),
                    ));
                }
                if self.stack.len() >= self.limits.max_depth {
                    return Err(self.error_at(
                        line,
                        format!("nesting deeper than the limit of {}", self.limits.max_depth),
                    ));
                }
                let frame = if matches!(event, Event::SequenceStart(..)) {
                    Frame::Seq {
                        items: Vec::new(),
                        anchor,
                        nodes: 1,
                    }
                } else {
                    Frame::Map {
                        map: Mapping::with_capacity_and_hasher(7, Default::default()),
                        key: None,
                        merge_pending: false,
                        drop_pending: false,
                        merges: Vec::new(),
                        anchor,
                        nodes: 1,
                        line,
                    }
                };
                self.stack.push(frame);
                Ok(())
            }
            Event::SequenceEnd => match self.stack.pop() {
                Some(Frame::Seq {
                    items,
                    anchor,
                    nodes,
                }) => self.complete(Value::Seq(items), anchor, nodes, line),
                _ => Err(self.error_at(line, "unbalanced sequence end".into())),
            },
            Event::MappingEnd => match self.stack.pop() {
                Some(Frame::Map {
                    mut map,
                    merges,
                    anchor,
                    nodes,
                    line: start,
                    ..
                }) => {
                    for (merged, merge_line) in merges {
                        apply_merge(&mut map, merged)
                            .map_err(|message| self.error_at(merge_line, message))?;
                    }
                    self.complete(Value::Map(map), anchor, nodes, start)
                }
                _ => Err(self.error_at(line, "unbalanced mapping end".into())),
            },
            _ => Ok(()),
        }
    }

    /// The path of the value being read: the keys and indexes of the open
    /// collections.
    fn current_path(&self) -> Vec<PathStep> {
        self.stack
            .iter()
            .filter_map(|frame| match frame {
                Frame::Map {
                    key: Some((k, _)), ..
                } => Some(PathStep::Key(k.clone())),
                Frame::Map { .. } => None,
                Frame::Seq { items, .. } => Some(PathStep::Index(items.len())),
            })
            .collect()
    }

    /// Whether the next value is one of an object's `metadata.annotations`.
    fn in_object_annotations(&self) -> bool {
        let waiting_for = |frame: &Frame, name: &str| matches!(frame, Frame::Map { key: Some((k, _)), .. } if k == name);
        matches!(self.schema, Schema::Resources | Schema::Patches)
            && matches!(
                self.stack.as_slice(),
                [root, metadata, Frame::Map { key: Some(_), .. }]
                    if waiting_for(root, "metadata") && waiting_for(metadata, "annotations")
            )
    }

    fn expects_key(&self) -> bool {
        matches!(
            self.stack.last(),
            Some(Frame::Map {
                key: None,
                merge_pending: false,
                drop_pending: false,
                ..
            })
        )
    }

    /// A scalar in key position: kustomize objects are JSON, so keys are strings.
    fn key(
        &mut self,
        text: Cow<'_, str>,
        style: ScalarStyle,
        tag: Option<Cow<'_, Tag>>,
        line: usize,
    ) -> Result<(), Error> {
        let is_plain = style == ScalarStyle::Plain && tag.is_none();
        let plain = if is_plain {
            resolve_plain(&text, self.schema)
        } else {
            Resolved::Str
        };
        let text: Cow<'_, str> = match (self.schema, &plain) {
            (Schema::Kustomization, Resolved::Bool(b)) => Cow::Owned(b.to_string()),
            (Schema::Kustomization, Resolved::Null) => Cow::Borrowed("null"),
            _ => text,
        };
        // sigs.k8s.io/yaml turns any scalar key into its string form.
        let resolved = match (self.schema, plain) {
            (Schema::Kustomization, Resolved::Merge) => Resolved::Merge,
            (Schema::Kustomization, _) => Resolved::Str,
            (Schema::Objects | Schema::Resources | Schema::Patches, r) => r,
        };
        let Some(Frame::Map {
            key,
            merge_pending,
            drop_pending,
            ..
        }) = self.stack.last_mut()
        else {
            unreachable!("expects_key checked the top frame");
        };
        // kustomize (kyaml) leaves a quoted "<<" key and its value out of a
        // resource altogether (checked with the oracle); a plain `<<` merges.
        if !is_plain && text == "<<" && self.schema == Schema::Resources {
            *drop_pending = true;
            return Ok(());
        }
        match resolved {
            Resolved::Merge => {
                *merge_pending = true;
                Ok(())
            }
            // go-yaml reads an integer key of a string-keyed map as its text.
            Resolved::Str | Resolved::Number(ResolvedNumber::Int(_) | ResolvedNumber::UInt(_)) => {
                // A repeated key is found when its value is placed
                // (`complete`), with one look-up.
                *key = Some((text.into_owned(), line));
                Ok(())
            }
            _ => Err(self.error_at(
                line,
                format!("mapping key {text:?} must be a string (quote it)"),
            )),
        }
    }

    /// Places a finished value in its parent, or makes it the document root.
    fn complete(
        &mut self,
        value: Value,
        anchor: usize,
        nodes: usize,
        line: usize,
    ) -> Result<(), Error> {
        if anchor != 0 {
            let bytes = text_bytes(&value);
            self.anchors.insert(anchor, (value.clone(), nodes, bytes));
        }
        match self.stack.last_mut() {
            None => {
                self.root = Some(value);
            }
            Some(Frame::Seq {
                items,
                nodes: parent_nodes,
                ..
            }) => {
                items.push(value);
                *parent_nodes += nodes;
            }
            Some(Frame::Map {
                map,
                key,
                merge_pending,
                drop_pending,
                merges,
                nodes: parent_nodes,
                ..
            }) => {
                *parent_nodes += nodes;
                if *drop_pending {
                    *drop_pending = false;
                } else if *merge_pending {
                    *merge_pending = false;
                    merges.push((value, line));
                } else if let Some((k, key_line)) = key.take() {
                    let (at, before) = map.insert_full(k, value);
                    // sigs.k8s.io/yaml (kustomization files) lets the last
                    // of repeated keys win (in the first one's place);
                    // go-yaml v3 (objects) refuses them.
                    if before.is_some() && self.schema != Schema::Kustomization {
                        let repeated = map.get_index(at).map(|(k, _)| k.clone());
                        let message = format!(
                            "mapping key {:?} is defined twice",
                            repeated.unwrap_or_default()
                        );
                        return Err(self.error_at(key_line, message));
                    }
                }
            }
        }
        Ok(())
    }
}

/// The byte offset of the first character that go-yaml's reader refuses in
/// a YAML text (C0 controls but tab and line breaks, DEL, C1 controls but
/// NEL, U+FFFE, U+FFFF): raw in the text, not escaped in a quoted string.
fn refused_character(text: &str) -> Option<usize> {
    let bytes = text.as_bytes();
    bytes.iter().enumerate().position(|(i, &b)| match b {
        b'\t' | b'\n' | b'\r' => false,
        0..=0x1F | 0x7F => true,
        0xC2 => bytes
            .get(i + 1)
            .is_some_and(|&n| (0x80..=0x9F).contains(&n) && n != 0x85),
        0xEF => bytes.get(i + 1) == Some(&0xBF) && matches!(bytes.get(i + 2), Some(0xBE | 0xBF)),
        _ => false,
    })
}

/// A character go-yaml v2 refuses to read back once Go's JSON encoder has
/// left it unescaped: DEL, C1 controls other than NEL, U+FFFE and U+FFFF.
fn unprintable_character(text: &str) -> Option<char> {
    if !text.bytes().any(|b| b == 0x7F || b == 0xC2 || b == 0xEF) {
        return None;
    }
    text.chars().find(|&c| {
        c == '\u{7F}'
            || (('\u{80}'..='\u{9F}').contains(&c) && c != '\u{85}')
            || c == '\u{FFFE}'
            || c == '\u{FFFF}'
    })
}

/// Applies a `<<` merge: keys already present win, earlier merged maps win over later ones.
fn apply_merge(map: &mut Mapping, merged: Value) -> Result<(), String> {
    let sources = match merged {
        Value::Map(m) => vec![m],
        Value::Seq(items) => items
            .into_iter()
            .map(|item| match item {
                Value::Map(m) => Ok(m),
                other => Err(format!(
                    "a merge key (<<) list must hold mappings, found {}",
                    other.type_name()
                )),
            })
            .collect::<Result<_, _>>()?,
        other => {
            return Err(format!(
                "a merge key (<<) needs a mapping or a list of mappings, found {}",
                other.type_name()
            ));
        }
    };
    for source in sources {
        for (k, v) in source {
            map.entry(k).or_insert(v);
        }
    }
    Ok(())
}

/// The value of a scalar in value position.
fn scalar_value(
    text: Cow<'_, str>,
    style: ScalarStyle,
    tag: Option<&Tag>,
    schema: Schema,
) -> Result<Value, String> {
    if let Some(tag) = tag {
        return tagged_scalar(text, tag);
    }
    if style != ScalarStyle::Plain {
        return Ok(Value::String(text.into_owned()));
    }
    match resolve_plain(&text, schema) {
        // go-yaml v2 decodes a timestamp into an untyped value as its text,
        // so kustomization files keep `newTag: 2024-01-01` as written.
        Resolved::Timestamp(_) if schema == Schema::Kustomization => {
            Ok(Value::String(text.into_owned()))
        }
        resolved => resolved_value(&text, resolved),
    }
}

/// A plain scalar under a schema: go-yaml v2 adds the YAML 1.1 booleans.
fn resolve_plain(text: &str, schema: Schema) -> Resolved {
    if schema == Schema::Kustomization {
        match text {
            "y" | "Y" | "yes" | "Yes" | "YES" | "on" | "On" | "ON" => return Resolved::Bool(true),
            "n" | "N" | "no" | "No" | "NO" | "off" | "Off" | "OFF" => return Resolved::Bool(false),
            _ => {}
        }
    }
    resolve_plain_v3(text)
}

fn resolved_value(text: &str, resolved: Resolved) -> Result<Value, String> {
    Ok(match resolved {
        Resolved::Null => Value::Null,
        Resolved::Bool(b) => Value::Bool(b),
        Resolved::Number(ResolvedNumber::Int(i)) => Value::Int(i),
        Resolved::Number(ResolvedNumber::UInt(u)) => Value::UInt(u),
        Resolved::Number(ResolvedNumber::Float(f)) => Value::Float(f),
        Resolved::Timestamp(t) => Value::String(t.to_rfc3339_nano()),
        Resolved::NonFinite => {
            return Err(format!(
                "{text} is not a number JSON can hold (Kubernetes objects are JSON); quote it for a string"
            ));
        }
        Resolved::Merge | Resolved::Str => Value::String(text.to_owned()),
    })
}

/// A scalar with an explicit tag: `!!str 1`, `!!int "5"`, or a custom `!Tag value`.
fn tagged_scalar(text: Cow<'_, str>, tag: &Tag) -> Result<Value, String> {
    if !tag.is_yaml_core_schema() {
        // go-yaml keeps the text of a scalar with an unknown tag.
        return Ok(Value::String(text.into_owned()));
    }
    let resolved = resolve_plain_v3(&text);
    let expected = tag.suffix.as_str();
    let fits = match expected {
        "str" => return Ok(Value::String(text.into_owned())),
        "binary" => {
            let bytes = crate::base64::decode(&text)
                .ok_or_else(|| format!("!!binary value {text:?} is not valid base64"))?;
            return Ok(Value::String(String::from_utf8_lossy(&bytes).into_owned()));
        }
        "null" => matches!(resolved, Resolved::Null),
        "bool" => matches!(resolved, Resolved::Bool(_)),
        "int" => matches!(
            resolved,
            Resolved::Number(ResolvedNumber::Int(_) | ResolvedNumber::UInt(_))
        ),
        "float" => {
            if let Resolved::Number(ResolvedNumber::Int(i)) = resolved {
                return Ok(Value::Float(i as f64));
            }
            matches!(resolved, Resolved::Number(_) | Resolved::NonFinite)
        }
        "timestamp" => {
            return Timestamp::parse(&text)
                .map(|t| Value::String(t.to_rfc3339_nano()))
                .ok_or_else(|| format!("cannot read {text:?} as a !!timestamp"));
        }
        _ => true,
    };
    if !fits {
        return Err(format!("cannot read {text:?} as a !!{expected}"));
    }
    resolved_value(&text, resolved)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn one(text: &str) -> Value {
        let docs = parse_documents(text).expect("parses");
        assert_eq!(docs.len(), 1);
        docs.into_iter().next().map(|d| d.value).unwrap_or_default()
    }

    const USED: [&str; 3] = ["resources", "bases", "components"];

    /// The skims, when they answer, answer as the full parse does; whether
    /// the fast reader's skim answers.
    fn skim_agrees(text: &str) -> bool {
        let parsed = string_lists_parsed(text, &USED).map_err(|e| e.to_string());
        // Text the full parse refuses may be skimmed by lines all the same.
        if let (Some(by_lines), Ok(_)) = (skim_lines(text, &USED), &parsed) {
            assert_eq!(Ok(by_lines), parsed, "by lines: {text}");
        }
        match skim_string_lists(text, &USED) {
            Some(skimmed) => {
                assert_eq!(Ok(skimmed), parsed, "{text}");
                true
            }
            None => false,
        }
    }

    #[test]
    fn kustomization_lists_skimmed_as_parsed() {
        let skimmed = [
            "resources:\n- a\n- ../b # note\ncomponents:\n- c\n",
            // Field names ignore case; the last repeated field wins.
            "Resources:\n- a\nresources:\n- b\n",
            "resources:\n- a\nresources: x\n",
            "resources:\n- a\nresources:\n",
            // Items that are not strings are left out; nested lists too.
            "resources:\n- 12\n- true\n- yes\n- 'yes'\n- e: f\n- g\n",
            "namePrefix: p-\npatches:\n- path: p.yaml\n  target:\n    kind: X\nbases:\n- base\n",
            "",
            "# only a comment\n",
            "resources: []\n",
            "resources: [a, b]\n",
            "resources:\n- a\n---\nresources:\n- b\n",
            // Repeated names in several cases: the full parse's order.
            "resources: [../a]\nResources: [../b]\nresources: [../c]\n",
            "Bases: [../x]\nbases: [../b]\nBases: [../y]\n",
            "resources: [a]\nRESOURCES: [b]\nResources: [c]\nRESOURCES: [d]\n",
        ];
        for text in skimmed {
            assert!(skim_agrees(text), "not skimmed: {text}");
        }
        // Outside the skim: the full parse answers.
        for text in [
            "<<:\n  resources:\n  - a\n",
            "- a\n",
            "resources:\n- &x a\n- *x\n",
            "resources:\n\t- a\n",
            "---\n---\nresources:\n- a\n",
            // An escape the full parse refuses, wherever it is.
            "resources:\n- \"a\\u0080b\"\n",
            "namePrefix: \"\\uFFFE\"\nresources:\n- a\n",
        ] {
            assert!(!skim_agrees(text), "skimmed: {text}");
            // Refused by the full parse: a tab, and the escapes.
            let refused = text.contains('\t') || text.contains("\\u");
            assert_eq!(
                kustomization_string_lists(text, &USED).is_ok(),
                !refused,
                "{text}"
            );
        }
        // The line skim: the usual layout, and what it leaves to the others.
        for text in [
            "resources:\n- a\n- ../b # note\ncomponents:\n- c\n",
            "apiVersion: kustomize.config.k8s.io/v1beta1\nkind: Kustomization\nnamespace: x # ns\n\
             namePrefix: 'p-'\nnameSuffix: \"-s\"\nresources:\n  - ../../base\n  # between\n\n  - cm.yaml\n\
             patches:\n- path: p.yaml\n  target:\n    kind: X\n- patch: |-\n    - op: add\n\
             configMapGenerator:\n- name: c\n  literals:\n  - A=B\nbases:\n-\n- 12\n- yes\n- null\n- b\n",
            "",
            "# only a comment\n",
            "resources:\nbases:\n",
        ] {
            assert!(
                skim_lines(text, &USED).is_some(),
                "not skimmed by lines: {text}"
            );
            assert!(skim_agrees(text));
        }
        for text in [
            "resources: []\n",
            "resources:\n- a\n---\nresources:\n- b\n",
            "Resources:\n- a\n",
            "namespace: a\nnamespace: b\n",
            "resources:\n- 'a'\n",
            "resources:\n- a\n  - b\n",
            "resources:\n  - a\n - b\n",
            "resources:\n- a: b\n",
            "resources:\n- a\n  b\n",
            "resources:\n  x: y\n",
            "namePrefix: a: b\n",
            "namePrefix: {a: 1,\nb: 2}\n",
            "namePrefix: \"a\\u0080\"\n",
            "- a\n",
            "a\n",
            "\"resources\": [a]\n",
            // An indented document; quoted scalars and flow collections
            // left open over later lines, whose text then reads as keys.
            "  resources:\n  - ../base\n",
            "a:\n- \"q\nresources:\n- evil\nz: y\"\n",
            "a:\n- \"q\nresources:\n- evil\nz:\n- \"\n",
            "a:\n- 'q\nresources:\n- evil\nz: y'\n",
            "a:\n  b: 'q\nresources:\n- evil\nz: y'\n",
            "a:\n  b: [q,\nresources:\n- evil\nz: y]\n",
            "a: {b: 1,\nresources: [evil]}\n",
            "a:\n  - &x b\nresources:\n- c\n",
        ] {
            assert_eq!(skim_lines(text, &USED), None, "skimmed by lines: {text}");
        }
        // Block scalars are stepped over, whatever their lines hold.
        for text in [
            "patches:\n- patch: |-\n    \"open\n    resources:\n    - x\n  target:\n    kind: A\nresources:\n- b\n",
            "x: >+\n  'open\n\n  [y\nresources:\n- b\n",
            "x:\n- |\n  \"open\n- 'closed'\n- \"closed: #\"  # c\nresources:\n- b\n",
        ] {
            assert_eq!(
                skim_lines(text, &USED),
                Some(vec![vec!["b".to_owned()], vec![], vec![]]),
                "{text}"
            );
            // Valid YAML: the full parse agrees.
            assert!(string_lists_parsed(text, &USED).is_ok(), "{text}");
            skim_agrees(text);
        }
        assert_eq!(
            kustomization_string_lists("bases: [a, b]\n", &USED).ok(),
            Some(vec![vec![], vec!["a".to_owned(), "b".to_owned()], vec![]])
        );
    }

    /// Every kustomization in the repository's tests, skimmed and parsed.
    #[test]
    fn kustomization_lists_of_test_fixtures_skimmed_as_parsed() {
        let tests = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("../../tests");
        let (files, skimmed, by_lines) = skim_every_kustomization_under(tests);
        assert!(files > 300, "{files} kustomizations");
        assert!(skimmed * 2 > files, "only {skimmed} of {files} skimmed");
        assert!(
            by_lines * 2 > files,
            "only {by_lines} of {files} skimmed by lines"
        );
    }

    /// The same over the conformance corpora beside the checkout (kustomize's
    /// own tests among them), when they are there.
    #[test]
    fn kustomization_lists_of_shared_corpora_skimmed_as_parsed() {
        let shared =
            std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("../../../shared/conformance");
        if !shared.exists() {
            assert!(
                std::env::var_os("TRUEUP_REQUIRE_SHARED").is_none_or(|v| v != "1"),
                "{} is missing and TRUEUP_REQUIRE_SHARED=1",
                shared.display()
            );
            eprintln!(
                "note: skipping the skim over {} (not beside this checkout)",
                shared.display()
            );
            return;
        }
        let (files, _, by_lines) = skim_every_kustomization_under(shared);
        assert!(files > 500, "{files} kustomizations");
        assert!(
            by_lines * 2 > files,
            "only {by_lines} of {files} skimmed by lines"
        );
    }

    /// Checks [`skim_agrees`] on every kustomization file under `root`:
    /// how many files, how many the fast reader's skim took, how many the
    /// line skim took.
    fn skim_every_kustomization_under(root: std::path::PathBuf) -> (usize, usize, usize) {
        let mut pending = vec![root];
        let (mut files, mut skimmed, mut by_lines) = (0, 0, 0);
        while let Some(dir) = pending.pop() {
            for entry in std::fs::read_dir(&dir).expect("test folder").flatten() {
                let path = entry.path();
                let name = entry.file_name().to_string_lossy().into_owned();
                if path.is_dir() {
                    pending.push(path);
                } else if name.starts_with("kustomization.") || name == "Kustomization" {
                    let Ok(text) = std::fs::read_to_string(&path) else {
                        continue;
                    };
                    files += 1;
                    skimmed += usize::from(skim_agrees(&text));
                    by_lines += usize::from(skim_lines(&text, &USED).is_some());
                }
            }
        }
        (files, skimmed, by_lines)
    }

    #[test]
    fn an_escape_kustomize_cannot_print_is_refused_in_ascii_text() {
        for text in ["k: \"a\\u0080b\"\n", "\"\\u007F\": v\n", "k: \"\\uFFFE\"\n"] {
            let err = parse_documents(text).expect_err(text);
            assert!(err.to_string().contains("cannot print"), "{err}");
        }
        assert!(parse_documents("k: \"a\\u00e9b\"\n").is_ok());
    }

    #[test]
    fn scalars_resolve_like_go_yaml_v3() {
        let v = one(
            "a: yes\nb: 0755\nc: 1.0\nd: ~\ne: '1'\nf: !!str 12\ng: !!float 3\nh: 2024-01-01\n",
        );
        let m = v.as_map().expect("map");
        assert_eq!(m["a"], Value::from("yes"));
        assert_eq!(m["b"], Value::Int(493));
        assert_eq!(m["c"], Value::Float(1.0));
        assert_eq!(m["d"], Value::Null);
        assert_eq!(m["e"], Value::from("1"));
        assert_eq!(m["f"], Value::from("12"));
        assert_eq!(m["g"], Value::Float(3.0));
        assert_eq!(m["h"], Value::from("2024-01-01T00:00:00Z"));
    }

    #[test]
    fn merges_and_aliases() {
        let v = one("base: &b {x: 1, y: 2}\nm:\n  <<: *b\n  y: 3\nc: *b\n");
        assert_eq!(v.get_path(&["m", "x"]), Some(&Value::Int(1)));
        assert_eq!(v.get_path(&["m", "y"]), Some(&Value::Int(3)));
        assert_eq!(v.get_path(&["c", "y"]), Some(&Value::Int(2)));
    }

    #[test]
    fn empty_documents_are_null() {
        let docs = parse_documents("---\n---\n# comment\n---\na: 1\n").expect("parses");
        assert!(docs.iter().filter(|d| !d.value.is_null()).count() == 1);
    }

    #[test]
    fn errors_carry_lines() {
        let err = parse_documents("a: 1\nb: 2\na: 3\n").expect_err("duplicate");
        assert!(err.to_string().contains("line 3"), "{err}");
        let err = parse_documents("a:\n  b: [1, 2\n").expect_err("unclosed");
        assert!(matches!(err, Error::Yaml { .. }));
        let err = parse_documents("x: .inf\n").expect_err("inf");
        assert!(err.to_string().contains(".inf"), "{err}");
        let err = parse_documents("? [a]\n: 1\n").expect_err("complex key");
        assert!(err.to_string().contains("key"), "{err}");
    }
}
