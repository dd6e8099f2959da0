//! Byte-minimal edits of a kustomization's `images:`: every byte that need
//! not change stays as it is (comments, blank lines, quoting, indentation,
//! flow or block style, CRLF line endings). The text is read with
//! saphyr-parser for where each part is, and changed by splicing.

use std::ops::Range;

use saphyr_parser::{Event, Parser, ScalarStyle};

use crate::error::Error;

/// A scalar of the file: its text and where it is (bytes).
#[derive(Debug, Clone)]
struct Scalar {
    value: String,
    span: Range<usize>,
    /// The quote it is written with, if any.
    quote: Option<char>,
}

/// A field of an `images:` entry.
#[derive(Debug, Clone)]
struct Field {
    key: Scalar,
    /// The value, when it is a scalar.
    value: Option<Scalar>,
}

/// One entry of `images:`.
#[derive(Debug, Clone)]
struct Entry {
    fields: Vec<Field>,
    /// Written `{name: ..., ...}`: where its `}` is.
    flow_close: Option<usize>,
    /// The column (characters) of its keys, for block entries.
    key_column: usize,
    /// The column of its dash.
    dash_column: usize,
    /// Where its last value ends.
    end: usize,
}

impl Entry {
    fn get(&self, key: &str) -> Option<&Field> {
        self.fields.iter().find(|f| f.key.value == key)
    }

    fn text(&self, key: &str) -> Option<&str> {
        self.get(key)
            .and_then(|f| f.value.as_ref())
            .map(|v| v.value.as_str())
    }
}

/// What the `images:` field's value is.
#[derive(Debug, Clone)]
enum Images {
    /// No `images:` key.
    Absent,
    /// `images:` with no value (or `~`, `null`): where its key's line
    /// ends, and where the `~` or `null` is.
    Empty {
        after_key: usize,
        value: Option<Range<usize>>,
    },
    /// A block sequence.
    Block {
        entries: Vec<Entry>,
        dash_column: usize,
    },
    /// A flow sequence `[...]`: where its `]` is.
    Flow { entries: Vec<Entry>, close: usize },
}

/// A kustomization read for editing.
pub(crate) struct Kustomization<'t> {
    text: &'t str,
    images: Images,
    /// Where a new top-level field goes (the end of the top-level mapping).
    top_end: usize,
    /// The indentation of the top level's block sequences (`resources:\n  - a`: 2).
    sequence_indent: usize,
    eol: &'static str,
}

/// One image to pin: the name the overlay renders, and the digest.
pub(crate) struct Pin<'a> {
    pub(crate) name: &'a str,
    pub(crate) digest: &'a str,
}

