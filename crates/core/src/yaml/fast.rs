//! A fast reader for the block YAML that manifests are written in.
//!
//! It turns the common subset — block mappings and sequences, plain scalars
//! on one line, single- and double-quoted scalars on one line, literal block
//! scalars (`|`, `|-`, `|+`), empty `[]` / `{}`, comments, `---` between
//! documents — into the same events saphyr-parser produces, several times
//! faster. Anything else (anchors, aliases, tags, flow collections, folded
//! or multi-line scalars, tabs, non-ASCII text, directives, anything odd)
//! makes it give up, and the caller reads the text again with saphyr-parser.
//! It never reports an error of its own: when a text is wrong, saphyr-parser
//! is the one that says so.
//!
//! Tests compare both readers document by document (`tests` below and the
//! corpus under `tests/`), so choosing this path never changes a result.

use std::borrow::Cow;

use saphyr_parser::{Event, Marker, ScalarStyle, Span};

use crate::error::Error;

/// Gives up: read the text with saphyr-parser instead.
struct Bail;

type Sink<'s, 'a> = &'s mut dyn FnMut(Event<'a>, Span) -> Result<(), Error>;

/// Feeds `sink` the events of `text`; `None` when the text needs the full
/// parser (or `sink` failed), in which case nothing it produced may be used.
pub(super) fn read<'a>(
    text: &'a str,
    sink: &mut dyn FnMut(Event<'a>, Span) -> Result<(), Error>,
) -> Option<()> {
    let lines = split_lines(text)?;
    let mut reader = Reader {
        text,
        lines,
        pos: 0,
        sink,
    };
    reader.stream().ok()
}

/// Byte ranges of the lines (without their `\n`); `None` for text outside
/// the subset at the byte level.
fn split_lines(text: &str) -> Option<Vec<(usize, usize)>> {
    let bytes = text.as_bytes();
    let mut lines = Vec::with_capacity(bytes.len() / 24 + 1);
    let mut start = 0;
    for (i, &b) in bytes.iter().enumerate() {
        if b == b'\n' {
            lines.push((start, i));
            start = i + 1;
        } else if !(0x20..0x7F).contains(&b) {
            // Tabs, carriage returns, control characters, non-ASCII text.
            return None;
        }
    }
    if start < bytes.len() {
        lines.push((start, bytes.len()));
    }
    for &(s, e) in &lines {
        let line = &text[s..e];
        let directive_or_marker = line.starts_with('%')
            || line.starts_with("...")
            || (line.starts_with("---") && line != "---");
        if directive_or_marker {
            return None;
        }
    }
    Some(lines)
}

/// Where a value stands: what may follow it on later lines.
#[derive(Clone, Copy)]
struct Parent {
    /// The indentation of the collection holding the value; a later line
    /// indented deeper would continue the value, which the subset excludes.
    indent: usize,
}

struct Reader<'a, 's, 'k> {
    text: &'a str,
    lines: Vec<(usize, usize)>,
    /// The next line not yet consumed.
    pos: usize,
    sink: Sink<'s, 'k>,
}

/// What starts at a position in a line.
enum Start<'a> {
    /// A mapping key, its style and the column where its value starts.
    Key(Cow<'a, str>, ScalarStyle, usize),
    /// Not a key: a scalar or something else.
    NotKey,
}

