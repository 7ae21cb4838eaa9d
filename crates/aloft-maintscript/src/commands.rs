//! Dispatching a simple command: builtins, script functions, the known commands (parsed
//! into [`Call`]s as the real tools parse their arguments), ignored and unknown commands.

use crate::exec::{Cmd, ignored_reason, is_builtin, is_query};
use crate::getopt::{self, Arg, long, opt};
use crate::paths;
use crate::shell::{Flow, Func, Positional, Shell, Status, Value};
use crate::{Account, AccountTool, Call, FileKind, NewGroup, NewUser, Slave, Why};

/// What a known command does: its calls and its exit status.
struct Effect {
    calls: Vec<Call>,
    status: Status,
}

impl Effect {
    fn ok(calls: Vec<Call>) -> Result<Self, Why> {
        Ok(Self {
            calls,
            status: Status::OK,
        })
    }
}

fn unsupported(what: impl Into<String>) -> Why {
    Why::Unsupported(what.into())
}

/// An octal mode (`755`, `0644`, `01733`).
fn octal(mode: &str) -> Result<u32, Why> {
    if !mode.is_empty() && mode.len() <= 5 && mode.chars().all(|c| c.is_digit(8)) {
        u32::from_str_radix(mode, 8).map_err(|_| unsupported(format!("the mode `{mode}`")))
    } else {
        Err(unsupported(format!(
            "the symbolic mode `{mode}` is not folded"
        )))
    }
}

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
    /// Runs one expanded simple command.
    pub(crate) fn dispatch(
        &mut self,
        cmd: &Cmd<'p>,
        name: &str,
        args: Result<Vec<String>, String>,
        positional: Positional,
        bypass_functions: bool,
    ) -> Flow {
        let line = cmd.line;
        if let Some(target) = &cmd.redirs.other {
            let why = match target {
                Ok(path) => unsupported(format!("it writes to `{path}` through a descriptor")),
                Err(why) => Why::Undecidable(why.clone()),
            };
            self.skip(line, &cmd.text, why);
            self.unknown("a command writing to a file was skipped".to_owned());
            return Flow::Next;
        }
        if let Some(target) = &cmd.redirs.stdout {
            self.write_output(cmd, name, &args, target.clone());
            return Flow::Next;
        }

        // Special builtins come before functions.
        match name {
            ":" | "true" => {
                self.last = Status::OK;
                return Flow::Next;
            }
            "exit" | "return" => return self.exit_or_return(cmd, name, &args),
            "break" | "continue" => {
                let n = args
                    .ok()
                    .and_then(|a| a.first().and_then(|n| n.parse().ok()))
                    .unwrap_or(1);
                self.last = Status::OK;
                return if name == "break" {
                    Flow::Break(n)
                } else {
                    Flow::Continue(n)
                };
            }
            "." | "source" => return self.source(cmd, &args),
            "set" => return self.set_builtin(cmd, &args),
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
                return Flow::Next;
            }
            "export" | "readonly" | "local" | "typeset" | "declare" => {
                self.declare(cmd, name, &args);
                return Flow::Next;
            }
            "unset" => {
                match &args {
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
                return Flow::Next;
            }
            "eval" | "exec" | "trap" => {
                let what = match name {
                    "trap" => "trap handlers are not evaluated",
                    "eval" => "`eval` is not evaluated",
                    _ => "`exec` is not evaluated",
                };
                self.skip(line, &cmd.text, unsupported(what));
                self.unknown(format!("`{name}` was skipped"));
                return Flow::Next;
            }
            _ => {}
        }

        // `command NAME ARGS` runs NAME, never a function of that name.
        if name == "command"
            && let Ok([first, rest @ ..]) = args.as_deref()
            && !first.starts_with('-')
        {
            let positional = Positional::Known(rest.iter().cloned().map(Value::Set).collect());
            return self.dispatch(cmd, first, Ok(rest.to_vec()), positional, true);
        }
        if !bypass_functions && let Some(func) = self.functions.get(name).cloned() {
            return self.call(cmd, name, func, args, positional);
        }

        let args = match args {
            Ok(args) => args,
            Err(why) => return self.with_unknown_args(cmd, name, why),
        };
        let status = self.regular(cmd, name, &args);
        if let Some(status) = status {
            self.last = status;
        }
        Flow::Next
    }

    fn with_unknown_args(&mut self, cmd: &Cmd<'p>, name: &str, why: String) -> Flow {
        if let Some(reason) = ignored_reason(name) {
            self.ignore(cmd.line, cmd.shown.clone(), reason);
            self.unknown(format!("the exit status of `{}` is not known", cmd.shown));
        } else if matches!(name, "echo" | "printf" | "false" | "[" | "test") || is_query(name, &[])
        {
            // No effect whatever the arguments.
            self.unknown(why);
        } else {
            self.skip(cmd.line, &cmd.text, Why::Undecidable(why.clone()));
            self.unknown(why);
        }
        Flow::Next
    }

    fn call(
        &mut self,
        cmd: &Cmd<'p>,
        name: &str,
        func: Func<'p>,
        args: Result<Vec<String>, String>,
        positional: Positional,
    ) -> Flow {
        match func {
            Func::Script(body) => self.call_function(cmd.line, &cmd.text, body, positional),
            Func::NoOp => {
                self.last = Status::OK;
                Flow::Next
            }
            Func::Unknown(why) => {
                let why = format!("the function `{name}` {why}");
                self.skip(cmd.line, &cmd.text, Why::Undecidable(why.clone()));
                self.unknown(why);
                Flow::Next
            }
            Func::PhpInvoke => {
                match args.as_deref() {
                    Ok([action, version, sapi, module]) if action == "enmod" => {
                        self.emit(
                            cmd.line,
                            Call::PhpEnmod {
                                version: version.clone(),
                                sapi: sapi.clone(),
                                module: module.clone(),
                            },
                        );
                    }
                    Ok(args) => self.skip(
                        cmd.line,
                        &cmd.text,
                        unsupported(format!(
                            "`php_invoke {}` is not modelled (only `enmod VERSION SAPI MODULE`)",
                            args.join(" ")
                        )),
                    ),
                    Err(why) => self.skip(cmd.line, &cmd.text, Why::Undecidable(why.clone())),
                }
                self.last = Status::OK;
                Flow::Next
            }
        }
    }

    /// Output redirected to a file: only a few commands' output is known.
    fn write_output(
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
            ("cat", Ok(args)) if args.is_empty() || args == &["-"] => match &cmd.redirs.heredoc {
                Some(Ok(text)) => Ok(text.clone()),
                Some(Err(why)) => Err(Why::Undecidable(why.clone())),
                None => Err(unsupported("`cat` reads its standard input")),
            },
            _ if self.functions.contains_key(name) => Err(unsupported(format!(
                "the output of the function `{name}` is written to `{path}`"
            ))),
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
                self.put_file(&path, Some(FileKind::File));
                self.emit(
                    cmd.line,
                    Call::WriteFile {
                        path,
                        content,
                        append,
                    },
                );
                self.last = Status::OK;
            }
            Err(why) => {
                self.skip(cmd.line, &cmd.text, why);
                self.unknown(format!("`{}` was skipped", cmd.shown));
            }
        }
    }

    fn exit_or_return(
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

    fn source(&mut self, cmd: &Cmd<'p>, args: &Result<Vec<String>, String>) -> Flow {
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
                self.last = Status::OK;
            }
            Ok([]) => self.last = Status::Known(2),
            Err(why) => {
                self.skip(cmd.line, &cmd.text, Why::Undecidable(why.clone()));
                self.unknown(why.clone());
            }
        }
        Flow::Next
    }

    fn set_builtin(&mut self, cmd: &Cmd<'p>, args: &Result<Vec<String>, String>) -> Flow {
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
    fn declare(&mut self, cmd: &Cmd<'p>, name: &str, args: &Result<Vec<String>, String>) {
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

    /// Builtins and external commands; `None` leaves the status as set.
    fn regular(&mut self, cmd: &Cmd<'p>, name: &str, args: &[String]) -> Option<Status> {
        let line = cmd.line;
        match name {
            "false" => return Some(Status::FAIL),
            "echo" | "printf" | "wait" | "alias" | "unalias" | "kill" | "getopts" => {
                return Some(Status::OK);
            }
            "[" | "test" => {
                let mut args = args.to_vec();
                if name == "[" {
                    if args.last().map(String::as_str) != Some("]") {
                        return Some(Status::Known(2));
                    }
                    args.pop();
                }
                self.why.clear();
                let status = self.eval_test(&args);
                return Some(status);
            }
            "command" => {
                return Some(match args.first().map(String::as_str) {
                    None => Status::OK,
                    Some("-v" | "-V") => self.command_v_status(args),
                    Some(_) => {
                        self.why = format!("`{}` is not modelled", cmd.shown);
                        Status::Unknown
                    }
                });
            }
            "type" | "hash" => {
                let found = args
                    .iter()
                    .filter(|a| !a.starts_with('-'))
                    .all(|a| self.command_v(a).is_some());
                return Some(Status::from_bool(found));
            }
            "which" => {
                let names: Vec<&String> = args.iter().filter(|a| !a.starts_with('-')).collect();
                let found = !names.is_empty() && names.iter().all(|a| self.which(a).is_some());
                return Some(Status::from_bool(found));
            }
            "cd" => {
                self.cwd = match args {
                    [dir] if dir != "-" => self.abs(dir),
                    _ => Err("the working directory is not known (`cd` without a path)".into()),
                };
                return Some(Status::OK);
            }
            "umask" => {
                return match args {
                    [] => Some(Status::OK),
                    [mode] if octal(mode).is_ok_and(|m| m == 0o022) => Some(Status::OK),
                    _ => {
                        self.skip(
                            line,
                            &cmd.text,
                            unsupported(
                                "a umask other than 022 (files created later get other modes)",
                            ),
                        );
                        Some(Status::OK)
                    }
                };
            }
            "read" => {
                for var in args.iter().filter(|a| !a.starts_with('-')) {
                    self.set_var(
                        var,
                        Value::Unknown(format!("`{var}` is read from input (line {line})")),
                    );
                }
                self.unknown(format!("`{}` reads input", cmd.shown));
                return None;
            }
            "getent" => {
                let account = match args {
                    [db, key] if db == "passwd" => Some(Account::User(key)),
                    [db, key] if db == "group" => Some(Account::Group(key)),
                    _ => None,
                };
                return Some(self.account_status(cmd, account));
            }
            "id" => {
                let names: Vec<&String> = args.iter().filter(|a| !a.starts_with('-')).collect();
                return Some(match names.as_slice() {
                    [] => Status::OK,
                    [user] => self.account_status(cmd, Some(Account::User(user))),
                    _ => Status::Unknown,
                });
            }
            "dpkg" => return Some(self.dpkg(cmd, args)),
            _ => {}
        }
        if let Some(reason) = ignored_reason(name) {
            self.ignore(line, cmd.shown.clone(), reason);
            if name.starts_with("db_") {
                self.set_var(
                    "RET",
                    Value::Unknown(format!("`RET` is set by debconf (`{}`)", cmd.shown)),
                );
            }
            self.unknown(format!("the exit status of `{}` is not known", cmd.shown));
            return None;
        }
        if let Some(effect) = self.effect(name, args) {
            match effect {
                Ok(effect) => {
                    for call in effect.calls {
                        self.note_account(&call);
                        self.emit(line, call);
                    }
                    if effect.status == Status::Unknown {
                        self.unknown(format!("the exit status of `{}` is not known", cmd.shown));
                        return None;
                    }
                    return Some(effect.status);
                }
                Err(why) => {
                    self.skip(line, &cmd.text, why);
                    self.unknown(format!("`{}` was skipped", cmd.shown));
                    return None;
                }
            }
        }
        if is_query(name, args) {
            self.unknown(format!("the exit status of `{}` is not known", cmd.shown));
            return None;
        }
        self.skip(line, &cmd.text, Why::UnknownCommand);
        self.unknown(format!("`{}` is not a known command", cmd.shown));
        None
    }

    /// Remembers the accounts a call creates, for later `getent`/`id`.
    fn note_account(&mut self, call: &Call) {
        match call {
            Call::AddUser(user) => {
                self.accounts_made.insert((false, user.name.clone()));
                if user.user_group == Some(true) {
                    self.accounts_made.insert((true, user.name.clone()));
                }
            }
            Call::AddGroup(group) => {
                self.accounts_made.insert((true, group.name.clone()));
            }
            _ => {}
        }
    }

    fn account_status(&mut self, cmd: &Cmd<'p>, account: Option<Account<'_>>) -> Status {
        let made = match account {
            Some(Account::User(name)) => self.accounts_made.contains(&(false, name.to_owned())),
            Some(Account::Group(name)) => self.accounts_made.contains(&(true, name.to_owned())),
            None => false,
        };
        if made {
            return Status::OK;
        }
        match account.and_then(|a| (self.ctx.accounts)(a)) {
            Some(exists) => Status::from_bool(exists),
            None => {
                self.why = format!("`{}`: the image's accounts are not known", cmd.shown);
                Status::Unknown
            }
        }
    }

    fn command_v_status(&mut self, args: &[String]) -> Status {
        let names = &args[1..];
        let found = !names.is_empty() && names.iter().all(|n| self.command_v(n).is_some());
        Status::from_bool(found)
    }

    fn dpkg(&mut self, cmd: &Cmd<'p>, args: &[String]) -> Status {
        let args: Vec<&str> = args.iter().map(String::as_str).collect();
        match args.as_slice() {
            ["--compare-versions", "--", a, op, b] | ["--compare-versions", a, op, b] => {
                match crate::cond::compare_versions(a, op, b) {
                    Some(holds) => Status::from_bool(holds),
                    None => {
                        self.why = format!("`{}` is not decided", cmd.shown);
                        Status::Unknown
                    }
                }
            }
            [first, ..]
                if matches!(
                    *first,
                    "--print-architecture"
                        | "--print-foreign-architectures"
                        | "-s"
                        | "--status"
                        | "-l"
                        | "--list"
                        | "-L"
                        | "--listfiles"
                        | "-S"
                        | "--search"
                        | "-p"
                        | "--print-avail"
                        | "--validate-version"
                        | "--validate-pkgname"
                ) || first.starts_with("--assert-") =>
            {
                self.why = format!("the exit status of `{}` is not known", cmd.shown);
                Status::Unknown
            }
            _ => {
                self.skip(
                    cmd.line,
                    &cmd.text,
                    unsupported(format!("`{}` is not modelled", cmd.shown)),
                );
                self.why = format!("`{}` was skipped", cmd.shown);
                Status::Unknown
            }
        }
    }

    /// A path operand made absolute.
    fn operand(&self, path: &str) -> Result<String, Why> {
        self.abs(path).map_err(Why::Undecidable)
    }

    /// Where `cp`/`mv`/`ln` put `source` when told `dest`: inside `dest` when it is a
    /// directory (unless `-T`), else at `dest`.
    fn dest_in(
        &self,
        source: &str,
        dest: &str,
        no_target_dir: bool,
        deref: bool,
    ) -> Result<String, Why> {
        let dest = self.operand(dest)?;
        if !no_target_dir && matches!(self.file(&dest, deref), Some(FileKind::Dir)) {
            Ok(format!(
                "{}/{}",
                dest.trim_end_matches('/'),
                paths::basename(source)
            ))
        } else {
            Ok(dest)
        }
    }

    /// `(source, dest)` pairs of a `cp`/`mv`/`ln`-style command line.
    fn pairs(
        &self,
        parsed: &getopt::Parsed,
        deref_dest: bool,
    ) -> Result<Vec<(String, String)>, Why> {
        let no_target = parsed.has("no-target-directory");
        let ops = &parsed.operands;
        if let Some(dir) = parsed.value("target-directory") {
            let dir = self.operand(dir)?;
            return Ok(ops
                .iter()
                .map(|s| (s.clone(), format!("{dir}/{}", paths::basename(s))))
                .collect());
        }
        match ops.as_slice() {
            [] => Err(unsupported("a missing operand")),
            [source] => {
                let cwd = self.cwd().map_err(Why::Undecidable)?;
                Ok(vec![(
                    source.clone(),
                    paths::absolute(cwd, paths::basename(source)),
                )])
            }
            [source, dest] => Ok(vec![(
                source.clone(),
                self.dest_in(source, dest, no_target, deref_dest)?,
            )]),
            [sources @ .., dir] => {
                let dir = self.operand(dir)?;
                Ok(sources
                    .iter()
                    .map(|s| (s.clone(), format!("{dir}/{}", paths::basename(s))))
                    .collect())
            }
        }
    }

    /// The known commands with effects; `None` when `name` is not one of them.
    fn effect(&mut self, name: &str, args: &[String]) -> Option<Result<Effect, Why>> {
        Some(match name {
            "update-alternatives" => update_alternatives(args),
            "ucf" => self.ucf(args),
            "ucfr" => ucfr(args),
            "ln" => self.ln(args),
            "mkdir" => self.mkdir(args),
            "install" => self.install(args),
            "cp" => self.cp(args),
            "mv" => self.mv(args),
            "rm" => self.rm(args),
            "rmdir" => self.rmdir(args),
            "touch" => self.touch(args),
            "chown" | "chgrp" => self.chown(name, args),
            "chmod" => self.chmod(args),
            "dpkg-statoverride" => dpkg_statoverride(args),
            "adduser" | "addgroup" => adduser(name, args),
            "useradd" => useradd(args),
            "groupadd" => groupadd(args),
            "usermod" => usermod(args),
            "gpasswd" => gpasswd(args),
            _ => return None,
        })
    }

    fn ucf(&mut self, args: &[String]) -> Result<Effect, Why> {
        const OPTS: &[getopt::Opt] = &[
            opt('h', "help", Arg::No),
            opt('s', "src-dir", Arg::Required),
            long("sum-file", Arg::Required),
            long("dest-dir", Arg::Required),
            opt('d', "debug", Arg::Optional),
            opt('D', "DEBUG", Arg::Optional),
            opt('n', "no-action", Arg::No),
            opt('P', "package", Arg::Required),
            opt('p', "purge", Arg::No),
            opt('v', "verbose", Arg::No),
            long("three-way", Arg::No),
            long("debconf-ok", Arg::No),
            long("debconf-template", Arg::Required),
            long("state-dir", Arg::Required),
            opt('Z', "selinux", Arg::No),
        ];
        let parsed = getopt::parse(args, OPTS).map_err(|o| unsupported(format!("ucf: {o}")))?;
        if parsed.has("purge") {
            return Err(unsupported("`ucf --purge` is not modelled"));
        }
        if parsed.has("dest-dir") {
            return Err(unsupported("`ucf --dest-dir` is not modelled"));
        }
        if parsed.has("no-action") || parsed.has("help") {
            return Effect::ok(Vec::new());
        }
        let [source, dest] = parsed.operands.as_slice() else {
            return Err(unsupported("ucf takes a source and a destination"));
        };
        let source = self.operand(source)?;
        let dest = self.operand(dest)?;
        if self.file(&dest, true).is_none() {
            self.put_file(&dest, Some(FileKind::File));
        }
        Effect::ok(vec![Call::Ucf { source, dest }])
    }

    fn ln(&mut self, args: &[String]) -> Result<Effect, Why> {
        const OPTS: &[getopt::Opt] = &[
            opt('s', "symbolic", Arg::No),
            opt('f', "force", Arg::No),
            opt('n', "no-dereference", Arg::No),
            opt('T', "no-target-directory", Arg::No),
            opt('t', "target-directory", Arg::Required),
            opt('r', "relative", Arg::No),
            opt('v', "verbose", Arg::No),
            opt('i', "interactive", Arg::No),
            opt('L', "logical", Arg::No),
            opt('P', "physical", Arg::No),
            opt('b', "backup", Arg::No),
            long("backup", Arg::Optional),
            opt('S', "suffix", Arg::Required),
        ];
        let parsed = getopt::parse(args, OPTS).map_err(|o| unsupported(format!("ln: {o}")))?;
        if parsed.has("relative") || parsed.has("backup") {
            return Err(unsupported(
                "`ln --relative` and `ln --backup` are not modelled",
            ));
        }
        let symbolic = parsed.has("symbolic");
        let deref = !parsed.has("no-dereference");
        let mut calls = Vec::new();
        for (target, link) in self.pairs(&parsed, deref)? {
            let kind = if symbolic {
                FileKind::Symlink(target.clone())
            } else {
                let path = self.operand(&target)?;
                self.file(&path, true).unwrap_or(FileKind::File)
            };
            let target = if symbolic {
                target
            } else {
                self.operand(&target)?
            };
            self.put_file(&link, Some(kind));
            calls.push(Call::Link {
                target,
                link,
                symbolic,
            });
        }
        Effect::ok(calls)
    }

    fn mkdir(&mut self, args: &[String]) -> Result<Effect, Why> {
        const OPTS: &[getopt::Opt] = &[
            opt('p', "parents", Arg::No),
            opt('m', "mode", Arg::Required),
            opt('v', "verbose", Arg::No),
            opt('Z', "selinux", Arg::No),
            long("context", Arg::Optional),
        ];
        let parsed = getopt::parse(args, OPTS).map_err(|o| unsupported(format!("mkdir: {o}")))?;
        let mode = parsed.value("mode").map(octal).transpose()?;
        let mut calls = Vec::new();
        for dir in &parsed.operands {
            let path = self.operand(dir)?;
            self.put_dirs(&path);
            calls.push(Call::Mkdir {
                path,
                mode,
                owner: None,
                group: None,
            });
        }
        Effect::ok(calls)
    }

    fn install(&mut self, args: &[String]) -> Result<Effect, Why> {
        const OPTS: &[getopt::Opt] = &[
            opt('d', "directory", Arg::No),
            opt('m', "mode", Arg::Required),
            opt('o', "owner", Arg::Required),
            opt('g', "group", Arg::Required),
            opt('D', "D", Arg::No),
            opt('v', "verbose", Arg::No),
            opt('c', "c", Arg::No),
            opt('p', "preserve-timestamps", Arg::No),
            opt('s', "strip", Arg::No),
            opt('C', "compare", Arg::No),
            opt('b', "backup", Arg::No),
            opt('S', "suffix", Arg::Required),
            opt('t', "target-directory", Arg::Required),
            opt('T', "no-target-directory", Arg::No),
            opt('Z', "selinux", Arg::No),
            long("context", Arg::Optional),
        ];
        let parsed = getopt::parse(args, OPTS).map_err(|o| unsupported(format!("install: {o}")))?;
        if !parsed.has("directory") {
            return Err(unsupported(
                "`install` without `-d` (copying files) is not modelled",
            ));
        }
        let mode = parsed.value("mode").map(octal).transpose()?;
        let owner = parsed.value("owner").map(str::to_owned);
        let group = parsed.value("group").map(str::to_owned);
        let mut calls = Vec::new();
        for dir in &parsed.operands {
            let path = self.operand(dir)?;
            self.put_dirs(&path);
            calls.push(Call::Mkdir {
                path,
                mode,
                owner: owner.clone(),
                group: group.clone(),
            });
        }
        Effect::ok(calls)
    }

    fn cp(&mut self, args: &[String]) -> Result<Effect, Why> {
        const OPTS: &[getopt::Opt] = &[
            opt('a', "archive", Arg::No),
            opt('p', "p", Arg::No),
            long("preserve", Arg::Optional),
            long("no-preserve", Arg::Required),
            opt('f', "force", Arg::No),
            opt('r', "r", Arg::No),
            opt('R', "recursive", Arg::No),
            opt('d', "d", Arg::No),
            opt('P', "no-dereference", Arg::No),
            opt('L', "dereference", Arg::No),
            opt('H', "H", Arg::No),
            opt('T', "no-target-directory", Arg::No),
            opt('t', "target-directory", Arg::Required),
            opt('v', "verbose", Arg::No),
            opt('u', "update", Arg::No),
            opt('i', "interactive", Arg::No),
            opt('n', "no-clobber", Arg::No),
            opt('l', "link", Arg::No),
            opt('s', "symbolic-link", Arg::No),
            opt('b', "backup", Arg::No),
            opt('S', "suffix", Arg::Required),
            long("remove-destination", Arg::No),
            long("sparse", Arg::Required),
            long("reflink", Arg::Optional),
            opt('x', "one-file-system", Arg::No),
            opt('Z', "selinux", Arg::No),
            long("parents", Arg::No),
        ];
        let parsed = getopt::parse(args, OPTS).map_err(|o| unsupported(format!("cp: {o}")))?;
        if let Some(o) = parsed.first_of(&["link", "symbolic-link", "parents", "backup"]) {
            return Err(unsupported(format!("`cp --{o}` is not modelled")));
        }
        let only_absent = parsed.has("no-clobber") || parsed.has("update");
        let mut calls = Vec::new();
        for (source, dest) in self.pairs(&parsed, true)? {
            let source = self.operand(&source)?;
            if only_absent && self.file(&dest, true).is_some() {
                if parsed.has("update") {
                    return Err(unsupported("`cp --update` over an existing file"));
                }
                continue;
            }
            let kind = match self.file(&source, true) {
                Some(FileKind::Dir) => FileKind::Dir,
                Some(FileKind::Executable) => FileKind::Executable,
                _ => FileKind::File,
            };
            self.put_file(&dest, Some(kind));
            calls.push(Call::Copy { source, dest });
        }
        Effect::ok(calls)
    }

    fn mv(&mut self, args: &[String]) -> Result<Effect, Why> {
        const OPTS: &[getopt::Opt] = &[
            opt('f', "force", Arg::No),
            opt('i', "interactive", Arg::No),
            opt('n', "no-clobber", Arg::No),
            opt('T', "no-target-directory", Arg::No),
            opt('t', "target-directory", Arg::Required),
            opt('v', "verbose", Arg::No),
            opt('u', "update", Arg::No),
            opt('b', "backup", Arg::No),
            opt('S', "suffix", Arg::Required),
            opt('Z', "selinux", Arg::No),
        ];
        let parsed = getopt::parse(args, OPTS).map_err(|o| unsupported(format!("mv: {o}")))?;
        if let Some(o) = parsed.first_of(&["no-clobber", "update", "backup"]) {
            return Err(unsupported(format!("`mv --{o}` is not modelled")));
        }
        let mut calls = Vec::new();
        for (source, dest) in self.pairs(&parsed, true)? {
            let source = self.operand(&source)?;
            let kind = self.file(&source, false).unwrap_or(FileKind::File);
            self.put_file(&source, None);
            self.put_file(&dest, Some(kind));
            calls.push(Call::Move { source, dest });
        }
        Effect::ok(calls)
    }

    fn rm(&mut self, args: &[String]) -> Result<Effect, Why> {
        const OPTS: &[getopt::Opt] = &[
            opt('f', "force", Arg::No),
            opt('r', "r", Arg::No),
            opt('R', "recursive", Arg::No),
            opt('d', "dir", Arg::No),
            opt('i', "i", Arg::No),
            opt('I', "I", Arg::No),
            long("interactive", Arg::Optional),
            opt('v', "verbose", Arg::No),
            long("one-file-system", Arg::No),
            long("preserve-root", Arg::Optional),
            long("no-preserve-root", Arg::No),
        ];
        let parsed = getopt::parse(args, OPTS).map_err(|o| unsupported(format!("rm: {o}")))?;
        let recursive = parsed.has("r") || parsed.has("recursive");
        let mut calls = Vec::new();
        for path in &parsed.operands {
            let path = self.operand(path)?;
            self.put_file(&path, None);
            calls.push(Call::Remove { path, recursive });
        }
        Effect::ok(calls)
    }

    fn rmdir(&mut self, args: &[String]) -> Result<Effect, Why> {
        const OPTS: &[getopt::Opt] = &[
            long("ignore-fail-on-non-empty", Arg::No),
            opt('p', "parents", Arg::No),
            opt('v', "verbose", Arg::No),
        ];
        let parsed = getopt::parse(args, OPTS).map_err(|o| unsupported(format!("rmdir: {o}")))?;
        if parsed.has("parents") {
            return Err(unsupported("`rmdir --parents` is not modelled"));
        }
        let mut calls = Vec::new();
        for path in &parsed.operands {
            let path = self.operand(path)?;
            self.put_file(&path, None);
            calls.push(Call::Rmdir { path });
        }
        Effect::ok(calls)
    }

    fn touch(&mut self, args: &[String]) -> Result<Effect, Why> {
        const OPTS: &[getopt::Opt] = &[
            opt('a', "a", Arg::No),
            opt('c', "no-create", Arg::No),
            opt('d', "date", Arg::Required),
            opt('f', "f", Arg::No),
            opt('h', "no-dereference", Arg::No),
            opt('m', "m", Arg::No),
            opt('r', "reference", Arg::Required),
            opt('t', "t", Arg::Required),
            long("time", Arg::Required),
        ];
        let parsed = getopt::parse(args, OPTS).map_err(|o| unsupported(format!("touch: {o}")))?;
        if parsed.has("no-create") {
            // Only times change, and only of files that exist.
            return Effect::ok(Vec::new());
        }
        let mut calls = Vec::new();
        for path in &parsed.operands {
            let path = self.operand(path)?;
            if self.file(&path, true).is_none() {
                self.put_file(&path, Some(FileKind::File));
            }
            calls.push(Call::Touch { path });
        }
        Effect::ok(calls)
    }

    fn chown(&mut self, name: &str, args: &[String]) -> Result<Effect, Why> {
        const OPTS: &[getopt::Opt] = &[
            opt('R', "recursive", Arg::No),
            opt('h', "no-dereference", Arg::No),
            opt('H', "H", Arg::No),
            opt('L', "L", Arg::No),
            opt('P', "P", Arg::No),
            opt('c', "changes", Arg::No),
            opt('f', "silent", Arg::No),
            long("quiet", Arg::No),
            opt('v', "verbose", Arg::No),
            long("dereference", Arg::No),
            long("from", Arg::Required),
            long("reference", Arg::Required),
            long("preserve-root", Arg::No),
            long("no-preserve-root", Arg::No),
        ];
        let parsed = getopt::parse(args, OPTS).map_err(|o| unsupported(format!("{name}: {o}")))?;
        if let Some(o) = parsed.first_of(&["reference", "from"]) {
            return Err(unsupported(format!("`{name} --{o}` is not modelled")));
        }
        let recursive = parsed.has("recursive");
        let [spec, files @ ..] = parsed.operands.as_slice() else {
            return Err(unsupported(format!("{name} without operands")));
        };
        let (owner, group) = if name == "chgrp" {
            (None, Some(spec.clone()))
        } else {
            match spec.split_once(':').or_else(|| spec.split_once('.')) {
                Some((_, "")) => {
                    return Err(unsupported(format!(
                        "`{spec}` (the owner's login group) is not modelled"
                    )));
                }
                Some(("", group)) => (None, Some(group.to_owned())),
                Some((owner, group)) => (Some(owner.to_owned()), Some(group.to_owned())),
                None => (Some(spec.clone()), None),
            }
        };
        let mut calls = Vec::new();
        for file in files {
            calls.push(Call::Chown {
                owner: owner.clone(),
                group: group.clone(),
                path: self.operand(file)?,
                recursive,
            });
        }
        Effect::ok(calls)
    }

    fn chmod(&mut self, args: &[String]) -> Result<Effect, Why> {
        const OPTS: &[getopt::Opt] = &[
            opt('R', "recursive", Arg::No),
            opt('c', "changes", Arg::No),
            opt('f', "silent", Arg::No),
            long("quiet", Arg::No),
            opt('v', "verbose", Arg::No),
            long("reference", Arg::Required),
            long("preserve-root", Arg::No),
            long("no-preserve-root", Arg::No),
        ];
        let parsed = getopt::parse(args, OPTS).map_err(|o| unsupported(format!("chmod: {o}")))?;
        if parsed.has("reference") {
            return Err(unsupported("`chmod --reference` is not modelled"));
        }
        let recursive = parsed.has("recursive");
        let [mode, files @ ..] = parsed.operands.as_slice() else {
            return Err(unsupported("chmod without operands"));
        };
        let mode = octal(mode)?;
        let mut calls = Vec::new();
        for file in files {
            calls.push(Call::Chmod {
                mode,
                path: self.operand(file)?,
                recursive,
            });
        }
        Effect::ok(calls)
    }
}

fn update_alternatives(args: &[String]) -> Result<Effect, Why> {
    let mut install: Option<Call> = None;
    let mut other: Option<Call> = None;
    let mut query = false;
    let mut i = 0;
    let take = |i: &mut usize, n: usize, what: &str| -> Result<Vec<String>, Why> {
        let got = args.get(*i..*i + n).ok_or_else(|| {
            unsupported(format!("update-alternatives {what} needs {n} arguments"))
        })?;
        *i += n;
        Ok(got.to_vec())
    };
    while i < args.len() {
        let arg = args[i].as_str();
        i += 1;
        match arg {
            "--install" => {
                let v = take(&mut i, 4, arg)?;
                let priority = v[3].parse::<i64>().map_err(|_| {
                    unsupported(format!("the priority `{}` is not an integer", v[3]))
                })?;
                install = Some(Call::AlternativeInstall {
                    link: paths::normalize(&v[0]),
                    name: v[1].clone(),
                    path: paths::normalize(&v[2]),
                    priority,
                    slaves: Vec::new(),
                });
            }
            "--slave" => {
                let v = take(&mut i, 3, arg)?;
                match &mut install {
                    Some(Call::AlternativeInstall { slaves, .. }) => slaves.push(Slave {
                        link: paths::normalize(&v[0]),
                        name: v[1].clone(),
                        path: paths::normalize(&v[2]),
                    }),
                    _ => return Err(unsupported("`--slave` without `--install`")),
                }
            }
            "--remove" => {
                let v = take(&mut i, 2, arg)?;
                other = Some(Call::AlternativeRemove {
                    name: v[0].clone(),
                    path: paths::normalize(&v[1]),
                });
            }
            "--set" => {
                let v = take(&mut i, 2, arg)?;
                other = Some(Call::AlternativeSet {
                    name: v[0].clone(),
                    path: paths::normalize(&v[1]),
                });
            }
            "--auto" => {
                let v = take(&mut i, 1, arg)?;
                other = Some(Call::AlternativeAuto { name: v[0].clone() });
            }
            "--display" | "--query" | "--list" | "--config" => {
                take(&mut i, 1, arg)?;
                query = true;
            }
            "--get-selections" | "--all" => query = true,
            "--force" | "--quiet" | "--verbose" | "--debug" | "--skip-auto" => {}
            "--log" => {
                take(&mut i, 1, arg)?;
            }
            _ if arg.starts_with("--log=") => {}
            _ => {
                return Err(unsupported(format!(
                    "`update-alternatives {arg}` is not modelled"
                )));
            }
        }
    }
    match (install, other) {
        (Some(call), None) | (None, Some(call)) => Effect::ok(vec![call]),
        (None, None) if query => Ok(Effect {
            calls: Vec::new(),
            status: Status::Unknown,
        }),
        _ => Err(unsupported("update-alternatives needs exactly one action")),
    }
}

fn ucfr(args: &[String]) -> Result<Effect, Why> {
    const OPTS: &[getopt::Opt] = &[
        opt('h', "help", Arg::No),
        opt('d', "debug", Arg::Optional),
        opt('D', "DEBUG", Arg::Optional),
        opt('f', "force", Arg::No),
        opt('n', "no-action", Arg::No),
        opt('v', "verbose", Arg::No),
        opt('p', "purge", Arg::No),
        long("state-dir", Arg::Required),
    ];
    let parsed = getopt::parse(args, OPTS).map_err(|o| unsupported(format!("ucfr: {o}")))?;
    if parsed.has("purge") {
        return Err(unsupported("`ucfr --purge` is not modelled"));
    }
    if parsed.has("no-action") || parsed.has("help") {
        return Effect::ok(Vec::new());
    }
    let [package, dest] = parsed.operands.as_slice() else {
        return Err(unsupported("ucfr takes a package and a file"));
    };
    Effect::ok(vec![Call::Ucfr {
        package: package.clone(),
        dest: paths::normalize(dest),
    }])
}

fn dpkg_statoverride(args: &[String]) -> Result<Effect, Why> {
    let mut action = None;
    let mut update = false;
    let mut operands = Vec::new();
    let mut i = 0;
    while i < args.len() {
        let arg = args[i].as_str();
        i += 1;
        match arg {
            "--add" | "--remove" | "--list" => action = Some(arg),
            "--update" => update = true,
            "--quiet" | "--force" => {}
            _ if arg.starts_with("--force-") || arg.starts_with("--no-force-") => {}
            "--root" | "--admindir" | "--instdir" => {
                return Err(unsupported(format!(
                    "`dpkg-statoverride {arg}` is not modelled"
                )));
            }
            "--" => {
                operands.extend(args[i..].iter().cloned());
                break;
            }
            _ if arg.starts_with("--") => {
                return Err(unsupported(format!(
                    "`dpkg-statoverride {arg}` is not modelled"
                )));
            }
            _ => operands.push(args[i - 1].clone()),
        }
    }
    match (action, operands.as_slice()) {
        // A fresh image has no overrides: `--list` prints nothing and fails.
        (Some("--list"), _) => Ok(Effect {
            calls: Vec::new(),
            status: Status::FAIL,
        }),
        (Some("--add"), [user, group, mode, path]) => Effect::ok(vec![Call::StatOverride {
            user: user.clone(),
            group: group.clone(),
            mode: octal(mode)?,
            path: paths::normalize(path),
            update,
        }]),
        (Some("--remove"), _) => Err(unsupported("`dpkg-statoverride --remove` is not modelled")),
        _ => Err(unsupported(
            "this dpkg-statoverride command line is not understood",
        )),
    }
}

fn id_number(value: &str, what: &str) -> Result<u32, Why> {
    value
        .parse()
        .map_err(|_| unsupported(format!("the {what} `{value}` is not a number")))
}

fn adduser(name: &str, args: &[String]) -> Result<Effect, Why> {
    const OPTS: &[getopt::Opt] = &[
        long("system", Arg::No),
        long("group", Arg::No),
        long("home", Arg::Required),
        long("shell", Arg::Required),
        long("uid", Arg::Required),
        long("gid", Arg::Required),
        long("ingroup", Arg::Required),
        long("gecos", Arg::Required),
        long("comment", Arg::Required),
        long("firstuid", Arg::Required),
        long("lastuid", Arg::Required),
        long("firstgid", Arg::Required),
        long("lastgid", Arg::Required),
        long("no-create-home", Arg::No),
        long("disabled-password", Arg::No),
        long("disabled-login", Arg::No),
        long("add-extra-groups", Arg::No),
        long("add_extra_groups", Arg::No),
        long("allow-badname", Arg::No),
        long("allow-bad-names", Arg::No),
        long("allow-all-names", Arg::No),
        long("force-badname", Arg::No),
        long("encrypt-home", Arg::No),
        opt('q', "quiet", Arg::No),
        long("verbose", Arg::No),
        long("debug", Arg::No),
        opt('c', "conf", Arg::Required),
        long("stdoutmsglevel", Arg::Required),
        long("stderrmsglevel", Arg::Required),
        long("logmsglevel", Arg::Required),
        long("extrausers", Arg::No),
    ];
    // Perl's Getopt::Long also takes `-system`.
    let args: Vec<String> = args
        .iter()
        .map(|a| {
            if a.len() > 2 && a.starts_with('-') && !a.starts_with("--") {
                format!("-{a}")
            } else {
                a.clone()
            }
        })
        .collect();
    let parsed = getopt::parse(&args, OPTS).map_err(|o| unsupported(format!("{name}: {o}")))?;
    if let Some(o) = parsed.first_of(&["conf", "encrypt-home", "extrausers"]) {
        return Err(unsupported(format!("`{name} --{o}` is not modelled")));
    }
    let system = parsed.has("system");
    let gid = parsed
        .value("gid")
        .map(|g| id_number(g, "gid"))
        .transpose()?;
    let group_mode = name == "addgroup" || (parsed.has("group") && !system);
    let call = match (group_mode, parsed.operands.as_slice()) {
        (true, [group]) => Call::AddGroup(NewGroup {
            name: group.clone(),
            tool: AccountTool::Adduser,
            system,
            gid,
        }),
        (_, [user, group]) if !system => Call::AddUserToGroup {
            user: user.clone(),
            group: group.clone(),
        },
        (false, [user]) => Call::AddUser(NewUser {
            name: user.clone(),
            tool: AccountTool::Adduser,
            system,
            uid: parsed
                .value("uid")
                .map(|u| id_number(u, "uid"))
                .transpose()?,
            group: parsed
                .value("ingroup")
                .map(str::to_owned)
                .or_else(|| gid.map(|g| g.to_string())),
            user_group: parsed.has("group").then_some(true),
            home: parsed.value("home").map(str::to_owned),
            create_home: parsed.has("no-create-home").then_some(false),
            shell: parsed.value("shell").map(str::to_owned),
            gecos: parsed
                .value("gecos")
                .or_else(|| parsed.value("comment"))
                .map(str::to_owned),
            extra_groups: Vec::new(),
            disabled_password: parsed.has("disabled-password"),
            disabled_login: parsed.has("disabled-login"),
        }),
        _ => {
            return Err(unsupported(format!(
                "this `{name}` command line is not understood"
            )));
        }
    };
    Effect::ok(vec![call])
}

fn useradd(args: &[String]) -> Result<Effect, Why> {
    const OPTS: &[getopt::Opt] = &[
        opt('b', "base-dir", Arg::Required),
        opt('c', "comment", Arg::Required),
        opt('d', "home-dir", Arg::Required),
        opt('D', "defaults", Arg::No),
        opt('e', "expiredate", Arg::Required),
        opt('f', "inactive", Arg::Required),
        opt('F', "add-subids-for-system", Arg::No),
        opt('g', "gid", Arg::Required),
        opt('G', "groups", Arg::Required),
        opt('k', "skel", Arg::Required),
        opt('K', "key", Arg::Required),
        opt('l', "no-log-init", Arg::No),
        opt('m', "create-home", Arg::No),
        opt('M', "no-create-home", Arg::No),
        opt('N', "no-user-group", Arg::No),
        opt('o', "non-unique", Arg::No),
        opt('p', "password", Arg::Required),
        opt('r', "system", Arg::No),
        opt('R', "root", Arg::Required),
        opt('P', "prefix", Arg::Required),
        opt('s', "shell", Arg::Required),
        opt('u', "uid", Arg::Required),
        opt('U', "user-group", Arg::No),
        opt('Z', "selinux-user", Arg::Required),
    ];
    let parsed = getopt::parse(args, OPTS).map_err(|o| unsupported(format!("useradd: {o}")))?;
    if let Some(o) = parsed.first_of(&["defaults", "root", "prefix", "base-dir", "skel"]) {
        return Err(unsupported(format!("`useradd --{o}` is not modelled")));
    }
    let [user] = parsed.operands.as_slice() else {
        return Err(unsupported("useradd takes one login name"));
    };
    let user_group = match (parsed.has("user-group"), parsed.has("no-user-group")) {
        (true, _) => Some(true),
        (_, true) => Some(false),
        _ => None,
    };
    let create_home = match (parsed.has("create-home"), parsed.has("no-create-home")) {
        (true, _) => Some(true),
        (_, true) => Some(false),
        _ => None,
    };
    Effect::ok(vec![Call::AddUser(NewUser {
        name: user.clone(),
        tool: AccountTool::Useradd,
        system: parsed.has("system"),
        uid: parsed
            .value("uid")
            .map(|u| id_number(u, "uid"))
            .transpose()?,
        group: parsed.value("gid").map(str::to_owned),
        user_group,
        home: parsed.value("home-dir").map(str::to_owned),
        create_home,
        shell: parsed.value("shell").map(str::to_owned),
        gecos: parsed.value("comment").map(str::to_owned),
        extra_groups: parsed
            .value("groups")
            .map(|g| {
                g.split(',')
                    .filter(|s| !s.is_empty())
                    .map(str::to_owned)
                    .collect()
            })
            .unwrap_or_default(),
        disabled_password: false,
        disabled_login: false,
    })])
}

fn groupadd(args: &[String]) -> Result<Effect, Why> {
    const OPTS: &[getopt::Opt] = &[
        opt('f', "force", Arg::No),
        opt('g', "gid", Arg::Required),
        opt('K', "key", Arg::Required),
        opt('o', "non-unique", Arg::No),
        opt('p', "password", Arg::Required),
        opt('r', "system", Arg::No),
        opt('R', "root", Arg::Required),
        opt('P', "prefix", Arg::Required),
        opt('U', "users", Arg::Required),
    ];
    let parsed = getopt::parse(args, OPTS).map_err(|o| unsupported(format!("groupadd: {o}")))?;
    if let Some(o) = parsed.first_of(&["root", "prefix", "users"]) {
        return Err(unsupported(format!("`groupadd --{o}` is not modelled")));
    }
    let [group] = parsed.operands.as_slice() else {
        return Err(unsupported("groupadd takes one group name"));
    };
    Effect::ok(vec![Call::AddGroup(NewGroup {
        name: group.clone(),
        tool: AccountTool::Useradd,
        system: parsed.has("system"),
        gid: parsed
            .value("gid")
            .map(|g| id_number(g, "gid"))
            .transpose()?,
    })])
}

fn usermod(args: &[String]) -> Result<Effect, Why> {
    const OPTS: &[getopt::Opt] = &[
        opt('a', "append", Arg::No),
        opt('G', "groups", Arg::Required),
    ];
    let parsed = getopt::parse(args, OPTS).map_err(|o| {
        unsupported(format!(
            "usermod: {o} (only `-a -G GROUPS USER` is modelled)"
        ))
    })?;
    match (
        parsed.has("append"),
        parsed.value("groups"),
        parsed.operands.as_slice(),
    ) {
        (true, Some(groups), [user]) => Effect::ok(
            groups
                .split(',')
                .filter(|g| !g.is_empty())
                .map(|g| Call::AddUserToGroup {
                    user: user.clone(),
                    group: g.to_owned(),
                })
                .collect(),
        ),
        _ => Err(unsupported("only `usermod -a -G GROUPS USER` is modelled")),
    }
}

fn gpasswd(args: &[String]) -> Result<Effect, Why> {
    match args {
        [flag, user, group] if flag == "-a" || flag == "--add" => {
            Effect::ok(vec![Call::AddUserToGroup {
                user: user.clone(),
                group: group.clone(),
            }])
        }
        _ => Err(unsupported("only `gpasswd -a USER GROUP` is modelled")),
    }
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
    fn modes() {
        assert_eq!(octal("01733").ok(), Some(0o1733));
        assert_eq!(octal("755").ok(), Some(0o755));
        assert!(octal("u+x").is_err());
        assert!(octal("9").is_err());
    }
}
