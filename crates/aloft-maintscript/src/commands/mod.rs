//! Dispatching a simple command: special builtins, script functions, the known commands
//! (parsed into [`Call`]s as the real tools parse their arguments), queries, ignored and
//! unknown commands. What each command does lives beside what it models: shell builtins,
//! queries, file commands, Debian's tools, account tools.

mod accounts;
mod builtins;
mod debian_tools;
mod files;
mod queries;

use self::accounts::{adduser, gpasswd, groupadd, useradd, usermod};
use self::debian_tools::{
    apache_tool, dpkg_divert, dpkg_statoverride, ucfr, update_alternatives, update_xmlcatalog,
};
use crate::classify::{
    bytecode_compile_reason, ignored_reason, is_query, known_status, runtime_only_reason,
};
use crate::getopt;
use crate::redirect::Cmd;
use crate::shell::{Flow, Func, Positional, Shell, Status, Value};
use crate::{Call, FileKind, Why};

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

/// `args` parsed as `tool` parses them (`getopt_long`); an option it does not take is
/// a command line the reader does not model.
fn options(tool: &str, args: &[String], opts: &[getopt::Opt]) -> Result<getopt::Parsed, Why> {
    getopt::parse(args, opts).map_err(|o| unsupported(format!("{tool}: {o}")))
}

