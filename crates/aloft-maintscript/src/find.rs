//! `find` over the image's directory listings: what it selects with the tests scripts use
//! (`-maxdepth`, `-mindepth`, `-type`, `-name`, `-empty`), printed, or, when it selects
//! nothing, any action (`-delete`, `-exec ... \;`) as the no-op it then is.

use crate::FileKind;
use crate::paths;
use crate::shell::Shell;

/// A `find` test.
enum Test {
    Type(char),
    Name(String),
    Empty,
}

/// What `find` does with what it selects.
enum Action {
    Print,
    /// `-delete`, `-exec`: known only when nothing is selected.
    Change,
}

/// A parsed `find` command line.
struct FindArgs {
    starts: Vec<String>,
    min_depth: usize,
    max_depth: usize,
    tests: Vec<Test>,
    action: Action,
}

fn parse(args: &[String]) -> Option<FindArgs> {
    let at = args
        .iter()
        .position(|a| a.starts_with('-') || a == "(" || a == "!")
        .unwrap_or(args.len());
    let (starts, rest) = args.split_at(at);
    let mut find = FindArgs {
        starts: starts.to_vec(),
        min_depth: 0,
        max_depth: usize::MAX,
        tests: Vec::new(),
        action: Action::Print,
    };
    let mut words = rest.iter();
    while let Some(word) = words.next() {
        match word.as_str() {
            "-maxdepth" => find.max_depth = words.next()?.parse().ok()?,
            "-mindepth" => find.min_depth = words.next()?.parse().ok()?,
            "-type" => {
                let kind = words.next()?;
                let mut chars = kind.chars();
                let (Some(c @ ('d' | 'f' | 'l')), None) = (chars.next(), chars.next()) else {
                    return None;
                };
                find.tests.push(Test::Type(c));
            }
            "-name" => find.tests.push(Test::Name(words.next()?.clone())),
            "-empty" => find.tests.push(Test::Empty),
            "-print" | "-xdev" | "-mount" => {}
            "-delete" => find.action = Action::Change,
            "-exec" | "-execdir" => {
                // Up to `;` or `+`.
                words.find(|w| *w == ";" || *w == "+")?;
                find.action = Action::Change;
            }
            _ => return None,
        }
    }
    if find.starts.is_empty() {
        find.starts.push(".".to_owned());
    }
    Some(find)
}

impl Shell<'_, '_> {
    /// The output and status of `find ARGS`, or `None` when that is not known (a test
    /// or action it does not evaluate, a listing it does not have, an action on what
    /// it selects).
    pub(crate) fn find(&self, args: &[String]) -> Option<(String, i32)> {
        let find = parse(args)?;
        self.ctx.listing?;
        let mut selected = Vec::new();
        let mut status = 0;
        for start in &find.starts {
            let path = self.abs(start).ok()?;
            // The start itself is not followed (find's default, `-P`).
            let Some(kind) = self.file(&path, false) else {
                status = 1;
                continue;
            };
            // Depth-first, names in order, as find lists a directory.
            let mut pending = vec![(start.clone(), path, kind, 0usize)];
            while let Some((shown, path, kind, depth)) = pending.pop() {
                let children = if kind == FileKind::Dir && depth < find.max_depth {
                    self.list_now(&path)?
                } else {
                    Vec::new()
                };
                if depth >= find.min_depth && self.selects(&find.tests, &path, &kind, &children)? {
                    selected.push(shown.clone());
                }
                for name in children.iter().rev() {
                    let child = paths::absolute(&path, name);
                    let child_kind = self.file(&child, false)?;
                    let child_shown = format!("{}/{name}", shown.trim_end_matches('/'));
                    pending.push((child_shown, child, child_kind, depth + 1));
                }
            }
        }
        match find.action {
            Action::Print => Some((selected.iter().map(|p| format!("{p}\n")).collect(), status)),
            Action::Change if selected.is_empty() => Some((String::new(), status)),
            Action::Change => None,
        }
    }

    /// Whether every test holds for `path`; `None` when one cannot be decided (`-empty`
    /// of a file: its size is not known here).
    fn selects(
        &self,
        tests: &[Test],
        path: &str,
        kind: &FileKind,
        children: &[String],
    ) -> Option<bool> {
        for test in tests {
            let holds = match test {
                Test::Type(c) => matches!(
                    (c, kind),
                    ('d', FileKind::Dir)
                        | ('f', FileKind::File | FileKind::Executable)
                        | ('l', FileKind::Symlink(_))
                ),
                Test::Name(pattern) => crate::pattern::matches(pattern, paths::basename(path)),
                Test::Empty => match kind {
                    // `children` is empty past -maxdepth: list again.
                    FileKind::Dir => children.is_empty() && self.list_now(path)?.is_empty(),
                    _ => return None,
                },
            };
            if !holds {
                return Some(false);
            }
        }
        Some(true)
    }
}
