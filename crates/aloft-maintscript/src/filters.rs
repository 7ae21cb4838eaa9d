//! Text filters evaluated on known text: `grep`, `sed` (`s` and `d`), `cut`, `tr`, `head`,
//! `tail`, `wc`, `sort`, `uniq` and `awk '{print $N}'`, the forms maintainer scripts feed
//! a query's output through (`getent group shadow | grep -q`, `$(echo $X | sed 's/:/ /g')`).
//! Each takes its arguments and its input and gives its output and exit status, or why it
//! cannot; nothing here reads the image. Written by hand: no crate evaluates these tools'
//! command lines, and the regular expressions are the `regex` crate's, after POSIX basic
//! expressions are rewritten to its syntax.

use regex::Regex;

/// A filter's output and exit status.
pub(crate) type Filtered = Result<(String, i32), String>;

/// What a file operand holds, as far as the image tells.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum FileText {
    /// Its text.
    Text(String),
    /// No such file: the tool reports an error (`grep` exits 2).
    Missing,
    /// Its contents are not known here (a large file, or one a script changed).
    Unknown,
}

/// Whether `name` is a filter this module evaluates.
pub(crate) fn is_filter(name: &str) -> bool {
    matches!(
        name,
        "grep"
            | "egrep"
            | "fgrep"
            | "sed"
            | "cut"
            | "tr"
            | "head"
            | "tail"
            | "wc"
            | "sort"
            | "uniq"
            | "awk"
            | "mawk"
            | "gawk"
    )
}

/// Runs filter `name` with `args` on `input`. A file operand is read through `read`.
pub(crate) fn run(
    name: &str,
    args: &[String],
    input: Option<&str>,
    read: &dyn Fn(&str) -> FileText,
) -> Filtered {
    let unsupported = || format!("`{name} {}` is not evaluated", args.join(" "));
    // The operands after the options: files, or the input.
    let text = |files: &[String]| -> Result<String, String> {
        if files.is_empty() || files == ["-"] {
            return input
                .map(str::to_owned)
                .ok_or_else(|| format!("the input of `{name}` is not known"));
        }
        match read_files(files, read)? {
            (_, Some(file)) => Err(format!("`{file}` is not in the image")),
            (all, None) => Ok(all),
        }
    };
    match name {
        "grep" | "egrep" | "fgrep" => grep(name, args, input, read),
        "sed" => sed(args, &text).ok_or_else(unsupported)?,
        "cut" => cut(args, &text).ok_or_else(unsupported)?,
        "tr" => {
            let input = input.ok_or_else(|| "the input of `tr` is not known".to_owned())?;
            tr(args, input).map(|out| (out, 0)).ok_or_else(unsupported)
        }
        "head" | "tail" => head_tail(name == "head", args, &text).ok_or_else(unsupported)?,
        "wc" => wc(args, &text).ok_or_else(unsupported)?,
        "sort" | "uniq" => sort_uniq(name, args, &text).ok_or_else(unsupported)?,
        "awk" | "mawk" | "gawk" => awk_print(args, &text).ok_or_else(unsupported)?,
        _ => Err(unsupported()),
    }
}

/// The files' texts one after the other (one file's last line does not run into the
/// next file's first), and the first file the image lacks, if any; `Err` when a file's
/// contents are not known.
fn read_files(
    files: &[String],
    read: &dyn Fn(&str) -> FileText,
) -> Result<(String, Option<String>), String> {
    let mut all = String::new();
    let mut missing = None;
    for file in files {
        if !all.is_empty() && !all.ends_with('\n') {
            all.push('\n');
        }
        match read(file) {
            FileText::Text(text) => all.push_str(&text),
            FileText::Missing => {
                missing.get_or_insert_with(|| file.clone());
            }
            FileText::Unknown => return Err(format!("the contents of `{file}` are not known")),
        }
    }
    Ok((all, missing))
}

fn lines(text: &str) -> impl Iterator<Item = &str> {
    text.strip_suffix('\n').unwrap_or(text).split('\n').filter({
        let empty = text.is_empty();
        move |_| !empty
    })
}

fn joined<'a>(lines: impl Iterator<Item = &'a str>) -> String {
    lines.map(|l| format!("{l}\n")).collect()
}