impl<'t> Kustomization<'t> {
    /// Reads where the parts of `text` are; `file` names it in errors.
    pub(crate) fn read(text: &'t str, file: &str) -> Result<Kustomization<'t>, Error> {
        let bytes_at: Vec<usize> = text
            .char_indices()
            .map(|(i, _)| i)
            .chain(std::iter::once(text.len()))
            .collect();
        let byte = |chars: usize| bytes_at.get(chars).copied().unwrap_or(text.len());
        let mut events = Vec::new();
        for next in Parser::new_from_str(text) {
            let (event, span) = next.map_err(|e| {
                Error::release(file, format!("line {}: {}", e.marker().line(), e.info()))
            })?;
            events.push((event, span));
        }
        let eol = if text.contains("\r\n") { "\r\n" } else { "\n" };
        let mut k = Kustomization {
            text,
            images: Images::Absent,
            top_end: text.len(),
            sequence_indent: 0,
            eol,
        };
        // StreamStart, DocumentStart, MappingStart of the top level.
        let mut i = 0;
        while i < events.len() && !matches!(events[i].0, Event::MappingStart(..)) {
            if matches!(events[i].0, Event::Scalar(..) | Event::SequenceStart(..)) {
                return Err(Error::release(file, "expected a mapping at the top"));
            }
            i += 1;
        }
        if i == events.len() {
            // An empty file: fields go at its end.
            return Ok(k);
        }
        if text[byte(events[i].1.start.index())..].starts_with('{') {
            return Err(Error::release(
                file,
                "a kustomization written as one flow mapping ({...}) is not edited; write it in block style",
            ));
        }
        i += 1;
        let mut top_sequence_indent = None;
        let mut images_seen = false;
        while let Some((event, span)) = events.get(i) {
            match event {
                Event::MappingEnd => {
                    k.top_end = byte(span.start.index());
                    break;
                }
                Event::Scalar(key, ..) => {
                    let key = key.to_string();
                    let key_end = byte(span.end.index());
                    i += 1;
                    // kustomize reads field names ignoring ASCII case
                    // (`Images:`), the last of several winning: edit the one
                    // it reads, and refuse to guess between several.
                    if key.eq_ignore_ascii_case("images") {
                        if images_seen {
                            return Err(Error::release(
                                file,
                                "images: the field is given more than once; keep one",
                            ));
                        }
                        images_seen = true;
                        let (images, next) = read_images(&events, i, text, &byte, file)?;
                        k.images = match images {
                            Some(images) => images,
                            None => {
                                let value = match &events[i] {
                                    (Event::Scalar(v, ..), span) if !v.is_empty() => Some(
                                        byte(span.start.index())
                                            ..byte(span.start.index()) + v.len(),
                                    ),
                                    _ => None,
                                };
                                Images::Empty {
                                    after_key: line_end(text, key_end),
                                    value,
                                }
                            }
                        };
                        i = next;
                    } else {
                        if let Some((Event::SequenceStart(..), seq)) = events.get(i)
                            && top_sequence_indent.is_none()
                            && !text[byte(seq.start.index())..].starts_with('[')
                        {
                            top_sequence_indent = dash_column(text, byte(seq.start.index()));
                        }
                        i = skip_node(&events, i);
                    }
                }
                _ => {
                    // A key that is not a scalar: step over key and value.
                    i = skip_node(&events, i);
                    i = skip_node(&events, i);
                }
            }
        }
        k.sequence_indent = match &k.images {
            Images::Block { dash_column, .. } => *dash_column,
            _ => top_sequence_indent.unwrap_or(0),
        };
        Ok(k)
    }

    /// The text with each image pinned: its entry's `digest` set in place,
    /// its `newTag` turned into the `digest` (a tag and a digest together
    /// keep the tag), or an entry added. Images already pinned leave the
    /// text as it is.
    pub(crate) fn pin(&self, pins: &[Pin<'_>], file: &str) -> Result<String, Error> {
        let mut splices: Vec<(Range<usize>, String)> = Vec::new();
        let mut added: Vec<&Pin<'_>> = Vec::new();
        let entries: &[Entry] = match &self.images {
            Images::Block { entries, .. } | Images::Flow { entries, .. } => entries,
            _ => &[],
        };
        for pin in pins {
            let matching: Vec<&Entry> = entries
                .iter()
                .filter(|e| match e.text("newName") {
                    Some(new_name) => new_name == pin.name,
                    None => e.text("name") == Some(pin.name),
                })
                .collect();
            let renamed_away = entries.iter().any(|e| {
                e.text("name") == Some(pin.name) && e.text("newName").is_some_and(|n| n != pin.name)
            });
            match matching.as_slice() {
                [] if renamed_away => {
                    return Err(Error::release(
                        file,
                        format!(
                            "images: {} is renamed by its entry, yet the overlay runs it: pin it by hand",
                            pin.name
                        ),
                    ));
                }
                [] => added.push(pin),
                [entry] => splices.extend(self.set_digest(entry, pin.digest)),
                _ => {
                    return Err(Error::release(
                        file,
                        format!("images: more than one entry gives {}", pin.name),
                    ));
                }
            }
        }
        if !added.is_empty() {
            splices.extend(self.add_entries(&added));
        }
        let mut out = self.text.to_owned();
        // From the end, so that earlier offsets stay right; of insertions at
        // one offset the later one goes in first, so they end up in order.
        let mut splices: Vec<(usize, (Range<usize>, String))> =
            splices.into_iter().enumerate().collect();
        splices.sort_by_key(|(order, (range, _))| std::cmp::Reverse((range.start, *order)));
        for (_, (range, replacement)) in splices {
            out.replace_range(range, &replacement);
        }
        Ok(out)
    }

    /// The splices that make `entry` pin `digest`.
    fn set_digest(&self, entry: &Entry, digest: &str) -> Vec<(Range<usize>, String)> {
        if let Some(field) = entry.get("digest") {
            return match &field.value {
                Some(v) if v.value == digest => Vec::new(),
                Some(v) => vec![(v.span.clone(), quoted(digest, v.quote))],
                None => {
                    let colon = self.text[field.key.span.end..]
                        .find(':')
                        .map_or(field.key.span.end, |c| field.key.span.end + c + 1);
                    vec![(colon..colon, format!(" {}", plain(digest)))]
                }
            };
        }
        if let Some(field) = entry.get("newTag")
            && let Some(v) = &field.value
        {
            return vec![
                (field.key.span.clone(), quoted("digest", field.key.quote)),
                (v.span.clone(), quoted(digest, v.quote)),
            ];
        }
        match entry.flow_close {
            Some(_) => vec![(entry.end..entry.end, format!(", digest: {}", plain(digest)))],
            None => {
                let at = line_end_after(self.text, entry.end);
                let prefix = if at == self.text.len() && !self.text.ends_with('\n') {
                    self.eol
                } else {
                    ""
                };
                vec![(
                    at..at,
                    format!(
                        "{prefix}{}digest: {}{}",
                        " ".repeat(entry.key_column),
                        plain(digest),
                        self.eol
                    ),
                )]
            }
        }
    }

    /// The splice that adds an entry for each of `pins`, in the style of
    /// the entries there are (or of the file's other lists).
    fn add_entries(&self, pins: &[&Pin<'_>]) -> Vec<(Range<usize>, String)> {
        let eol = self.eol;
        // `- name: ...` with the keys as far from the dash as the file
        // has them (`-   name:` when it writes `-   name:`).
        let block_item = |dash: usize, key_offset: usize, pin: &Pin<'_>| {
            let key_offset = key_offset.max(2);
            format!(
                "{}-{}name: {}{eol}{}digest: {}{eol}",
                " ".repeat(dash),
                " ".repeat(key_offset - 1),
                plain(pin.name),
                " ".repeat(dash + key_offset),
                plain(pin.digest)
            )
        };
        let flow_item = |pin: &Pin<'_>| {
            format!(
                "{{name: {}, digest: {}}}",
                plain(pin.name),
                plain(pin.digest)
            )
        };
        match &self.images {
            Images::Block {
                entries,
                dash_column,
            } => {
                let last = entries.last();
                let at = last.map_or(0, |e| line_end_after(self.text, e.end));
                let prefix = if at == self.text.len() && !self.text.ends_with('\n') {
                    eol
                } else {
                    ""
                };
                let text: String = pins
                    .iter()
                    .map(|pin| match last {
                        Some(e) if e.flow_close.is_some() => {
                            format!("{}- {}{eol}", " ".repeat(e.dash_column), flow_item(pin))
                        }
                        Some(e) => block_item(
                            e.dash_column,
                            e.key_column.saturating_sub(e.dash_column),
                            pin,
                        ),
                        None => block_item(*dash_column, 2, pin),
                    })
                    .collect();
                vec![(at..at, format!("{prefix}{text}"))]
            }
            Images::Flow { entries, close } => {
                let items: Vec<String> = pins.iter().map(|p| flow_item(p)).collect();
                let at = entries
                    .last()
                    .map_or(*close, |e| e.flow_close.map_or(e.end, |c| c + 1));
                let separator = if entries.is_empty() { "" } else { ", " };
                vec![(at..at, format!("{separator}{}", items.join(", ")))]
            }
            Images::Empty { after_key, value } => {
                let mut text = String::from(eol);
                for pin in pins {
                    text.push_str(&block_item(self.sequence_indent, 2, pin));
                }
                // The key's line ends at `after_key`: the entries follow it.
                let text = text.trim_end_matches(eol).to_owned();
                let mut splices = vec![(*after_key..*after_key, text)];
                if let Some(value) = value {
                    // `images: ~`: the `~` goes, with the spaces before it.
                    let start = self.text[..value.start].trim_end_matches(' ').len();
                    splices.push((start..value.end, String::new()));
                }
                splices
            }
            Images::Absent => {
                let at = self.top_end;
                let prefix = if at > 0 && !self.text[..at].ends_with('\n') {
                    eol
                } else {
                    ""
                };
                let mut text = format!("{prefix}images:{eol}");
                for pin in pins {
                    text.push_str(&block_item(self.sequence_indent, 2, pin));
                }
                vec![(at..at, text)]
            }
        }
    }
}

/// Reads the value of `images:` from event `i`: `None` for no value.
fn read_images(
    events: &[(Event<'_>, saphyr_parser::Span)],
    mut i: usize,
    text: &str,
    byte: &impl Fn(usize) -> usize,
    file: &str,
) -> Result<(Option<Images>, usize), Error> {
    let refuse = |what: &str| {
        Err(Error::release(
            file,
            format!("images: {what}; only a list of mappings is edited"),
        ))
    };
    // Anchors, aliases and tags move where a value starts and what it
    // means: such a block is not edited (the error says so).
    let end = skip_node(events, i);
    for (event, _) in events.get(i..end).unwrap_or_default() {
        let marked = match event {
            Event::Scalar(_, _, anchor, tag)
            | Event::MappingStart(anchor, tag)
            | Event::SequenceStart(anchor, tag) => *anchor != 0 || tag.is_some(),
            Event::Alias(_) => true,
            _ => false,
        };
        if marked {
            return Err(Error::release(
                file,
                "images: anchors, aliases and tags are not edited; write the entries plainly",
            ));
        }
    }
    match events.get(i) {
        Some((Event::Scalar(value, ScalarStyle::Plain, ..), _))
            if value.is_empty() || value == "~" || value == "null" =>
        {
            Ok((None, i + 1))
        }
        Some((Event::SequenceStart(..), span)) => {
            let start = byte(span.start.index());
            let flow = text[start..].starts_with('[');
            let dash_column = dash_column(text, start).unwrap_or(span.start.col());
            i += 1;
            let mut entries = Vec::new();
            loop {
                match events.get(i) {
                    Some((Event::SequenceEnd, end)) => {
                        let close = byte(end.start.index());
                        let images = if flow {
                            Images::Flow { entries, close }
                        } else {
                            Images::Block {
                                entries,
                                dash_column,
                            }
                        };
                        return Ok((Some(images), i + 1));
                    }
                    Some((Event::MappingStart(..), span)) => {
                        let (entry, next) =
                            read_entry(events, i, text, byte, file, span.start.col())?;
                        entries.push(entry);
                        i = next;
                    }
                    _ => return refuse("an entry is not a mapping"),
                }
            }
        }
        _ => refuse("not a list"),
    }
}

fn read_entry(
    events: &[(Event<'_>, saphyr_parser::Span)],
    mut i: usize,
    text: &str,
    byte: &impl Fn(usize) -> usize,
    file: &str,
    key_column: usize,
) -> Result<(Entry, usize), Error> {
    let start = byte(events[i].1.start.index());
    let flow = text[start..].starts_with('{');
    // The dash is the last `-` before the entry on its line.
    let line_start = text[..start].rfind('\n').map_or(0, |n| n + 1);
    let dash_column = text[line_start..start]
        .rfind('-')
        .map_or(key_column.saturating_sub(2), |d| {
            text[line_start..line_start + d].chars().count()
        });
    i += 1;
    let mut fields = Vec::new();
    let mut end = start;
    loop {
        match events.get(i) {
            Some((Event::MappingEnd, span)) => {
                let flow_close = flow.then(|| byte(span.start.index()));
                return Ok((
                    Entry {
                        fields,
                        flow_close,
                        key_column,
                        dash_column,
                        end,
                    },
                    i + 1,
                ));
            }
            Some((Event::Scalar(key, style, ..), span)) => {
                let key = scalar(key, *style, byte(span.start.index()), text, file)?;
                i += 1;
                let value = match events.get(i) {
                    Some((Event::Scalar(value, ScalarStyle::Plain, ..), _)) if value.is_empty() => {
                        i += 1;
                        None
                    }
                    Some((Event::Scalar(value, style, ..), span)) => {
                        let s = scalar(value, *style, byte(span.start.index()), text, file)?;
                        end = s.span.end;
                        i += 1;
                        Some(s)
                    }
                    _ => {
                        let next = skip_node(events, i);
                        if let Some((_, span)) = events.get(next.saturating_sub(1)) {
                            end = end.max(byte(span.end.index()));
                        }
                        i = next;
                        None
                    }
                };
                if value.is_none() {
                    end = end.max(key.span.end);
                }
                fields.push(Field { key, value });
            }
            _ => {
                return Err(Error::release(
                    file,
                    "images: an entry has a key that is not text",
                ));
            }
        }
    }
}

/// A scalar starting at byte `start`: its extent found from its style (the
/// parser's end is not exact for quoted scalars).
fn scalar(
    value: &str,
    style: ScalarStyle,
    start: usize,
    text: &str,
    file: &str,
) -> Result<Scalar, Error> {
    let rest = &text[start..];
    let (len, quote) = match style {
        ScalarStyle::Plain => {
            // A plain scalar on one line is its own text (no escapes); one
            // folded from several lines is not.
            if value.is_empty() || !rest.starts_with(value) {
                return Err(Error::release(
                    file,
                    format!("images: {value:?} spans lines; write it on one line"),
                ));
            }
            (value.len(), None)
        }
        ScalarStyle::SingleQuoted => {
            let mut j = 1;
            let bytes = rest.as_bytes();
            loop {
                match bytes.get(j) {
                    Some(b'\'') if bytes.get(j + 1) == Some(&b'\'') => j += 2,
                    Some(b'\'') => break,
                    Some(_) => j += 1,
                    None => {
                        return Err(Error::release(file, "images: an unterminated quoted value"));
                    }
                }
            }
            (j + 1, Some('\''))
        }
        ScalarStyle::DoubleQuoted => {
            let mut j = 1;
            let bytes = rest.as_bytes();
            loop {
                match bytes.get(j) {
                    Some(b'\\') => j += 2,
                    Some(b'"') => break,
                    Some(_) => j += 1,
                    None => {
                        return Err(Error::release(file, "images: an unterminated quoted value"));
                    }
                }
            }
            (j + 1, Some('"'))
        }
        _ => {
            return Err(Error::release(
                file,
                format!("images: {value:?} is a block scalar; write it on one line"),
            ));
        }
    };
    Ok(Scalar {
        value: value.to_owned(),
        span: start..start + len,
        quote,
    })
}

/// The column of the dash that starts the line holding byte `at`, when the
/// line is a block sequence's item (the parser places an unindented
/// sequence's start at its first item's content, not at the dash).
fn dash_column(text: &str, at: usize) -> Option<usize> {
    let line_start = text[..at].rfind('\n').map_or(0, |n| n + 1);
    let line = &text[line_start..];
    let spaces = line.len() - line.trim_start_matches(' ').len();
    line[spaces..].starts_with('-').then_some(spaces)
}

/// The event after the node that starts at event `i`.
fn skip_node(events: &[(Event<'_>, saphyr_parser::Span)], mut i: usize) -> usize {
    let mut depth = 0usize;
    while let Some((event, _)) = events.get(i) {
        i += 1;
        match event {
            Event::MappingStart(..) | Event::SequenceStart(..) => depth += 1,
            Event::MappingEnd | Event::SequenceEnd => depth = depth.saturating_sub(1),
            _ => {}
        }
        if depth == 0 {
            break;
        }
    }
    i
}

/// Where the line holding byte `at` ends (before its line break).
fn line_end(text: &str, at: usize) -> usize {
    text[at..].find(['\r', '\n']).map_or(text.len(), |n| at + n)
}

/// Where the line holding byte `at` ends, after its line break.
fn line_end_after(text: &str, at: usize) -> usize {
    text[at..].find('\n').map_or(text.len(), |n| at + n + 1)
}

/// `value` in the quotes it replaces (plain when it had none, or when a
/// plain scalar would not read back as the same text).
fn quoted(value: &str, quote: Option<char>) -> String {
    match quote {
        Some('\'') => format!("'{}'", value.replace('\'', "''")),
        Some(_) => serde_json::to_string(value).unwrap_or_default(),
        None => plain(value),
    }
}

/// `value` as a plain scalar if it reads back as itself, else double-quoted.
fn plain(value: &str) -> String {
    let mut out = Vec::new();
    crate::yaml::write_yaml(&mut out, &crate::yaml::Value::String(value.to_owned()));
    String::from_utf8(out)
        .unwrap_or_default()
        .trim_end_matches('\n')
        .to_owned()
}

#[cfg(test)]
mod tests {
    use super::*;

    const D: &str = "sha256:1111111111111111111111111111111111111111111111111111111111111111";

    fn pin(text: &str, name: &str) -> String {
        let k = Kustomization::read(text, "k.yaml").unwrap();
        k.pin(&[Pin { name, digest: D }], "k.yaml").unwrap()
    }

    #[test]
    fn rewrites_only_what_must_change() {
        assert_eq!(
            pin(
                "images:\n- name: a # owner: team-a\n  newTag: \"1.0\" # bumped by bot\n",
                "a"
            ),
            format!("images:\n- name: a # owner: team-a\n  digest: \"{D}\" # bumped by bot\n")
        );
        assert_eq!(
            pin("images:\n  - {name: a, newTag: x}\n", "a"),
            format!("images:\n  - {{name: a, digest: {D}}}\n")
        );
        assert_eq!(
            pin(
                "resources:\n  - base\nimages:\n  - name: b\n    newTag: x\n",
                "a"
            ),
            format!(
                "resources:\n  - base\nimages:\n  - name: b\n    newTag: x\n  - name: a\n    digest: {D}\n"
            )
        );
        assert_eq!(
            pin("resources:\n  - base\r\n", "a").replace(D, "D"),
            "resources:\n  - base\r\nimages:\r\n  - name: a\r\n    digest: D\r\n"
        );
        assert_eq!(
            pin("images: []\n", "a"),
            format!("images: [{{name: a, digest: {D}}}]\n")
        );
        assert_eq!(
            pin("kind: Kustomization\nresources:\n- base\n", "a"),
            format!("kind: Kustomization\nresources:\n- base\nimages:\n- name: a\n  digest: {D}\n")
        );
        assert_eq!(
            pin("images:\n- name: a\n  newName: b\n", "b"),
            format!("images:\n- name: a\n  newName: b\n  digest: {D}\n")
        );
        let pinned = format!("images:\n- name: a\n  digest: {D}\n");
        assert_eq!(pin(&pinned, "a"), pinned);
        assert_eq!(
            pin("images:\n- name: a\n  digest:\n", "a"),
            format!("images:\n- name: a\n  digest: {D}\n")
        );
        // kustomize reads `Images:` as `images:`.
        assert_eq!(
            pin("Images:\n- name: a\n  newTag: x\n", "a"),
            format!("Images:\n- name: a\n  digest: {D}\n")
        );
        assert_eq!(
            pin("images: ~ # none yet\n", "a"),
            format!("images: # none yet\n- name: a\n  digest: {D}\n")
        );
    }

    #[test]
    fn insertions_at_one_place_keep_their_order() {
        let k = Kustomization::read("images:\n- name: a\n", "k.yaml").unwrap();
        let b = "sha256:2222222222222222222222222222222222222222222222222222222222222222";
        let out = k
            .pin(
                &[
                    Pin {
                        name: "a",
                        digest: D,
                    },
                    Pin {
                        name: "b",
                        digest: b,
                    },
                ],
                "k.yaml",
            )
            .unwrap();
        assert_eq!(
            out,
            format!("images:\n- name: a\n  digest: {D}\n- name: b\n  digest: {b}\n")
        );
    }

    #[test]
    fn what_is_not_edited_is_refused() {
        let refused = |text: &str| {
            Kustomization::read(text, "k.yaml")
                .and_then(|k| {
                    k.pin(
                        &[Pin {
                            name: "a",
                            digest: D,
                        }],
                        "k.yaml",
                    )
                })
                .unwrap_err()
                .to_string()
        };
        assert!(refused("images:\n- name: a\n  newTag: &t \"1.0\"\n").contains("anchors"));
        assert!(refused("images: !!null ~\n").contains("tags"));
        assert!(refused("images: []\nImages: []\n").contains("more than once"));
        assert!(refused("{images: []}\n").contains("flow mapping"));
    }
}
