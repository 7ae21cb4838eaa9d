//! Control flow: lists, `&&`/`||`, pipelines, `if`, `case`, `for`, `while`, functions,
//! subshells, and simple commands up to the point where a command is dispatched.

use brush_parser::ast;

use crate::classify::is_silencing;
use crate::expand::Field;
use crate::redirect::Cmd;
use crate::shell::{
    Flow, Frame, Func, MAX_CALLS, MAX_DEPTH, MAX_ITERATIONS, Positional, Shell, Status, Value,
    line_of, one_line,
};
use crate::{Call, FileKind, Why};

/// Text of a compound command's head, for reports.
fn head(compound: &ast::CompoundCommand) -> String {
    match compound {
        ast::CompoundCommand::IfClause(i) => format!("if {}", i.condition),
        ast::CompoundCommand::ForClause(f) => for_head(f),
        ast::CompoundCommand::CaseClause(c) => format!("case {} in", c.value),
        ast::CompoundCommand::WhileClause(w) => format!("while {}", w.0),
        ast::CompoundCommand::UntilClause(w) => format!("until {}", w.0),
        other => other
            .to_string()
            .lines()
            .next()
            .unwrap_or_default()
            .to_owned(),
    }
}

fn for_head(f: &ast::ForClauseCommand) -> String {
    match &f.values {
        Some(values) => format!(
            "for {} in {}",
            f.variable_name,
            values
                .iter()
                .map(|w| w.value.as_str())
                .collect::<Vec<_>>()
                .join(" ")
        ),
        None => format!("for {}", f.variable_name),
    }
}

/// The decided truth of a condition's pipeline `exit N` / `true` (for `X || exit 1`).
enum Tail {
    /// `exit N` with N != 0: the script would fail, so this branch is not the install's.
    Fails,
    /// `true` or `:`: the list succeeds either way.
    Succeeds,
    Other,
}

fn classify_tail(pipeline: &ast::Pipeline) -> Tail {
    let [ast::Command::Simple(simple)] = pipeline.seq.as_slice() else {
        return Tail::Other;
    };
    if pipeline.bang || simple.prefix.is_some() {
        return Tail::Other;
    }
    let Some(name) = &simple.word_or_name else {
        return Tail::Other;
    };
    let args: Vec<&str> = simple
        .suffix
        .iter()
        .flat_map(|s| &s.0)
        .filter_map(|i| match i {
            ast::CommandPrefixOrSuffixItem::Word(w) => Some(w.value.as_str()),
            _ => None,
        })
        .collect();
    match (name.value.as_str(), args.as_slice()) {
        ("true" | ":", _) => Tail::Succeeds,
        ("exit", ["$?"]) => Tail::Fails,
        ("exit", [code]) if code.parse::<i32>().is_ok_and(|c| c != 0) => Tail::Fails,
        _ => Tail::Other,
    }
}

