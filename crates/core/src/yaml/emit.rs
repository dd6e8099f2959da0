//! Printing values byte-for-byte the way `kustomize build` does.
//!
//! kustomize prints each object by encoding it to JSON and handing that to
//! `sigs.k8s.io/yaml`, which decodes it with go-yaml v2 and encodes it again. So
//! the output is go-yaml v2's: keys sorted by its "natural" order, sequences
//! not indented under their key, YAML 1.1 quoting rules, literal blocks for
//! multi-line strings, and plain or quoted scalars folded past column 80. This
//! module is a port of the parts of go-yaml v2's emitter (itself a port of
//! libyaml) that such documents reach.

use std::cmp::Ordering;

use super::resolve::needs_quotes_v2;
use super::value::Value;

const BEST_INDENT: isize = 2;
const BEST_WIDTH: usize = 80;
/// go-yaml's limit on the length of a simple (`key: value`) key.
const MAX_SIMPLE_KEY_LENGTH: usize = 128;

/// Prints one document (no `---`), ending with a newline.
///
/// ```
/// use trueup_core::yaml::{parse_documents, to_yaml};
/// let doc = &parse_documents("b: yes\na: [1.0, '0755']\n").unwrap()[0].value;
/// assert_eq!(to_yaml(doc), "a:\n- 1\n- \"0755\"\nb: \"yes\"\n");
/// ```
pub fn to_yaml(value: &Value) -> String {
    let mut out = Vec::with_capacity(256);
    write_yaml(&mut out, value);
    String::from_utf8(out).expect("the emitter copies whole UTF-8 characters")
}

/// Appends one document (no `---`), ending with a newline, to `out`.
pub fn write_yaml(out: &mut Vec<u8>, value: &Value) {
    emit(out, value, true);
}

fn emit(out: &mut Vec<u8>, value: &Value, words_fast: bool) {
    let mut e = Emitter {
        out,
        column: 0,
        whitespace: true,
        indention: true,
        indent: -1,
        indents: Vec::with_capacity(16),
        flow_level: 0,
        words_fast,
    };
    e.node(value, Context::ROOT);
    // Implicit document end: finish the last line.
    e.write_indent();
}

/// The order go-yaml v2 sorts mapping keys in: runs of digits compare as
/// numbers, letters after other characters.
pub fn compare_keys(a: &str, b: &str) -> Ordering {
    if key_less(a, b) {
        Ordering::Less
    } else if key_less(b, a) {
        Ordering::Greater
    } else {
        Ordering::Equal
    }
}

/// A mapping's entries in go-yaml v2's key order. Its comparison is not a
/// total order for some digit-and-zero keys (Go's sort then depends on map
/// iteration order, so kustomize itself is not deterministic there); a merge
/// sort gives a stable answer without assuming one.
fn sorted_entries(map: &crate::yaml::Mapping) -> Vec<(&String, &Value)> {
    let mut entries: Vec<(&String, &Value)> = map.iter().collect();
    if entries.len() < 2 {
        return entries;
    }
    let mut scratch = entries.clone();
    merge_sort(&mut entries, &mut scratch);
    entries
}

/// Mappings up to this size are sorted without allocating.
const SMALL_MAP: usize = 16;

/// A placeholder for the unused slots of the small-mapping sort buffer.
static EMPTY_KEY: String = String::new();

/// An insertion sort by go-yaml v2's key order; like the merge sort, it
/// needs no total order and never panics.
fn insertion_sort(items: &mut [(&String, &Value)]) {
    for i in 1..items.len() {
        let mut j = i;
        while j > 0 && key_less(items[j].0, items[j - 1].0) {
            items.swap(j, j - 1);
            j -= 1;
        }
    }
}

fn merge_sort<'a>(items: &mut [(&'a String, &'a Value)], scratch: &mut [(&'a String, &'a Value)]) {
    let n = items.len();
    if n <= 1 {
        return;
    }
    let mid = n / 2;
    {
        let (left, right) = items.split_at_mut(mid);
        let (sl, sr) = scratch.split_at_mut(mid);
        merge_sort(left, sl);
        merge_sort(right, sr);
    }
    // Already in order: the common case for keys written sorted.
    if !key_less(items[mid].0, items[mid - 1].0) {
        return;
    }
    scratch[..n].copy_from_slice(items);
    let (mut i, mut j, mut k) = (0, mid, 0);
    while i < mid && j < n {
        if key_less(scratch[j].0, scratch[i].0) {
            items[k] = scratch[j];
            j += 1;
        } else {
            items[k] = scratch[i];
            i += 1;
        }
        k += 1;
    }
    items[k..k + (mid - i)].copy_from_slice(&scratch[i..mid]);
    k += mid - i;
    items[k..k + (n - j)].copy_from_slice(&scratch[j..n]);
}

