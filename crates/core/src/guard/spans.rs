//! Where values are in a YAML file: each document read into a tree of
//! nodes that keep their line and column, so a finding about a field can
//! name the line that wrote it. Read only for files that have findings or
//! are scanned for secrets; rendering never needs it.

use saphyr_parser::{Event, Parser, ScalarStyle};

/// A position in a file: 1-based line and column (in characters).
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub(crate) struct Position {
    pub line: usize,
    pub column: usize,
}

impl Position {
    /// The start of a file.
    pub(crate) const START: Position = Position { line: 1, column: 1 };
}

/// One node of a document, with where it starts.
#[derive(Debug, Clone)]
pub(crate) enum Node {
    /// A mapping: its entries with the key's position.
    Map {
        at: Position,
        entries: Vec<(String, Position, Node)>,
    },
    /// A sequence.
    Seq { at: Position, items: Vec<Node> },
    /// A scalar: its text, whether it was written as a block (`|`, `>`),
    /// and the byte range it spans in the file.
    Scalar {
        at: Position,
        text: String,
        block: bool,
        bytes: std::ops::Range<usize>,
    },
    /// An alias, or a node this reader does not follow.
    Other { at: Position },
}

impl Node {
    /// Where the node starts.
    pub(crate) fn at(&self) -> Position {
        match self {
            Node::Map { at, .. }
            | Node::Seq { at, .. }
            | Node::Scalar { at, .. }
            | Node::Other { at } => *at,
        }
    }

    /// The value of mapping key `key`.
    pub(crate) fn get(&self, key: &str) -> Option<&Node> {
        match self {
            Node::Map { entries, .. } => entries.iter().find(|(k, ..)| k == key).map(|(.., n)| n),
            _ => None,
        }
    }

    /// The scalar text, if this is a scalar.
    pub(crate) fn text(&self) -> Option<&str> {
        match self {
            Node::Scalar { text, .. } => Some(text),
            _ => None,
        }
    }

    /// The position of the deepest node along `path` (mapping keys and
    /// sequence indexes as text): the value at the end of the path when it
    /// exists, else the last node found on the way. A key's value that is
    /// a mapping or sequence is located at its key.
    pub(crate) fn locate(&self, path: &[PathPart<'_>]) -> Position {
        let mut node = self;
        let mut found = self.at();
        for part in path {
            match (node, part) {
                (Node::Map { entries, .. }, PathPart::Key(key)) => {
                    match entries.iter().find(|(k, ..)| k == key) {
                        Some((_, key_at, value)) => {
                            found = match value {
                                Node::Scalar { .. } => value.at(),
                                _ => *key_at,
                            };
                            node = value;
                        }
                        None => return found,
                    }
                }
                (Node::Seq { items, .. }, PathPart::Index(i)) => match items.get(*i) {
                    Some(item) => {
                        found = item.at();
                        node = item;
                    }
                    None => return found,
                },
                _ => return found,
            }
        }
        found
    }
}

/// One step of a path into a document.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum PathPart<'a> {
    /// A mapping key.
    Key(&'a str),
    /// A sequence index.
    Index(usize),
}

/// An owned step of a path into a rendered object, kept while walking it.
#[derive(Debug, Clone)]
pub(crate) enum Step {
    /// A mapping key.
    Key(String),
    /// A sequence index.
    Index(usize),
}

impl<'a> From<&'a Step> for PathPart<'a> {
    fn from(step: &'a Step) -> Self {
        match step {
            Step::Key(k) => PathPart::Key(k),
            Step::Index(i) => PathPart::Index(*i),
        }
    }
}