impl<'a, 's> Reader<'a, 's, 'a> {
    fn line(&self, i: usize) -> &'a str {
        let (s, e) = self.lines[i];
        &self.text[s..e]
    }

    fn indent(&self, i: usize) -> usize {
        self.line(i).bytes().take_while(|&b| b == b' ').count()
    }

    fn is_blank(&self, i: usize) -> bool {
        self.line(i).bytes().all(|b| b == b' ')
    }

    fn is_comment(&self, i: usize) -> bool {
        self.line(i).trim_start_matches(' ').starts_with('#')
    }

    fn is_separator(&self, i: usize) -> bool {
        self.line(i) == "---"
    }

    /// The first line at or after `i` that is neither blank nor a comment.
    fn skip_blank(&self, mut i: usize) -> usize {
        while i < self.lines.len() && (self.is_blank(i) || self.is_comment(i)) {
            i += 1;
        }
        i
    }

    /// Whether line `i` holds a content line indented exactly `indent` that
    /// starts a block sequence item.
    fn is_item(&self, i: usize, indent: usize) -> bool {
        let rest = &self.line(i)[indent..];
        rest == "-" || rest.starts_with("- ")
    }

    fn span(&self, i: usize, col: usize) -> Span {
        let index = self.lines.get(i).map_or(self.text.len(), |&(s, _)| s + col);
        let marker = Marker::new(index, i + 1, col);
        Span::new(marker, marker)
    }

    fn emit(&mut self, event: Event<'a>, i: usize, col: usize) -> Result<(), Bail> {
        let span = self.span(i, col);
        (self.sink)(event, span).map_err(|_| Bail)
    }

    fn stream(&mut self) -> Result<(), Bail> {
        let n = self.lines.len();
        self.emit(Event::StreamStart, 0, 0)?;
        let mut i = 0;
        // Whether the next document was opened by `---`.
        let mut explicit = false;
        let mut marker_line = 0;
        loop {
            let c = self.skip_blank(i);
            if c == n || self.is_separator(c) {
                if explicit {
                    // `---` with nothing after it: an empty document.
                    self.emit(Event::DocumentStart(true), marker_line, 0)?;
                    self.emit(
                        Event::Scalar(Cow::Borrowed(""), ScalarStyle::Plain, 0, None),
                        c,
                        0,
                    )?;
                    self.emit(Event::DocumentEnd, c, 0)?;
                }
                if c == n {
                    break;
                }
                explicit = true;
                marker_line = c;
                i = c + 1;
                continue;
            }
            if explicit {
                self.emit(Event::DocumentStart(true), marker_line, 0)?;
            } else {
                self.emit(Event::DocumentStart(false), c, 0)?;
            }
            let indent = self.indent(c);
            self.node(c, indent)?;
            let end = self.skip_blank(self.pos);
            if end < n && !self.is_separator(end) {
                return Err(Bail);
            }
            self.emit(Event::DocumentEnd, end, 0)?;
            explicit = false;
            i = end;
        }
        self.emit(Event::StreamEnd, n, 0)
    }

    /// A block collection whose first token is at line `i`, column `col`.
    fn node(&mut self, i: usize, col: usize) -> Result<(), Bail> {
        if self.is_item(i, col) {
            return self.sequence(i, col);
        }
        match self.start(i, col)? {
            Start::Key(..) => self.mapping(i, col),
            Start::NotKey => Err(Bail),
        }
    }

    /// After an entry of a collection indented `indent`: the line of its next
    /// entry, or `None` (with `pos` there) when the collection ends. A deeper
    /// line would continue the entry, which the subset excludes.
    fn next_sibling(&mut self, indent: usize) -> Result<Option<usize>, Bail> {
        let j = self.skip_blank(self.pos);
        if j == self.lines.len() || self.is_separator(j) || self.indent(j) < indent {
            self.pos = j;
            return Ok(None);
        }
        if self.indent(j) > indent {
            return Err(Bail);
        }
        Ok(Some(j))
    }

    fn sequence(&mut self, mut i: usize, indent: usize) -> Result<(), Bail> {
        self.emit(Event::SequenceStart(0, None), i, indent)?;
        loop {
            let line = self.line(i);
            let col = indent
                + 1
                + line[indent + 1..]
                    .bytes()
                    .take_while(|&b| b == b' ')
                    .count();
            let rest = &line[col..];
            if rest.is_empty() || rest.starts_with('#') {
                self.nested_or_empty(i, indent, false)?;
            } else if rest == "-" || rest.starts_with("- ") {
                return Err(Bail);
            } else {
                match self.start(i, col)? {
                    Start::Key(..) => self.mapping(i, col)?,
                    Start::NotKey => self.inline_value(i, col, Parent { indent })?,
                }
            }
            let Some(j) = self.next_sibling(indent)? else {
                break;
            };
            if !self.is_item(j, indent) {
                // A key of the mapping this sequence is the value of.
                self.pos = j;
                break;
            }
            i = j;
        }
        self.emit(Event::SequenceEnd, self.pos, 0)
    }

    fn mapping(&mut self, mut i: usize, indent: usize) -> Result<(), Bail> {
        self.emit(Event::MappingStart(0, None), i, indent)?;
        loop {
            let Start::Key(key, style, value_col) = self.start(i, indent)? else {
                return Err(Bail);
            };
            self.emit(Event::Scalar(key, style, 0, None), i, indent)?;
            let rest = &self.line(i)[value_col..];
            if rest.is_empty() || rest.starts_with('#') {
                self.nested_or_empty(i, indent, true)?;
            } else {
                self.inline_value(i, value_col, Parent { indent })?;
            }
            let Some(j) = self.next_sibling(indent)? else {
                break;
            };
            i = j;
        }
        self.emit(Event::MappingEnd, self.pos, 0)
    }

    /// The value of a key or item with nothing after it on its line: a
    /// collection on the following lines, or an empty (null) scalar.
    /// A mapping's value may be a sequence at the mapping's own indentation.
    fn nested_or_empty(&mut self, i: usize, indent: usize, in_mapping: bool) -> Result<(), Bail> {
        let j = self.skip_blank(i + 1);
        if j < self.lines.len() && !self.is_separator(j) {
            let inner = self.indent(j);
            if inner > indent {
                return self.node(j, inner);
            }
            if in_mapping && inner == indent && self.is_item(j, indent) {
                return self.sequence(j, indent);
            }
        }
        self.pos = i + 1;
        self.emit(
            Event::Scalar(Cow::Borrowed(""), ScalarStyle::Plain, 0, None),
            j,
            0,
        )
    }

    /// What starts at column `col` of line `i`: a key (with where its value
    /// starts) or not.
    fn start(&self, i: usize, col: usize) -> Result<Start<'a>, Bail> {
        let line = self.line(i);
        let rest = &line[col..];
        let first = rest.as_bytes().first().copied().ok_or(Bail)?;
        let (key, style, after) = match first {
            b'"' | b'\'' => {
                let (text, len) = if first == b'"' {
                    double_quoted(rest)?
                } else {
                    single_quoted(rest)?
                };
                let after = &rest[len..];
                if !(after == ":" || after.starts_with(": ")) {
                    return Ok(Start::NotKey);
                }
                let style = if first == b'"' {
                    ScalarStyle::DoubleQuoted
                } else {
                    ScalarStyle::SingleQuoted
                };
                (text, style, col + len + 1)
            }
            _ => {
                let Some(colon) = key_colon(rest) else {
                    return Ok(Start::NotKey);
                };
                let key = rest[..colon].trim_end_matches(' ');
                if key.is_empty() || key.len() > 1000 || !key.bytes().all(is_key_byte) {
                    return Err(Bail);
                }
                if !is_plain_start(key.as_bytes()[0]) || key.starts_with('-') {
                    return Err(Bail);
                }
                (Cow::Borrowed(key), ScalarStyle::Plain, col + colon + 1)
            }
        };
        let value_col = after + line[after..].bytes().take_while(|&b| b == b' ').count();
        Ok(Start::Key(key, style, value_col))
    }

    /// A scalar (or `[]` / `{}`) starting at column `col` of line `i`.
    fn inline_value(&mut self, i: usize, col: usize, parent: Parent) -> Result<(), Bail> {
        let rest = &self.line(i)[col..];
        let first = rest.as_bytes()[0];
        match first {
            b'|' => return self.literal(i, col, parent),
            b'"' | b'\'' => {
                let (text, len) = if first == b'"' {
                    double_quoted(rest)?
                } else {
                    single_quoted(rest)?
                };
                if !is_trailer(&rest[len..]) {
                    return Err(Bail);
                }
                let style = if first == b'"' {
                    ScalarStyle::DoubleQuoted
                } else {
                    ScalarStyle::SingleQuoted
                };
                self.pos = i + 1;
                return self.emit(Event::Scalar(text, style, 0, None), i, col);
            }
            b'[' if !rest.starts_with("[]") => {
                let (items, len) = flow_sequence(rest)?;
                if !is_trailer(&rest[len..]) {
                    return Err(Bail);
                }
                let next = (i + 1..self.lines.len()).find(|&j| !self.is_blank(j));
                if next.is_some_and(|j| self.indent(j) > parent.indent) {
                    return Err(Bail);
                }
                self.pos = i + 1;
                self.emit(Event::SequenceStart(0, None), i, col)?;
                for (text, style, at) in items {
                    self.emit(Event::Scalar(text, style, 0, None), i, col + at)?;
                }
                return self.emit(Event::SequenceEnd, i, col + len - 1);
            }
            b'[' | b'{' => {
                if rest.len() < 2 || !is_trailer(&rest[2..]) {
                    return Err(Bail);
                }
                self.pos = i + 1;
                return match &rest[..2] {
                    "[]" => {
                        self.emit(Event::SequenceStart(0, None), i, col)?;
                        self.emit(Event::SequenceEnd, i, col + 1)
                    }
                    "{}" => {
                        self.emit(Event::MappingStart(0, None), i, col)?;
                        self.emit(Event::MappingEnd, i, col + 1)
                    }
                    _ => Err(Bail),
                };
            }
            _ => {}
        }
        if !is_plain_start(first) || (first == b'-' && (rest == "-" || rest.starts_with("- "))) {
            return Err(Bail);
        }
        // One pass for where a comment starts (` #`) and whether a `: `
        // comes before it (a mapping, not a scalar).
        let bytes = rest.as_bytes();
        let mut end = bytes.len();
        let mut colon_space = false;
        for (k, &b) in bytes.iter().enumerate() {
            let next = bytes.get(k + 1);
            if b == b' ' && next == Some(&b'#') {
                end = k;
                break;
            }
            colon_space |= b == b':' && next == Some(&b' ');
        }
        let text = rest[..end].trim_end_matches(' ');
        if colon_space || text.ends_with(':') {
            return Err(Bail);
        }
        // A deeper line after a plain scalar would continue it (or be an error).
        let next = (i + 1..self.lines.len()).find(|&j| !self.is_blank(j));
        if next.is_some_and(|j| self.indent(j) > parent.indent) {
            return Err(Bail);
        }
        self.pos = i + 1;
        self.emit(
            Event::Scalar(Cow::Borrowed(text), ScalarStyle::Plain, 0, None),
            i,
            col,
        )
    }

    /// A literal block scalar whose header (`|`, `|-`, `|+`) is at column
    /// `col` of line `i`.
    fn literal(&mut self, i: usize, col: usize, parent: Parent) -> Result<(), Bail> {
        let header = &self.line(i)[col + 1..];
        let (chomp, trailer) = match header.as_bytes().first() {
            Some(b'-') => (Chomp::Strip, &header[1..]),
            Some(b'+') => (Chomp::Keep, &header[1..]),
            _ => (Chomp::Clip, header),
        };
        if !is_trailer(trailer) {
            return Err(Bail);
        }
        let n = self.lines.len();
        let first = i + 1;
        if first == n || self.is_blank(first) {
            return Err(Bail);
        }
        let block_indent = self.indent(first);
        if block_indent <= parent.indent {
            return Err(Bail);
        }
        let mut end = first;
        let mut last_content = first;
        while end < n {
            let line = self.line(end);
            if self.is_blank(end) {
                if line.len() > block_indent {
                    return Err(Bail);
                }
            } else {
                let indent = self.indent(end);
                if indent < block_indent {
                    if indent > parent.indent {
                        return Err(Bail);
                    }
                    break;
                }
                last_content = end;
            }
            end += 1;
        }
        if end == n && !self.text.ends_with('\n') {
            return Err(Bail);
        }
        let mut value = String::new();
        for j in first..=last_content {
            let line = self.line(j);
            if line.len() > block_indent {
                value.push_str(&line[block_indent..]);
            }
            value.push('\n');
        }
        match chomp {
            Chomp::Clip => {}
            Chomp::Strip => {
                value.pop();
            }
            Chomp::Keep => {
                for _ in last_content + 1..end {
                    value.push('\n');
                }
            }
        }
        self.pos = end;
        self.emit(
            Event::Scalar(Cow::Owned(value), ScalarStyle::Literal, 0, None),
            i,
            col,
        )
    }
}