/// A POSIX basic regular expression in the `regex` crate's syntax: `\(`, `\)`, `\{`,
/// `\}`, `\|`, `\+`, `\?` are the operators and the bare characters are literal; `\<` and
/// `\>` are word boundaries.
fn from_basic(pattern: &str) -> String {
    let mut out = String::new();
    let mut chars = pattern.chars().peekable();
    let mut in_class = false;
    while let Some(c) = chars.next() {
        if in_class {
            out.push(c);
            if c == ']' {
                in_class = false;
            }
            continue;
        }
        match c {
            '\\' => match chars.next() {
                Some(op @ ('(' | ')' | '{' | '}' | '|' | '+' | '?')) => out.push(op),
                Some('<' | '>') => out.push_str("\\b"),
                Some(other) => {
                    out.push('\\');
                    out.push(other);
                }
                None => out.push_str("\\\\"),
            },
            '(' | ')' | '{' | '}' | '|' | '+' | '?' => {
                out.push('\\');
                out.push(c);
            }
            // `*` first (or first in a group) is literal; `^` is an anchor only first,
            // and `$` only last (or before `\)`, `\|`): elsewhere both are literal.
            '*' if at_start(&out) || out.ends_with('^') => out.push_str("\\*"),
            '^' if !at_start(&out) => out.push_str("\\^"),
            '$' if !(chars.peek().is_none()
                || (chars.peek() == Some(&'\\')
                    && matches!(chars.clone().nth(1), Some(')' | '|')))) =>
            {
                out.push_str("\\$");
            }
            '[' => {
                in_class = true;
                out.push(c);
                // `[]...]` and `[^]...]`: the first `]` is a member.
                if chars.peek() == Some(&'^') {
                    out.push('^');
                    chars.next();
                }
                if chars.peek() == Some(&']') {
                    out.push_str("\\]");
                    chars.next();
                }
            }
            _ => out.push(c),
        }
    }
    out
}

/// Whether the translated expression `out` is at the start of a (sub)expression: empty,
/// or right after a group's `(` or an alternation's `|` (not after escaped ones).
fn at_start(out: &str) -> bool {
    out.is_empty()
        || ((out.ends_with('(') || out.ends_with('|'))
            && !(out.ends_with("\\(") || out.ends_with("\\|")))
}

fn compile(pattern: &str, extended: bool, fixed: bool, icase: bool) -> Result<Regex, String> {
    let body = if fixed {
        regex::escape(pattern)
    } else if extended {
        pattern.replace("\\<", "\\b").replace("\\>", "\\b")
    } else {
        from_basic(pattern)
    };
    let flags = if icase { "(?i)" } else { "" };
    Regex::new(&format!("{flags}{body}"))
        .map_err(|_| format!("the expression `{pattern}` is not evaluated"))
}

