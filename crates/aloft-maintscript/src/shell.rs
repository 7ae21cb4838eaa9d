//! The evaluator's state: variables, functions, positional parameters, the working directory,
//! the file overlay (what earlier calls created), and the reading being collected.

use std::collections::{HashMap, HashSet};

use brush_parser::ast;

use crate::paths;
use crate::{Call, Context, FileKind, Located, Reading, Script, Skipped, Why};

/// Simple commands evaluated before giving up (guards against runaway recursion).
const BUDGET: usize = 100_000;
/// Nested function calls and compound commands before giving up (the evaluator recurses).
pub(crate) const MAX_DEPTH: usize = 200;
/// Nested function calls before giving up.
pub(crate) const MAX_CALLS: usize = 32;
/// Iterations past which a `while` or `until` loop is not followed (a loop over a file's
/// lines stays far below).
pub(crate) const MAX_ITERATIONS: usize = 10_000;

/// A shell variable's value as far as the reader knows it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum Value {
    Unset,
    Set(String),
    /// Set to something the reader cannot know; the text says why.
    Unknown(String),
}

/// Exit status of the last command.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Status {
    Known(i32),
    Unknown,
}

impl Status {
    pub(crate) const OK: Self = Self::Known(0);
    pub(crate) const FAIL: Self = Self::Known(1);

    pub(crate) fn from_bool(ok: bool) -> Self {
        if ok { Self::OK } else { Self::FAIL }
    }

    pub(crate) fn from_option(ok: Option<bool>) -> Self {
        ok.map_or(Self::Unknown, Self::from_bool)
    }

    /// `Some(true)` when the command succeeded.
    pub(crate) fn success(self) -> Option<bool> {
        match self {
            Self::Known(code) => Some(code == 0),
            Self::Unknown => None,
        }
    }
}

/// How evaluation continues after a command.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Flow {
    Next,
    Exit,
    Return,
    Break(usize),
    Continue(usize),
    /// The budget ran out: stop everything.
    Halt,
}

/// A function the script can call.
#[derive(Debug, Clone)]
pub(crate) enum Func<'p> {
    Script(&'p ast::FunctionBody),
    /// `php_invoke` from php-maintscript-helper.
    PhpInvoke,
    /// apache2-maintscript-helper's `apache2_invoke CMD NAME [ACTION]`.
    ApacheInvoke,
    /// apache2-maintscript-helper's `apache2_switch_mpm MPM`.
    ApacheSwitchMpm,
    /// A helper function without effects (`php_msg`).
    NoOp,
    /// Possibly (re)defined by code that was skipped.
    Unknown(String),
}

/// One call of a script function.
#[derive(Debug)]
pub(crate) struct Frame {
    pub(crate) line: usize,
    /// Variables made `local` here, with the value to restore (None: was not in the map).
    pub(crate) locals: Vec<(String, Option<Value>)>,
}

/// Positional parameters.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum Positional {
    Known(Vec<Value>),
    Unknown(String),
}

/// Where the shell text the reader parses while it runs (a trap's handler) lives for as
/// long as the script's own program.
pub(crate) type ProgramArena = typed_arena::Arena<brush_parser::ast::Program>;

/// What a rolled-back evaluation restores: the reading's length and the state that
/// calls change (see [`Shell::snapshot`]).
pub(crate) struct Snapshot<'p> {
    calls: usize,
    skipped: usize,
    overlay: HashMap<String, Option<FileKind>>,
    diversions_made: HashMap<String, Option<(Option<String>, String)>>,
    alternatives_made: HashMap<String, Option<crate::Alternative>>,
    accounts_made: HashSet<(bool, String)>,
    user_groups: HashMap<String, Vec<String>>,
    debconf_set: HashMap<String, String>,
    meta_changed: HashMap<String, bool>,
    umask: u32,
    exit_trap: Option<&'p brush_parser::ast::Program>,
    last: Status,
}