#[derive(Clone, Copy)]
enum Chomp {
    Clip,
    Strip,
    Keep,
}

/// Bytes a plain key of the subset may hold: printable ASCII (in block
/// context a plain scalar may hold flow indicators and quotes after its
/// first character, as managedFields keys such as `k:{"name":"app"}` do).
fn is_key_byte(b: u8) -> bool {
    (0x20..0x7F).contains(&b)
}

/// Whether a plain scalar may start with this byte in the subset (YAML's
/// indicators start other things, or need context the subset leaves out).
fn is_plain_start(b: u8) -> bool {
    !matches!(
        b,
        b'?' | b':'
            | b','
            | b'['
            | b']'
            | b'{'
            | b'}'
            | b'#'
            | b'&'
            | b'*'
            | b'!'
            | b'|'
            | b'>'
            | b'\''
            | b'"'
            | b'%'
            | b'@'
            | b'`'
            | b' '
    )
}

/// The column of the `:` that ends a plain key at the start of `rest`,
/// unless a comment comes first.
fn key_colon(rest: &str) -> Option<usize> {
    let bytes = rest.as_bytes();
    for (i, &b) in bytes.iter().enumerate() {
        match b {
            b':' if bytes.get(i + 1).is_none_or(|&n| n == b' ') => return Some(i),
            b'#' if i > 0 && bytes[i - 1] == b' ' => return None,
            _ => {}
        }
    }
    None
}