fn grep(
    name: &str,
    args: &[String],
    input: Option<&str>,
    read: &dyn Fn(&str) -> FileText,
) -> Filtered {
    let (mut extended, mut fixed) = (name == "egrep", name == "fgrep");
    let (mut quiet, mut invert, mut whole, mut word, mut icase, mut count) =
        (false, false, false, false, false, false);
    let mut patterns: Vec<String> = Vec::new();
    let mut operands = Vec::new();
    let mut words = args.iter();
    while let Some(arg) = words.next() {
        if arg == "-e" || arg == "--regexp" {
            patterns.push(words.next().ok_or("`grep -e` lacks its pattern")?.clone());
        } else if let Some(flags) = arg
            .strip_prefix('-')
            .filter(|f| !f.is_empty() && !f.starts_with('-'))
        {
            for flag in flags.chars() {
                match flag {
                    'q' => quiet = true,
                    's' => {}
                    'v' => invert = true,
                    'x' => whole = true,
                    'w' => word = true,
                    'i' => icase = true,
                    'c' => count = true,
                    'E' => extended = true,
                    'F' => fixed = true,
                    'G' => extended = false,
                    _ => return Err(format!("`grep -{flag}` is not evaluated")),
                }
            }
        } else if arg == "--quiet" || arg == "--silent" {
            quiet = true;
        } else if arg.starts_with("--") {
            return Err(format!("`grep {arg}` is not evaluated"));
        } else {
            operands.push(arg.clone());
        }
    }
    if patterns.is_empty() {
        if operands.is_empty() {
            return Err("`grep` lacks its pattern".to_owned());
        }
        patterns.push(operands.remove(0));
    }
    let mut expressions = Vec::new();
    for pattern in patterns.iter().flat_map(|p| p.split('\n')) {
        let re = compile(pattern, extended, fixed, icase)?;
        let body = re.as_str().to_owned();
        let body = body.strip_prefix("(?i)").unwrap_or(&body).to_owned();
        let anchored = match (whole, word) {
            (true, _) => format!("^(?:{body})$"),
            (false, true) => format!("\\b(?:{body})\\b"),
            _ => body,
        };
        let flags = if icase { "(?i)" } else { "" };
        expressions.push(
            Regex::new(&format!("{flags}{anchored}"))
                .map_err(|_| format!("the expression `{pattern}` is not evaluated"))?,
        );
    }
    // With several files, grep names the file on each line (and counts per file).
    if operands.len() > 1 && !quiet {
        return Err(format!("`{name}` of several files is not evaluated"));
    }
    // A file that is not there is an error (status 2, silenced by `-s`), and the others
    // are still read; with `-q`, a match wins over the error.
    let (input, missing) = if operands.is_empty() || operands == ["-"] {
        let input = input
            .map(str::to_owned)
            .ok_or_else(|| format!("the input of `{name}` is not known"))?;
        (input, false)
    } else {
        let (all, missing) = read_files(&operands, read)?;
        (all, missing.is_some())
    };
    let selected: Vec<&str> = lines(&input)
        .filter(|line| expressions.iter().any(|re| re.is_match(line)) != invert)
        .collect();
    let status = match (selected.is_empty(), missing) {
        (false, _) if quiet => 0,
        (_, true) => 2,
        (false, false) => 0,
        (true, false) => 1,
    };
    let output = if quiet {
        String::new()
    } else if count {
        format!("{}\n", selected.len())
    } else {
        joined(selected.into_iter())
    };
    Ok((output, status))
}

/// One `sed` command: `s/RE/REPLACEMENT/FLAGS` or `/RE/d`.
enum SedCommand {
    Substitute {
        re: Regex,
        replacement: String,
        global: bool,
        print: bool,
    },
    Delete(Regex),
}

/// Splits `text` at unescaped `delimiter`s into `count` parts and the rest.
fn split_delimited(text: &str, delimiter: char, count: usize) -> Option<(Vec<String>, String)> {
    let mut parts = Vec::new();
    let mut current = String::new();
    let mut chars = text.chars();
    while parts.len() < count {
        let c = chars.next()?;
        if c == '\\' {
            let next = chars.next()?;
            if next != delimiter {
                current.push('\\');
            }
            current.push(next);
        } else if c == delimiter {
            parts.push(std::mem::take(&mut current));
        } else {
            current.push(c);
        }
    }
    Some((parts, chars.collect()))
}

/// A sed replacement in the `regex` crate's syntax: `&` is the match, `\N` group N.
/// `None` for GNU's case conversions (`\U`, `\L`, ...) and other letter escapes, which
/// are not evaluated.
fn replacement(text: &str) -> Option<String> {
    let mut out = String::new();
    let mut chars = text.chars();
    while let Some(c) = chars.next() {
        match c {
            '&' => out.push_str("${0}"),
            '$' => out.push_str("$$"),
            '\\' => match chars.next() {
                Some(d @ '0'..='9') => out.push_str(&format!("${{{d}}}")),
                Some('n') => out.push('\n'),
                Some('t') => out.push('\t'),
                Some('$') => out.push_str("$$"),
                Some(letter) if letter.is_ascii_alphabetic() => return None,
                Some(other) => out.push(other),
                None => {}
            },
            _ => out.push(c),
        }
    }
    Some(out)
}

fn sed_script(script: &str, extended: bool) -> Option<Vec<SedCommand>> {
    let mut commands = Vec::new();
    let mut rest = script.trim_start_matches([' ', '\n', ';']).to_owned();
    while !rest.is_empty() {
        let mut chars = rest.chars();
        let head = chars.next()?;
        let (command, after) = if head == 's' {
            let delimiter = chars.next()?;
            let (parts, after) = split_delimited(chars.as_str(), delimiter, 2)?;
            let end = after.find([';', '\n', '}']).unwrap_or(after.len());
            let (flags, after) = after.split_at(end);
            let (mut global, mut print, mut icase) = (false, false, false);
            for flag in flags.trim().chars() {
                match flag {
                    'g' => global = true,
                    'p' => print = true,
                    'I' | 'i' => icase = true,
                    _ => return None,
                }
            }
            let re = compile(&parts[0], extended, false, icase).ok()?;
            let substitute = SedCommand::Substitute {
                re,
                replacement: replacement(&parts[1])?,
                global,
                print,
            };
            (substitute, after.to_owned())
        } else if head == '/' {
            let (parts, after) = split_delimited(chars.as_str(), '/', 1)?;
            let after = after.trim_start();
            let after = after.strip_prefix('d')?;
            (
                SedCommand::Delete(compile(&parts[0], extended, false, false).ok()?),
                after.to_owned(),
            )
        } else {
            return None;
        };
        commands.push(command);
        rest = after.trim_start_matches([' ', '\n', ';']).to_owned();
    }
    Some(commands)
}