fn is_go_letter(c: char) -> bool {
    c.is_alphabetic()
}

fn is_go_digit(c: char) -> bool {
    c.is_ascii_digit() || (!c.is_ascii() && c.is_numeric())
}

/// go-yaml v2's `keyList.Less` for two string keys.
fn key_less(a: &str, b: &str) -> bool {
    if a.is_ascii() && b.is_ascii() {
        return key_less_chars(a.as_bytes(), b.as_bytes(), |c| char::from(*c));
    }
    let ar: Vec<char> = a.chars().collect();
    let br: Vec<char> = b.chars().collect();
    key_less_chars(&ar, &br, |c| *c)
}

fn key_less_chars<T: PartialEq>(ar: &[T], br: &[T], ch: impl Fn(&T) -> char) -> bool {
    let mut i = 0;
    while i < ar.len() && i < br.len() {
        if ar[i] == br[i] {
            i += 1;
            continue;
        }
        let (ac, bc) = (ch(&ar[i]), ch(&br[i]));
        let al = is_go_letter(ac);
        let bl = is_go_letter(bc);
        if al && bl {
            return ac < bc;
        }
        if al || bl {
            return bl;
        }
        let mut an: i64 = 0;
        let mut bn: i64 = 0;
        if ac == '0' || bc == '0' {
            let mut j = i;
            while j > 0 && is_go_digit(ch(&ar[j - 1])) {
                j -= 1;
                if ch(&ar[j]) != '0' {
                    an = 1;
                    bn = 1;
                    break;
                }
            }
        }
        let mut ai = i;
        while ai < ar.len() && is_go_digit(ch(&ar[ai])) {
            an = an
                .wrapping_mul(10)
                .wrapping_add(i64::from(ch(&ar[ai]) as u32) - i64::from(b'0'));
            ai += 1;
        }
        let mut bi = i;
        while bi < br.len() && is_go_digit(ch(&br[bi])) {
            bn = bn
                .wrapping_mul(10)
                .wrapping_add(i64::from(ch(&br[bi]) as u32) - i64::from(b'0'));
            bi += 1;
        }
        if an != bn {
            return an < bn;
        }
        if ai != bi {
            return ai < bi;
        }
        return ac < bc;
    }
    ar.len() < br.len()
}

/// What a string with NEL (U+0085) becomes on its way through kustomize: Go's
/// JSON encoder leaves NEL unescaped and go-yaml v2 reads it back as a line
/// break inside a double-quoted scalar, folding it with the spaces around it
/// (one break becomes a space, `n` breaks become `n - 1` newlines).
fn fold_next_line_characters(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    let mut pending_spaces = 0usize;
    let mut breaks = 0usize;
    for c in s.chars() {
        match c {
            ' ' => pending_spaces += 1,
            '\u{85}' => {
                breaks += 1;
                pending_spaces = 0;
            }
            other => {
                flush_fold(&mut out, &mut pending_spaces, &mut breaks);
                out.push(other);
            }
        }
    }
    flush_fold(&mut out, &mut pending_spaces, &mut breaks);
    out
}

fn flush_fold(out: &mut String, pending_spaces: &mut usize, breaks: &mut usize) {
    match *breaks {
        0 => out.extend(std::iter::repeat_n(' ', *pending_spaces)),
        1 => out.push(' '),
        n => out.extend(std::iter::repeat_n('\n', n - 1)),
    }
    *pending_spaces = 0;
    *breaks = 0;
}

/// The decimal digits of `n`, written at the end of `buf`.
fn format_decimal(mut n: u64, buf: &mut [u8; 20]) -> &[u8] {
    let mut i = buf.len();
    loop {
        i -= 1;
        buf[i] = b'0' + (n % 10) as u8;
        n /= 10;
        if n == 0 {
            return &buf[i..];
        }
    }
}

/// A float as kustomize prints it: Go's JSON encoding, read back by go-yaml v2
/// (so whole numbers become integers) and printed with `strconv.FormatFloat(f, 'g', -1, 64)`.
pub(crate) fn format_float(f: f64) -> String {
    if f == f.trunc() && f.abs() < 1e21 {
        if (-9.223_372_036_854_776e18..9.223_372_036_854_776e18).contains(&f) {
            return (f as i64).to_string();
        }
        if (0.0..1.844_674_407_370_955_2e19).contains(&f) {
            return (f as u64).to_string();
        }
    }
    go_format_shortest_g(f)
}