/// A flow sequence of scalars on one line (`["--port=8080", -v]`): its
/// items with their styles and columns, and its length in bytes.
#[allow(clippy::type_complexity)]
fn flow_sequence(rest: &str) -> Result<(Vec<(Cow<'_, str>, ScalarStyle, usize)>, usize), Bail> {
    let bytes = rest.as_bytes();
    let mut items = Vec::new();
    let mut i = 1;
    loop {
        while bytes.get(i) == Some(&b' ') {
            i += 1;
        }
        let first = *bytes.get(i).ok_or(Bail)?;
        let (text, style, len) = match first {
            b'"' => {
                let (text, len) = double_quoted(&rest[i..])?;
                (text, ScalarStyle::DoubleQuoted, len)
            }
            b'\'' => {
                let (text, len) = single_quoted(&rest[i..])?;
                (text, ScalarStyle::SingleQuoted, len)
            }
            _ => {
                if !is_plain_start(first)
                    || first == b'-'
                        && !bytes
                            .get(i + 1)
                            .is_some_and(|&n| n.is_ascii_alphanumeric() || n == b'-')
                {
                    return Err(Bail);
                }
                let len = bytes[i..]
                    .iter()
                    .position(|&b| b == b',' || b == b']')
                    .ok_or(Bail)?;
                let text = rest[i..i + len].trim_end_matches(' ');
                let plain = text.as_bytes();
                for (k, &b) in plain.iter().enumerate() {
                    let ok = match b {
                        b':' => plain
                            .get(k + 1)
                            .is_some_and(|&n| n.is_ascii_alphanumeric() || n == b'/'),
                        b'-' | b'_' | b'.' | b'/' | b'=' | b'@' | b'+' | b'~' | b'%' | b'$' => true,
                        _ => b.is_ascii_alphanumeric(),
                    };
                    if !ok {
                        return Err(Bail);
                    }
                }
                (Cow::Borrowed(text), ScalarStyle::Plain, len)
            }
        };
        items.push((text, style, i));
        i += len;
        while bytes.get(i) == Some(&b' ') {
            i += 1;
        }
        match bytes.get(i) {
            Some(b']') => return Ok((items, i + 1)),
            Some(b',') => {
                i += 1;
                // No trailing comma in the subset.
                let next = bytes[i..].iter().find(|&&b| b != b' ');
                if next == Some(&b']') {
                    return Err(Bail);
                }
            }
            _ => return Err(Bail),
        }
    }
}

/// What may follow a value on its line: spaces, then perhaps a comment.
fn is_trailer(rest: &str) -> bool {
    let trimmed = rest.trim_start_matches(' ');
    trimmed.is_empty() || (trimmed.starts_with('#') && trimmed.len() < rest.len())
}

/// The text of a quoted scalar whose closing quote is at `end`: borrowed
/// when it held no escapes, else what was unescaped before `run` plus the rest.
fn quoted_text(rest: &str, owned: Option<String>, run: usize, end: usize) -> Cow<'_, str> {
    match owned {
        Some(mut s) => {
            s.push_str(&rest[run..end]);
            Cow::Owned(s)
        }
        None => Cow::Borrowed(&rest[1..end]),
    }
}