impl<'p> Shell<'p, '_> {
    pub(crate) fn run_program(&mut self, program: &'p ast::Program) {
        for list in &program.complete_commands {
            match self.run_list(list) {
                Flow::Next | Flow::Break(_) | Flow::Continue(_) => {}
                Flow::Exit | Flow::Return | Flow::Halt => return,
            }
        }
    }

    /// Runs the script's exit trap, if it set one: the shell runs it when the script
    /// ends, by `exit` or at its last line.
    pub(crate) fn run_exit_trap(&mut self) {
        if let Some(program) = self.exit_trap.take() {
            self.run_program(program);
        }
    }

    /// Sets the status to unknown, remembering why.
    pub(crate) fn unknown(&mut self, why: String) {
        self.uncertain += 1;
        self.last = Status::Unknown;
        self.why = why;
    }

    pub(crate) fn run_list(&mut self, list: &'p ast::CompoundList) -> Flow {
        for item in &list.0 {
            let flow = self.run_and_or(&item.0);
            if flow != Flow::Next {
                return flow;
            }
        }
        Flow::Next
    }

    fn run_and_or(&mut self, ao: &'p ast::AndOrList) -> Flow {
        let flow = self.run_pipeline(&ao.first);
        if flow != Flow::Next {
            return flow;
        }
        let mut previous = &ao.first;
        for next in &ao.additional {
            let (is_and, pipeline) = match next {
                ast::AndOr::And(p) => (true, p),
                ast::AndOr::Or(p) => (false, p),
            };
            match self.last.success() {
                Some(ok) => {
                    if ok == is_and {
                        let flow = self.run_pipeline(pipeline);
                        if flow != Flow::Next {
                            return flow;
                        }
                    }
                }
                None => match (is_and, classify_tail(pipeline)) {
                    // A successful install never took the failing branch.
                    (false, Tail::Fails | Tail::Succeeds) => self.last = Status::OK,
                    _ if self.is_inert_pipeline(pipeline) => {}
                    _ => {
                        let line = line_of(pipeline);
                        let when = if is_and { "succeeds" } else { "fails" };
                        let mut why = format!(
                            "runs only if `{}` {when}, which is not known",
                            one_line(&previous.to_string()),
                        );
                        if !self.why.starts_with("the exit status of") {
                            why = format!("{why}: {}", self.why);
                        }
                        self.skip(line, pipeline.to_string(), Why::Undecidable(why.clone()));
                        self.taint_pipeline(pipeline, line);
                        self.unknown(why);
                    }
                },
            }
            previous = pipeline;
        }
        Flow::Next
    }

    /// `echo "$list" | while read x; do ...; done`: commands of known output feeding a
    /// compound command, which runs (in a subshell, as sh runs a pipeline's stages) with
    /// that output as its input. `None`, having done nothing, for any other pipeline.
    fn pipeline_into_compound(&mut self, seq: &'p [ast::Command]) -> Option<Flow> {
        let (ast::Command::Compound(compound, None), stages) = seq.split_last()? else {
            return None;
        };
        if stages.is_empty() {
            return None;
        }
        let Some(Ok(words)) = self.pipeline_words(stages) else {
            return None;
        };
        let (text, _) = self.pipeline_output(&words).ok()?;
        Some(self.in_subshell(|sh| sh.run_compound_reading(compound, text)))
    }

    /// A pipeline of known output that ends in a redirection to a file, or starts with a
    /// group or subshell whose output is known (ca-certificates' `( echo ... ; echo ... )
    /// | sed ... | sort | uniq -c | sed ... >> /etc/ca-certificates.conf`): its output is
    /// computed and written. `None`, having done nothing, for any other pipeline.
    fn pipeline_into_file(&mut self, seq: &'p [ast::Command]) -> Option<Flow> {
        if seq.len() < 2 {
            return None;
        }
        let (first, simple) = match seq.split_first()? {
            (ast::Command::Compound(compound, None), rest) => (Some(compound), rest),
            _ => (None, seq),
        };
        // The last stage's `> FILE` or `>> FILE`, taken off for the words.
        let mut stages: Vec<ast::Command> = simple.to_vec();
        let mut target = None;
        if let Some(ast::Command::Simple(last)) = stages.last_mut()
            && let Some(suffix) = &mut last.suffix
        {
            suffix.0.retain(|item| match item {
                ast::CommandPrefixOrSuffixItem::IoRedirect(ast::IoRedirect::File(
                    None | Some(1),
                    kind @ (ast::IoFileRedirectKind::Write
                    | ast::IoFileRedirectKind::Append
                    | ast::IoFileRedirectKind::Clobber),
                    ast::IoFileRedirectTarget::Filename(word),
                )) if target.is_none() && word.value != "/dev/null" => {
                    target = Some((
                        word.value.clone(),
                        matches!(kind, ast::IoFileRedirectKind::Append),
                    ));
                    false
                }
                _ => true,
            });
        }
        if target.is_none() && first.is_none() {
            return None;
        }
        let Some(Ok(words)) = self.pipeline_words(&stages) else {
            return None;
        };
        // The group or subshell first, its output captured (nothing it did is kept
        // when that output, or the pipeline's, is not known).
        let snapshot = self.snapshot();
        let first_input = match first {
            Some(compound) => {
                let text = self.capture_run(|sh| sh.in_subshell(|sh| sh.run_compound(compound)))?;
                match self.last {
                    Status::Known(code) => Some((text, code)),
                    Status::Unknown => return None,
                }
            }
            None => None,
        };
        let Ok((text, status)) = self.pipeline_output_from(&words, first_input) else {
            // What the group did goes with it.
            self.roll_back(snapshot);
            return None;
        };
        let line = line_of(&seq[0]);
        match target {
            Some((word, append)) => {
                let path = self
                    .expand_one(&word)
                    .ok()
                    .and_then(|p| self.abs(&p).ok())?;
                self.write_file(&path, text, append, line);
            }
            // Output to the script's own standard output: captured when it is.
            None => {
                if let Some((captured, _)) = self.captures.last_mut() {
                    captured.push_str(&text);
                }
            }
        }
        self.last = Status::Known(status);
        Some(Flow::Next)
    }

    fn run_pipeline(&mut self, pipeline: &'p ast::Pipeline) -> Flow {
        let flow = match pipeline.seq.as_slice() {
            _ if let Some(flow) = self.pipeline_into_compound(&pipeline.seq) => flow,
            _ if let Some(flow) = self.pipeline_into_file(&pipeline.seq) => flow,
            [cmd] => self.run_command(cmd),
            [ast::Command::Simple(find), ast::Command::Simple(xargs)]
                if self.find_xargs(line_of(pipeline), find, xargs) =>
            {
                Flow::Next
            }
            stages if self.known_pipeline(stages) => Flow::Next,
            _ => {
                if let Some(reason) = runtime_only_stage(&pipeline.seq) {
                    self.skip(
                        line_of(pipeline),
                        pipeline.to_string(),
                        Why::AtRuntime(reason.to_owned()),
                    );
                } else if !self.is_inert_pipeline(pipeline) {
                    self.skip(
                        line_of(pipeline),
                        pipeline.to_string(),
                        Why::Unsupported(
                            "a pipeline (one command's output feeds the next) is not evaluated"
                                .to_owned(),
                        ),
                    );
                }
                self.unknown(format!(
                    "the exit status of the pipeline `{}` is not known",
                    one_line(&pipeline.to_string())
                ));
                Flow::Next
            }
        };
        if pipeline.bang {
            self.last = match self.last {
                Status::Known(0) => Status::FAIL,
                Status::Known(_) => Status::OK,
                Status::Unknown => Status::Unknown,
            };
        }
        flow
    }

    /// A pipeline of commands whose output is known feeding text filters (`getent group
    /// shadow | grep -q ...`): its status is set, and true. False, having done nothing,
    /// when a stage is not known.
    fn known_pipeline(&mut self, stages: &[ast::Command]) -> bool {
        let Some(Ok(stages)) = self.pipeline_words(stages) else {
            return false;
        };
        match self.pipeline_output(&stages) {
            Ok((text, status)) => {
                // Inside a command substitution being run, its output is captured.
                if let Some((captured, _)) = self.captures.last_mut() {
                    captured.push_str(&text);
                }
                self.last = Status::Known(status);
                true
            }
            Err(_) => false,
        }
    }

    fn run_command(&mut self, cmd: &'p ast::Command) -> Flow {
        match cmd {
            ast::Command::Simple(simple) => self.run_simple(simple),
            ast::Command::Compound(compound, redirects) => {
                // Its standard input: a known text (`while read ...; done < FILE`), or
                // one the reader cannot know (`None`, so `read` inside is not answered
                // from an outer loop's input).
                let input = redirects
                    .iter()
                    .flat_map(|list| &list.0)
                    .find_map(|r| self.redirected_input(r));
                if let Some(input) = &input {
                    self.input.push(input.clone());
                }
                let flow = self.run_compound_redirected(cmd, compound, redirects.as_ref());
                if input.is_some() {
                    self.input.pop();
                }
                flow
            }
            ast::Command::Function(def) => {
                self.functions
                    .insert(def.fname.value.clone(), Func::Script(&def.body));
                self.last = Status::OK;
                Flow::Next
            }
            ast::Command::ExtendedTest(test, _) => {
                let result = self.eval_extended(&test.expr);
                self.last = Status::from_option(result);
                Flow::Next
            }
        }
    }

    /// A compound command with its redirections: output to a file written when known,
    /// other redirections not evaluated, silencing ones ignored.
    fn run_compound_redirected(
        &mut self,
        cmd: &'p ast::Command,
        compound: &'p ast::CompoundCommand,
        redirects: Option<&'p ast::RedirectList>,
    ) -> Flow {
        // `{ echo ...; echo ...; } >> FILE`: what it prints, when known, is written.
        if let Some(list) = redirects
            && let [target] = list
                .0
                .iter()
                .filter(|r| !is_silencing(r))
                .collect::<Vec<_>>()
                .as_slice()
            && let Some(flow) = self.run_compound_into_file(compound, target)
        {
            return flow;
        }
        if let Some(list) = redirects
            && let Some(target) = list.0.iter().find(|r| !is_silencing(r))
        {
            let line = line_of(compound);
            self.skip(
                line,
                head(compound),
                Why::Unsupported(format!(
                    "a compound command with the redirection `{target}` is not evaluated"
                )),
            );
            self.taint_command(cmd, line);
            self.unknown("a compound command with a redirection was skipped".to_owned());
            return Flow::Next;
        }
        // Output sent away (`>/dev/null`, `>&2`) is not part of a capture.
        let discards = redirects.is_some_and(|list| {
            list.0
                .iter()
                .any(|r| crate::output::stage_redirect(r, false) == Some(true))
        });
        if discards && !self.captures.is_empty() {
            self.captures.push((String::new(), None));
            let flow = self.run_compound(compound);
            self.captures.pop();
            return flow;
        }
        self.run_compound(compound)
    }

    /// The standard input a redirection gives: `Some(Some(text))` when known (`< FILE`
    /// of a small file of the image, a here-document), `Some(None)` when it is an input
    /// redirection whose text is not known, `None` for any other redirection.
    fn redirected_input(&mut self, redirect: &'p ast::IoRedirect) -> Option<Option<String>> {
        match redirect {
            ast::IoRedirect::File(
                None | Some(0),
                ast::IoFileRedirectKind::Read,
                ast::IoFileRedirectTarget::Filename(word),
            ) => {
                let Ok(path) = self.expand_one(&word.value) else {
                    return Some(None);
                };
                match self.image_text(&path) {
                    crate::filters::FileText::Text(text) => Some(Some(text)),
                    _ => Some(None),
                }
            }
            ast::IoRedirect::HereDocument(None | Some(0), doc) => {
                Some(self.expand_heredoc(doc).ok())
            }
            _ => None,
        }
    }

    /// A compound command whose standard output goes to a file: run with its output
    /// captured, which is then written there (appended with `>>`). `None`, having done
    /// nothing, when the redirection is another, or what it prints is not known.
    fn run_compound_into_file(
        &mut self,
        compound: &'p ast::CompoundCommand,
        redirect: &'p ast::IoRedirect,
    ) -> Option<Flow> {
        let ast::IoRedirect::File(
            None | Some(1),
            kind @ (ast::IoFileRedirectKind::Write
            | ast::IoFileRedirectKind::Append
            | ast::IoFileRedirectKind::Clobber),
            ast::IoFileRedirectTarget::Filename(word),
        ) = redirect
        else {
            return None;
        };
        let path = self.expand_one(&word.value).ok()?;
        let path = self.abs(&path).ok()?;
        let mut flow = Flow::Next;
        let content = self.capture_run(|sh| {
            flow = sh.run_compound(compound);
            flow
        })?;
        let append = matches!(kind, ast::IoFileRedirectKind::Append);
        self.write_file(&path, content, append, line_of(compound));
        Some(flow)
    }

    /// Output written to `path` by a redirection (`append`: `>>`): the file made, with
    /// the umask's mode when it is new and the umask is not 022.
    pub(crate) fn write_file(&mut self, path: &str, content: String, append: bool, line: usize) {
        // A device (`> /dev/stderr`) is no file of the image.
        if path.starts_with("/dev/") {
            return;
        }
        let mode = self.umask_mode(path, false);
        self.put_file(path, Some(FileKind::File));
        self.emit(
            line,
            Call::WriteFile {
                path: path.to_owned(),
                content,
                append,
            },
        );
        if let Some(mode) = mode {
            self.emit(line, mode);
        }
    }

    /// Runs `compound` with `text` as its standard input.
    pub(crate) fn run_compound_reading(
        &mut self,
        compound: &'p ast::CompoundCommand,
        text: String,
    ) -> Flow {
        self.input.push(Some(text));
        let flow = self.run_compound(compound);
        self.input.pop();
        flow
    }

    pub(crate) fn run_compound(&mut self, compound: &'p ast::CompoundCommand) -> Flow {
        if self.depth >= MAX_DEPTH {
            let line = line_of(compound);
            self.skip(
                line,
                head(compound),
                Why::Unsupported(format!("evaluation nested deeper than {MAX_DEPTH} levels")),
            );
            self.unknown("a command nested too deep was skipped".to_owned());
            return Flow::Next;
        }
        self.depth += 1;
        let flow = self.run_compound_inner(compound);
        self.depth -= 1;
        flow
    }

    fn run_compound_inner(&mut self, compound: &'p ast::CompoundCommand) -> Flow {
        match compound {
            ast::CompoundCommand::BraceGroup(group) => self.run_list(&group.list),
            ast::CompoundCommand::Subshell(sub) => self.run_subshell(&sub.list),
            ast::CompoundCommand::ForClause(f) => self.run_for(f),
            ast::CompoundCommand::CaseClause(c) => self.run_case(c),
            ast::CompoundCommand::IfClause(i) => self.run_if(i),
            ast::CompoundCommand::WhileClause(w) => self.run_while(w, false),
            ast::CompoundCommand::UntilClause(w) => self.run_while(w, true),
            ast::CompoundCommand::Arithmetic(_)
            | ast::CompoundCommand::ArithmeticForClause(_)
            | ast::CompoundCommand::Coprocess(_) => {
                let line = line_of(compound);
                self.skip(
                    line,
                    head(compound),
                    Why::Unsupported(
                        "arithmetic commands and coprocesses are not evaluated".into(),
                    ),
                );
                self.unknown("an arithmetic command was skipped".to_owned());
                Flow::Next
            }
        }
    }

    fn run_subshell(&mut self, list: &'p ast::CompoundList) -> Flow {
        self.in_subshell(|sh| sh.run_list(list))
    }

    /// Runs `body` as a subshell runs: its variables, parameters, functions and
    /// directory are its own, and `exit` ends only it.
    pub(crate) fn in_subshell(&mut self, body: impl FnOnce(&mut Self) -> Flow) -> Flow {
        let vars = self.vars.clone();
        let positional = self.positional.clone();
        let functions = self.functions.clone();
        let cwd = self.cwd.clone();
        let umask = self.umask;
        // A subshell starts with no trap of its own and runs its EXIT trap as it ends.
        let exit_trap = self.exit_trap.take();
        self.subshells += 1;
        let flow = body(self);
        if flow != Flow::Halt {
            self.run_exit_trap();
        }
        self.subshells -= 1;
        self.exit_trap = exit_trap;
        self.umask = umask;
        self.vars = vars;
        self.positional = positional;
        self.functions = functions;
        self.cwd = cwd;
        match flow {
            Flow::Halt => Flow::Halt,
            _ => Flow::Next,
        }
    }

    fn run_if(&mut self, clause: &'p ast::IfClauseCommand) -> Flow {
        let flow = self.run_list(&clause.condition);
        if flow != Flow::Next {
            return flow;
        }
        match self.last.success() {
            Some(true) => return self.run_list(&clause.then),
            Some(false) => {}
            None => {
                let line = line_of(&clause.condition);
                let text = format!("if {}", clause.condition);
                let inert = self.is_inert_list(&clause.then)
                    && clause.elses.iter().flatten().all(|e| {
                        e.condition.as_ref().is_none_or(|c| self.is_inert_list(c))
                            && self.is_inert_list(&e.body)
                    });
                if !inert {
                    let why = self.why.clone();
                    self.skip(line, text, Why::Undecidable(why));
                    self.taint_list(&clause.then, line);
                    for e in clause.elses.iter().flatten() {
                        self.taint_list(&e.body, line);
                    }
                }
                self.last = Status::Unknown;
                return Flow::Next;
            }
        }
        let elses = clause.elses.as_deref().unwrap_or_default();
        for (i, branch) in elses.iter().enumerate() {
            match &branch.condition {
                None => return self.run_list(&branch.body),
                Some(condition) => {
                    let flow = self.run_list(condition);
                    if flow != Flow::Next {
                        return flow;
                    }
                    match self.last.success() {
                        Some(true) => return self.run_list(&branch.body),
                        Some(false) => {}
                        None => {
                            let line = line_of(condition);
                            let inert = elses[i..].iter().all(|e| {
                                e.condition.as_ref().is_none_or(|c| self.is_inert_list(c))
                                    && self.is_inert_list(&e.body)
                            });
                            if !inert {
                                let why = self.why.clone();
                                self.skip(line, format!("elif {condition}"), Why::Undecidable(why));
                                for e in &elses[i..] {
                                    self.taint_list(&e.body, line);
                                }
                            }
                            self.last = Status::Unknown;
                            return Flow::Next;
                        }
                    }
                }
            }
        }
        // No branch taken: the status of `if` is 0.
        self.last = Status::OK;
        Flow::Next
    }

    fn run_for(&mut self, clause: &'p ast::ForClauseCommand) -> Flow {
        let line = line_of(clause);
        let words: Vec<String> = match &clause.values {
            Some(values) => values.iter().map(|w| w.value.clone()).collect(),
            None => vec!["\"$@\"".to_owned()],
        };
        let mut items = Vec::new();
        let mut failed = None;
        for word in &words {
            match self.expand_fields(word) {
                Ok(fields) => {
                    for field in fields {
                        match field {
                            Field::Known(s) => items.push(s),
                            Field::Unknown(why) => {
                                failed.get_or_insert(why);
                            }
                        }
                    }
                }
                Err(why) => {
                    failed.get_or_insert(why);
                }
            }
        }
        if let Some(why) = failed {
            self.skip(line, for_head(clause), Why::Undecidable(why.clone()));
            self.set_var(&clause.variable_name, Value::Unknown(why.clone()));
            self.taint_list(&clause.body.list, line);
            self.unknown(why);
            return Flow::Next;
        }
        self.last = Status::OK;
        for item in items {
            if !self.spend(line) {
                return Flow::Halt;
            }
            self.set_var(&clause.variable_name, Value::Set(item));
            match self.run_list(&clause.body.list) {
                Flow::Next => {}
                Flow::Break(n) if n > 1 => return Flow::Break(n - 1),
                Flow::Break(_) => break,
                Flow::Continue(n) if n > 1 => return Flow::Continue(n - 1),
                Flow::Continue(_) => {}
                other => return other,
            }
        }
        Flow::Next
    }

    fn run_case(&mut self, clause: &'p ast::CaseClauseCommand) -> Flow {
        let line = line_of(clause);
        let word = match self.expand_one(&clause.value.value) {
            Ok(word) => word,
            Err(why) => {
                self.skip(
                    line,
                    format!("case {} in", clause.value),
                    Why::Undecidable(why.clone()),
                );
                for item in &clause.cases {
                    if let Some(list) = &item.cmd {
                        self.taint_list(list, line);
                    }
                }
                self.unknown(why);
                return Flow::Next;
            }
        };
        self.last = Status::OK;
        let mut fall_through = false;
        for (i, item) in clause.cases.iter().enumerate() {
            let mut matched = fall_through;
            if !matched {
                for pattern in &item.patterns {
                    match self.expand_pattern(&pattern.value) {
                        Ok(p) if crate::pattern::matches(&p, &word) => {
                            matched = true;
                            break;
                        }
                        Ok(_) => {}
                        Err(why) => {
                            let pline = line_of(pattern);
                            self.skip(
                                if pline == 0 { line } else { pline },
                                format!("case {} in {})", clause.value, pattern),
                                Why::Undecidable(why.clone()),
                            );
                            for rest in &clause.cases[i..] {
                                if let Some(list) = &rest.cmd {
                                    self.taint_list(list, line);
                                }
                            }
                            self.unknown(why);
                            return Flow::Next;
                        }
                    }
                }
            }
            if !matched {
                continue;
            }
            if let Some(list) = &item.cmd {
                let flow = self.run_list(list);
                if flow != Flow::Next {
                    return flow;
                }
            }
            match item.post_action {
                ast::CaseItemPostAction::ExitCase => return Flow::Next,
                ast::CaseItemPostAction::UnconditionallyExecuteNextCaseItem => fall_through = true,
                ast::CaseItemPostAction::ContinueEvaluatingCases => fall_through = false,
            }
        }
        Flow::Next
    }

    fn run_while(&mut self, clause: &'p ast::WhileOrUntilClauseCommand, until: bool) -> Flow {
        let line = line_of(&clause.0);
        let keyword = if until { "until" } else { "while" };
        // The loop's status: its body's last, or 0 when the body never ran.
        let mut status = Status::OK;
        for _ in 0..MAX_ITERATIONS {
            // Each iteration costs budget, even one of compound commands only.
            if !self.spend(line) {
                return Flow::Halt;
            }
            let flow = self.run_list(&clause.0);
            if flow != Flow::Next {
                return flow;
            }
            match self.last.success() {
                Some(holds) if holds == until => {
                    self.last = status;
                    return Flow::Next;
                }
                Some(_) => {}
                None => {
                    self.skip(
                        line,
                        format!("{keyword} {}", clause.0),
                        Why::Undecidable(self.why.clone()),
                    );
                    self.taint_list(&clause.1.list, line);
                    self.unknown(format!("a `{keyword}` loop was skipped"));
                    return Flow::Next;
                }
            }
            match self.run_list(&clause.1.list) {
                Flow::Next => {}
                Flow::Break(n) if n > 1 => return Flow::Break(n - 1),
                Flow::Break(_) => {
                    self.last = Status::OK;
                    return Flow::Next;
                }
                Flow::Continue(n) if n > 1 => return Flow::Continue(n - 1),
                Flow::Continue(_) => {}
                other => return other,
            }
            status = self.last;
        }
        self.skip(
            line,
            format!("{keyword} {}", clause.0),
            Why::Unsupported(format!(
                "a `{keyword}` loop that runs more than {MAX_ITERATIONS} times is not evaluated"
            )),
        );
        self.taint_list(&clause.1.list, line);
        self.unknown(format!("a `{keyword}` loop was cut short"));
        Flow::Next
    }

    /// Runs a script function with `args` as its positional parameters.
    pub(crate) fn call_function(
        &mut self,
        line: usize,
        text: &str,
        body: &'p ast::FunctionBody,
        args: Positional,
    ) -> Flow {
        if self.frames.len() >= MAX_CALLS {
            self.skip(
                line,
                text,
                Why::Unsupported(format!("function calls nested deeper than {MAX_CALLS}")),
            );
            self.unknown("a function call was skipped".to_owned());
            return Flow::Next;
        }
        if let Some(list) = &body.1
            && let Some(target) = list.0.iter().find(|r| !is_silencing(r))
        {
            self.skip(
                line,
                text,
                Why::Unsupported(format!(
                    "a function with the redirection `{target}` is not evaluated"
                )),
            );
            self.taint_body(body, line);
            self.unknown("a function call was skipped".to_owned());
            return Flow::Next;
        }
        let saved = std::mem::replace(&mut self.positional, args);
        self.frames.push(Frame {
            line,
            locals: Vec::new(),
        });
        let flow = self.run_compound(&body.0);
        if let Some(frame) = self.frames.pop() {
            for (name, previous) in frame.locals.into_iter().rev() {
                match previous {
                    Some(value) => self.set_var(&name, value),
                    None => {
                        self.vars.remove(&name);
                    }
                }
            }
        }
        self.positional = saved;
        match flow {
            Flow::Exit => Flow::Exit,
            Flow::Halt => Flow::Halt,
            _ => Flow::Next,
        }
    }

    fn run_simple(&mut self, simple: &'p ast::SimpleCommand) -> Flow {
        let line = line_of(simple);
        if !self.spend(line) {
            return Flow::Halt;
        }
        let text = simple.to_string();
        let mut assigns: Vec<&'p ast::Assignment> = Vec::new();
        let mut words: Vec<&'p ast::Word> = Vec::new();
        let mut redirects: Vec<&'p ast::IoRedirect> = Vec::new();
        let mut decls: Vec<&'p ast::Assignment> = Vec::new();
        for item in simple.prefix.iter().flat_map(|p| &p.0) {
            match item {
                ast::CommandPrefixOrSuffixItem::AssignmentWord(a, _) => assigns.push(a),
                ast::CommandPrefixOrSuffixItem::IoRedirect(r) => redirects.push(r),
                ast::CommandPrefixOrSuffixItem::Word(w) => words.push(w),
                ast::CommandPrefixOrSuffixItem::ProcessSubstitution(..) => {
                    return self.unsupported(line, &text, "process substitution");
                }
            }
        }
        if let Some(name) = &simple.word_or_name {
            words.push(name);
        }
        for item in simple.suffix.iter().flat_map(|s| &s.0) {
            match item {
                ast::CommandPrefixOrSuffixItem::Word(w) => words.push(w),
                ast::CommandPrefixOrSuffixItem::AssignmentWord(a, w) => {
                    decls.push(a);
                    words.push(w);
                }
                ast::CommandPrefixOrSuffixItem::IoRedirect(r) => redirects.push(r),
                ast::CommandPrefixOrSuffixItem::ProcessSubstitution(..) => {
                    return self.unsupported(line, &text, "process substitution");
                }
            }
        }

        let redirs = self.redirections(&redirects);

        if words.is_empty() {
            let mut status = Status::OK;
            for a in assigns {
                if let Some(substituted) = self.assign(a, line) {
                    status = substituted;
                }
            }
            if status == Status::Unknown {
                self.unknown("the exit status of a command substitution is not known".into());
            } else {
                self.last = status;
            }
            // `> FILE` alone creates or empties FILE.
            if let Some(target) = redirs.stdout {
                match target {
                    Ok((path, append)) => {
                        self.write_file(&path, String::new(), append, line);
                    }
                    Err(why) => self.skip(line, &text, Why::Undecidable(why)),
                }
            }
            return Flow::Next;
        }

        // Expand the words: the first field is the command.
        let mut fields: Vec<Field> = Vec::new();
        let mut shown: Vec<String> = Vec::new();
        let mut count_unknown: Option<String> = None;
        for word in &words {
            match self.expand_fields(&word.value) {
                Ok(expanded) => {
                    for f in &expanded {
                        shown.push(match f {
                            Field::Known(s) => shell_quote(s),
                            Field::Unknown(_) => word.value.clone(),
                        });
                    }
                    if count_unknown.is_none() {
                        fields.extend(expanded);
                    }
                }
                Err(why) => {
                    shown.push(word.value.clone());
                    if fields.is_empty() && count_unknown.is_none() {
                        // Not even the command name is known.
                        self.skip(
                            line,
                            &text,
                            Why::Undecidable(format!("the command name is not known: {why}")),
                        );
                        self.unknown(why);
                        return Flow::Next;
                    }
                    count_unknown.get_or_insert(why);
                }
            }
        }
        let mut fields = fields.into_iter();
        let name = match fields.next() {
            Some(Field::Known(name)) => name,
            Some(Field::Unknown(why)) => {
                self.skip(
                    line,
                    &text,
                    Why::Undecidable(format!("the command name is not known: {why}")),
                );
                self.unknown(why);
                return Flow::Next;
            }
            None => {
                // Expanded to nothing: only the assignments count.
                for a in assigns {
                    self.assign(a, line);
                }
                self.last = Status::OK;
                return Flow::Next;
            }
        };
        let rest: Vec<Field> = fields.collect();
        // Unknown fields bind as unknown parameters; an unknown field count makes them all
        // unknown.
        let (args, positional) = match count_unknown {
            Some(why) => (Err(why.clone()), Positional::Unknown(why)),
            None => {
                let args: Result<Vec<String>, String> = rest
                    .iter()
                    .map(|f| match f {
                        Field::Known(s) => Ok(s.clone()),
                        Field::Unknown(why) => Err(why.clone()),
                    })
                    .collect();
                let values = rest
                    .into_iter()
                    .map(|f| match f {
                        Field::Known(s) => Value::Set(s),
                        Field::Unknown(why) => Value::Unknown(why),
                    })
                    .collect();
                (args, Positional::Known(values))
            }
        };
        let cmd = Cmd {
            line,
            text,
            shown: shown.join(" "),
            redirs,
            decls,
            env: assigns,
        };
        self.dispatch(&cmd, &name, args, positional, false)
    }

    fn unsupported(&mut self, line: usize, text: &str, what: &str) -> Flow {
        self.skip(
            line,
            text,
            Why::Unsupported(format!("{what} is not supported")),
        );
        self.unknown(format!("{what} was skipped"));
        Flow::Next
    }

    /// Performs an assignment; true when its value came from a command substitution.
    /// Makes assignment `a`; with a command substitution in it, the status it leaves
    /// (the last substitution's, as in sh), `None` without one.
    pub(crate) fn assign(&mut self, a: &ast::Assignment, line: usize) -> Option<Status> {
        let ast::AssignmentName::VariableName(name) = &a.name else {
            return None;
        };
        let ast::AssignmentValue::Scalar(word) = &a.value else {
            self.set_var(name, Value::Unknown(format!("`{name}` is an array")));
            return None;
        };
        let substituted = word.value.contains("$(") || word.value.contains('`');
        self.substitution_status = None;
        let value = match self.expand_one(&word.value) {
            Ok(text) if a.append => match self.var(name) {
                Value::Set(old) => Value::Set(old + &text),
                Value::Unset => Value::Set(text),
                unknown @ Value::Unknown(_) => unknown,
            },
            Ok(text) => Value::Set(text),
            Err(why) => Value::Unknown(format!("`{name}` (line {line}): {why}")),
        };
        let status = match (&value, self.substitution_status) {
            (Value::Set(_), Some(code)) => Status::Known(code),
            _ => Status::Unknown,
        };
        self.set_var(name, value);
        substituted.then_some(status)
    }
}

