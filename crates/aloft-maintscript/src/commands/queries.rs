//! Commands that only answer: `test`, `command -v`, `getent`, `id`, `dpkg --compare-versions`
//! and like forms, decided against the image where they can be.

use super::unsupported;
use crate::Account;
use crate::redirect::Cmd;
use crate::shell::{Shell, Status};

impl<'p> Shell<'p, '_> {
    /// The exit status of a query command (`test`, `command -v`, `type`, `which`, `getent`,
    /// `id`, `dpkg`), `Unknown` with `self.why` set where it is not decided.
    pub(super) fn query(&mut self, cmd: &Cmd<'p>, name: &str, args: &[String]) -> Status {
        match name {
            "[" | "test" => {
                let mut args = args.to_vec();
                if name == "[" {
                    if args.last().map(String::as_str) != Some("]") {
                        return Status::Known(2);
                    }
                    args.pop();
                }
                self.why.clear();
                self.eval_test(&args)
            }
            "command" => match args.first().map(String::as_str) {
                None => Status::OK,
                Some("-v" | "-V") => self.command_v_status(args),
                Some(_) => {
                    self.why = format!("`{}` is not modelled", cmd.shown);
                    Status::Unknown
                }
            },
            "type" | "hash" => {
                let found = args
                    .iter()
                    .filter(|a| !a.starts_with('-'))
                    .all(|a| self.command_v(a).is_some());
                Status::from_bool(found)
            }
            "which" => {
                let names: Vec<&String> = args.iter().filter(|a| !a.starts_with('-')).collect();
                Status::from_bool(
                    !names.is_empty() && names.iter().all(|a| self.which(a).is_some()),
                )
            }
            "getent" => {
                let account = match args {
                    [db, key] if db == "passwd" => Some(Account::User(key)),
                    [db, key] if db == "group" => Some(Account::Group(key)),
                    _ => None,
                };
                self.account_status(cmd, account)
            }
            "id" => {
                let names: Vec<&String> = args.iter().filter(|a| !a.starts_with('-')).collect();
                match names.as_slice() {
                    [] => Status::OK,
                    [user] => self.account_status(cmd, Some(Account::User(user))),
                    _ => Status::Unknown,
                }
            }
            "dpkg" => self.dpkg(cmd, args),
            "ls" => self.ls_status(cmd, args),
            "su" | "runuser" => self.su_ownership_test(cmd, args),
            _ => {
                self.why = format!("`{}` is not a query", cmd.shown);
                Status::Unknown
            }
        }
    }

    /// `ls [-L] PATH...` as a test: whether every path exists (its target, with `-L`),
    /// as `ls` fails on a missing one (`if ls -L /usr/lib/python3.13/sitecustomize.py`).
    fn ls_status(&mut self, cmd: &Cmd<'_>, args: &[String]) -> Status {
        let follow = args.iter().any(|a| {
            a == "--dereference" || (a.starts_with('-') && !a.starts_with("--") && a.contains('L'))
        });
        let paths: Vec<&String> = args.iter().filter(|a| !a.starts_with('-')).collect();
        if paths.is_empty() || paths.iter().any(|p| !p.starts_with('/')) {
            self.why = format!("`{}` lists no absolute path", cmd.shown);
            return Status::Unknown;
        }
        Status::from_bool(paths.iter().all(|p| self.file(p, follow).is_some()))
    }

    /// `su [-s SHELL] USER -c "test -O P && test -G P"` (postgresql-common's way to ask
    /// whether a directory is the user's): false when this install made USER, since no
    /// file can be owned by a user that did not exist; undecided otherwise. Any other
    /// command run as another user is not modelled.
    fn su_ownership_test(&mut self, cmd: &Cmd<'_>, args: &[String]) -> Status {
        let mut user = None;
        let mut command = None;
        let mut rest = args.iter();
        while let Some(arg) = rest.next() {
            match arg.as_str() {
                "-s" | "--shell" | "-g" | "--group" => {
                    rest.next();
                }
                "-c" | "--command" => command = rest.next(),
                "-" | "-l" | "--login" | "-p" | "-m" | "--preserve-environment" | "--" => {}
                other if other.starts_with('-') => {}
                other => user = user.or(Some(other)),
            }
        }
        let words: Vec<&str> = command
            .map(|c| c.split_whitespace().collect())
            .unwrap_or_default();
        let only_ownership_tests = !words.is_empty()
            && words.split(|w| *w == "&&").all(|test| {
                matches!(test, ["test", "-O" | "-G", path] | ["[", "-O" | "-G", path, "]"] if path.starts_with('/'))
            });
        match user {
            Some(user)
                if only_ownership_tests
                    && self.accounts_made.contains(&(false, user.to_owned())) =>
            {
                Status::FAIL
            }
            _ => {
                // Not a question: what it does is not known, so it is listed.
                self.skip(
                    cmd.line,
                    &cmd.text,
                    unsupported("a command run as another user (`su`, `runuser`) is not modelled"),
                );
                self.why = format!("`{}` runs a command as another user", cmd.shown);
                Status::Unknown
            }
        }
    }

    pub(super) fn account_status(&mut self, cmd: &Cmd<'p>, account: Option<Account<'_>>) -> Status {
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

    pub(super) fn command_v_status(&mut self, args: &[String]) -> Status {
        let names = &args[1..];
        let found = !names.is_empty() && names.iter().all(|n| self.command_v(n).is_some());
        Status::from_bool(found)
    }

    pub(super) fn dpkg(&mut self, cmd: &Cmd<'p>, args: &[String]) -> Status {
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
            ["--print-architecture"] => Status::OK,
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
}