/// `strconv.FormatFloat(f, 'g', -1, 64)`.
fn go_format_shortest_g(f: f64) -> String {
    // Rust's `{:e}` gives the shortest round-tripping digits, as Go's -1 precision does.
    let sci = format!("{:e}", f.abs());
    let (mantissa, exp) = sci.split_once('e').expect("{:e} always has an exponent");
    let exp: i32 = exp.parse().expect("{:e} exponent is an integer");
    let digits: String = mantissa.chars().filter(|c| *c != '.').collect();
    let sign = if f.is_sign_negative() { "-" } else { "" };
    if !(-4..6).contains(&exp) {
        let mut m = digits[..1].to_string();
        if digits.len() > 1 {
            m.push('.');
            m.push_str(&digits[1..]);
        }
        let exp_sign = if exp < 0 { '-' } else { '+' };
        return format!("{sign}{m}e{exp_sign}{:02}", exp.unsigned_abs());
    }
    // %f with exactly the significant digits.
    let point = exp + 1; // digits before the decimal point
    let mut s = String::from(sign);
    if point <= 0 {
        s.push_str("0.");
        s.extend(std::iter::repeat_n('0', point.unsigned_abs() as usize));
        s.push_str(&digits);
    } else {
        let point = point as usize;
        if digits.len() <= point {
            s.push_str(&digits);
            s.extend(std::iter::repeat_n('0', point - digits.len()));
        } else {
            s.push_str(&digits[..point]);
            s.push('.');
            s.push_str(&digits[point..]);
        }
    }
    s
}

#[derive(Clone, Copy, PartialEq, Eq)]
enum Style {
    Plain,
    SingleQuoted,
    DoubleQuoted,
    Literal,
}

/// Where a node stands, as the emitter's `mapping_context` and `simple_key_context`.
#[derive(Clone, Copy)]
struct Context {
    mapping: bool,
    simple_key: bool,
}

impl Context {
    const ROOT: Context = Context {
        mapping: false,
        simple_key: false,
    };
    const SEQUENCE_ITEM: Context = Context::ROOT;
    const MAPPING_VALUE: Context = Context {
        mapping: true,
        simple_key: false,
    };
    const SIMPLE_KEY: Context = Context {
        mapping: true,
        simple_key: true,
    };
}

/// What libyaml's `yaml_emitter_analyze_scalar` learns about a scalar.
struct Analysis {
    multiline: bool,
    flow_plain_allowed: bool,
    block_plain_allowed: bool,
    single_quoted_allowed: bool,
    block_allowed: bool,
}

fn width(b: u8) -> usize {
    if b & 0x80 == 0x00 {
        1
    } else if b & 0xE0 == 0xC0 {
        2
    } else if b & 0xF0 == 0xE0 {
        3
    } else if b & 0xF8 == 0xF0 {
        4
    } else {
        0
    }
}

fn at(b: &[u8], i: usize) -> u8 {
    b.get(i).copied().unwrap_or(0)
}

fn is_space(b: &[u8], i: usize) -> bool {
    at(b, i) == b' '
}

fn is_blank(b: &[u8], i: usize) -> bool {
    matches!(at(b, i), b' ' | b'\t')
}

fn is_break(b: &[u8], i: usize) -> bool {
    match at(b, i) {
        b'\r' | b'\n' => true,
        0xC2 => at(b, i + 1) == 0x85,
        0xE2 => at(b, i + 1) == 0x80 && matches!(at(b, i + 2), 0xA8 | 0xA9),
        _ => false,
    }
}

fn is_blankz(b: &[u8], i: usize) -> bool {
    is_blank(b, i) || is_break(b, i) || at(b, i) == 0
}

/// go-yaml's `is_bom` ignores its index and looks at the start of the value,
/// so a string that starts with U+FEFF has every character escaped.
fn is_bom(b: &[u8], _i: usize) -> bool {
    b.starts_with(&[0xEF, 0xBB, 0xBF])
}

fn is_printable(b: &[u8], i: usize) -> bool {
    let c = at(b, i);
    let c1 = at(b, i + 1);
    let c2 = at(b, i + 2);
    c == 0x0A
        || (0x20..=0x7E).contains(&c)
        || (c == 0xC2 && c1 >= 0xA0)
        || (c > 0xC2 && c < 0xED)
        || (c == 0xED && c1 < 0xA0)
        || c == 0xEE
        || (c == 0xEF && !(c1 == 0xBB && c2 == 0xBF) && !(c1 == 0xBF && (c2 == 0xBE || c2 == 0xBF)))
}

/// libyaml's `check_simple_key` for a scalar key: short and on one line.
fn is_simple_key(key: &str) -> bool {
    let b = key.as_bytes();
    // Breaks begin with one of these bytes; most keys hold none of them.
    b.len() <= MAX_SIMPLE_KEY_LENGTH
        && (!b.iter().any(|c| matches!(c, b'\r' | b'\n' | 0xC2 | 0xE2))
            || !(0..b.len()).any(|i| is_break(b, i)))
}