fn sed(args: &[String], text: &dyn Fn(&[String]) -> Result<String, String>) -> Option<Filtered> {
    let (mut quiet, mut extended) = (false, false);
    let mut scripts = Vec::new();
    let mut operands = Vec::new();
    let mut words = args.iter();
    while let Some(arg) = words.next() {
        match arg.as_str() {
            "-n" | "--quiet" | "--silent" => quiet = true,
            "-E" | "-r" | "--regexp-extended" => extended = true,
            "-e" | "--expression" => scripts.push(words.next()?.clone()),
            flag if flag.starts_with('-') && flag != "-" => return None,
            _ => operands.push(arg.clone()),
        }
    }
    if scripts.is_empty() {
        if operands.is_empty() {
            return None;
        }
        scripts.push(operands.remove(0));
    }
    let commands = sed_script(&scripts.join("\n"), extended)?;
    let input = match text(&operands) {
        Ok(input) => input,
        Err(why) => return Some(Err(why)),
    };
    let mut out = String::new();
    'lines: for line in lines(&input) {
        let mut line = line.to_owned();
        for command in &commands {
            match command {
                SedCommand::Delete(re) if re.is_match(&line) => continue 'lines,
                SedCommand::Delete(_) => {}
                SedCommand::Substitute {
                    re,
                    replacement,
                    global,
                    print,
                } => {
                    if !re.is_match(&line) {
                        continue;
                    }
                    line = if *global {
                        re.replace_all(&line, replacement.as_str()).into_owned()
                    } else {
                        re.replace(&line, replacement.as_str()).into_owned()
                    };
                    if *print {
                        out.push_str(&line);
                        out.push('\n');
                    }
                }
            }
        }
        if !quiet {
            out.push_str(&line);
            out.push('\n');
        }
    }
    Some(Ok((out, 0)))
}

/// A `cut` list (`2`, `1,3`, `2-`, `-3`, `1-2,5`) as 1-based inclusive ranges.
fn ranges(list: &str) -> Option<Vec<(usize, usize)>> {
    list.split(',')
        .map(|part| {
            let (from, to) = match part.split_once('-') {
                Some((from, to)) => (
                    if from.is_empty() {
                        1
                    } else {
                        from.parse().ok()?
                    },
                    if to.is_empty() {
                        usize::MAX
                    } else {
                        to.parse().ok()?
                    },
                ),
                None => {
                    let n = part.parse().ok()?;
                    (n, n)
                }
            };
            (from >= 1 && from <= to).then_some((from, to))
        })
        .collect()
}

