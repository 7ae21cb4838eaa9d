//! Whether a command list can change the image at all, whatever its branches decide.

use brush_parser::ast;

use crate::classify::{bytecode_compile_reason, ignored_reason, is_query, is_silencing};
use crate::shell::Shell;

impl Shell<'_, '_> {
    /// Whether a pipeline has no effect on the image whatever its branches do.
    pub(crate) fn is_inert_pipeline(&self, pipeline: &ast::Pipeline) -> bool {
        pipeline.seq.iter().all(|c| self.is_inert_command(c))
    }

    pub(crate) fn is_inert_list(&self, list: &ast::CompoundList) -> bool {
        list.0.iter().all(|item| {
            self.is_inert_pipeline(&item.0.first)
                && item.0.additional.iter().all(|next| {
                    let (ast::AndOr::And(p) | ast::AndOr::Or(p)) = next;
                    self.is_inert_pipeline(p)
                })
        })
    }

    pub(crate) fn is_inert_command(&self, cmd: &ast::Command) -> bool {
        match cmd {
            ast::Command::Simple(simple) => {
                let items = simple
                    .prefix
                    .iter()
                    .flat_map(|p| &p.0)
                    .chain(simple.suffix.iter().flat_map(|s| &s.0));
                let mut args = Vec::new();
                for item in items {
                    match item {
                        ast::CommandPrefixOrSuffixItem::IoRedirect(r) if is_silencing(r) => {}
                        ast::CommandPrefixOrSuffixItem::Word(w) => args.push(w.value.clone()),
                        ast::CommandPrefixOrSuffixItem::AssignmentWord(..)
                            if simple.word_or_name.is_some() => {}
                        _ => return false,
                    }
                }
                let Some(name) = &simple.word_or_name else {
                    return false;
                };
                let name = name.value.as_str();
                if self.functions.contains_key(name) {
                    return false;
                }
                // `exit N` (N != 0): the install would fail there, so that path is taken
                // not to run, as everywhere else.
                let failing_exit = name == "exit"
                    && matches!(args.as_slice(), [code] if code.parse::<i32>().is_ok_and(|c| c != 0));
                matches!(
                    name,
                    "echo" | "printf" | "true" | ":" | "false" | "[" | "test"
                ) || failing_exit
                    || ignored_reason(name).is_some()
                    || bytecode_compile_reason(name, &args.join(" ")).is_some()
                    || is_query(name, &args)
            }
            ast::Command::Compound(compound, redirects) => {
                redirects
                    .as_ref()
                    .is_none_or(|r| r.0.iter().all(is_silencing))
                    && match compound {
                        ast::CompoundCommand::BraceGroup(g) => self.is_inert_list(&g.list),
                        ast::CompoundCommand::Subshell(s) => self.is_inert_list(&s.list),
                        ast::CompoundCommand::IfClause(i) => {
                            self.is_inert_list(&i.condition)
                                && self.is_inert_list(&i.then)
                                && i.elses.iter().flatten().all(|e| {
                                    e.condition.as_ref().is_none_or(|c| self.is_inert_list(c))
                                        && self.is_inert_list(&e.body)
                                })
                        }
                        ast::CompoundCommand::CaseClause(c) => c
                            .cases
                            .iter()
                            .all(|item| item.cmd.as_ref().is_none_or(|l| self.is_inert_list(l))),
                        _ => false,
                    }
            }
            ast::Command::ExtendedTest(..) => true,
            ast::Command::Function(_) => false,
        }
    }
}