pub(crate) struct Shell<'p, 'c> {
    pub(crate) ctx: &'c Context<'c>,
    /// Programs parsed while reading (a trap's handler).
    pub(crate) arena: &'p ProgramArena,
    /// The standard input of what runs, when known (`while read ...; done < FILE`,
    /// `echo "$list" | while read ...`): the text not read yet, innermost last.
    pub(crate) input: Vec<Option<String>>,
    /// The output of the command substitutions being evaluated by running them, innermost
    /// last: the text so far, and why it is not known once a command printed something
    /// the reader cannot know.
    pub(crate) captures: Vec<(String, Option<String>)>,
    /// The groups of the users this script made, by name, where the calls name them:
    /// the primary group, then the others in the order added.
    pub(crate) user_groups: HashMap<String, Vec<String>>,
    /// How many times something was skipped or left undecided: a captured output is
    /// known only when nothing was, while it was captured.
    pub(crate) uncertain: usize,
    /// How deep `eval` and command substitutions run inside each other.
    pub(crate) nesting: usize,
    /// The file mode creation mask (`umask 066`).
    pub(crate) umask: u32,
    /// What runs when the script exits (`trap ACTION EXIT`), parsed.
    pub(crate) exit_trap: Option<&'p brush_parser::ast::Program>,
    pub(crate) vars: HashMap<String, Value>,
    pub(crate) positional: Positional,
    pub(crate) functions: HashMap<String, Func<'p>>,
    pub(crate) overlay: HashMap<String, Option<FileKind>>,
    pub(crate) cwd: Result<String, String>,
    pub(crate) last: Status,
    /// Why `last` is unknown, when it is.
    pub(crate) why: String,
    pub(crate) frames: Vec<Frame>,
    pub(crate) out: Reading,
    pub(crate) budget: usize,
    pub(crate) bash: bool,
    /// Subshell nesting; `exit` there ends only the subshell.
    pub(crate) subshells: usize,
    /// Compound commands and function calls being evaluated.
    pub(crate) depth: usize,
    /// Accounts created by earlier calls: (is a group, name).
    pub(crate) accounts_made: HashSet<(bool, String)>,
    /// How deep in helper scripts this reading is (0: the maintainer script itself).
    pub(crate) helper_depth: usize,
    /// Answers the script gave debconf itself (`db_set QUESTION VALUE`).
    pub(crate) debconf_set: HashMap<String, String>,
    /// How many names `mktemp` gave.
    pub(crate) temp_files: usize,
    /// The line of the command being read (what a `$(...)` in it makes is that line's).
    pub(crate) line: usize,
    /// The exit status of the last command substitution evaluated, when known.
    pub(crate) substitution_status: Option<i32>,
    /// Diversions this script made (`None`: removed), over the context's.
    pub(crate) diversions_made: HashMap<String, Option<(Option<String>, String)>>,
    /// Paths whose owner or mode this script changed (their metadata is no longer the
    /// image's), and whether everything below them changed too.
    pub(crate) meta_changed: HashMap<String, bool>,
    /// The alternatives this script registered or changed (`None`: it has none left).
    pub(crate) alternatives_made: HashMap<String, Option<crate::Alternative>>,
}