/// Bytes that never change a scalar's analysis wherever they stand.
fn is_quiet_byte(b: u8) -> bool {
    QUIET_BYTES[usize::from(b)]
}

/// [`is_quiet_byte`] for every byte, looked up in one step.
static QUIET_BYTES: [bool; 256] = {
    let mut table = [false; 256];
    let mut b = 0;
    while b < 256 {
        table[b] = quiet_byte(b as u8);
        b += 1;
    }
    table
};

const fn quiet_byte(b: u8) -> bool {
    b.is_ascii_alphanumeric()
        || matches!(
            b,
            b'.' | b'/'
                | b'_'
                | b'-'
                | b'='
                | b'+'
                | b'('
                | b')'
                | b'$'
                | b'^'
                | b'~'
                | b';'
                | b'<'
                | b'\\'
        )
}

fn analyze(value: &[u8]) -> Analysis {
    // Fast path: most scalars (names, images, numbers) are made of quiet bytes only.
    if !value.is_empty()
        && value.iter().all(|&b| is_quiet_byte(b))
        && !value.starts_with(b"---")
        && !value.starts_with(b"...")
        && value != b"-"
    {
        return Analysis {
            multiline: false,
            flow_plain_allowed: true,
            block_plain_allowed: true,
            single_quoted_allowed: true,
            block_allowed: true,
        };
    }
    if value.is_empty() {
        return Analysis {
            multiline: false,
            flow_plain_allowed: false,
            block_plain_allowed: true,
            single_quoted_allowed: true,
            block_allowed: false,
        };
    }
    let mut block_indicators = false;
    let mut flow_indicators = false;
    let mut line_breaks = false;
    let mut special_characters = false;
    let mut leading_space = false;
    let mut leading_break = false;
    let mut trailing_space = false;
    let mut trailing_break = false;
    let mut break_space = false;
    let mut space_break = false;
    let mut previous_space = false;
    let mut previous_break = false;

    if value.starts_with(b"---") || value.starts_with(b"...") {
        block_indicators = true;
        flow_indicators = true;
    }
    let mut preceded_by_whitespace = true;
    let mut i = 0;
    while i < value.len() {
        let w = width(value[i]).max(1);
        let followed_by_whitespace = i + w >= value.len() || is_blank(value, i + w);
        if i == 0 {
            match value[i] {
                b'#' | b',' | b'[' | b']' | b'{' | b'}' | b'&' | b'*' | b'!' | b'|' | b'>'
                | b'\'' | b'"' | b'%' | b'@' | b'`' => {
                    flow_indicators = true;
                    block_indicators = true;
                }
                b'?' | b':' => {
                    flow_indicators = true;
                    if followed_by_whitespace {
                        block_indicators = true;
                    }
                }
                b'-' if followed_by_whitespace => {
                    flow_indicators = true;
                    block_indicators = true;
                }
                _ => {}
            }
        } else {
            match value[i] {
                b',' | b'?' | b'[' | b']' | b'{' | b'}' => flow_indicators = true,
                b':' => {
                    flow_indicators = true;
                    if followed_by_whitespace {
                        block_indicators = true;
                    }
                }
                b'#' if preceded_by_whitespace => {
                    flow_indicators = true;
                    block_indicators = true;
                }
                _ => {}
            }
        }
        if !is_printable(value, i) {
            special_characters = true;
        }
        if is_space(value, i) {
            if i == 0 {
                leading_space = true;
            }
            if i + w == value.len() {
                trailing_space = true;
            }
            if previous_break {
                break_space = true;
            }
            previous_space = true;
            previous_break = false;
        } else if is_break(value, i) {
            line_breaks = true;
            if i == 0 {
                leading_break = true;
            }
            if i + w == value.len() {
                trailing_break = true;
            }
            if previous_space {
                space_break = true;
            }
            previous_space = false;
            previous_break = true;
        } else {
            previous_space = false;
            previous_break = false;
        }
        preceded_by_whitespace = is_blankz(value, i);
        i += w;
    }
    let mut a = Analysis {
        multiline: line_breaks,
        flow_plain_allowed: true,
        block_plain_allowed: true,
        single_quoted_allowed: true,
        block_allowed: true,
    };
    if leading_space || leading_break || trailing_space || trailing_break {
        a.flow_plain_allowed = false;
        a.block_plain_allowed = false;
    }
    if trailing_space {
        a.block_allowed = false;
    }
    if break_space {
        a.flow_plain_allowed = false;
        a.block_plain_allowed = false;
        a.single_quoted_allowed = false;
    }
    if space_break || special_characters {
        a.flow_plain_allowed = false;
        a.block_plain_allowed = false;
        a.single_quoted_allowed = false;
        a.block_allowed = false;
    }
    if line_breaks {
        a.flow_plain_allowed = false;
        a.block_plain_allowed = false;
    }
    if flow_indicators {
        a.flow_plain_allowed = false;
    }
    if block_indicators {
        a.block_plain_allowed = false;
    }
    a
}