fn cut(args: &[String], text: &dyn Fn(&[String]) -> Result<String, String>) -> Option<Filtered> {
    let mut delimiter = '\t';
    let mut fields = None;
    let mut chars = None;
    let mut operands = Vec::new();
    let mut words = args.iter().peekable();
    while let Some(arg) = words.next() {
        let (flag, value) = if let Some(v) = arg.strip_prefix("-d").filter(|_| arg.len() > 1) {
            ('d', v.to_owned())
        } else if let Some(v) = arg.strip_prefix("-f").filter(|_| arg.len() > 1) {
            ('f', v.to_owned())
        } else if let Some(v) = arg.strip_prefix("-c").filter(|_| arg.len() > 1) {
            ('c', v.to_owned())
        } else if arg.starts_with('-') && arg != "-" {
            return None;
        } else {
            operands.push(arg.clone());
            continue;
        };
        let value = if value.is_empty() {
            words.next()?.clone()
        } else {
            value
        };
        match flag {
            'd' => {
                let mut c = value.chars();
                delimiter = c.next()?;
                if c.next().is_some() {
                    return None;
                }
            }
            'f' => fields = Some(ranges(&value)?),
            _ => chars = Some(ranges(&value)?),
        }
    }
    let input = match text(&operands) {
        Ok(input) => input,
        Err(why) => return Some(Err(why)),
    };
    let pick = |n: usize, list: &[(usize, usize)]| list.iter().any(|(a, b)| (*a..=*b).contains(&n));
    let mut out = String::new();
    for line in lines(&input) {
        if let Some(list) = &chars {
            out.extend(
                line.chars()
                    .enumerate()
                    .filter(|(i, _)| pick(i + 1, list))
                    .map(|(_, c)| c),
            );
        } else if let Some(list) = &fields {
            // A line without the delimiter is printed whole.
            if line.contains(delimiter) {
                let picked: Vec<&str> = line
                    .split(delimiter)
                    .enumerate()
                    .filter(|(i, _)| pick(i + 1, list))
                    .map(|(_, f)| f)
                    .collect();
                out.push_str(&picked.join(&delimiter.to_string()));
            } else {
                out.push_str(line);
            }
        } else {
            return None;
        }
        out.push('\n');
    }
    Some(Ok((out, 0)))
}

/// The characters of a `tr` set: ranges (`a-z`) and `[:lower:]`, `[:upper:]`,
/// `[:digit:]`, `[:space:]`, with `\n`, `\t`, `\\` escapes.
fn tr_set(set: &str) -> Option<Vec<char>> {
    let named = [
        ("[:lower:]", ('a'..='z').collect::<String>()),
        ("[:upper:]", ('A'..='Z').collect()),
        ("[:digit:]", ('0'..='9').collect()),
        ("[:space:]", " \t\n\r\u{b}\u{c}".to_owned()),
        ("[:blank:]", " \t".to_owned()),
    ];
    let mut expanded = set.to_owned();
    for (name, chars) in &named {
        expanded = expanded.replace(name, chars);
    }
    if expanded.contains("[:") {
        return None;
    }
    let mut raw = Vec::new();
    let mut chars = expanded.chars();
    while let Some(c) = chars.next() {
        raw.push(match c {
            '\\' => match chars.next()? {
                'n' => '\n',
                't' => '\t',
                'r' => '\r',
                '\\' => '\\',
                // Octal (`\012`) and other escapes are not evaluated.
                _ => return None,
            },
            c => c,
        });
    }
    let mut out = Vec::new();
    let mut i = 0;
    while i < raw.len() {
        if i + 2 < raw.len() && raw[i + 1] == '-' {
            if raw[i] > raw[i + 2] {
                return None;
            }
            out.extend(raw[i]..=raw[i + 2]);
            i += 3;
        } else {
            out.push(raw[i]);
            i += 1;
        }
    }
    Some(out)
}

fn tr(args: &[String], input: &str) -> Option<String> {
    match args {
        [flag, set] if flag == "-d" => {
            let set = tr_set(set)?;
            Some(input.chars().filter(|c| !set.contains(c)).collect())
        }
        [flag, set] if flag == "-s" => {
            let set = tr_set(set)?;
            let mut out = String::new();
            for c in input.chars() {
                if !(set.contains(&c) && out.ends_with(c)) {
                    out.push(c);
                }
            }
            Some(out)
        }
        [from, to] if !from.starts_with('-') => {
            let (from, to) = (tr_set(from)?, tr_set(to)?);
            let last = *to.last()?;
            Some(
                input
                    .chars()
                    .map(|c| match from.iter().position(|f| *f == c) {
                        Some(i) => to.get(i).copied().unwrap_or(last),
                        None => c,
                    })
                    .collect(),
            )
        }
        _ => None,
    }
}