impl<'p, 'c> Shell<'p, 'c> {
    pub(crate) fn new(
        ctx: &'c Context<'c>,
        arena: &'p ProgramArena,
        script: Script,
        bash: bool,
    ) -> Self {
        let mut vars = HashMap::new();
        for (name, value) in [
            ("DPKG_ROOT", ""),
            // dpkg exports its database directory to maintainer scripts.
            ("DPKG_ADMINDIR", "/var/lib/dpkg"),
            ("DPKG_MAINTSCRIPT_NAME", script.name()),
            ("DPKG_MAINTSCRIPT_PACKAGE", ctx.package),
            ("IFS", " \t\n"),
        ] {
            vars.insert(name.to_owned(), Value::Set(value.to_owned()));
        }
        let arch = match ctx.architecture {
            Some(arch) => Value::Set(arch.to_owned()),
            None => Value::Unknown("the package's architecture is not known".to_owned()),
        };
        vars.insert("DPKG_MAINTSCRIPT_ARCH".to_owned(), arch);
        // Set only by dpkg-reconfigure or by hand, never by dpkg on an install; the
        // debugging switches of mariadb's and others' scripts likewise.
        for name in [
            "DEBCONF_RECONFIGURE",
            "DEBCONF_USE_CDEBCONF",
            "DEBIAN_SCRIPT_DEBUG",
            "DEBIAN_SCRIPT_TRACE",
            // An image builder's environment has no library path of its own (libc6's
            // postinst looks for stale libraries along it).
            "LD_LIBRARY_PATH",
        ] {
            vars.insert(name.to_owned(), Value::Unset);
        }
        // Image builders (mmdebstrap, `docker build` recipes) run apt non-interactively.
        vars.insert(
            "DEBIAN_FRONTEND".to_owned(),
            Value::Set("noninteractive".to_owned()),
        );
        Self {
            ctx,
            arena,
            exit_trap: None,
            umask: 0o022,
            uncertain: 0,
            nesting: 0,
            user_groups: HashMap::new(),
            input: Vec::new(),
            captures: Vec::new(),
            vars,
            positional: Positional::Known(
                script
                    .arguments()
                    .iter()
                    .map(|a| Value::Set((*a).to_owned()))
                    .collect(),
            ),
            functions: HashMap::new(),
            overlay: HashMap::new(),
            cwd: Ok("/".to_owned()),
            last: Status::OK,
            why: String::new(),
            frames: Vec::new(),
            out: Reading::default(),
            budget: BUDGET,
            bash,
            subshells: 0,
            depth: 0,
            accounts_made: HashSet::new(),
            debconf_set: HashMap::new(),
            temp_files: 0,
            line: 0,
            substitution_status: None,
            diversions_made: HashMap::new(),
            alternatives_made: HashMap::new(),
            meta_changed: HashMap::new(),
            helper_depth: 0,
        }
    }

    pub(crate) fn via(&self) -> Vec<usize> {
        self.frames.iter().map(|f| f.line).collect()
    }

    pub(crate) fn emit(&mut self, line: usize, call: Call) {
        let via = self.via();
        self.out.calls.push(Located {
            line,
            via,
            value: call,
        });
    }

    pub(crate) fn ignore(&mut self, line: usize, command: String, reason: &str) {
        self.emit(
            line,
            Call::Ignored {
                command,
                reason: reason.to_owned(),
            },
        );
    }

    pub(crate) fn skip(&mut self, line: usize, text: impl Into<String>, why: Why) {
        self.uncertain += 1;
        let via = self.via();
        self.out.skipped.push(Skipped {
            line,
            via,
            text: one_line(&text.into()),
            why,
        });
    }

    /// A variable's value; names the script never set come from the environment.
    pub(crate) fn var(&self, name: &str) -> Value {
        match self.vars.get(name) {
            Some(v) => v.clone(),
            None => Value::Unknown(format!(
                "`{name}` is not set by the script (it would come from the environment)"
            )),
        }
    }

    pub(crate) fn set_var(&mut self, name: &str, value: Value) {
        self.vars.insert(name.to_owned(), value);
    }

    /// `local NAME`: remember the value to restore when the function returns.
    pub(crate) fn make_local(&mut self, name: &str) {
        let previous = self.vars.get(name).cloned();
        if let Some(frame) = self.frames.last_mut()
            && !frame.locals.iter().any(|(n, _)| n == name)
        {
            frame.locals.push((name.to_owned(), previous));
        }
    }

    pub(crate) fn positional_value(&self, n: usize) -> Value {
        match &self.positional {
            Positional::Known(values) => values.get(n - 1).cloned().unwrap_or(Value::Unset),
            Positional::Unknown(why) => Value::Unknown(why.clone()),
        }
    }

