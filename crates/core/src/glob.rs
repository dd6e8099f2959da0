//! Glob patterns as Argo CD matches them (gobwas/glob).

/// Whether `text` matches the glob `pattern` as gobwas/glob (Argo CD's
/// `glob.Match`, no separators) matches it: `*` any run of characters, `?`
/// one, `[abc]`/`[a-z]`/`[!a]` one of a class, `{a,b}` one of the
/// alternatives, `\` escapes. A pattern that does not compile matches
/// nothing, as in Argo CD.
pub(crate) fn matches(pattern: &str, text: &str) -> bool {
    if !pattern.contains(['*', '?', '[', '{', '\\']) {
        return pattern == text;
    }
    let mut re = String::from("^(?s:");
    let mut chars = pattern.chars();
    let mut braces = 0usize;
    while let Some(c) = chars.next() {
        match c {
            '*' => re.push_str(".*"),
            '?' => re.push('.'),
            '\\' => match chars.next() {
                Some(escaped) => re.push_str(&regex::escape(&escaped.to_string())),
                None => return false,
            },
            '[' => {
                re.push('[');
                let mut first = true;
                loop {
                    match chars.next() {
                        None => return false,
                        Some(']') if !first => break,
                        Some('!') if first => re.push('^'),
                        Some(c @ ('\\' | '[' | '&' | '~' | '^')) => {
                            re.push('\\');
                            re.push(c);
                        }
                        Some(c) => re.push(c),
                    }
                    first = false;
                }
                re.push(']');
            }
            '{' => {
                braces += 1;
                re.push_str("(?:");
            }
            ',' if braces > 0 => re.push('|'),
            '}' if braces > 0 => {
                braces -= 1;
                re.push(')');
            }
            c => re.push_str(&regex::escape(&c.to_string())),
        }
    }
    if braces > 0 {
        return false;
    }
    re.push_str(")$");
    // Compiled once per pattern and thread (rules are matched against every object).
    thread_local! {
        static COMPILED: std::cell::RefCell<std::collections::HashMap<String, Option<regex::Regex>>> =
            std::cell::RefCell::new(std::collections::HashMap::new());
    }
    COMPILED.with(|cache| {
        let mut cache = cache.borrow_mut();
        if cache.len() >= 1024 {
            cache.clear();
        }
        cache
            .entry(re)
            .or_insert_with_key(|re| regex::Regex::new(re).ok())
            .as_ref()
            .is_some_and(|r| r.is_match(text))
    })
}

#[cfg(test)]
mod glob_tests {
    use super::matches as glob_match;

    #[test]
    fn globs_match_as_gobwas_glob_does() {
        assert!(glob_match("app*", "apps"));
        assert!(glob_match("*", ""));
        assert!(glob_match("", ""));
        assert!(!glob_match("", "apps"));
        assert!(glob_match("Deploy?ent", "Deployment"));
        assert!(glob_match("[A-Z]*Set", "StatefulSet"));
        assert!(!glob_match("[!S]*Set", "StatefulSet"));
        assert!(glob_match("{apps,batch}", "batch"));
        assert!(!glob_match("{apps,batch}", "policy"));
        assert!(glob_match("a.b", "a.b") && !glob_match("a.b", "axb"));
        assert!(glob_match("\\*", "*") && !glob_match("\\*", "x"));
        assert!(
            !glob_match("[abc", "a"),
            "a pattern that does not compile matches nothing"
        );
    }
}