/// A single-quoted scalar ending on its line: its text and its length in
/// bytes, quotes included.
fn single_quoted(rest: &str) -> Result<(Cow<'_, str>, usize), Bail> {
    let bytes = rest.as_bytes();
    let mut i = 1;
    let mut owned: Option<String> = None;
    let mut run = 1;
    while i < bytes.len() {
        if bytes[i] == b'\'' {
            if bytes.get(i + 1) == Some(&b'\'') {
                let s = owned.get_or_insert_with(String::new);
                s.push_str(&rest[run..=i]);
                i += 2;
                run = i;
                continue;
            }
            return Ok((quoted_text(rest, owned, run, i), i + 1));
        }
        i += 1;
    }
    Err(Bail)
}

/// A double-quoted scalar ending on its line, with the common escapes: its
/// text and its length in bytes, quotes included.
fn double_quoted(rest: &str) -> Result<(Cow<'_, str>, usize), Bail> {
    let bytes = rest.as_bytes();
    let mut i = 1;
    let mut owned: Option<String> = None;
    let mut run = 1;
    while i < bytes.len() {
        match bytes[i] {
            b'"' => {
                return Ok((quoted_text(rest, owned, run, i), i + 1));
            }
            b'\\' => {
                let s = owned.get_or_insert_with(String::new);
                s.push_str(&rest[run..i]);
                let escaped = match bytes.get(i + 1).ok_or(Bail)? {
                    b'\\' => '\\',
                    b'"' => '"',
                    b'/' => '/',
                    b'n' => '\n',
                    b't' => '\t',
                    b'r' => '\r',
                    b'0' => '\0',
                    b'u' => {
                        let hex = rest.get(i + 2..i + 6).ok_or(Bail)?;
                        if !hex.bytes().all(|b| b.is_ascii_hexdigit()) {
                            return Err(Bail);
                        }
                        let code = u32::from_str_radix(hex, 16).map_err(|_| Bail)?;
                        let c = char::from_u32(code).ok_or(Bail)?;
                        s.push(c);
                        i += 6;
                        run = i;
                        continue;
                    }
                    _ => return Err(Bail),
                };
                s.push(escaped);
                i += 2;
                run = i;
            }
            _ => i += 1,
        }
    }
    Err(Bail)
}