    /// The working directory, or why it is unknown.
    pub(crate) fn cwd(&self) -> Result<&str, String> {
        self.cwd.as_deref().map_err(Clone::clone)
    }

    /// A path argument made absolute.
    pub(crate) fn abs(&self, path: &str) -> Result<String, String> {
        if path.starts_with('/') {
            Ok(paths::normalize(path))
        } else {
            Ok(paths::absolute(self.cwd()?, path))
        }
    }

    /// The diversion of `path` as the scripts so far left it (`Some(None)`: not
    /// diverted); `None` when the image's diversions are not known.
    pub(crate) fn diverted(&self, path: &str) -> Option<Option<(Option<String>, String)>> {
        match self.diversions_made.get(path) {
            Some(made) => Some(made.clone()),
            None => self.ctx.diversions.map(|diversions| diversions(path)),
        }
    }

    /// The alternative `name` as the scripts so far left it (`Some(None)`: there is
    /// none); `None` when the image's alternatives are not known.
    pub(crate) fn alternative(&self, name: &str) -> Option<Option<crate::Alternative>> {
        match self.alternatives_made.get(name) {
            Some(made) => Some(made.clone()),
            None => self.ctx.alternatives.map(|alternatives| alternatives(name)),
        }
    }

    /// The owner, group and mode of `path` (through symbolic links when `follow`) as
    /// the image ships it; `None` when not known: not a file of the image, or one this
    /// script made or changed.
    pub(crate) fn metadata_now(&self, path: &str, follow: bool) -> Option<crate::Metadata> {
        let path = self.abs(path).ok()?;
        let (resolved, _) = paths::lookup(&|q| self.lstat_now(q), &path, follow)?;
        let changed = self.meta_changed.iter().any(|(changed, below)| {
            *changed == resolved
                || (*below && resolved.starts_with(&format!("{}/", changed.trim_end_matches('/'))))
        });
        if self.overlay.contains_key(&resolved) || changed {
            return None;
        }
        (self.ctx.metadata?)(&resolved)
    }

    /// The mode of a file (`dir`: a directory) made now at `path` when the umask is not
    /// the usual 022: a `chmod` to 0666 (0777) less the umask. `None` under 022, where
    /// the image's defaults (0644, 0755) are the modes, or when `path` exists.
    pub(crate) fn umask_mode(&self, path: &str, dir: bool) -> Option<Call> {
        if self.umask == 0o022 || self.file(path, true).is_some() {
            return None;
        }
        let full = if dir { 0o777 } else { 0o666 };
        Some(Call::Chmod {
            mode: full & !self.umask,
            path: path.to_owned(),
            recursive: false,
        })
    }