struct Emitter<'o> {
    out: &'o mut Vec<u8>,
    column: usize,
    whitespace: bool,
    indention: bool,
    indent: isize,
    indents: Vec<isize>,
    flow_level: usize,
    /// Whether words take the short path in [`Emitter::string`] (off only
    /// in the test that compares it with the general one).
    words_fast: bool,
}

impl Emitter<'_> {
    fn put(&mut self, c: u8) {
        self.out.push(c);
        self.column += 1;
    }

    fn put_break(&mut self) {
        self.out.push(b'\n');
        self.column = 0;
    }

    /// Copies the character at `*i` and advances past it.
    fn write(&mut self, value: &[u8], i: &mut usize) {
        let w = width(value[*i]).max(1);
        self.out.extend_from_slice(&value[*i..*i + w]);
        self.column += 1;
        *i += w;
    }

    fn write_break(&mut self, value: &[u8], i: &mut usize) {
        if value[*i] == b'\n' {
            self.put_break();
            *i += 1;
        } else {
            self.write(value, i);
            self.column = 0;
        }
    }

    fn write_indent(&mut self) {
        let indent = self.indent.max(0) as usize;
        if !self.indention || self.column > indent || (self.column == indent && !self.whitespace) {
            self.put_break();
        }
        while self.column < indent {
            self.put(b' ');
        }
        self.whitespace = true;
        self.indention = true;
    }

    fn write_indicator(
        &mut self,
        indicator: &[u8],
        need_whitespace: bool,
        is_whitespace: bool,
        is_indention: bool,
    ) {
        if need_whitespace && !self.whitespace {
            self.put(b' ');
        }
        self.out.extend_from_slice(indicator);
        self.column += indicator.len();
        self.whitespace = is_whitespace;
        self.indention = self.indention && is_indention;
    }

    fn increase_indent(&mut self, flow: bool, indentless: bool) {
        self.indents.push(self.indent);
        if self.indent < 0 {
            self.indent = if flow { BEST_INDENT } else { 0 };
        } else if !indentless {
            self.indent += BEST_INDENT;
        }
    }

    fn decrease_indent(&mut self) {
        self.indent = self
            .indents
            .pop()
            .expect("indents are pushed before popped");
    }

    fn node(&mut self, value: &Value, ctx: Context) {
        match value {
            Value::Null => self.scalar(b"null", Style::Plain, ctx),
            Value::Bool(true) => self.scalar(b"true", Style::Plain, ctx),
            Value::Bool(false) => self.scalar(b"false", Style::Plain, ctx),
            Value::Int(i) => {
                let mut buf = [0u8; 20];
                let digits = format_decimal(i.unsigned_abs(), &mut buf);
                if *i < 0 {
                    let mut signed = Vec::with_capacity(digits.len() + 1);
                    signed.push(b'-');
                    signed.extend_from_slice(digits);
                    self.scalar(&signed, Style::Plain, ctx);
                } else {
                    self.scalar(digits, Style::Plain, ctx);
                }
            }
            Value::UInt(u) => {
                let mut buf = [0u8; 20];
                self.scalar(format_decimal(*u, &mut buf), Style::Plain, ctx);
            }
            Value::Float(f) => self.scalar(format_float(*f).as_bytes(), Style::Plain, ctx),
            Value::String(s) => self.string(s, ctx),
            Value::Seq(items) if items.is_empty() => self.empty_flow(b"[", b"]"),
            Value::Map(map) if map.is_empty() => self.empty_flow(b"{", b"}"),
            Value::Seq(items) => {
                self.increase_indent(false, ctx.mapping && !self.indention);
                for item in items {
                    self.write_indent();
                    self.write_indicator(b"-", true, false, true);
                    self.node(item, Context::SEQUENCE_ITEM);
                }
                self.decrease_indent();
            }
            Value::Map(map) => {
                self.increase_indent(false, false);
                // Small mappings (most of them) sort on the stack.
                let mut small: [(&String, &Value); SMALL_MAP] =
                    [(&EMPTY_KEY, &Value::Null); SMALL_MAP];
                let heap;
                let entries: &[(&String, &Value)] = if map.len() <= SMALL_MAP {
                    for (slot, entry) in small.iter_mut().zip(map.iter()) {
                        *slot = entry;
                    }
                    insertion_sort(&mut small[..map.len()]);
                    &small[..map.len()]
                } else {
                    heap = sorted_entries(map);
                    &heap
                };
                for &(key, value) in entries {
                    self.write_indent();
                    if is_simple_key(key) {
                        self.string(key, Context::SIMPLE_KEY);
                        self.write_indicator(b":", false, false, false);
                    } else {
                        self.write_indicator(b"?", true, false, true);
                        self.string(key, Context::MAPPING_VALUE);
                        self.write_indent();
                        self.write_indicator(b":", true, false, true);
                    }
                    self.node(value, Context::MAPPING_VALUE);
                }
                self.decrease_indent();
            }
        }
    }

    fn empty_flow(&mut self, open: &[u8], close: &[u8]) {
        // A flow collection with no items: the indicators alone.
        self.write_indicator(open, true, true, false);
        self.write_indicator(close, false, false, false);
    }

    /// go-yaml v2's `stringv`: literal when multi-line, quoted when the plain
    /// text would read back as another type, plain otherwise.
    fn string(&mut self, s: &str, ctx: Context) {
        // Most keys and names: a word of quiet bytes that starts with a
        // letter, `/` or `_`. It holds no break, no NEL and nothing the
        // analysis objects to, and only a keyword (`yes`, `null`...) among
        // such words reads back as another type: printed plain, as the
        // general path below would.
        let b = s.as_bytes();
        if self.words_fast
            && b.first()
                .is_some_and(|&c| c.is_ascii_alphabetic() || c == b'/' || c == b'_')
            && b.iter().all(|&c| is_quiet_byte(c))
            && !needs_quotes_v2(s)
        {
            if !self.whitespace {
                self.put(b' ');
            }
            self.out.extend_from_slice(b);
            self.column += b.len();
            self.whitespace = false;
            self.indention = false;
            return;
        }
        let folded;
        // NEL is 0xC2 0x85 in UTF-8: a byte scan finds most strings free of it.
        let s = if s.as_bytes().contains(&0xC2) && s.contains('\u{85}') {
            folded = fold_next_line_characters(s);
            folded.as_str()
        } else {
            s
        };
        let style = if s.contains('\n') {
            Style::Literal
        } else if needs_quotes_v2(s) {
            Style::DoubleQuoted
        } else {
            Style::Plain
        };
        self.scalar(s.as_bytes(), style, ctx);
    }

    fn scalar(&mut self, value: &[u8], requested: Style, ctx: Context) {
        let a = analyze(value);
        let style = self.select_style(requested, &a, value, ctx);
        self.increase_indent(false, false);
        let allow_breaks = !ctx.simple_key;
        match style {
            Style::Plain => self.write_plain(value, allow_breaks),
            Style::SingleQuoted => self.write_single_quoted(value, allow_breaks),
            Style::DoubleQuoted => self.write_double_quoted(value, allow_breaks),
            Style::Literal => self.write_literal(value),
        }
        self.decrease_indent();
    }

    fn select_style(&self, requested: Style, a: &Analysis, value: &[u8], ctx: Context) -> Style {
        let mut style = requested;
        if ctx.simple_key && a.multiline {
            style = Style::DoubleQuoted;
        }
        if style == Style::Plain {
            if (self.flow_level > 0 && !a.flow_plain_allowed)
                || (self.flow_level == 0 && !a.block_plain_allowed)
            {
                style = Style::SingleQuoted;
            }
            if value.is_empty() && (self.flow_level > 0 || ctx.simple_key) {
                style = Style::SingleQuoted;
            }
        }
        if style == Style::SingleQuoted && !a.single_quoted_allowed {
            style = Style::DoubleQuoted;
        }
        if style == Style::Literal && (!a.block_allowed || self.flow_level > 0 || ctx.simple_key) {
            style = Style::DoubleQuoted;
        }
        style
    }

    fn write_plain(&mut self, value: &[u8], allow_breaks: bool) {
        if !self.whitespace {
            self.put(b' ');
        }
        // Plain scalars hold no line breaks; without a space, or when the
        // column cannot pass the width before the last space, nothing folds.
        let chars = value.iter().filter(|&&b| b & 0xC0 != 0x80).count();
        if !allow_breaks || self.column + chars <= BEST_WIDTH + 1 || !value.contains(&b' ') {
            self.out.extend_from_slice(value);
            self.column += chars;
            self.whitespace = false;
            self.indention = false;
            return;
        }
        let mut spaces = false;
        let mut breaks = false;
        let mut i = 0;
        while i < value.len() {
            if is_space(value, i) {
                if allow_breaks && !spaces && self.column > BEST_WIDTH && !is_space(value, i + 1) {
                    self.write_indent();
                    i += 1;
                } else {
                    self.write(value, &mut i);
                }
                spaces = true;
            } else if is_break(value, i) {
                if !breaks && value[i] == b'\n' {
                    self.put_break();
                }
                self.write_break(value, &mut i);
                self.indention = true;
                breaks = true;
            } else {
                if breaks {
                    self.write_indent();
                }
                self.write(value, &mut i);
                self.indention = false;
                spaces = false;
                breaks = false;
            }
        }
        self.whitespace = false;
        self.indention = false;
    }

    fn write_single_quoted(&mut self, value: &[u8], allow_breaks: bool) {
        self.write_indicator(b"'", true, false, false);
        let mut spaces = false;
        let mut breaks = false;
        let mut i = 0;
        while i < value.len() {
            if is_space(value, i) {
                if allow_breaks
                    && !spaces
                    && self.column > BEST_WIDTH
                    && i > 0
                    && i < value.len() - 1
                    && !is_space(value, i + 1)
                {
                    self.write_indent();
                    i += 1;
                } else {
                    self.write(value, &mut i);
                }
                spaces = true;
            } else if is_break(value, i) {
                if !breaks && value[i] == b'\n' {
                    self.put_break();
                }
                self.write_break(value, &mut i);
                self.indention = true;
                breaks = true;
            } else {
                if breaks {
                    self.write_indent();
                }
                if value[i] == b'\'' {
                    self.put(b'\'');
                }
                self.write(value, &mut i);
                self.indention = false;
                spaces = false;
                breaks = false;
            }
        }
        self.write_indicator(b"'", false, false, false);
        self.whitespace = false;
        self.indention = false;
    }

    fn write_double_quoted(&mut self, value: &[u8], allow_breaks: bool) {
        let mut spaces = false;
        self.write_indicator(b"\"", true, false, false);
        let mut i = 0;
        while i < value.len() {
            if !is_printable(value, i)
                || is_bom(value, i)
                || is_break(value, i)
                || value[i] == b'"'
                || value[i] == b'\\'
            {
                let octet = value[i];
                let (w, mut v) = match width(octet) {
                    1 => (1, u32::from(octet & 0x7F)),
                    2 => (2, u32::from(octet & 0x1F)),
                    3 => (3, u32::from(octet & 0x0F)),
                    4 => (4, u32::from(octet & 0x07)),
                    _ => (1, u32::from(octet)),
                };
                for k in 1..w {
                    v = (v << 6) + u32::from(at(value, i + k) & 0x3F);
                }
                i += w;
                self.put(b'\\');
                let short = match v {
                    0x00 => Some(b'0'),
                    0x07 => Some(b'a'),
                    0x08 => Some(b'b'),
                    0x09 => Some(b't'),
                    0x0A => Some(b'n'),
                    0x0B => Some(b'v'),
                    0x0C => Some(b'f'),
                    0x0D => Some(b'r'),
                    0x1B => Some(b'e'),
                    0x22 => Some(b'"'),
                    0x5C => Some(b'\\'),
                    0x85 => Some(b'N'),
                    0xA0 => Some(b'_'),
                    0x2028 => Some(b'L'),
                    0x2029 => Some(b'P'),
                    _ => None,
                };
                match short {
                    Some(c) => self.put(c),
                    None => {
                        let (letter, digits) = if v <= 0xFF {
                            (b'x', 2)
                        } else if v <= 0xFFFF {
                            (b'u', 4)
                        } else {
                            (b'U', 8)
                        };
                        self.put(letter);
                        for k in (0..digits).rev() {
                            let digit = ((v >> (k * 4)) & 0x0F) as u8;
                            self.put(if digit < 10 {
                                b'0' + digit
                            } else {
                                b'A' + digit - 10
                            });
                        }
                    }
                }
                spaces = false;
            } else if is_space(value, i) {
                if allow_breaks
                    && !spaces
                    && self.column > BEST_WIDTH
                    && i > 0
                    && i < value.len() - 1
                {
                    self.write_indent();
                    if is_space(value, i + 1) {
                        self.put(b'\\');
                    }
                    i += 1;
                } else {
                    self.write(value, &mut i);
                }
                spaces = true;
            } else {
                self.write(value, &mut i);
                spaces = false;
            }
        }
        self.write_indicator(b"\"", false, false, false);
        self.whitespace = false;
        self.indention = false;
    }

    fn write_block_scalar_hints(&mut self, value: &[u8]) {
        if is_space(value, 0) || is_break(value, 0) {
            let hint = [b'0' + BEST_INDENT as u8];
            self.write_indicator(&hint, false, false, false);
        }
        let chomp: Option<&[u8]> = if value.is_empty() {
            Some(b"-")
        } else {
            let mut i = value.len() - 1;
            while value[i] & 0xC0 == 0x80 {
                i -= 1;
            }
            if !is_break(value, i) {
                Some(b"-")
            } else if i == 0 {
                Some(b"+")
            } else {
                i -= 1;
                while value[i] & 0xC0 == 0x80 {
                    i -= 1;
                }
                is_break(value, i).then_some(b"+".as_slice())
            }
        };
        if let Some(chomp) = chomp {
            self.write_indicator(chomp, false, false, false);
        }
    }

    fn write_literal(&mut self, value: &[u8]) {
        self.write_indicator(b"|", true, false, false);
        self.write_block_scalar_hints(value);
        self.put_break();
        self.indention = true;
        self.whitespace = true;
        let mut breaks = true;
        let mut i = 0;
        while i < value.len() {
            if is_break(value, i) {
                self.write_break(value, &mut i);
                self.indention = true;
                breaks = true;
            } else {
                if breaks {
                    self.write_indent();
                }
                self.write(value, &mut i);
                self.indention = false;
                breaks = false;
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Words printed by the short path print as the general path prints
    /// them: as keys, values and items, at any column, keywords included.
    #[test]
    fn words_print_as_the_general_path_prints_them() {
        let words = [
            "a",
            "name",
            "apiVersion",
            "app.kubernetes.io/name",
            "/healthz",
            "_x",
            "y",
            "Y",
            "yes",
            "No",
            "on",
            "OFF",
            "true",
            "False",
            "null",
            "NULL",
            "n",
            "nan",
            "inf",
            "e1",
            "x-1.2_3",
            "a=b",
            "f(x)",
            "a$b",
            "a^b",
            "a~b",
            "a;b",
            "a<b",
            "a\\b",
            "Z9",
        ];
        let long = "w".repeat(90);
        let mut map = crate::yaml::Mapping::default();
        for (i, word) in words.iter().chain([&long.as_str()]).enumerate() {
            let mut inner = crate::yaml::Mapping::default();
            inner.insert((*word).to_owned(), Value::from(*word));
            inner.insert(
                format!("k{i}"),
                Value::Seq(vec![
                    Value::from(*word),
                    Value::from(format!("{long} {word}")),
                ]),
            );
            map.insert((*word).to_owned(), Value::Map(inner));
        }
        let doc = Value::Seq(vec![
            Value::Map(map),
            Value::from("yes"),
            Value::from("plain"),
        ]);
        let (mut fast, mut general) = (Vec::new(), Vec::new());
        emit(&mut fast, &doc, true);
        emit(&mut general, &doc, false);
        assert_eq!(String::from_utf8(fast), String::from_utf8(general));
    }

    #[test]
    fn floats_print_like_go() {
        assert_eq!(format_float(1.0), "1");
        assert_eq!(format_float(-0.0), "0");
        assert_eq!(format_float(1.5), "1.5");
        assert_eq!(format_float(1_234_567.5), "1.2345675e+06");
        assert_eq!(format_float(0.000_001), "1e-06");
        assert_eq!(format_float(0.0001), "0.0001");
        assert_eq!(format_float(1e20), "1e+20");
        assert_eq!(format_float(1e21), "1e+21");
        let big: f64 = "123456789012345678901234".parse().expect("float");
        assert_eq!(format_float(big), "1.2345678901234569e+23");
        assert_eq!(format_float(100_000.5), "100000.5");
        assert_eq!(format_float(-2.5e-7), "-2.5e-07");
    }

    #[test]
    fn next_line_characters_fold() {
        assert_eq!(fold_next_line_characters("a\u{85}bc"), "a bc");
        assert_eq!(fold_next_line_characters("a \u{85}  b"), "a b");
        assert_eq!(fold_next_line_characters("a\u{85}\u{85}\u{85}b"), "a\n\nb");
        assert_eq!(fold_next_line_characters("a  b"), "a  b");
    }

    #[test]
    fn keys_sort_naturally() {
        let mut keys = vec![
            "a10", "a9", "A", "_x", "", "10", "9", "1", "ab", "a-b", "a_b", "aB", "a01", "a1",
            "a001", "a0", "a00", "é", "z",
        ];
        keys.sort_by(|a, b| compare_keys(a, b));
        assert_eq!(
            keys,
            [
                "", "_x", "1", "9", "10", "A", "a-b", "a_b", "a0", "a00", "a1", "a01", "a001",
                "a9", "a10", "aB", "ab", "z", "é"
            ]
        );
    }
}
