//! File commands (`ln`, `mkdir`, `install -d`, `cp`, `mv`, `rm`, `rmdir`, `touch`, `chown`,
//! `chmod`), their options parsed as coreutils parses them.

use super::{Effect, options, unsupported};
use crate::getopt::{self, Arg, long, opt};
use crate::paths;
use crate::shell::{Shell, Status};
use crate::{Call, FileKind, Why};

/// An octal mode (`755`, `0644`, `01733`).
pub(super) fn octal(mode: &str) -> Result<u32, Why> {
    if !mode.is_empty() && mode.len() <= 5 && mode.chars().all(|c| c.is_digit(8)) {
        u32::from_str_radix(mode, 8).map_err(|_| unsupported(format!("the mode `{mode}`")))
    } else {
        Err(unsupported(format!(
            "the symbolic mode `{mode}` is not folded"
        )))
    }
}

impl<'p> Shell<'p, '_> {
    /// A path operand made absolute.
    pub(super) fn operand(&self, path: &str) -> Result<String, Why> {
        self.abs(path).map_err(Why::Undecidable)
    }

    /// Where `cp`/`mv`/`ln` put `source` when told `dest`: inside `dest` when it is a
    /// directory (unless `-T`), else at `dest`.
    pub(super) fn dest_in(
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
    pub(super) fn pairs(
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

    pub(super) fn ln(&mut self, args: &[String]) -> Result<Effect, Why> {
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
        let parsed = options("ln", args, OPTS)?;
        if parsed.has("backup") || (parsed.has("relative") && !parsed.has("symbolic")) {
            return Err(unsupported(
                "`ln --backup` and a relative hard link are not modelled",
            ));
        }
        let symbolic = parsed.has("symbolic");
        let deref = !parsed.has("no-dereference");
        let mut calls = Vec::new();
        for (target, link) in self.pairs(&parsed, deref)? {
            // `--relative`: the target as seen from the link's directory, both with
            // their symbolic links resolved, as `ln -sr` computes it.
            let target = if parsed.has("relative") {
                let absolute = self.operand(&target)?;
                let (Some(to), Some(from)) = (
                    self.canonical(&absolute),
                    self.canonical(paths::parent(&link)),
                ) else {
                    return Err(unsupported(format!(
                        "`ln --relative`: `{absolute}` or `{link}`'s directory cannot be resolved"
                    )));
                };
                paths::relative(&from, &to)
            } else {
                target
            };
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

    pub(super) fn mkdir(&mut self, args: &[String]) -> Result<Effect, Why> {
        const OPTS: &[getopt::Opt] = &[
            opt('p', "parents", Arg::No),
            opt('m', "mode", Arg::Required),
            opt('v', "verbose", Arg::No),
            opt('Z', "selinux", Arg::No),
            long("context", Arg::Optional),
        ];
        let parsed = options("mkdir", args, OPTS)?;
        // A mode that is no mode at all (`-m` took the path, as in ca-certificates'
        // `mkdir -m $(stat ... /usr/local) DIR` when there is no /usr/local): mkdir
        // fails, having made nothing.
        if let Some(mode) = parsed.value("mode")
            && octal(mode).is_err()
            && symbolic_mode(mode, 0o777, true, self.umask).is_none()
        {
            return Ok(Effect {
                calls: Vec::new(),
                status: Status::FAIL,
            });
        }
        let mode = parsed.value("mode").map(octal).transpose()?;
        let mut calls = Vec::new();
        for dir in &parsed.operands {
            let path = self.operand(dir)?;
            let umask_mode = self.umask_mode(&path, true).filter(|_| mode.is_none());
            self.put_dirs(&path);
            calls.push(Call::Mkdir {
                path,
                mode,
                owner: None,
                group: None,
            });
            calls.extend(umask_mode);
        }
        Effect::ok(calls)
    }

    pub(super) fn install(&mut self, args: &[String]) -> Result<Effect, Why> {
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
        let parsed = options("install", args, OPTS)?;
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

    pub(super) fn cp(&mut self, args: &[String]) -> Result<Effect, Why> {
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
        let parsed = options("cp", args, OPTS)?;
        if self.umask != 0o022 {
            return Err(unsupported(
                "a copy made under a umask other than 022 is not followed",
            ));
        }
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

    pub(super) fn mv(&mut self, args: &[String]) -> Result<Effect, Why> {
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
        let parsed = options("mv", args, OPTS)?;
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

    pub(super) fn rm(&mut self, args: &[String]) -> Result<Effect, Why> {
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
        let parsed = options("rm", args, OPTS)?;
        let recursive = parsed.has("r") || parsed.has("recursive");
        let force = parsed.has("f") || parsed.has("force");
        let mut calls = Vec::new();
        for path in &parsed.operands {
            let path = self.operand(path)?;
            // `rm -f` of nothing does nothing (a pattern that matched no file among them).
            if force && self.file(&path, false).is_none() {
                continue;
            }
            self.put_file(&path, None);
            calls.push(Call::Remove { path, recursive });
        }
        Effect::ok(calls)
    }

    pub(super) fn rmdir(&mut self, args: &[String]) -> Result<Effect, Why> {
        const OPTS: &[getopt::Opt] = &[
            long("ignore-fail-on-non-empty", Arg::No),
            opt('p', "parents", Arg::No),
            opt('v', "verbose", Arg::No),
        ];
        let parsed = options("rmdir", args, OPTS)?;
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

    pub(super) fn touch(&mut self, args: &[String]) -> Result<Effect, Why> {
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
        let parsed = options("touch", args, OPTS)?;
        if parsed.has("no-create") {
            // Only times change, and only of files that exist.
            return Effect::ok(Vec::new());
        }
        let mut calls = Vec::new();
        for path in &parsed.operands {
            let path = self.operand(path)?;
            let mode = self.umask_mode(&path, false);
            if self.file(&path, true).is_none() {
                self.put_file(&path, Some(FileKind::File));
            }
            calls.push(Call::Touch { path });
            calls.extend(mode);
        }
        Effect::ok(calls)
    }

    pub(super) fn chown(&mut self, name: &str, args: &[String]) -> Result<Effect, Why> {
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
        let parsed = options(name, args, OPTS)?;
        if parsed.has("from") {
            return Err(unsupported(format!("`{name} --from` is not modelled")));
        }
        let recursive = parsed.has("recursive");
        // `--reference=RFILE FILE...`: RFILE's owner and group (by name where the image
        // has one).
        let reference = match parsed.value("reference") {
            Some(reference) => {
                let Some(meta) = self.metadata_now(reference, true) else {
                    return Err(unsupported(format!(
                        "`{name} --reference`: the owner of `{reference}` is not known"
                    )));
                };
                let owner = meta.owner.unwrap_or_else(|| meta.uid.to_string());
                let group = meta.group.unwrap_or_else(|| meta.gid.to_string());
                Some(if name == "chgrp" {
                    group
                } else {
                    format!("{owner}:{group}")
                })
            }
            None => None,
        };
        let (spec, files) = match (&reference, parsed.operands.as_slice()) {
            (Some(spec), files) => (spec, files),
            (None, [spec, files @ ..]) => (spec, files),
            (None, []) => return Err(unsupported(format!("{name} without operands"))),
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

    pub(super) fn chmod(&mut self, args: &[String]) -> Result<Effect, Why> {
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
        let parsed = options("chmod", args, OPTS)?;
        let recursive = parsed.has("recursive");
        // `--reference=RFILE FILE...`: RFILE's mode; else `MODE FILE...`.
        let (mode, files) = match parsed.value("reference") {
            Some(reference) => {
                let Some(meta) = self.metadata_now(reference, true) else {
                    return Err(unsupported(format!(
                        "`chmod --reference`: the mode of `{reference}` is not known"
                    )));
                };
                (format!("{:o}", meta.mode), parsed.operands.as_slice())
            }
            None => match parsed.operands.as_slice() {
                [mode, files @ ..] => (mode.clone(), files),
                [] => return Err(unsupported("chmod without operands")),
            },
        };
        let mut calls = Vec::new();
        for file in files {
            let path = self.operand(file)?;
            let mode = match octal(&mode) {
                Ok(mode) => mode,
                // `+x`, `u=rw,go=r`: folded over the file's mode as the image has it.
                Err(why) if recursive => return Err(why),
                Err(why) => {
                    let meta = self.metadata_now(&path, true).ok_or(why)?;
                    let dir = self.file(&path, true) == Some(FileKind::Dir);
                    symbolic_mode(&mode, meta.mode, dir, self.umask).ok_or_else(|| {
                        unsupported(format!("the symbolic mode `{mode}` is not understood"))
                    })?
                }
            };
            calls.push(Call::Chmod {
                mode,
                path,
                recursive,
            });
        }
        Effect::ok(calls)
    }
}

/// A symbolic mode (`+x`, `u=rw,go-w`, `a+rX`) applied to `current`, as GNU chmod
/// applies it: without a who, the bits set in `umask` are left alone; `=` keeps a
/// directory's set-id bits unless it names them. `None` when it is no such mode.
pub(crate) fn symbolic_mode(spec: &str, current: u32, dir: bool, umask: u32) -> Option<u32> {
    let mut mode = current & 0o7777;
    for clause in spec.split(',') {
        let ops_at = clause.find(['+', '-', '='])?;
        let (who, mut rest) = clause.split_at(ops_at);
        let mut mask = 0;
        for w in who.chars() {
            mask |= match w {
                'u' => 0o4700,
                'g' => 0o2070,
                'o' => 0o1007,
                'a' => 0o7777,
                _ => return None,
            };
        }
        let masked = who.is_empty();
        if masked {
            mask = 0o7777;
        }
        while let Some(op) = rest.chars().next() {
            if !matches!(op, '+' | '-' | '=') {
                return None;
            }
            rest = &rest[1..];
            let perms_end = rest.find(['+', '-', '=']).unwrap_or(rest.len());
            let (perms, next) = rest.split_at(perms_end);
            rest = next;
            let mut bits = 0;
            for p in perms.chars() {
                bits |= match p {
                    'r' => 0o444,
                    'w' => 0o222,
                    'x' => 0o111,
                    // Execute only for directories, or where some execute bit is set.
                    'X' if dir || mode & 0o111 != 0 => 0o111,
                    'X' => 0,
                    's' => 0o6000,
                    't' => 0o1000,
                    _ => return None,
                };
            }
            // Without a who, the bits set in the umask are not affected.
            let affected = if masked { mask & !umask } else { mask };
            let change = bits & affected;
            mode = match op {
                '+' => mode | change,
                '-' => mode & !change,
                _ => {
                    let mut cleared = affected & 0o777;
                    // Set-id bits: cleared by `=` only when named, or not a directory.
                    if !dir || bits & 0o6000 != 0 {
                        cleared |= affected & 0o7000;
                    }
                    (mode & !cleared) | change
                }
            };
        }
    }
    Some(mode)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn symbolic_modes_fold_as_chmod_folds_them() {
        assert_eq!(symbolic_mode("+x", 0o644, false, 0o022), Some(0o755));
        assert_eq!(symbolic_mode("u+x", 0o644, false, 0o022), Some(0o744));
        assert_eq!(symbolic_mode("go-w", 0o666, false, 0o022), Some(0o644));
        assert_eq!(symbolic_mode("u=rw,go=r", 0o755, false, 0o022), Some(0o644));
        assert_eq!(symbolic_mode("a+rX", 0o600, true, 0o022), Some(0o755));
        assert_eq!(symbolic_mode("a+rX", 0o600, false, 0o022), Some(0o644));
        assert_eq!(symbolic_mode("g+s", 0o755, true, 0o022), Some(0o2755));
        assert_eq!(symbolic_mode("+t", 0o777, true, 0o022), Some(0o1777));
        assert_eq!(symbolic_mode("u+q", 0o644, false, 0o022), None);
        assert_eq!(symbolic_mode("755", 0o644, false, 0o022), None);
        // Without a who, `-` and `=` leave the umask's bits alone; `=` keeps a
        // directory's set-id bits.
        assert_eq!(symbolic_mode("-w", 0o666, false, 0o022), Some(0o466));
        assert_eq!(symbolic_mode("=r", 0o2755, true, 0o022), Some(0o2444));
        assert_eq!(symbolic_mode("+r", 0o600, false, 0o077), Some(0o600));
    }

    #[test]
    fn modes() {
        assert_eq!(octal("01733").ok(), Some(0o1733));
        assert_eq!(octal("755").ok(), Some(0o755));
        assert!(octal("u+x").is_err());
        assert!(octal("9").is_err());
    }
}