#[cfg(test)]
mod tests {
    use super::super::parse::{Builder, Schema, parse_documents_full};
    use super::*;
    use crate::yaml::{Document, ParseLimits};

    /// The fast reader's documents, or `None` when it gives up.
    fn fast(text: &str) -> Option<Vec<Document>> {
        let limits = ParseLimits::default();
        let mut builder = Builder::new(&limits, Schema::Objects);
        let mut docs = Vec::new();
        read(text, &mut |event, span| {
            builder.handle(event, span, &mut docs)
        })?;
        Some(docs)
    }

    fn same_as_saphyr(text: &str) -> bool {
        let full = parse_documents_full(text, &ParseLimits::default(), Schema::Objects);
        match fast(text) {
            None => false,
            Some(docs) => {
                assert_eq!(Ok(docs), full.map_err(|e| e.to_string()), "{text:?}");
                true
            }
        }
    }

    #[test]
    fn reads_the_subset_as_saphyr_does() {
        let cases = [
            "",
            "# only a comment\n",
            "a: 1\n",
            "a: 1\n---\n",
            "---\n",
            "---\n---\na: 1\n",
            "a: 1\n---\nb: 2\n---\n\n---\n# c\n",
            "apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: x\n  labels: {}\ndata:\n  a: 'it''s'\n  b: \"q\\\"\\n\\u00e9\"\n  c: |\n    line 1\n\n    line 2\n\n  d: |-\n    x\n  e: |+\n    y\n\n  f: 007\n  g: true\n  h: ~\n  i:\n",
            "items:\n- a\n- 'b'\n-\n- name: x\n  value: y # comment\n- []\nnext: here\n",
            "a:\n  - 1\n  - 2\nb:\n- c: d\n  e:\n    f: g\n",
            "  indented: root\n  more: x\n",
            "key: value#not-comment\nurl: http://x:80/y\nimage: nginx:1.25\n",
            "a: |\n  keep\n    deeper\n  back\nb: 1\n",
            "<<: {}\n",
            "\"quoted key\": 1\n'single': 2\n",
            "fieldsV1:\n  f:metadata:\n    .: {}\n    f:labels: {}\n  f:spec:\n    k:{\"name\":\"app\"}:\n      f:image: {}\n",
            "args: [\"--port=8080\", -v, 'x', http://a:80/b, 1]\ncommand: [ sh , -c ]\n",
        ];
        for case in cases {
            assert!(same_as_saphyr(case), "the fast reader gave up on {case:?}");
        }
    }

