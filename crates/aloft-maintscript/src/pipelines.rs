//! The pipelines whose end state is known without running them: `find DIR [owner tests]
//! -print0 | xargs -0 -r chown|chgrp|chmod ARGS` is `chown -R ARGS DIR`.

use brush_parser::ast;

use crate::classify::is_silencing;
use crate::redirect::Cmd;
use crate::shell::Shell;

impl Shell<'_, '_> {
    /// `find DIR [owner tests] -print0 | xargs -0 -r chown|chgrp|chmod ARGS`: every path
    /// below DIR that the tests select gets ARGS, and the others have them already, so the
    /// end state is `chown -R ARGS DIR` (mariadb-server's postinst). False, having done
    /// nothing, for any other pipeline.
    pub(crate) fn find_xargs(
        &mut self,
        line: usize,
        find: &ast::SimpleCommand,
        xargs: &ast::SimpleCommand,
    ) -> bool {
        let (Some(find_words), Some(xargs_words)) =
            (self.simple_words(find), self.simple_words(xargs))
        else {
            return false;
        };
        let Some((dirs, tests)) = find_words
            .split_first()
            .filter(|(name, _)| *name == "find")
            .map(|(_, rest)| {
                let at = rest
                    .iter()
                    .position(|w| w.starts_with('-') || w == "!" || w == "(")
                    .unwrap_or(rest.len());
                rest.split_at(at)
            })
        else {
            return false;
        };
        // Only tests of owner, group and type, and how to print: the selection then is
        // "what does not have the wanted owner already".
        let mut words = tests.iter();
        while let Some(word) = words.next() {
            match word.as_str() {
                "!" | "-not" | "-or" | "-o" | "-and" | "-a" | "(" | ")" | "-print0" | "-print"
                | "-follow" | "-xdev" => {}
                "-uid" | "-gid" | "-user" | "-group" | "-type" => {
                    words.next();
                }
                _ => return false,
            }
        }
        let mut rest = xargs_words.iter().map(String::as_str).skip(1).peekable();
        if xargs_words.first().map(String::as_str) != Some("xargs") {
            return false;
        }
        while let Some(flag) = rest.next_if(|w| w.starts_with('-')) {
            if !matches!(flag, "-0" | "--null" | "-r" | "--no-run-if-empty") {
                return false;
            }
        }
        let rest: Vec<&str> = rest.skip_while(|w| *w == "sudo").collect();
        let Some((&tool, args)) = rest.split_first() else {
            return false;
        };
        if !matches!(tool, "chown" | "chgrp" | "chmod") {
            return false;
        }
        if dirs.is_empty() || args.iter().any(|a| a.starts_with('-')) {
            return false;
        }
        let mut argv: Vec<String> = vec!["-R".to_owned()];
        argv.extend(args.iter().map(|a| (*a).to_owned()));
        argv.extend(dirs.iter().cloned());
        let text = format!("{} | {}", find_words.join(" "), xargs_words.join(" "));
        let cmd = Cmd {
            line,
            text: text.clone(),
            shown: text,
            redirs: Default::default(),
            decls: Vec::new(),
            env: Vec::new(),
        };
        if let Some(status) = self.regular(&cmd, tool, &argv) {
            self.last = status;
        }
        true
    }

    /// The expanded words of a simple command with no assignments and no redirection
    /// other than silencing ones; `None` otherwise, or when a word is not known (but the
    /// value of a `find` owner test, which stands as `?`).
    fn simple_words(&mut self, simple: &ast::SimpleCommand) -> Option<Vec<String>> {
        if simple.prefix.is_some() {
            return None;
        }
        let mut raw = vec![simple.word_or_name.as_ref()?.value.clone()];
        for item in simple.suffix.iter().flat_map(|s| &s.0) {
            match item {
                ast::CommandPrefixOrSuffixItem::Word(w) => raw.push(w.value.clone()),
                ast::CommandPrefixOrSuffixItem::IoRedirect(r) if is_silencing(r) => {}
                _ => return None,
            }
        }
        let mut words: Vec<String> = Vec::new();
        for word in &raw {
            match self.expand_known(word) {
                Ok(fields) => words.extend(fields),
                // The value of an owner test does not change the end state (`-uid
                // "$(id -u mysql)"`): any placeholder will do.
                Err(_)
                    if words.last().is_some_and(|w| {
                        matches!(w.as_str(), "-uid" | "-gid" | "-user" | "-group")
                    }) =>
                {
                    words.push("?".to_owned());
                }
                Err(_) => return None,
            }
        }
        Some(words)
    }
}