    /// The state an evaluation that may be given up starts from.
    pub(crate) fn snapshot(&self) -> Snapshot<'p> {
        Snapshot {
            calls: self.out.calls.len(),
            skipped: self.out.skipped.len(),
            overlay: self.overlay.clone(),
            diversions_made: self.diversions_made.clone(),
            alternatives_made: self.alternatives_made.clone(),
            accounts_made: self.accounts_made.clone(),
            user_groups: self.user_groups.clone(),
            debconf_set: self.debconf_set.clone(),
            meta_changed: self.meta_changed.clone(),
            umask: self.umask,
            exit_trap: self.exit_trap,
            last: self.last,
        }
    }

    /// Gives up what was evaluated since `snapshot`: its calls, what it skipped and
    /// the state it changed. Returns how many calls were dropped.
    pub(crate) fn roll_back(&mut self, snapshot: Snapshot<'p>) -> usize {
        let dropped = self.out.calls.len().saturating_sub(snapshot.calls);
        self.out.calls.truncate(snapshot.calls);
        self.out.skipped.truncate(snapshot.skipped);
        self.overlay = snapshot.overlay;
        self.diversions_made = snapshot.diversions_made;
        self.alternatives_made = snapshot.alternatives_made;
        self.accounts_made = snapshot.accounts_made;
        self.user_groups = snapshot.user_groups;
        self.debconf_set = snapshot.debconf_set;
        self.meta_changed = snapshot.meta_changed;
        self.umask = snapshot.umask;
        self.exit_trap = snapshot.exit_trap;
        self.last = snapshot.last;
        dropped
    }

    /// `lstat` in the image as changed by the calls so far.
    pub(crate) fn lstat_now(&self, path: &str) -> Option<FileKind> {
        match self.overlay.get(path) {
            Some(kind) => kind.clone(),
            None => {
                // A removed ancestor hides what the oracle knows below it.
                let mut p = path;
                while p != "/" {
                    p = paths::parent(p);
                    if let Some(None) = self.overlay.get(p) {
                        return None;
                    }
                }
                (self.ctx.files)(path)
            }
        }
    }

    /// The names in directory `dir` (absolute) now: the image's listing with what the
    /// script made or removed there, none when there is no such directory; `None` when
    /// the image's listings are not known.
    pub(crate) fn list_now(&self, dir: &str) -> Option<Vec<String>> {
        let listing = self.ctx.listing?;
        let Some((resolved, FileKind::Dir)) = paths::lookup(&|p| self.lstat_now(p), dir, true)
        else {
            return Some(Vec::new());
        };
        let mut names: std::collections::BTreeSet<String> = if self.overlay.contains_key(&resolved)
        {
            // Made by the script: only what it made since is there.
            std::collections::BTreeSet::new()
        } else {
            listing(&resolved).unwrap_or_default().into_iter().collect()
        };
        for (path, kind) in &self.overlay {
            if path != "/" && paths::parent(path) == resolved {
                let name = paths::basename(path).to_owned();
                match kind {
                    Some(_) => names.insert(name),
                    None => names.remove(&name),
                };
            }
        }
        Some(names.into_iter().collect())
    }

    /// What is at `path` (absolute), following symlinks when `follow`.
    pub(crate) fn file(&self, path: &str, follow: bool) -> Option<FileKind> {
        paths::lookup(&|p| self.lstat_now(p), path, follow).map(|(_, kind)| kind)
    }

    /// `readlink -f PATH`: every link followed, the last component need not exist (its
    /// directory must). `None` where no such path can be.
    pub(crate) fn canonical(&self, path: &str) -> Option<String> {
        let mut path = self.abs(path).ok()?;
        let lstat = |p: &str| self.lstat_now(p);
        // A dangling link's target is followed as far as it goes.
        for _ in 0..40 {
            if let Some((resolved, _)) = paths::lookup(&lstat, &path, true) {
                return Some(resolved);
            }
            let (dir, kind) = paths::lookup(&lstat, paths::parent(&path), true)?;
            if kind != FileKind::Dir {
                return None;
            }
            let candidate = paths::absolute(&dir, paths::basename(&path));
            match lstat(&candidate) {
                Some(FileKind::Symlink(target)) if target.starts_with('/') => {
                    path = paths::normalize(&target);
                }
                Some(FileKind::Symlink(target)) => path = paths::absolute(&dir, &target),
                _ => return Some(candidate),
            }
        }
        None
    }

    /// Records that `path` (absolute) now is `kind` (or is gone).
    pub(crate) fn put_file(&mut self, path: &str, kind: Option<FileKind>) {
        let parent = paths::parent(path);
        let key = match paths::lookup(&|p| self.lstat_now(p), parent, true) {
            Some((resolved, _)) if path != "/" => {
                let name = paths::basename(path);
                if resolved == "/" {
                    format!("/{name}")
                } else {
                    format!("{resolved}/{name}")
                }
            }
            _ => path.to_owned(),
        };
        self.overlay.insert(key, kind);
    }

    /// Records that `path` (absolute) and its missing parents are directories.
    pub(crate) fn put_dirs(&mut self, path: &str) {
        let mut missing = Vec::new();
        let mut p = path;
        while p != "/" && self.file(p, true).is_none() {
            missing.push(p.to_owned());
            p = paths::parent(p);
        }
        for dir in missing.iter().rev() {
            self.put_file(dir, Some(FileKind::Dir));
        }
    }

    /// Where an external command `name` would be found on dpkg's PATH.
    pub(crate) fn which(&self, name: &str) -> Option<String> {
        if name.contains('/') {
            let path = self.abs(name).ok()?;
            return matches!(self.file(&path, true), Some(FileKind::Executable)).then_some(path);
        }
        [
            "/usr/local/sbin",
            "/usr/local/bin",
            "/usr/sbin",
            "/usr/bin",
            "/sbin",
            "/bin",
        ]
        .iter()
        .map(|dir| format!("{dir}/{name}"))
        .find(|path| matches!(self.file(path, true), Some(FileKind::Executable)))
    }

    /// Spends one step of the budget; false when it is exhausted.
    pub(crate) fn spend(&mut self, line: usize) -> bool {
        self.line = line;
        if self.budget == 0 {
            return false;
        }
        self.budget -= 1;
        if self.budget == 0 {
            self.skip(
                line,
                "(rest of the script)",
                Why::Unsupported(format!(
                    "evaluation stopped after {BUDGET} commands (runaway recursion or loop)"
                )),
            );
            return false;
        }
        true
    }

    /// Marks everything `node` could change as unknown: it was skipped at `line`.
    pub(crate) fn taint_list(&mut self, list: &'p ast::CompoundList, line: usize) {
        let mut seen = HashSet::new();
        self.taint_list_inner(list, line, &mut seen);
    }

    pub(crate) fn taint_command(&mut self, cmd: &'p ast::Command, line: usize) {
        let mut seen = HashSet::new();
        self.taint_command_inner(cmd, line, &mut seen);
    }

    pub(crate) fn taint_body(&mut self, body: &'p ast::FunctionBody, line: usize) {
        let mut seen = HashSet::new();
        self.taint_compound(&body.0, line, &mut seen);
    }

    pub(crate) fn taint_pipeline(&mut self, pipeline: &'p ast::Pipeline, line: usize) {
        let mut seen = HashSet::new();
        for cmd in &pipeline.seq {
            self.taint_command_inner(cmd, line, &mut seen);
        }
    }

    fn taint_list_inner(
        &mut self,
        list: &'p ast::CompoundList,
        line: usize,
        seen: &mut HashSet<String>,
    ) {
        for item in &list.0 {
            let ao = &item.0;
            for cmd in &ao.first.seq {
                self.taint_command_inner(cmd, line, seen);
            }
            for next in &ao.additional {
                let (ast::AndOr::And(p) | ast::AndOr::Or(p)) = next;
                for cmd in &p.seq {
                    self.taint_command_inner(cmd, line, seen);
                }
            }
        }
    }

    fn taint_command_inner(
        &mut self,
        cmd: &'p ast::Command,
        line: usize,
        seen: &mut HashSet<String>,
    ) {
        let why = format!("may have been changed by code skipped at line {line}");
        match cmd {
            ast::Command::Simple(simple) => self.taint_simple(simple, line, &why, seen),
            ast::Command::Function(def) => {
                let name = def.fname.value.clone();
                self.functions.insert(name, Func::Unknown(why));
            }
            ast::Command::ExtendedTest(..) => {}
            ast::Command::Compound(compound, _) => self.taint_compound(compound, line, seen),
        }
    }

    fn taint_simple(
        &mut self,
        simple: &'p ast::SimpleCommand,
        line: usize,
        why: &str,
        seen: &mut HashSet<String>,
    ) {
        let unknown = || Value::Unknown(why.to_owned());
        let name = simple.word_or_name.as_ref().map(|w| w.value.as_str());
        for item in simple.prefix.iter().flat_map(|p| &p.0) {
            if let ast::CommandPrefixOrSuffixItem::AssignmentWord(a, _) = item
                && name.is_none()
                && let ast::AssignmentName::VariableName(n) = &a.name
            {
                self.set_var(n, unknown());
            }
        }
        let Some(name) = name else { return };
        let args: Vec<&str> = simple
            .suffix
            .iter()
            .flat_map(|s| &s.0)
            .filter_map(|item| match item {
                ast::CommandPrefixOrSuffixItem::Word(w) => Some(w.value.as_str()),
                ast::CommandPrefixOrSuffixItem::AssignmentWord(_, w) => Some(w.value.as_str()),
                _ => None,
            })
            .collect();
        match name {
            "local" | "export" | "readonly" | "read" | "unset" | "getopts" | "typeset"
            | "declare" => {
                for arg in args.iter().filter(|a| !a.starts_with('-')) {
                    let var = arg.split('=').next().unwrap_or_default();
                    self.set_var(var, unknown());
                }
            }
            "shift" => self.positional = Positional::Unknown(why.to_owned()),
            "set"
                if args
                    .iter()
                    .any(|a| *a == "--" || !a.starts_with(['-', '+'])) =>
            {
                self.positional = Positional::Unknown(why.to_owned());
            }
            "cd" | "pushd" | "popd" => self.cwd = Err(why.to_owned()),
            _ => {
                if let Some(Func::Script(body)) = self.functions.get(name).cloned()
                    && seen.insert(name.to_owned())
                {
                    self.taint_compound(&body.0, line, seen);
                }
            }
        }
    }

    fn taint_compound(
        &mut self,
        compound: &'p ast::CompoundCommand,
        line: usize,
        seen: &mut HashSet<String>,
    ) {
        match compound {
            ast::CompoundCommand::BraceGroup(g) => self.taint_list_inner(&g.list, line, seen),
            ast::CompoundCommand::ForClause(f) => {
                self.set_var(
                    &f.variable_name,
                    Value::Unknown(format!(
                        "may have been changed by code skipped at line {line}"
                    )),
                );
                self.taint_list_inner(&f.body.list, line, seen);
            }
            ast::CompoundCommand::CaseClause(c) => {
                for item in &c.cases {
                    if let Some(list) = &item.cmd {
                        self.taint_list_inner(list, line, seen);
                    }
                }
            }
            ast::CompoundCommand::IfClause(i) => {
                self.taint_list_inner(&i.condition, line, seen);
                self.taint_list_inner(&i.then, line, seen);
                for e in i.elses.iter().flatten() {
                    if let Some(c) = &e.condition {
                        self.taint_list_inner(c, line, seen);
                    }
                    self.taint_list_inner(&e.body, line, seen);
                }
            }
            ast::CompoundCommand::WhileClause(w) | ast::CompoundCommand::UntilClause(w) => {
                self.taint_list_inner(&w.0, line, seen);
                self.taint_list_inner(&w.1.list, line, seen);
            }
            // A subshell changes nothing outside it.
            ast::CompoundCommand::Subshell(_)
            | ast::CompoundCommand::Arithmetic(_)
            | ast::CompoundCommand::ArithmeticForClause(_)
            | ast::CompoundCommand::Coprocess(_) => {}
        }
    }
}

/// `text` on one line, whitespace runs collapsed, cut at 200 characters.
pub(crate) fn one_line(text: &str) -> String {
    let joined = text.split_whitespace().collect::<Vec<_>>().join(" ");
    if joined.chars().count() > 200 {
        let cut: String = joined.chars().take(200).collect();
        format!("{cut}...")
    } else {
        joined
    }
}

/// The first line a node starts on (0 when the parser gave no location).
pub(crate) fn line_of(node: &impl ast::SourceLocation) -> usize {
    node.location().map_or(0, |span| span.start.line)
}