/// Quotes a word for display only when it needs it.
fn shell_quote(s: &str) -> String {
    if !s.is_empty()
        && s.chars()
            .all(|c| c.is_ascii_alphanumeric() || "/._-+=:,@%".contains(c))
    {
        s.to_owned()
    } else {
        format!("'{}'", s.replace('\'', "'\\''"))
    }
}

/// Why a pipeline is left to the running container: a stage runs a command that makes
/// per-machine data (`bash /usr/bin/mariadb-install-db ... | logger`), directly or
/// through a shell.
fn runtime_only_stage(stages: &[ast::Command]) -> Option<&'static str> {
    stages.iter().find_map(|stage| {
        let ast::Command::Simple(simple) = stage else {
            return None;
        };
        let name = simple.word_or_name.as_ref()?.value.as_str();
        let base = |word: &str| word.rsplit('/').next().unwrap_or(word).to_owned();
        let program = if matches!(base(name).as_str(), "sh" | "bash" | "dash") {
            simple
                .suffix
                .iter()
                .flat_map(|s| &s.0)
                .find_map(|item| match item {
                    ast::CommandPrefixOrSuffixItem::Word(w) if !w.value.starts_with('-') => {
                        Some(base(&w.value))
                    }
                    _ => None,
                })?
        } else {
            base(name)
        };
        crate::classify::runtime_only_reason(&program)
    })
}
