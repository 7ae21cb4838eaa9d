//! Shell pattern matching (`case` arms, `${x#pattern}`): `*`, `?`, `[...]`, `\x`.
//!
//! Patterns are strings in which characters that came from quotes are escaped with a
//! backslash, so `"*"` matches only a star.

/// One element of a parsed pattern.
#[derive(Debug, Clone, PartialEq)]
enum Elem {
    Char(char),
    Any,
    Star,
    Class {
        negated: bool,
        items: Vec<ClassItem>,
    },
}

#[derive(Debug, Clone, PartialEq)]
enum ClassItem {
    Char(char),
    Range(char, char),
    Named(String),
}

fn parse(pattern: &str) -> Vec<Elem> {
    let chars: Vec<char> = pattern.chars().collect();
    let mut out = Vec::new();
    let mut i = 0;
    while i < chars.len() {
        let c = chars[i];
        match c {
            '\\' if i + 1 < chars.len() => {
                out.push(Elem::Char(chars[i + 1]));
                i += 2;
                continue;
            }
            '*' => out.push(Elem::Star),
            '?' => out.push(Elem::Any),
            '[' => {
                if let Some((elem, next)) = parse_class(&chars, i) {
                    out.push(elem);
                    i = next;
                    continue;
                }
                out.push(Elem::Char('['));
            }
            _ => out.push(Elem::Char(c)),
        }
        i += 1;
    }
    out
}

/// Parses a bracket expression starting at `chars[start] == '['`; returns it and the index
/// after its `]`, or `None` when it is not closed (then `[` is literal).
fn parse_class(chars: &[char], start: usize) -> Option<(Elem, usize)> {
    let mut i = start + 1;
    let mut negated = false;
    if matches!(chars.get(i), Some('!' | '^')) {
        negated = true;
        i += 1;
    }
    let mut items = Vec::new();
    let mut first = true;
    loop {
        let c = *chars.get(i)?;
        if c == ']' && !first {
            return Some((Elem::Class { negated, items }, i + 1));
        }
        first = false;
        if c == '[' && chars.get(i + 1) == Some(&':') {
            let rest: String = chars[i + 2..].iter().collect();
            if let Some(end) = rest.find(":]") {
                items.push(ClassItem::Named(rest[..end].to_owned()));
                i += 2 + rest[..end].chars().count() + 2;
                continue;
            }
        }
        let c = if c == '\\' {
            i += 1;
            *chars.get(i)?
        } else {
            c
        };
        if chars.get(i + 1) == Some(&'-') && chars.get(i + 2).is_some_and(|&e| e != ']') {
            let mut end_index = i + 2;
            let mut end = chars[end_index];
            if end == '\\' {
                end_index += 1;
                end = *chars.get(end_index)?;
            }
            items.push(ClassItem::Range(c, end));
            i = end_index + 1;
        } else {
            items.push(ClassItem::Char(c));
            i += 1;
        }
    }
}

fn class_matches(negated: bool, items: &[ClassItem], c: char) -> bool {
    let hit = items.iter().any(|item| match item {
        ClassItem::Char(x) => *x == c,
        ClassItem::Range(a, b) => *a <= c && c <= *b,
        ClassItem::Named(name) => match name.as_str() {
            "alpha" => c.is_alphabetic(),
            "digit" => c.is_ascii_digit(),
            "alnum" => c.is_alphanumeric(),
            "upper" => c.is_uppercase(),
            "lower" => c.is_lowercase(),
            "space" => c.is_whitespace(),
            "blank" => c == ' ' || c == '\t',
            "punct" => c.is_ascii_punctuation(),
            "xdigit" => c.is_ascii_hexdigit(),
            "cntrl" => c.is_control(),
            "print" => !c.is_control(),
            "graph" => !c.is_control() && !c.is_whitespace(),
            _ => false,
        },
    });
    hit != negated
}

fn elem_matches(elem: &Elem, c: char) -> bool {
    match elem {
        Elem::Char(x) => *x == c,
        Elem::Any => true,
        Elem::Star => true,
        Elem::Class { negated, items } => class_matches(*negated, items, c),
    }
}

/// Whether `text` matches `pattern` as a whole.
pub(crate) fn matches(pattern: &str, text: &str) -> bool {
    let elems = parse(pattern);
    let text: Vec<char> = text.chars().collect();
    matches_elems(&elems, &text)
}

