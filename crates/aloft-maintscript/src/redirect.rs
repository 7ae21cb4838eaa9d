//! A simple command as the dispatcher sees it, and its redirections.

use brush_parser::ast;

use crate::shell::Shell;

/// Where a simple command's output goes, and what it reads as a here-document.
#[derive(Debug, Default)]
pub(crate) struct Redirs {
    /// Standard output written to a file: the path and whether it is appended to.
    pub(crate) stdout: Option<Result<(String, bool), String>>,
    /// Another descriptor written to a file.
    pub(crate) other: Option<Result<String, String>>,
    /// A here-document or here-string on standard input.
    pub(crate) heredoc: Option<Result<String, String>>,
    /// Standard output goes nowhere the script reads: `>/dev/null`, `>&2`.
    pub(crate) discarded: bool,
    /// Standard input comes from a file (`< FILE`), not from what the command is in.
    pub(crate) input_redirected: bool,
}

/// A simple command ready to be dispatched.
pub(crate) struct Cmd<'p> {
    pub(crate) line: usize,
    /// As written.
    pub(crate) text: String,
    /// Expanded where known, as written elsewhere (for `Ignored`).
    pub(crate) shown: String,
    pub(crate) redirs: Redirs,
    /// `name=value` arguments as the parser saw them (`local x=$y`).
    pub(crate) decls: Vec<&'p ast::Assignment>,
    /// `name=value` words before the command (`IFS='#' read -r line`).
    pub(crate) env: Vec<&'p ast::Assignment>,
}

impl<'p> Shell<'p, '_> {
    pub(crate) fn redirections(&mut self, redirects: &[&'p ast::IoRedirect]) -> Redirs {
        let mut out = Redirs::default();
        for redirect in redirects {
            match redirect {
                ast::IoRedirect::File(fd, kind, target) => {
                    let writes = matches!(
                        kind,
                        ast::IoFileRedirectKind::Write
                            | ast::IoFileRedirectKind::Append
                            | ast::IoFileRedirectKind::Clobber
                            | ast::IoFileRedirectKind::ReadAndWrite
                    );
                    let ast::IoFileRedirectTarget::Filename(word) = target else {
                        match target {
                            ast::IoFileRedirectTarget::ProcessSubstitution(..) => {
                                out.other = Some(Err("a process substitution".to_owned()));
                            }
                            // `>&2`: standard output to standard error.
                            ast::IoFileRedirectTarget::Duplicate(to)
                                if matches!(fd, None | Some(1)) && to.value != "1" =>
                            {
                                out.discarded = true;
                            }
                            ast::IoFileRedirectTarget::Fd(to)
                                if matches!(fd, None | Some(1)) && *to != 1 =>
                            {
                                out.discarded = true;
                            }
                            _ => {}
                        }
                        continue;
                    };
                    if !writes {
                        if matches!(kind, ast::IoFileRedirectKind::Read)
                            && matches!(fd, None | Some(0))
                        {
                            out.input_redirected = true;
                        }
                        continue;
                    }
                    let path = self.redirect_path(&word.value);
                    // Devices are not files of the image: `/dev/stdout` changes nothing,
                    // `/dev/null`, `/dev/stderr`, a terminal take the output away.
                    if let Ok(device) = path.as_deref()
                        && device.starts_with("/dev/")
                    {
                        if matches!(fd, None | Some(1)) && device != "/dev/stdout" {
                            out.discarded = true;
                        }
                        continue;
                    }
                    let append = matches!(kind, ast::IoFileRedirectKind::Append);
                    if matches!(fd, None | Some(1))
                        && !matches!(kind, ast::IoFileRedirectKind::ReadAndWrite)
                    {
                        out.stdout = Some(path.map(|p| (p, append)));
                    } else {
                        out.other = Some(path);
                    }
                }
                ast::IoRedirect::OutputAndError(word, append) => {
                    let path = self.redirect_path(&word.value);
                    if path.as_deref() == Ok("/dev/null") {
                        out.discarded = true;
                    } else {
                        out.stdout = Some(path.map(|p| (p, *append)));
                    }
                }
                ast::IoRedirect::HereDocument(_, doc) => {
                    out.heredoc = Some(self.expand_heredoc(doc));
                }
                ast::IoRedirect::HereString(_, word) => {
                    out.heredoc = Some(self.expand_one(&word.value).map(|s| s + "\n"));
                }
            }
        }
        out
    }

    /// A redirection's target made absolute; `/dev/null` stays as written.
    fn redirect_path(&mut self, word: &str) -> Result<String, String> {
        self.expand_one(word).and_then(|p| {
            if p == "/dev/null" {
                Ok(p)
            } else {
                self.abs(&p)
            }
        })
    }
}