    #[test]
    fn gives_up_outside_the_subset() {
        let cases = [
            "a: &x 1\nb: *x\n",
            "a: !!str 1\n",
            "a: [1, [2]]\n",
            "a: {b: 1}\n",
            "a: >\n  folded\n",
            "a: multi\n  line\n",
            "a:\tb\n",
            "a: caf\u{e9}\n",
            "%YAML 1.2\n---\na: 1\n",
            "--- a: 1\n",
            "a: 1\n...\n",
            "a: b: c\n",
            "a: 'open\n  quote'\n",
            "scalar root\n",
            "a: 1\n b: 2\n",
            "a: 1\na: 2\n",
            "- - nested\n",
            "? complex\n: key\n",
        ];
        for case in cases {
            assert!(fast(case).is_none(), "the fast reader took {case:?}");
        }
    }

    /// Every YAML file under `tests/` and `examples/`: the fast reader must
    /// agree with saphyr-parser wherever it does not give up.
    fn corpus() -> Vec<(std::path::PathBuf, String)> {
        let root = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("../..");
        let mut files = Vec::new();
        let mut dirs = vec![root.join("tests"), root.join("examples")];
        while let Some(dir) = dirs.pop() {
            let Ok(entries) = std::fs::read_dir(&dir) else {
                continue;
            };
            for entry in entries.flatten() {
                let path = entry.path();
                if path.is_dir() {
                    dirs.push(path);
                } else if (path.extension().is_some_and(|e| e == "yaml" || e == "yml")
                    || path.file_name().is_some_and(|n| n == "Kustomization"))
                    && let Ok(text) = std::fs::read_to_string(&path)
                {
                    files.push((path, text));
                }
            }
        }
        files.sort();
        files
    }

    /// Agreement (or giving up) on one text, under both schemas.
    fn check(text: &str) -> bool {
        let limits = ParseLimits::default();
        let mut taken = false;
        for schema in [Schema::Objects, Schema::Kustomization] {
            let mut builder = Builder::new(&limits, schema);
            let mut docs = Vec::new();
            if read(text, &mut |event, span| {
                builder.handle(event, span, &mut docs)
            })
            .is_some()
            {
                let full = parse_documents_full(text, &limits, schema);
                assert_eq!(Ok(docs), full.map_err(|e| e.to_string()), "{text:?}");
                taken = true;
            }
        }
        taken
    }

    #[test]
    fn agrees_with_saphyr_on_the_fixtures() {
        let files = corpus();
        assert!(files.len() > 300, "found only {} files", files.len());
        let taken = files.iter().filter(|(_, text)| check(text)).count();
        // Most real files are in the subset; the rest fall back.
        assert!(taken * 10 > files.len() * 7, "{taken} of {}", files.len());
    }

    #[test]
    fn agrees_with_saphyr_on_mutated_fixtures() {
        let files = corpus();
        let mut seed: u64 = 0x9E37_79B9_7F4A_7C15;
        let mut next = move |bound: usize| {
            seed ^= seed << 13;
            seed ^= seed >> 7;
            seed ^= seed << 17;
            (seed % bound as u64) as usize
        };
        const INSERTS: [&str; 35] = [
            " ",
            "  ",
            "\n",
            "-",
            "- ",
            ":",
            ": ",
            "#",
            " #",
            "'",
            "\"",
            "|",
            "[]",
            "{}",
            "---\n",
            "[a, b]",
            "[\"x\", 'y' ]",
            "[--a, -]",
            "\\",
            "\n  ",
            "\n- ",
            "|-",
            "|+",
            "\n\n",
            "~",
            "'x'",
            "\"\\u00e9\"",
            "0x1F",
            "1e3",
            "\n    ",
            "\\u",
            "f:x:",
            "k:{\"a\":1}: ",
            ".: {}",
            "a b",
        ];
        let mut taken = 0;
        for round in 0..4000 {
            let (_, text) = &files[round % files.len()];
            let mut bytes = text.clone().into_bytes();
            for _ in 0..1 + next(3) {
                let at = next(bytes.len() + 1);
                match next(3) {
                    0 if at < bytes.len() => {
                        bytes.remove(at);
                    }
                    _ => {
                        let insert = INSERTS[next(INSERTS.len())];
                        bytes.splice(at..at, insert.bytes());
                    }
                }
            }
            if let Ok(text) = String::from_utf8(bytes)
                && check(&text)
            {
                taken += 1;
            }
        }
        assert!(taken > 500, "only {taken} mutated texts were in the subset");
    }
}