fn head_tail(
    head: bool,
    args: &[String],
    text: &dyn Fn(&[String]) -> Result<String, String>,
) -> Option<Filtered> {
    let mut count = 10usize;
    let mut from_start = false;
    let mut operands = Vec::new();
    let mut words = args.iter();
    while let Some(arg) = words.next() {
        let value = if arg == "-n" {
            words.next()?.clone()
        } else if let Some(v) = arg.strip_prefix("-n") {
            v.to_owned()
        } else if let Some(v) = arg
            .strip_prefix('-')
            .filter(|v| !v.is_empty() && v.chars().all(|c| c.is_ascii_digit()))
        {
            v.to_owned()
        } else if arg.starts_with('-') && arg != "-" {
            return None;
        } else {
            operands.push(arg.clone());
            continue;
        };
        let value = match value.strip_prefix('+') {
            Some(v) if !head => {
                from_start = true;
                v.to_owned()
            }
            _ => value,
        };
        count = value.parse().ok()?;
    }
    // With several files, head and tail print a header before each.
    if operands.len() > 1 {
        return None;
    }
    let input = match text(&operands) {
        Ok(input) => input,
        Err(why) => return Some(Err(why)),
    };
    let all: Vec<&str> = lines(&input).collect();
    let picked: &[&str] = if head {
        &all[..count.min(all.len())]
    } else if from_start {
        &all[count.saturating_sub(1).min(all.len())..]
    } else {
        &all[all.len().saturating_sub(count)..]
    };
    Some(Ok((joined(picked.iter().copied()), 0)))
}

fn wc(args: &[String], text: &dyn Fn(&[String]) -> Result<String, String>) -> Option<Filtered> {
    let (flags, operands): (Vec<&String>, Vec<&String>) =
        args.iter().partition(|a| a.starts_with('-') && a.len() > 1);
    if !operands.is_empty() {
        // With a file operand, wc prints its name too.
        return None;
    }
    let input = match text(&[]) {
        Ok(input) => input,
        Err(why) => return Some(Err(why)),
    };
    let value = match flags
        .iter()
        .map(|f| f.as_str())
        .collect::<Vec<_>>()
        .as_slice()
    {
        ["-l"] => input.matches('\n').count(),
        ["-w"] => input.split_whitespace().count(),
        ["-c"] => input.len(),
        _ => return None,
    };
    Some(Ok((format!("{value}\n"), 0)))
}

fn sort_uniq(
    name: &str,
    args: &[String],
    text: &dyn Fn(&[String]) -> Result<String, String>,
) -> Option<Filtered> {
    let mut unique = name == "uniq";
    let mut count = false;
    let mut operands = Vec::new();
    for arg in args {
        match arg.as_str() {
            "-u" if name == "sort" => unique = true,
            "-c" | "--count" if name == "uniq" => count = true,
            flag if flag.starts_with('-') && flag != "-" => return None,
            _ => operands.push(arg.clone()),
        }
    }
    // `uniq IN OUT` writes OUT.
    if name == "uniq" && operands.len() > 1 {
        return None;
    }
    let input = match text(&operands) {
        Ok(input) => input,
        Err(why) => return Some(Err(why)),
    };
    let mut all: Vec<&str> = lines(&input).collect();
    if name == "sort" {
        // Byte order: the C locale, which maintainer scripts run under unless told.
        all.sort_unstable();
    }
    // `uniq -c`: each run of equal lines once, after its count as GNU uniq prints it.
    if count {
        let mut counted: Vec<(usize, &str)> = Vec::new();
        for line in all {
            match counted.last_mut() {
                Some((n, last)) if *last == line => *n += 1,
                _ => counted.push((1, line)),
            }
        }
        let text: String = counted
            .iter()
            .map(|(n, line)| format!("{n:>7} {line}\n"))
            .collect();
        return Some(Ok((text, 0)));
    }
    if unique {
        all.dedup();
    }
    Some(Ok((joined(all.into_iter()), 0)))
}