/// The documents of `text`, or `None` when it is not YAML this reader
/// understands (the caller then treats it as plain text).
pub(crate) fn read(text: &str) -> Option<Vec<Node>> {
    let mut events = Vec::new();
    for next in Parser::new_from_str(text) {
        events.push(next.ok()?);
    }
    // Marker indexes count characters; scalars' byte ranges need bytes.
    let ascii = text.is_ascii();
    let bytes_at: Vec<usize> = if ascii {
        Vec::new()
    } else {
        text.char_indices()
            .map(|(i, _)| i)
            .chain(std::iter::once(text.len()))
            .collect()
    };
    let byte = |chars: usize| {
        if ascii {
            chars.min(text.len())
        } else {
            bytes_at.get(chars).copied().unwrap_or(text.len())
        }
    };
    let mut reader = Reader {
        events: &events,
        next: 0,
        byte: &byte,
        depth: 0,
    };
    let mut documents = Vec::new();
    while let Some((event, _)) = reader.events.get(reader.next) {
        reader.next += 1;
        if matches!(event, Event::DocumentStart(..)) {
            match reader.events.get(reader.next) {
                Some((Event::DocumentEnd, span)) => documents.push(Node::Other {
                    at: position(span.start),
                }),
                Some(_) => documents.push(reader.node()?),
                None => return None,
            }
        }
    }
    Some(documents)
}

/// How deep nested collections may go before a file is read as plain text.
const MAX_DEPTH: usize = 256;

struct Reader<'e, 't, F: Fn(usize) -> usize> {
    events: &'e [(Event<'t>, saphyr_parser::Span)],
    next: usize,
    byte: &'e F,
    depth: usize,
}

fn position(marker: saphyr_parser::Marker) -> Position {
    Position {
        line: marker.line(),
        column: marker.col() + 1,
    }
}

impl<F: Fn(usize) -> usize> Reader<'_, '_, F> {
    fn node(&mut self) -> Option<Node> {
        let (event, span) = self.events.get(self.next)?;
        self.next += 1;
        let at = position(span.start);
        match event {
            Event::Scalar(text, style, ..) => Some(Node::Scalar {
                at,
                text: text.to_string(),
                block: matches!(style, ScalarStyle::Literal | ScalarStyle::Folded),
                bytes: (self.byte)(span.start.index())..(self.byte)(span.end.index()),
            }),
            Event::MappingStart(..) => {
                self.depth += 1;
                if self.depth > MAX_DEPTH {
                    return None;
                }
                let mut entries = Vec::new();
                loop {
                    match self.events.get(self.next) {
                        Some((Event::MappingEnd, _)) => {
                            self.next += 1;
                            break;
                        }
                        Some(_) => {
                            let key = self.node()?;
                            let key_at = key.at();
                            let key = match key {
                                Node::Scalar { text, .. } => text,
                                _ => String::new(),
                            };
                            let value = self.node()?;
                            entries.push((key, key_at, value));
                        }
                        None => return None,
                    }
                }
                self.depth -= 1;
                Some(Node::Map { at, entries })
            }
            Event::SequenceStart(..) => {
                self.depth += 1;
                if self.depth > MAX_DEPTH {
                    return None;
                }
                let mut items = Vec::new();
                loop {
                    match self.events.get(self.next) {
                        Some((Event::SequenceEnd, _)) => {
                            self.next += 1;
                            break;
                        }
                        Some(_) => items.push(self.node()?),
                        None => return None,
                    }
                }
                self.depth -= 1;
                Some(Node::Seq { at, items })
            }
            _ => Some(Node::Other { at }),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn locates_keys_items_and_scalars() {
        let text = "a: 1\n---\nkind: Secret\ndata:\n  k: dmFs\nlist:\n- x\n- y: 2\n";
        let docs = read(text).expect("yaml");
        assert_eq!(docs.len(), 2);
        let doc = &docs[1];
        let at = doc.locate(&[PathPart::Key("data"), PathPart::Key("k")]);
        assert_eq!((at.line, at.column), (5, 6));
        let at = doc.locate(&[
            PathPart::Key("list"),
            PathPart::Index(1),
            PathPart::Key("y"),
        ]);
        assert_eq!((at.line, at.column), (8, 6));
        // A missing key: the deepest node found.
        let at = doc.locate(&[PathPart::Key("data"), PathPart::Key("missing")]);
        assert_eq!(at.line, 4);
    }

    #[test]
    fn text_that_is_not_yaml_is_refused() {
        assert!(read("a: [\n").is_none());
    }
}
