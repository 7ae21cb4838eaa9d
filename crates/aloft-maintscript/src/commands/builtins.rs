//! Shell builtins with an effect on the reader's state or the image: `exit`/`return`,
//! `.`, `set`, `local`/`export`, `cd`, `umask`, `read`, and output written to a file.

use brush_parser::ast;

use super::files::octal;
use super::unsupported;
use crate::Why;
use crate::classify::{ignored_reason, is_builtin, is_query};
use crate::paths;
use crate::redirect::Cmd;
use crate::shell::{Flow, Func, Positional, Shell, Status, Value};

/// `echo`'s output as dash prints it (escapes interpreted, `-n` honoured).
fn echo_text(args: &[String]) -> String {
    let (args, newline) = match args.first().map(String::as_str) {
        Some("-n") => (&args[1..], false),
        _ => (args, true),
    };
    let (mut text, stopped) = unescape(&args.join(" "));
    if newline && !stopped {
        text.push('\n');
    }
    text
}

/// Interprets `\n`, `\t`, `\\`, `\0NNN` ...; true when `\c` stopped the output.
fn unescape(s: &str) -> (String, bool) {
    let mut out = String::new();
    let mut chars = s.chars().peekable();
    while let Some(c) = chars.next() {
        if c != '\\' {
            out.push(c);
            continue;
        }
        match chars.next() {
            Some('n') => out.push('\n'),
            Some('t') => out.push('\t'),
            Some('r') => out.push('\r'),
            Some('a') => out.push('\u{7}'),
            Some('b') => out.push('\u{8}'),
            Some('f') => out.push('\u{c}'),
            Some('v') => out.push('\u{b}'),
            Some('\\') => out.push('\\'),
            Some('c') => return (out, true),
            Some('0') => {
                let mut value = 0u32;
                for _ in 0..3 {
                    match chars.peek().and_then(|d| d.to_digit(8)) {
                        Some(d) => {
                            value = value * 8 + d;
                            chars.next();
                        }
                        None => break,
                    }
                }
                out.push(char::from_u32(value).unwrap_or('\u{fffd}'));
            }
            Some(other) => {
                out.push('\\');
                out.push(other);
            }
            None => out.push('\\'),
        }
    }
    (out, false)
}