fn matches_elems(elems: &[Elem], text: &[char]) -> bool {
    // Classic backtracking over the last star: linear in practice.
    let (mut p, mut t) = (0, 0);
    let mut star: Option<(usize, usize)> = None;
    while t < text.len() {
        match elems.get(p) {
            Some(Elem::Star) => {
                star = Some((p, t));
                p += 1;
            }
            Some(elem) if elem_matches(elem, text[t]) => {
                p += 1;
                t += 1;
            }
            _ => match star {
                Some((sp, st)) => {
                    p = sp + 1;
                    t = st + 1;
                    star = Some((sp, st + 1));
                }
                None => return false,
            },
        }
    }
    elems[p.min(elems.len())..]
        .iter()
        .all(|e| matches!(e, Elem::Star))
}

/// Which end of a value a `${x#p}`-style expansion trims, and how much.
#[derive(Debug, Clone, Copy)]
pub(crate) enum Trim {
    /// `${x#p}`
    SmallestPrefix,
    /// `${x##p}`
    LargestPrefix,
    /// `${x%p}`
    SmallestSuffix,
    /// `${x%%p}`
    LargestSuffix,
}

/// Removes the part of `value` that `pattern` matches, as `${value#pattern}` and friends do.
pub(crate) fn trim(value: &str, pattern: &str, how: Trim) -> String {
    let elems = parse(pattern);
    let chars: Vec<char> = value.chars().collect();
    let n = chars.len();
    let collect = |range: &[char]| range.iter().collect::<String>();
    match how {
        Trim::SmallestPrefix => (0..=n)
            .find(|&i| matches_elems(&elems, &chars[..i]))
            .map_or_else(|| value.to_owned(), |i| collect(&chars[i..])),
        Trim::LargestPrefix => (0..=n)
            .rev()
            .find(|&i| matches_elems(&elems, &chars[..i]))
            .map_or_else(|| value.to_owned(), |i| collect(&chars[i..])),
        Trim::SmallestSuffix => (0..=n)
            .rev()
            .find(|&i| matches_elems(&elems, &chars[i..]))
            .map_or_else(|| value.to_owned(), |i| collect(&chars[..i])),
        Trim::LargestSuffix => (0..=n)
            .find(|&i| matches_elems(&elems, &chars[i..]))
            .map_or_else(|| value.to_owned(), |i| collect(&chars[..i])),
    }
}

/// Whether an unquoted word would undergo pathname expansion (`*`, `?` or a closed `[...]`).
pub(crate) fn has_glob(pattern: &str) -> bool {
    parse(pattern)
        .iter()
        .any(|e| matches!(e, Elem::Any | Elem::Star | Elem::Class { .. }))
}

/// Escapes `text` so that it matches only itself.
pub(crate) fn escape(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    for c in text.chars() {
        if matches!(c, '*' | '?' | '[' | ']' | '\\' | '!' | '^' | '-') {
            out.push('\\');
        }
        out.push(c);
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn globs() {
        assert!(matches("configure", "configure"));
        assert!(matches("abort-*", "abort-upgrade"));
        assert!(!matches("abort-*", "configure"));
        assert!(matches("*", ""));
        assert!(matches("!*", "!foo"));
        assert!(matches("[a-c]?", "bz"));
        assert!(!matches("[!a-c]?", "bz"));
        assert!(matches("\\*", "*"));
        assert!(!matches("\\*", "x"));
        assert!(matches("[[:digit:]]*", "7up"));
        assert!(matches("a[", "a["));
    }

    #[test]
    fn trims() {
        assert_eq!(
            trim(
                "/usr/share/zoneinfo/Etc/UTC",
                "/usr/share/zoneinfo/",
                Trim::SmallestPrefix
            ),
            "Etc/UTC"
        );
        assert_eq!(trim("a.b.c", "*.", Trim::SmallestPrefix), "b.c");
        assert_eq!(trim("a.b.c", "*.", Trim::LargestPrefix), "c");
        assert_eq!(trim("a.b.c", ".*", Trim::SmallestSuffix), "a.b");
        assert_eq!(trim("a.b.c", ".*", Trim::LargestSuffix), "a");
    }

    #[test]
    fn glob_detection() {
        assert!(has_glob("*.bin"));
        assert!(!has_glob("["));
        assert!(!has_glob("\\*"));
        assert!(has_glob("[ab]"));
    }
}