/// `awk [-F SEP] '{print $N[, $M]}'`: the fields of each line.
fn awk_print(
    args: &[String],
    text: &dyn Fn(&[String]) -> Result<String, String>,
) -> Option<Filtered> {
    let mut separator: Option<String> = None;
    let mut program = None;
    let mut operands = Vec::new();
    let mut words = args.iter();
    while let Some(arg) = words.next() {
        if arg == "-F" {
            separator = Some(words.next()?.clone());
        } else if let Some(sep) = arg.strip_prefix("-F") {
            separator = Some(sep.to_owned());
        } else if arg.starts_with('-') && arg != "-" {
            return None;
        } else if program.is_none() {
            program = Some(arg.clone());
        } else {
            operands.push(arg.clone());
        }
    }
    let program = program?;
    let body = program.trim().strip_prefix('{')?.strip_suffix('}')?.trim();
    let body = body.strip_suffix(';').unwrap_or(body).trim();
    let list = body.strip_prefix("print")?.trim();
    let mut picks = Vec::new();
    for item in list.split(',') {
        let n: usize = item.trim().strip_prefix('$')?.parse().ok()?;
        picks.push(n);
    }
    if separator
        .as_deref()
        .is_some_and(|s| s.chars().count() != 1 || s == " ")
    {
        return None;
    }
    let input = match text(&operands) {
        Ok(input) => input,
        Err(why) => return Some(Err(why)),
    };
    let mut out = String::new();
    for line in lines(&input) {
        let fields: Vec<&str> = match &separator {
            Some(sep) => line.split(sep.as_str()).collect(),
            None => line.split_whitespace().collect(),
        };
        let picked: Vec<&str> = picks
            .iter()
            .map(|&n| match n {
                0 => line,
                n => fields.get(n - 1).copied().unwrap_or(""),
            })
            .collect();
        out.push_str(&picked.join(" "));
        out.push('\n');
    }
    Some(Ok((out, 0)))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn filter(name: &str, args: &[&str], input: &str) -> Filtered {
        let args: Vec<String> = args.iter().map(|a| (*a).to_owned()).collect();
        run(name, &args, Some(input), &|_| FileText::Unknown)
    }

    #[test]
    fn grep_selects_lines_and_sets_the_status() {
        let group = "shadow:x:42:\nstaff:x:50:\n";
        assert_eq!(
            filter("grep", &["-q", "^shadow:"], group),
            Ok((String::new(), 0))
        );
        assert_eq!(
            filter("grep", &["-q", "^nobody:"], group),
            Ok((String::new(), 1))
        );
        assert_eq!(
            filter("grep", &["-v", "shadow"], group),
            Ok(("staff:x:50:\n".into(), 0))
        );
        assert_eq!(filter("grep", &["-c", "x"], group), Ok(("2\n".into(), 0)));
        // Basic expressions: `\(`, `\{` are operators, `+` is literal.
        assert_eq!(
            filter("grep", &["-q", "^s\\(ha\\)\\{1\\}dow"], group).map(|r| r.1),
            Ok(0)
        );
        assert_eq!(filter("grep", &["-q", "a+"], "aaa\n").map(|r| r.1), Ok(1));
        assert_eq!(filter("grep", &["-Eq", "a+"], "aaa\n").map(|r| r.1), Ok(0));
        assert_eq!(
            filter("grep", &["-Fx", "a.b"], "a.b\naxb\n"),
            Ok(("a.b\n".into(), 0))
        );
        assert_eq!(filter("grep", &["-qw", "sha"], group).map(|r| r.1), Ok(1));
        assert!(filter("grep", &["-P", "x"], group).is_err());
        // `^` and `$` are anchors only at the ends of a basic expression.
        let conf = "$ModLoad imuxsock\na^b\n";
        assert_eq!(
            filter("grep", &["-q", "^$ModLoad imuxsock"], conf).map(|r| r.1),
            Ok(0)
        );
        assert_eq!(filter("grep", &["-q", "a^b$"], conf).map(|r| r.1), Ok(0));
        assert_eq!(
            filter("grep", &["-q", "\\(^a\\)"], conf).map(|r| r.1),
            Ok(0)
        );
    }

    #[test]
    fn grep_reads_files_through_the_image() {
        let read = |path: &str| match path {
            "/etc/x" => FileText::Text("supported-versions = python3.13\n".to_owned()),
            "/etc/missing" => FileText::Missing,
            _ => FileText::Unknown,
        };
        let grep = |args: &[&str]| {
            let args: Vec<String> = args.iter().map(|a| (*a).to_owned()).collect();
            run("grep", &args, None, &read)
        };
        let pattern = "^supported-versions[^#]*python3.13";
        assert_eq!(grep(&["-sq", pattern, "/etc/x"]), Ok((String::new(), 0)));
        // No such file: status 2, unless `-q` found a match in another.
        assert_eq!(
            grep(&["-sq", pattern, "/etc/missing"]),
            Ok((String::new(), 2))
        );
        assert_eq!(
            grep(&["-sq", pattern, "/etc/missing", "/etc/x"]),
            Ok((String::new(), 0))
        );
        assert_eq!(
            grep(&["-s", "nothing", "/etc/missing"]),
            Ok((String::new(), 2))
        );
        assert!(grep(&["-q", "x", "/etc/large"]).is_err());
        // Several files: grep names each line's file, which is not reproduced.
        assert!(grep(&["supported", "/etc/x", "/etc/x"]).is_err());
    }

    #[test]
    fn sed_substitutes_and_deletes() {
        assert_eq!(
            filter("sed", &["s/:/ /g"], "/a:/b:/c\n"),
            Ok(("/a /b /c\n".into(), 0))
        );
        assert_eq!(
            filter("sed", &["s/:/ /"], "/a:/b:/c\n"),
            Ok(("/a /b:/c\n".into(), 0))
        );
        assert_eq!(
            filter(
                "sed",
                &["-e", "s/\\([0-9]*\\)\\.\\([0-9]*\\)/\\2.\\1/"],
                "13.4\n"
            ),
            Ok(("4.13\n".into(), 0))
        );
        assert_eq!(
            filter("sed", &["-E", "s/(a+)/[&]/"], "baab\n"),
            Ok(("b[aa]b\n".into(), 0))
        );
        assert_eq!(
            filter("sed", &["-n", "s/^x=//p"], "y=1\nx=2\n"),
            Ok(("2\n".into(), 0))
        );
        assert_eq!(filter("sed", &["/^#/d"], "#c\nv\n"), Ok(("v\n".into(), 0)));
        assert_eq!(
            filter("sed", &["s|/usr|/opt|; s/a/b/"], "/usr/a\n"),
            Ok(("/opt/b\n".into(), 0))
        );
        assert!(filter("sed", &["y/abc/xyz/"], "a\n").is_err());
        // `\$` is a dollar; GNU's case conversions are not evaluated.
        assert_eq!(filter("sed", &["s/x/\\$1/"], "x\n"), Ok(("$1\n".into(), 0)));
        assert!(filter("sed", &["s/.*/\\U&/"], "x\n").is_err());
        assert!(filter("sed", &["-i", "s/a/b/"], "a\n").is_err());
    }

    #[test]
    fn cut_tr_head_tail_wc_sort_awk() {
        let passwd = "postgres:x:105:110:PostgreSQL administrator:/var/lib/postgresql:/bin/bash\n";
        assert_eq!(
            filter("cut", &["-d:", "-f6"], passwd),
            Ok(("/var/lib/postgresql\n".into(), 0))
        );
        assert_eq!(
            filter("cut", &["-d", ":", "-f", "1,3-4"], passwd),
            Ok(("postgres:105:110\n".into(), 0))
        );
        assert_eq!(
            filter("cut", &["-c1-4"], "abcdef\n"),
            Ok(("abcd\n".into(), 0))
        );
        assert_eq!(
            filter("tr", &["a-z", "A-Z"], "ab-c\n"),
            Ok(("AB-C\n".into(), 0))
        );
        assert_eq!(filter("tr", &["-d", "\\n"], "a\nb\n"), Ok(("ab".into(), 0)));
        assert_eq!(filter("tr", &[":", "\\n"], "a:b"), Ok(("a\nb".into(), 0)));
        assert!(filter("tr", &["\\012", " "], "a\n").is_err());
        assert_eq!(
            filter("head", &["-n", "1"], "a\nb\n"),
            Ok(("a\n".into(), 0))
        );
        assert_eq!(filter("head", &["-1"], "a\nb\n"), Ok(("a\n".into(), 0)));
        assert_eq!(filter("tail", &["-n1"], "a\nb\n"), Ok(("b\n".into(), 0)));
        assert_eq!(
            filter("tail", &["-n", "+2"], "a\nb\nc\n"),
            Ok(("b\nc\n".into(), 0))
        );
        assert_eq!(filter("wc", &["-l"], "a\nb\n"), Ok(("2\n".into(), 0)));
        assert_eq!(
            filter("sort", &["-u"], "b\na\nb\n"),
            Ok(("a\nb\n".into(), 0))
        );
        assert_eq!(filter("uniq", &[], "a\na\nb\n"), Ok(("a\nb\n".into(), 0)));
        assert_eq!(
            filter("awk", &["-F:", "{print $1, $3}"], passwd),
            Ok(("postgres 105\n".into(), 0))
        );
        assert_eq!(
            filter("awk", &["{ print $2 }"], "a  b c\n"),
            Ok(("b\n".into(), 0))
        );
        assert!(filter("awk", &["/x/ {print}"], "x\n").is_err());
        assert_eq!(filter("grep", &["x"], ""), Ok((String::new(), 1)));
    }
}