impl<'p> Shell<'p, '_> {
    /// The special builtins (`exit`, `.`, `set`, `shift`, `unset`, ...), which come before
    /// functions; `None` when `name` is not one.
    pub(super) fn special_builtin(
        &mut self,
        cmd: &Cmd<'p>,
        name: &str,
        args: &Result<Vec<String>, String>,
    ) -> Option<Flow> {
        let line = cmd.line;
        match name {
            ":" | "true" => {
                self.last = Status::OK;
                return Some(Flow::Next);
            }
            "exit" | "return" => return Some(self.exit_or_return(cmd, name, args)),
            "break" | "continue" => {
                let n = args
                    .as_ref()
                    .ok()
                    .and_then(|a| a.first().and_then(|n| n.parse().ok()))
                    .unwrap_or(1);
                self.last = Status::OK;
                return Some(if name == "break" {
                    Flow::Break(n)
                } else {
                    Flow::Continue(n)
                });
            }
            "." | "source" => return Some(self.source(cmd, args)),
            "set" => return Some(self.set_builtin(cmd, args)),
            "shift" => {
                let n: usize = match args.as_deref() {
                    Ok([]) => 1,
                    Ok([n]) => n.parse().unwrap_or(usize::MAX),
                    _ => usize::MAX,
                };
                match &mut self.positional {
                    Positional::Known(values) if n <= values.len() => {
                        values.drain(..n);
                        self.last = Status::OK;
                    }
                    Positional::Known(_) => self.last = Status::FAIL,
                    Positional::Unknown(_) => self.last = Status::OK,
                }
                return Some(Flow::Next);
            }
            "export" | "readonly" | "local" | "typeset" | "declare" => {
                self.declare(cmd, name, args);
                return Some(Flow::Next);
            }
            "unset" => {
                match args {
                    Ok(names) => {
                        let functions = names.iter().any(|a| a == "-f");
                        for n in names.iter().filter(|a| !a.starts_with('-')) {
                            if functions {
                                self.functions.remove(n);
                            } else {
                                self.set_var(n, Value::Unset);
                            }
                        }
                    }
                    Err(why) => self.skip(line, &cmd.text, Why::Undecidable(why.clone())),
                }
                self.last = Status::OK;
                return Some(Flow::Next);
            }
            "trap" => {
                self.trap(cmd, args);
                return Some(Flow::Next);
            }
            // `eval WORDS`: the words joined and run here, as the shell runs them.
            "eval" => {
                let parsed = match args {
                    Ok(words) => crate::parse_text(&words.join(" "), self.bash)
                        .ok_or_else(|| "the text given to `eval` does not parse".to_owned()),
                    Err(why) => Err(why.clone()),
                };
                let parsed = match parsed {
                    Ok(_) if self.nesting >= crate::shell::MAX_CALLS => Err(format!(
                        "`eval` nested deeper than {}",
                        crate::shell::MAX_CALLS
                    )),
                    other => other,
                };
                match parsed {
                    Ok(program) => {
                        self.last = Status::OK;
                        let program: &'p ast::Program = self.arena.alloc(program);
                        self.nesting += 1;
                        let mut flow = Flow::Next;
                        for list in &program.complete_commands {
                            flow = self.run_list(list);
                            if flow != Flow::Next {
                                break;
                            }
                        }
                        self.nesting -= 1;
                        if flow != Flow::Next {
                            return Some(flow);
                        }
                    }
                    Err(why) => {
                        self.skip(line, &cmd.text, Why::Undecidable(why.clone()));
                        self.unknown(why);
                    }
                }
                return Some(Flow::Next);
            }
            "exec" => {
                self.skip(line, &cmd.text, unsupported("`exec` is not evaluated"));
                self.unknown("`exec` was skipped".to_owned());
                return Some(Flow::Next);
            }
            _ => {}
        }
        None
    }

    /// `read [-r] NAME...` from a known standard input: the next line, split by `IFS`
    /// (the command's own `IFS=...` first), the last name taking the rest; status 1 at the
    /// end of the input (or on a last line with no newline, whose words are still
    /// assigned). `None` when the input or `IFS` is not known, or for other options.
    fn read_input(&mut self, cmd: &Cmd<'p>, args: &[String]) -> Option<Status> {
        let options: Vec<&String> = args.iter().take_while(|a| a.starts_with('-')).collect();
        // Its own `< FILE` or here-document is not the loop's input.
        if !options.iter().all(|o| *o == "-r")
            || cmd.redirs.input_redirected
            || cmd.redirs.heredoc.is_some()
            || !matches!(self.input.last(), Some(Some(_)))
        {
            return None;
        }
        let raw = !options.is_empty();
        let names = &args[options.len()..];
        let ifs = match cmd
            .env
            .iter()
            .find(|a| matches!(&a.name, ast::AssignmentName::VariableName(n) if n == "IFS"))
        {
            Some(assignment) => match &assignment.value {
                ast::AssignmentValue::Scalar(word) => self.expand_one(&word.value).ok()?,
                ast::AssignmentValue::Array(_) => return None,
            },
            None => match self.var("IFS") {
                Value::Set(ifs) => ifs,
                Value::Unset => " \t\n".to_owned(),
                Value::Unknown(_) => return None,
            },
        };
        let input = self.input.last_mut()?.as_mut()?;
        let (line, complete) = take_line(input, raw);
        let fields = match &line {
            Some(line) => split_read(line, &ifs, names.len().max(1)),
            None => Vec::new(),
        };
        let names: Vec<String> = if names.is_empty() {
            vec!["REPLY".to_owned()]
        } else {
            names.to_vec()
        };
        for (i, name) in names.iter().enumerate() {
            let value = fields.get(i).cloned().unwrap_or_default();
            self.set_var(name, Value::Set(value));
        }
        Some(if line.is_some() && complete {
            Status::OK
        } else {
            Status::FAIL
        })
    }

    /// `trap ACTION CONDITION...`: an action on `EXIT` (or `0`) runs when the script
    /// ends; `""` or `-` removes it. Signals are never delivered while an image is built,
    /// so their actions never run.
    fn trap(&mut self, cmd: &Cmd<'p>, args: &Result<Vec<String>, String>) {
        self.last = Status::OK;
        let words = match args {
            Ok(words) => words,
            Err(why) => {
                self.skip(cmd.line, &cmd.text, Why::Undecidable(why.clone()));
                self.unknown(why.clone());
                return;
            }
        };
        let words = match words.first().map(String::as_str) {
            Some("--") => &words[1..],
            _ => &words[..],
        };
        let Some((action, conditions)) = words.split_first() else {
            return;
        };
        // `trap -p`, `trap -l`: output only.
        if action.starts_with('-') && action.len() > 1 {
            return;
        }
        let is_exit = |c: &String| matches!(c.to_ascii_uppercase().as_str(), "0" | "EXIT");
        // A first operand that is a number: every operand is a condition to reset.
        if action.parse::<u32>().is_ok() {
            if words.iter().any(is_exit) {
                self.exit_trap = None;
            }
            return;
        }
        if !conditions.iter().any(is_exit) {
            return;
        }
        if action.is_empty() || action == "-" {
            self.exit_trap = None;
            return;
        }
        match crate::parse_text(action, self.bash) {
            Some(program) => self.exit_trap = Some(self.arena.alloc(program)),
            None => self.skip(
                cmd.line,
                &cmd.text,
                unsupported("the trap's action does not parse"),
            ),
        }
    }

    /// Regular builtins: `false`, `echo` and the like, `cd`, `umask`, `read`; `None` leaves
    /// the status as set.
    pub(super) fn regular_builtin(
        &mut self,
        cmd: &Cmd<'p>,
        name: &str,
        args: &[String],
    ) -> Option<Status> {
        let line = cmd.line;
        match name {
            "false" => Some(Status::FAIL),
            "cd" => {
                self.cwd = match args {
                    [dir] if dir != "-" => self.abs(dir),
                    _ => Err("the working directory is not known (`cd` without a path)".into()),
                };
                Some(Status::OK)
            }
            // `umask MODE`: files `touch` makes later get 0666 less it (libpam-modules'
            // `umask 066; touch /etc/security/opasswd`); other ways of making files
            // under a umask other than 022 are not followed.
            "umask" => {
                match args {
                    [] => {}
                    [mode] if octal(mode).is_ok() => {
                        self.umask = octal(mode).unwrap_or(0o022) & 0o777;
                    }
                    _ => self.skip(
                        line,
                        &cmd.text,
                        unsupported("a symbolic umask is not followed"),
                    ),
                }
                Some(Status::OK)
            }
            "read" => {
                if let Some(status) = self.read_input(cmd, args) {
                    return Some(status);
                }
                for var in args.iter().filter(|a| !a.starts_with('-')) {
                    self.set_var(
                        var,
                        Value::Unknown(format!("`{var}` is read from input (line {line})")),
                    );
                }
                self.unknown(format!("`{}` reads input", cmd.shown));
                None
            }
            // echo, printf, wait, alias, unalias, kill, getopts: output only.
            _ => Some(Status::OK),
        }
    }

    /// What `cat FILE...` prints: `/dev/null` is empty; a file of the image the script has
    /// not changed is read from the image (small files only).
    fn cat_files(&self, files: &[String]) -> Result<String, Why> {
        let mut text = String::new();
        for file in files {
            if file == "/dev/null" {
                continue;
            }
            let unchanged = !self.overlay.contains_key(file.as_str());
            match self
                .ctx
                .files_text
                .filter(|_| unchanged && file.starts_with('/'))
            {
                Some(read) => match read(file) {
                    Some(contents) => text.push_str(&contents),
                    None => {
                        return Err(Why::Undecidable(format!(
                            "`{file}` is no small file of the image"
                        )));
                    }
                },
                None => {
                    return Err(Why::Undecidable(format!(
                        "the contents of `{file}` are not known here"
                    )));
                }
            }
        }
        Ok(text)
    }

    /// Output redirected to a file: only a few commands' output is known.
    pub(super) fn write_output(
        &mut self,
        cmd: &Cmd<'p>,
        name: &str,
        args: &Result<Vec<String>, String>,
        target: Result<(String, bool), String>,
    ) {
        let (path, append) = match target {
            Ok(target) => target,
            Err(why) => {
                self.skip(cmd.line, &cmd.text, Why::Undecidable(why.clone()));
                self.unknown(why);
                return;
            }
        };
        let content: Result<String, Why> = match (name, args) {
            (_, Err(why)) => Err(Why::Undecidable(why.clone())),
            (":" | "true", Ok(_)) => Ok(String::new()),
            ("echo", Ok(args)) => Ok(echo_text(args)),
            ("printf", Ok(args)) if args.len() == 1 && !args[0].contains('%') => {
                Ok(unescape(&args[0]).0)
            }
            ("cat", Ok(args)) if !args.is_empty() && !args.iter().any(|a| a == "-") => {
                self.cat_files(args)
            }
            ("cat", Ok(args)) if args.is_empty() || args == &["-"] => match &cmd.redirs.heredoc {
                Some(Ok(text)) => Ok(text.clone()),
                Some(Err(why)) => Err(Why::Undecidable(why.clone())),
                None => Err(unsupported("`cat` reads its standard input")),
            },
            _ if self.functions.contains_key(name) => Err(unsupported(format!(
                "the output of the function `{name}` is written to `{path}`"
            ))),
            // A known output (`sed -e s/x/y/ TEMPLATE > FILE`, a query), unless the
            // command reads its standard input, which is not known here.
            (_, Ok(args))
                if let Ok((text, 0)) =
                    self.known_output(&[&[name.to_owned()], args.as_slice()].concat(), None) =>
            {
                Ok(text)
            }
            _ if ignored_reason(name).is_none()
                && !is_query(name, args.as_deref().unwrap_or_default())
                && !is_builtin(name) =>
            {
                Err(Why::UnknownCommand)
            }
            _ => Err(Why::Undecidable(format!(
                "the output of `{}` is written to `{path}`",
                cmd.shown
            ))),
        };
        match content {
            Ok(content) => {
                self.write_file(&path, content, append, cmd.line);
                self.last = Status::OK;
            }
            Err(why) => {
                self.skip(cmd.line, &cmd.text, why);
                self.unknown(format!("`{}` was skipped", cmd.shown));
            }
        }
    }

    pub(super) fn exit_or_return(
        &mut self,
        cmd: &Cmd<'p>,
        name: &str,
        args: &Result<Vec<String>, String>,
    ) -> Flow {
        match args.as_deref() {
            Ok([]) => {}
            Ok([code, ..]) => match code.parse::<i32>() {
                Ok(code) => self.last = Status::Known(code & 0xff),
                Err(_) => self.last = Status::Known(2),
            },
            Err(why) => self.unknown(why.clone()),
        }
        if name == "return" && (!self.frames.is_empty() || self.subshells > 0) {
            return Flow::Return;
        }
        if self.subshells == 0 {
            match self.last {
                Status::Known(0) => {}
                Status::Known(code) => self.skip(
                    cmd.line,
                    &cmd.text,
                    unsupported(format!(
                        "the script exits with status {code} here: dpkg would fail to configure the package"
                    )),
                ),
                Status::Unknown => {
                    let why = format!("the script exits here with an unknown status: {}", self.why);
                    self.skip(cmd.line, &cmd.text, Why::Undecidable(why));
                }
            }
        }
        Flow::Exit
    }

    pub(super) fn source(&mut self, cmd: &Cmd<'p>, args: &Result<Vec<String>, String>) -> Flow {
        match args.as_deref() {
            Ok([file, ..]) => {
                if !self.out.sourced.contains(file) {
                    self.out.sourced.push(file.clone());
                }
                if paths::basename(file) == "php-maintscript-helper" {
                    self.functions
                        .insert("php_invoke".to_owned(), Func::PhpInvoke);
                    self.functions.insert("php_msg".to_owned(), Func::NoOp);
                }
                if paths::basename(file) == "apache2-maintscript-helper" {
                    for (name, func) in [
                        ("apache2_invoke", Func::ApacheInvoke),
                        ("apache2_switch_mpm", Func::ApacheSwitchMpm),
                        ("apache2_msg", Func::NoOp),
                        ("apache2_reload", Func::NoOp),
                    ] {
                        self.functions.insert(name.to_owned(), func);
                    }
                }
                self.last = Status::OK;
                self.source_defaults(cmd.line, file);
            }
            Ok([]) => self.last = Status::Known(2),
            Err(why) => {
                self.skip(cmd.line, &cmd.text, Why::Undecidable(why.clone()));
                self.unknown(why.clone());
            }
        }
        Flow::Next
    }

    /// A sourced file of the image that only sets variables (`/etc/default/cacerts`:
    /// `cacerts_updates=yes`, comments): its assignments are made here, as `.` makes
    /// them in the current shell. Any other file (functions, commands) is left as it
    /// was: its variables stay unknown, and what depends on them is listed.
    fn source_defaults(&mut self, line: usize, file: &str) {
        let Some(text) = self.ctx.files_text.and_then(|read| read(file)) else {
            return;
        };
        let options = brush_parser::ParserOptions {
            sh_mode: !self.bash,
            ..Default::default()
        };
        let Ok(tokens) = brush_parser::uncached_tokenize_str(&text, &options.tokenizer_options())
        else {
            return;
        };
        let Ok(program) = brush_parser::parse_tokens(&tokens, &options) else {
            return;
        };
        let mut assignments = Vec::new();
        for list in &program.complete_commands {
            for item in &list.0 {
                let and_or = &item.0;
                let ([ast::Command::Simple(simple)], true) =
                    (and_or.first.seq.as_slice(), and_or.additional.is_empty())
                else {
                    return;
                };
                if simple.word_or_name.is_some() || simple.suffix.is_some() {
                    return;
                }
                for prefix in simple.prefix.iter().flat_map(|p| &p.0) {
                    match prefix {
                        ast::CommandPrefixOrSuffixItem::AssignmentWord(a, _) => {
                            assignments.push(a.clone());
                        }
                        _ => return,
                    }
                }
            }
        }
        for assignment in &assignments {
            self.assign(assignment, line);
        }
    }

    pub(super) fn set_builtin(
        &mut self,
        cmd: &Cmd<'p>,
        args: &Result<Vec<String>, String>,
    ) -> Flow {
        match args {
            Ok(args) => {
                if let Some(i) = args.iter().position(|a| a == "--") {
                    self.positional =
                        Positional::Known(args[i + 1..].iter().cloned().map(Value::Set).collect());
                } else if let Some(i) = args.iter().position(|a| !a.starts_with(['-', '+'])) {
                    // `set -o name` takes a word; anything else sets the parameters.
                    if i == 0 || !matches!(args[i - 1].as_str(), "-o" | "+o") {
                        self.positional =
                            Positional::Known(args[i..].iter().cloned().map(Value::Set).collect());
                    }
                }
            }
            Err(why) => {
                if !cmd.text.trim_start_matches("set").trim().starts_with('-') {
                    self.positional = Positional::Unknown(why.clone());
                }
            }
        }
        self.last = Status::OK;
        Flow::Next
    }

    /// `local`, `export`, `readonly`: assignments and (for `local`) scoping.
    pub(super) fn declare(
        &mut self,
        cmd: &Cmd<'p>,
        name: &str,
        args: &Result<Vec<String>, String>,
    ) {
        let local = name == "local" && !self.frames.is_empty();
        for decl in &cmd.decls {
            if let brush_parser::ast::AssignmentName::VariableName(var) = &decl.name
                && local
            {
                self.make_local(var);
            }
            self.assign(decl, cmd.line);
        }
        // With unknown words, which plain names are declared is not known; the `name=value`
        // words are in `decls` either way.
        if let Ok(args) = args {
            for arg in args.iter().filter(|a| !a.starts_with('-')) {
                let (var, value) = match arg.split_once('=') {
                    Some((var, value)) => (var, Some(value)),
                    None => (arg.as_str(), None),
                };
                let is_decl = cmd.decls.iter().any(|d| {
                    matches!(&d.name, brush_parser::ast::AssignmentName::VariableName(v) if v == var)
                });
                if is_decl {
                    continue;
                }
                if local {
                    self.make_local(var);
                }
                if let Some(value) = value {
                    self.set_var(var, Value::Set(value.to_owned()));
                }
            }
        }
        self.last = Status::OK;
    }
}