fn unsupported(what: impl Into<String>) -> Why {
    Why::Unsupported(what.into())
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
        // Inside a capture, what a command sends away (`f >/dev/null`) is not captured:
        // its commands print into a frame of their own, dropped after.
        let throwaway = !self.captures.is_empty() && cmd.redirs.discarded;
        if throwaway {
            self.captures.push((String::new(), None));
        }
        let flow = self.dispatch_here(cmd, name, args, positional, bypass_functions);
        if throwaway {
            self.captures.pop();
        }
        flow
    }

    fn dispatch_here(
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

        // Inside a command substitution that runs: what the command prints is captured.
        if !self.captures.is_empty()
            && !cmd.redirs.discarded
            && let Some(flow) = self.capture_output(cmd, name, &args, bypass_functions)
        {
            return flow;
        }

        // Special builtins come before functions.
        if let Some(flow) = self.special_builtin(cmd, name, &args) {
            return flow;
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

    /// In a command substitution being run: a command whose output is known adds it to
    /// the capture (and is done); a function, or a command that prints nothing, runs as
    /// usual (`None`); any other command makes the capture's text unknown, and runs.
    fn capture_output(
        &mut self,
        cmd: &Cmd<'p>,
        name: &str,
        args: &Result<Vec<String>, String>,
        bypass_functions: bool,
    ) -> Option<Flow> {
        // A function's or eval's commands capture their own output.
        if (!bypass_functions && self.functions.contains_key(name)) || name == "eval" {
            return None;
        }
        if prints_nothing(name, args.as_deref().unwrap_or_default()) {
            return None;
        }
        let why = match args {
            Ok(args) => {
                let input = match &cmd.redirs.heredoc {
                    Some(Ok(text)) => Some(text.clone()),
                    Some(Err(why)) => return self.capture_unknown(why.clone()),
                    // `wc -l < FILE`: not the input of what the command is in.
                    None if cmd.redirs.input_redirected => None,
                    None => self.input.last().cloned().flatten(),
                };
                let argv = [&[name.to_owned()], args.as_slice()].concat();
                match self.known_output(&argv, input.as_deref()) {
                    Ok((text, status)) => {
                        if let Some((captured, _)) = self.captures.last_mut() {
                            captured.push_str(&text);
                        }
                        self.last = Status::Known(status);
                        return Some(Flow::Next);
                    }
                    Err(why) => why,
                }
            }
            Err(why) => why.clone(),
        };
        self.capture_unknown(why)
    }

    /// Marks the innermost capture's text as not known; the command still runs.
    fn capture_unknown(&mut self, why: String) -> Option<Flow> {
        if let Some((_, unknown)) = self.captures.last_mut() {
            unknown.get_or_insert(why);
        }
        None
    }

    fn with_unknown_args(&mut self, cmd: &Cmd<'p>, name: &str, why: String) -> Flow {
        if let Some(status) = known_status(name, None) {
            self.last = Status::Known(status);
            return Flow::Next;
        }
        if let Some(reason) =
            ignored_reason(name).or_else(|| bytecode_compile_reason(name, &cmd.text))
        {
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
            Func::ApacheInvoke | Func::ApacheSwitchMpm => {
                match args {
                    Ok(args) => match debian_tools::apache_helper(&func, &args) {
                        Ok(Some(call)) => self.emit(cmd.line, call),
                        Ok(None) => {}
                        Err(why) => self.skip(cmd.line, &cmd.text, why),
                    },
                    Err(why) => self.skip(cmd.line, &cmd.text, Why::Undecidable(why)),
                }
                self.last = Status::OK;
                Flow::Next
            }
            Func::PhpInvoke => {
                match args.as_deref() {
                    Ok([action, version, sapi, module]) if action == "enmod" => {
                        // phpenmod registers the module, which `phpquery -M` lists.
                        let registry = format!("/var/lib/php/modules/{version}/registry");
                        self.put_dirs(&registry);
                        self.put_file(&format!("{registry}/{module}"), Some(FileKind::File));
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

    /// Builtins and external commands; `None` leaves the status as set.
    pub(crate) fn regular(&mut self, cmd: &Cmd<'p>, name: &str, args: &[String]) -> Option<Status> {
        let line = cmd.line;
        match name {
            "false" | "echo" | "printf" | "wait" | "alias" | "unalias" | "kill" | "getopts"
            | "cd" | "umask" | "read" => return self.regular_builtin(cmd, name, args),
            "[" | "test" | "command" | "type" | "hash" | "which" | "getent" | "id" | "dpkg"
            | "su" | "runuser" | "ls" => {
                return Some(self.query(cmd, name, args));
            }
            _ => {}
        }
        if let Some(status) = known_status(name, Some(args)) {
            return Some(Status::Known(status));
        }
        if let Some(reason) =
            ignored_reason(name).or_else(|| bytecode_compile_reason(name, &cmd.text))
        {
            self.ignore(line, cmd.shown.clone(), reason);
            if name.starts_with("db_") {
                if let Some(status) = self.debconf(name, args) {
                    return Some(status);
                }
                self.set_var(
                    "RET",
                    Value::Unknown(format!("`RET` is set by debconf (`{}`)", cmd.shown)),
                );
            }
            self.unknown(format!("the exit status of `{}` is not known", cmd.shown));
            return None;
        }
        // `update-alternatives --query NAME`, `--list NAME`: answered from the
        // alternatives registered so far.
        if name == "update-alternatives"
            && let Ok((_, status)) = self.known_output(&[&[name.to_owned()], args].concat(), None)
        {
            return Some(Status::Known(status));
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
        // `find` over the image, whose action has nothing to act on (redis-server's
        // `find /etc/redis ... -empty -delete`).
        if name == "find"
            && let Some((_, status)) = self.find(args)
        {
            return Some(Status::Known(status));
        }
        // A filter reading image files (`grep -q PATTERN /etc/FILE`).
        if crate::filters::is_filter(name)
            && let Ok((_, status)) = self.known_output(&[&[name.to_owned()], args].concat(), None)
        {
            return Some(Status::Known(status));
        }
        if is_query(name, args) {
            // A query whose output is known has a known status too (`dpkg-query
            // --control-path P >/dev/null`, `stat`).
            if let Ok((_, status)) = self.known_output(&[&[name.to_owned()], args].concat(), None) {
                return Some(Status::Known(status));
            }
            self.unknown(format!("the exit status of `{}` is not known", cmd.shown));
            return None;
        }
        if let Some(reason) = runtime_only_reason(name) {
            self.skip(line, &cmd.text, Why::AtRuntime(reason.to_owned()));
            self.unknown(format!("`{}` was skipped", cmd.shown));
            return None;
        }
        if let Some(status) = self.run_helper(cmd, name, args) {
            return Some(status);
        }
        self.skip(line, &cmd.text, Why::UnknownCommand);
        self.unknown(format!("`{}` is not a known command", cmd.shown));
        None
    }

    /// debconf in a non-interactive install that was asked nothing, as image builders
    /// run apt: `db_get` gives what the script set with `db_set`, else the question's
    /// default from the templates, and `db_fget QUESTION seen` is false. `None` (and
    /// `$RET` unknown) for a question no template defines, or without the templates.
    fn debconf(&mut self, name: &str, args: &[String]) -> Option<Status> {
        match (name, args) {
            ("db_get", [question]) => {
                let value = match self.debconf_set.get(question) {
                    Some(value) => value.clone(),
                    None => (self.ctx.debconf?)(question)?,
                };
                self.set_var("RET", Value::Set(value));
                Some(Status::OK)
            }
            ("db_set", [question, value @ ..]) => {
                self.debconf_set.insert(question.clone(), value.join(" "));
                Some(Status::OK)
            }
            ("db_fget", [question, flag]) if flag == "seen" => {
                (self.ctx.debconf?)(question)?;
                self.set_var("RET", Value::Set("false".to_owned()));
                Some(Status::OK)
            }
            _ => None,
        }
    }

    /// A shell script of the image run as a command (`/usr/share/mysql-common/
    /// configure-symlinks install mariadb /etc/mysql/mariadb.cnf`): read with its arguments,
    /// its calls made here, what it does that is not read listed as this line's.
    fn run_helper(&mut self, cmd: &Cmd<'p>, name: &str, args: &[String]) -> Option<Status> {
        let scripts = self.ctx.scripts?;
        let path = if name.starts_with('/') {
            (self.file(name, true) == Some(FileKind::Executable)).then(|| name.to_owned())?
        } else {
            self.which(name)?
        };
        let text = scripts(&path)?;
        let reading = crate::read_helper(&text, self.ctx, args, self.helper_depth)?;
        for call in reading.calls {
            self.note_account(&call.value);
            self.emit(cmd.line, call.value);
        }
        let clean = reading.skipped.is_empty();
        for skipped in reading.skipped {
            self.skip(
                cmd.line,
                format!("{path}:{}: {}", skipped.line, skipped.text),
                skipped.why,
            );
        }
        if clean {
            Some(Status::OK)
        } else {
            self.unknown(format!("`{}` was read in part", cmd.shown));
            Some(Status::Unknown)
        }
    }

    /// Remembers the accounts a call creates, for later `getent`/`id`, the diversions
    /// it makes, for later `dpkg-divert` queries, and the alternatives it changes, for
    /// later `update-alternatives --query`.
    fn note_account(&mut self, call: &Call) {
        match call {
            Call::Chmod {
                path, recursive, ..
            }
            | Call::Chown {
                path, recursive, ..
            } => {
                let resolved = crate::paths::lookup(&|q| self.lstat_now(q), path, true)
                    .map_or_else(|| path.clone(), |(resolved, _)| resolved);
                self.meta_changed.insert(resolved, *recursive);
            }
            Call::StatOverride { path, .. } => {
                self.meta_changed.insert(path.clone(), false);
            }
            Call::AlternativeInstall {
                link,
                name,
                path,
                priority,
                slaves,
            } => {
                // Without the image's alternatives, this one's other choices are unknown.
                let Some(current) = self.alternative(name) else {
                    return;
                };
                let mut alternative = current.unwrap_or_default();
                alternative.link = link.clone();
                alternative.choices.retain(|c| c.path != *path);
                // update-alternatives refuses a path that does not exist.
                if crate::paths::lookup(&|q| self.lstat_now(q), path, true).is_some() {
                    let slave_paths = slaves
                        .iter()
                        .map(|s| (s.name.clone(), s.path.clone()))
                        .collect();
                    alternative.choices.push(crate::AlternativeChoice {
                        path: path.clone(),
                        priority: *priority,
                        slaves: slave_paths,
                    });
                }
                for slave in slaves {
                    if !alternative.slaves.iter().any(|(n, _)| *n == slave.name) {
                        alternative
                            .slaves
                            .push((slave.name.clone(), slave.link.clone()));
                    }
                }
                let left = (!alternative.choices.is_empty()).then_some(alternative);
                self.alternatives_made.insert(name.clone(), left);
            }
            Call::AlternativeRemove { name, path } => {
                if let Some(Some(mut alternative)) = self.alternative(name) {
                    alternative.choices.retain(|c| c.path != *path);
                    if alternative.manual.as_ref() == Some(path) {
                        alternative.manual = None;
                    }
                    let left = (!alternative.choices.is_empty()).then_some(alternative);
                    self.alternatives_made.insert(name.clone(), left);
                }
            }
            Call::AlternativeSet { name, path } => {
                if let Some(Some(mut alternative)) = self.alternative(name)
                    && alternative.choices.iter().any(|c| c.path == *path)
                {
                    alternative.manual = Some(path.clone());
                    self.alternatives_made
                        .insert(name.clone(), Some(alternative));
                }
            }
            Call::AlternativeAuto { name } => {
                if let Some(Some(mut alternative)) = self.alternative(name) {
                    alternative.manual = None;
                    self.alternatives_made
                        .insert(name.clone(), Some(alternative));
                }
            }
            Call::Divert {
                path,
                package,
                divert_to,
                remove,
            } => {
                let diversion = (!remove).then(|| (package.clone(), divert_to.clone()));
                self.diversions_made.insert(path.clone(), diversion);
            }
            Call::AddUser(user) => {
                // Its primary group where the call names it (`--group`, `--ingroup G`).
                let primary = match (&user.user_group, &user.group) {
                    (Some(true), _) => Some(user.name.clone()),
                    (_, Some(group)) if !group.bytes().all(|b| b.is_ascii_digit()) => {
                        Some(group.clone())
                    }
                    _ => None,
                };
                // Only for a user that is new: adduser leaves an existing one as it is.
                let existed = (self.ctx.accounts)(crate::Account::User(&user.name)) == Some(true)
                    || self.accounts_made.contains(&(false, user.name.clone()));
                if let Some(primary) = primary.filter(|_| !existed) {
                    let mut groups = vec![primary];
                    groups.extend(user.extra_groups.iter().cloned());
                    self.user_groups.insert(user.name.clone(), groups);
                }
                self.accounts_made.insert((false, user.name.clone()));
                if user.user_group == Some(true) {
                    self.accounts_made.insert((true, user.name.clone()));
                }
            }
            Call::AddGroup(group) => {
                self.accounts_made.insert((true, group.name.clone()));
            }
            // The group's members and the user's groups change: what getent and id
            // print of them is no longer the start's.
            Call::AddUserToGroup { user, group } => {
                if let Some(groups) = self.user_groups.get_mut(user)
                    && !groups.contains(group)
                {
                    groups.push(group.clone());
                }
                self.accounts_made.insert((false, user.clone()));
                self.accounts_made.insert((true, group.clone()));
            }
            _ => {}
        }
    }

    /// The known commands with effects; `None` when `name` is not one of them.
    fn effect(&mut self, name: &str, args: &[String]) -> Option<Result<Effect, Why>> {
        Some(match name {
            "update-alternatives" => update_alternatives(args),
            "update-xmlcatalog" => update_xmlcatalog(args),
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
            "dpkg-divert" => {
                let exists = |path: &str| {
                    crate::paths::lookup(&|q| self.lstat_now(q), path, false).is_some()
                };
                let diverted = |path: &str| self.diverted(path).map(|d| d.is_some());
                dpkg_divert(args, &exists, &diverted)
            }
            "a2enmod" | "a2enconf" | "a2ensite" | "a2dismod" | "a2disconf" | "a2dissite" => {
                apache_tool(name, args)
            }
            "adduser" | "addgroup" => adduser(name, args),
            "useradd" => useradd(args),
            "groupadd" => groupadd(args),
            "usermod" => usermod(args),
            "gpasswd" => gpasswd(args),
            "pwconv" | "grpconv" if args.is_empty() => Effect::ok(vec![Call::ShadowOn {
                groups: name == "grpconv",
            }]),
            _ => return None,
        })
    }
}

/// Commands that print nothing on their standard output (builtins that only set state,
/// and the file utilities without `-v`): run inside a command substitution, they add
/// nothing to its text.
fn prints_nothing(name: &str, args: &[String]) -> bool {
    let verbose = args.iter().any(|a| {
        a == "--verbose"
            || a == "--changes"
            || (a.starts_with('-') && !a.starts_with("--") && (a.contains('v') || a.contains('c')))
    });
    let listing = args.is_empty() || args.iter().any(|a| a == "-p");
    match name {
        "[" | "test" | "true" | "false" | ":" | "shift" | "unset" | "return" | "exit" | "break"
        | "continue" | "read" | "wait" | "." | "source" => true,
        // With no operand (or `-p`) these list what they hold.
        "export" | "readonly" | "local" | "trap" => !listing && args[0] != "-l",
        "set" => !args.is_empty() && !matches!(args, [o] if o == "-o" || o == "+o"),
        "umask" => !args.is_empty() && !args.iter().any(|a| a == "-S"),
        "cd" => !matches!(args, [dash] if dash == "-"),
        "ln" | "mkdir" | "rm" | "rmdir" | "touch" | "chmod" | "chown" | "chgrp" | "cp" | "mv"
        | "install" => !verbose,
        _ => false,
    }
}