/// The next line of `input` (consumed), whether it ended in a newline, and `None` at the
/// end. Without `-r` (`raw`), a backslash escapes the next character and a backslash
/// before the newline joins the next line.
fn take_line(input: &mut String, raw: bool) -> (Option<String>, bool) {
    if input.is_empty() {
        return (None, false);
    }
    let mut line = String::new();
    let mut complete = false;
    let mut chars = input.char_indices();
    let mut consumed = input.len();
    while let Some((i, c)) = chars.next() {
        match c {
            '\\' if !raw => match chars.next() {
                Some((_, '\n')) => {}
                Some((_, escaped)) => line.push(escaped),
                None => {}
            },
            '\n' => {
                complete = true;
                consumed = i + 1;
                break;
            }
            c => line.push(c),
        }
    }
    input.drain(..consumed);
    (Some(line), complete)
}

/// `line` split into at most `names` fields as `read` splits it: `IFS` whitespace around
/// fields is dropped, and the last field keeps the rest of the line (its trailing `IFS`
/// whitespace dropped).
fn split_read(line: &str, ifs: &str, names: usize) -> Vec<String> {
    if ifs.is_empty() {
        return vec![line.to_owned()];
    }
    let is_ifs = |c: char| ifs.contains(c);
    let is_space = |c: char| ifs.contains(c) && matches!(c, ' ' | '\t' | '\n');
    let mut rest = line.trim_start_matches(is_space);
    let mut fields = Vec::new();
    while fields.len() + 1 < names && !rest.is_empty() {
        match rest.find(is_ifs) {
            Some(at) => {
                fields.push(rest[..at].to_owned());
                let after = rest[at..].trim_start_matches(is_space);
                // One delimiter that is not whitespace, with the whitespace around it.
                rest = match after.strip_prefix(|c: char| is_ifs(c) && !is_space(c)) {
                    Some(after) => after.trim_start_matches(is_space),
                    None => after,
                };
            }
            None => {
                fields.push(rest.to_owned());
                rest = "";
            }
        }
    }
    if fields.len() < names {
        fields.push(rest.trim_end_matches(is_space).to_owned());
    }
    fields
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn echo_like_dash() {
        assert_eq!(echo_text(&["a".into(), "b".into()]), "a b\n");
        assert_eq!(echo_text(&["-n".into(), "x".into()]), "x");
        assert_eq!(echo_text(&["a\\tb\\c".into(), "z".into()]), "a\tb");
    }

    #[test]
    fn read_splits_as_posix_says() {
        use super::split_read;
        let split = |line: &str, ifs: &str, n: usize| split_read(line, ifs, n);
        assert_eq!(split("  a  b  c  ", " \t\n", 2), ["a", "b  c"]);
        assert_eq!(split("/bin/sh # x", "#", 2), ["/bin/sh ", " x"]);
        assert_eq!(split("a : b", " :", 3), ["a", "b", ""]);
        assert_eq!(split("whole line ", "", 2), ["whole line "]);
        assert_eq!(split("", " ", 1), [""]);
    }
}
