//! What commands print, when that is known without running anything: `$(...)` and the
//! pipelines whose every stage is a known query or a text filter.

use brush_parser::ast;

use crate::FileKind;
use crate::filters::{self, FileText};
use crate::shell::Shell;

impl Shell<'_, '_> {
    /// The output and exit status of `argv` given `input` on its standard input (`None`:
    /// none, or not known), or why it is not known.
    pub(crate) fn known_output(
        &mut self,
        argv: &[String],
        input: Option<&str>,
    ) -> Result<(String, i32), String> {
        let unknown = || format!("the output of `{}` is not known", argv.join(" "));
        let Some((name, args)) = argv.split_first() else {
            return Ok((String::new(), 0));
        };
        if self.functions.contains_key(name.as_str()) {
            return Err(unknown());
        }
        if filters::is_filter(name) {
            let read = |path: &str| self.image_text(path);
            return filters::run(name, args, input, &read);
        }
        let strs: Vec<&str> = args.iter().map(String::as_str).collect();
        let line = |text: String| Ok((format!("{text}\n"), 0));
        match (name.as_str(), strs.as_slice()) {
            ("cat", [] | ["-"]) => input
                .map(|text| (text.to_owned(), 0))
                .ok_or_else(|| "the input of `cat` is not known".to_owned()),
            ("cat", files) if !files.iter().any(|f| f.starts_with('-')) => {
                let mut text = String::new();
                for file in files {
                    match self.image_text(file) {
                        FileText::Text(contents) => text.push_str(&contents),
                        _ => return Err(format!("the contents of `{file}` are not known")),
                    }
                }
                Ok((text, 0))
            }
            ("command", ["-v", name]) => match self.command_v(name) {
                Some(found) => line(found),
                None => Ok((String::new(), 1)),
            },
            ("which", [name]) => match self.which(name) {
                Some(found) => line(found),
                None => Ok((String::new(), 1)),
            },
            ("true" | ":", _) => Ok((String::new(), 0)),
            ("false", _) => Ok((String::new(), 1)),
            // dash's echo interprets backslash escapes: not evaluated here.
            ("echo", rest) if !self.bash && rest.iter().any(|a| a.contains('\\')) => Err(unknown()),
            ("echo", rest) if rest.first() != Some(&"-e") => match rest {
                ["-n", rest @ ..] => Ok((rest.join(" "), 0)),
                rest => line(rest.join(" ")),
            },
            ("printf", [format]) if !format.contains(['%', '\\']) => Ok(((*format).to_owned(), 0)),
            ("printf", ["%s\\n", rest @ ..]) => {
                Ok((rest.iter().map(|a| format!("{a}\n")).collect(), 0))
            }
            ("printf", ["%s", rest @ ..]) => Ok((rest.concat(), 0)),
            ("getent", [db @ ("passwd" | "group"), keys @ ..]) => self.getent(db, keys),
            (
                "id",
                [
                    flag @ ("-Gn" | "-nG" | "-gn" | "-ng" | "-un" | "-nu" | "-u" | "-g" | "-G"),
                    user,
                ],
            ) => self.id_of(flag, user),
            ("dpkg-query", rest) => self.dpkg_query(rest).ok_or_else(unknown),
            ("find", _) => self.find(args).ok_or_else(unknown),
            ("mktemp", _) => self.mktemp(&strs).ok_or_else(unknown),
            ("stat", _) => self.stat(&strs).ok_or_else(unknown),
            ("umask", []) => line(format!("{:04o}", self.umask)),
            // `perl -e ""` (libc6's test that perl is usable): perl runs an empty
            // program when the image has it.
            ("perl", ["-e", ""]) => Ok((
                String::new(),
                if self.which("perl").is_some() { 0 } else { 127 },
            )),
            // aloft writes no file capabilities into a layer: none to list.
            ("getcap", files) if !files.is_empty() && !files.iter().any(|f| f.starts_with('-')) => {
                Ok((String::new(), 0))
            }
            // php-common's `phpquery -M -v VERSION`: the modules phpenmod registered.
            ("phpquery", ["-M", "-v", version] | ["-v", version, "-M"]) => {
                let registry = format!("/var/lib/php/modules/{version}/registry");
                let names = self.list_now(&registry).ok_or_else(unknown)?;
                Ok((names.iter().map(|n| format!("{n}\n")).collect(), 0))
            }
            ("update-alternatives", [query @ ("--query" | "--list"), name]) => {
                match self.alternative(name).ok_or_else(unknown)? {
                    // "error: no alternatives for NAME" on stderr.
                    None => Ok((String::new(), 2)),
                    Some(alternative) if *query == "--list" => Ok((
                        alternative
                            .choices
                            .iter()
                            .map(|c| format!("{}\n", c.path))
                            .collect(),
                        0,
                    )),
                    Some(alternative) => Ok((query_text(name, &alternative), 0)),
                }
            }
            ("dpkg-divert", [query @ ("--listpackage" | "--truename"), path]) => {
                let diversion = self.diverted(path).ok_or_else(unknown)?;
                let text = match (*query, diversion) {
                    ("--listpackage", None) => return Ok((String::new(), 0)),
                    ("--listpackage", Some((package, _))) => {
                        package.unwrap_or_else(|| "LOCAL".to_owned())
                    }
                    (_, None) => (*path).to_owned(),
                    (_, Some((_, divert_to))) => divert_to,
                };
                line(text)
            }
            ("readlink", ["-f" | "--canonicalize", path])
            | ("realpath", [path])
            | ("dpkg-realpath", [path] | ["--root", "" | "/", path]) => {
                match self.canonical(path) {
                    Some(found) => line(found),
                    None => Ok((String::new(), 1)),
                }
            }
            // `-e`: every component must exist.
            ("readlink", ["-e" | "--canonicalize-existing", path]) => {
                let found = self
                    .abs(path)
                    .ok()
                    .and_then(|p| crate::paths::lookup(&|q| self.lstat_now(q), &p, true));
                match found {
                    Some((resolved, _)) => line(resolved),
                    None => Ok((String::new(), 1)),
                }
            }
            // Nothing listens while an image is built: `ss` prints its header only.
            ("ss", flags)
                if flags
                    .iter()
                    .all(|f| f.starts_with('-') || f.contains("sport") || f.contains("dport")) =>
            {
                if flags.iter().any(|f| *f == "-H" || *f == "--no-header") {
                    Ok((String::new(), 0))
                } else {
                    line(
                        "State  Recv-Q Send-Q Local Address:Port Peer Address:Port Process"
                            .to_owned(),
                    )
                }
            }
            ("dpkg", ["--print-architecture"]) => self
                .ctx
                .native_architecture
                .map(|arch| (format!("{arch}\n"), 0))
                .ok_or_else(|| "the image's architecture is not known".to_owned()),
            // Maintainer scripts run as root.
            ("id", ["-u" | "-g" | "-ru" | "-rg"]) => line("0".to_owned()),
            ("id", ["-un" | "-gn"]) | ("whoami", []) => line("root".to_owned()),
            // Containers run on Linux.
            ("uname", [] | ["-s"]) => line("Linux".to_owned()),
            ("readlink", [path]) => match self.abs(path).map(|p| self.file(&p, false))? {
                Some(FileKind::Symlink(target)) => line(target),
                _ => Ok((String::new(), 1)),
            },
            ("seq", rest) => crate::expand::seq(rest)
                .map(|text| (format!("{text}\n"), 0))
                .ok_or_else(unknown),
            ("basename", [path]) => line(crate::paths::basename(path).to_owned()),
            ("basename", [path, suffix]) => {
                let base = crate::paths::basename(path);
                line(
                    base.strip_suffix(suffix)
                        .filter(|b| !b.is_empty())
                        .unwrap_or(base)
                        .to_owned(),
                )
            }
            ("dirname", [path]) if path.starts_with('/') => {
                line(crate::paths::parent(&crate::paths::normalize(path)).to_owned())
            }
            _ => Err(unknown()),
        }
    }

    /// What `getent passwd|group [KEY...]` prints, from the account files the script
    /// started with: unknown where an account the script made could be concerned. Exit
    /// status 2 when a key is not found, as getent's.
    fn getent(&self, db: &str, keys: &[&str]) -> Result<(String, i32), String> {
        let unknown = || {
            format!(
                "the output of `getent {db} {}` is not known",
                keys.join(" ")
            )
        };
        let (passwd, group) = self.ctx.account_files.ok_or_else(unknown)?;
        let is_group = db == "group";
        let made_here = |key: &str| {
            let numeric = key.bytes().all(|b| b.is_ascii_digit());
            self.accounts_made
                .iter()
                .any(|(group, name)| *group == is_group && (numeric || name == key))
        };
        if keys.is_empty()
            && self
                .accounts_made
                .iter()
                .any(|(group, _)| *group == is_group)
            || keys.iter().any(|key| made_here(key))
        {
            return Err(unknown());
        }
        let text = if is_group { group } else { passwd };
        if keys.is_empty() {
            return Ok((text.to_owned(), 0));
        }
        let mut out = String::new();
        let mut status = 0;
        for key in keys {
            let found = text.lines().find(|line| {
                let fields: Vec<&str> = line.split(':').collect();
                fields.first() == Some(key) || fields.get(2) == Some(key)
            });
            match found {
                Some(line) => {
                    out.push_str(line);
                    out.push('\n');
                }
                None => status = 2,
            }
        }
        Ok((out, status))
    }

    /// `mktemp [-d] [-p DIR | --tmpdir[=DIR] | -t] [TEMPLATE]`: a name of its own
    /// (`/tmp/tmp.aloft1`, the template's `X`s replaced by `aloft` and a count), made
    /// empty, as mktemp makes it; the same on every build.
    fn mktemp(&mut self, args: &[&str]) -> Option<(String, i32)> {
        let mut dir_kind = false;
        let mut base: Option<String> = None;
        let mut template: Option<&str> = None;
        let mut words = args.iter();
        while let Some(arg) = words.next() {
            match *arg {
                "-d" | "--directory" => dir_kind = true,
                "-q" | "--quiet" => {}
                "-t" | "--tmpdir" => base = Some("/tmp".to_owned()),
                "-p" => base = Some((*words.next()?).to_owned()),
                a if a.starts_with("--tmpdir=") => base = Some(a["--tmpdir=".len()..].to_owned()),
                a if a.starts_with('-') => return None,
                a => template = Some(a),
            }
        }
        self.temp_files += 1;
        // A helper script's reading counts from 1 too: its depth keeps its names apart.
        let unique = match self.helper_depth {
            0 => format!("aloft{}", self.temp_files),
            depth => format!("aloft{depth}-{}", self.temp_files),
        };
        let name = match template {
            None => format!("tmp.{unique}"),
            Some(t) => {
                let stem = t.trim_end_matches('X');
                if t.len() - stem.len() < 3 {
                    return None;
                }
                format!("{stem}{unique}")
            }
        };
        let path = match (template, base) {
            // A template without --tmpdir is relative to the current directory.
            (Some(_), None) => name,
            (_, base) => format!(
                "{}/{name}",
                base.as_deref().unwrap_or("/tmp").trim_end_matches('/')
            ),
        };
        let path = self.abs(&path).ok()?;
        let kind = if dir_kind {
            FileKind::Dir
        } else {
            FileKind::File
        };
        self.put_file(&path, Some(kind));
        // Made at once, private (0600, a directory 0700), as mktemp makes it; what the
        // script writes into it and its removal follow in order.
        let made = if dir_kind {
            crate::Call::Mkdir {
                path: path.clone(),
                mode: Some(0o700),
                owner: None,
                group: None,
            }
        } else {
            crate::Call::Touch { path: path.clone() }
        };
        self.emit(self.line, made);
        if !dir_kind {
            let private = crate::Call::Chmod {
                mode: 0o600,
                path: path.clone(),
                recursive: false,
            };
            self.emit(self.line, private);
        }
        Some((format!("{path}\n"), 0))
    }

    /// `id -u|-g|-un|-gn|-Gn USER` from the account files the script started with.
    fn id_of(&self, flag: &str, user: &str) -> Result<(String, i32), String> {
        let unknown = || format!("the output of `id {flag} {user}` is not known");
        // A user this script made: its group names, where its calls named them.
        if let Some(groups) = self.user_groups.get(user) {
            return match flag {
                "-Gn" | "-nG" => Ok((format!("{}\n", groups.join(" ")), 0)),
                "-gn" | "-ng" => Ok((
                    format!("{}\n", groups.first().map_or("", String::as_str)),
                    0,
                )),
                "-un" | "-nu" => Ok((format!("{user}\n"), 0)),
                _ => Err(unknown()),
            };
        }
        let (passwd, group) = self.ctx.account_files.ok_or_else(unknown)?;
        if self.accounts_made.iter().any(|(_, name)| name == user) {
            return Err(unknown());
        }
        let Some(entry) = passwd
            .lines()
            .map(|l| l.split(':').collect::<Vec<_>>())
            .find(|f| f.first() == Some(&user) && f.len() >= 4)
        else {
            return Ok((String::new(), 1));
        };
        let gid = entry[3];
        let groups: Vec<Vec<&str>> = group.lines().map(|l| l.split(':').collect()).collect();
        let primary = groups
            .iter()
            .find(|g| g.get(2) == Some(&gid))
            .and_then(|g| g.first());
        let text = match flag {
            "-u" => entry[2].to_owned(),
            "-g" => gid.to_owned(),
            "-un" | "-nu" => user.to_owned(),
            "-gn" | "-ng" => (*primary.ok_or_else(unknown)?).to_owned(),
            _ => {
                // The primary group first, then every group listing the user.
                let mut names: Vec<&str> = primary.into_iter().copied().collect();
                for g in &groups {
                    let member = g.get(3).is_some_and(|m| m.split(',').any(|m| m == user));
                    if member && g.first().is_some_and(|n| !names.contains(n)) {
                        names.push(g[0]);
                    }
                }
                if flag == "-G" {
                    let ids: Vec<&str> = names
                        .iter()
                        .filter_map(|n| {
                            groups
                                .iter()
                                .find(|g| g.first() == Some(n))
                                .and_then(|g| g.get(2))
                                .copied()
                        })
                        .collect();
                    ids.join(" ")
                } else {
                    names.join(" ")
                }
            }
        };
        Ok((format!("{text}\n"), 0))
    }

    /// `dpkg-query -W [-f FORMAT] PACKAGE...` (`-f` and `--showformat`, also glued):
    /// the fields `Package`, `binary:Package`, `Version`, `Architecture`,
    /// `db:Status-Want`, `db:Status-Status` and `Status` of the image's packages, every
    /// one of which is installed. Status 1 when a package is not in the image.
    fn dpkg_query(&self, args: &[&str]) -> Option<(String, i32)> {
        let installed = self.ctx.installed?;
        // `-L PACKAGE` (`--listfiles`): `/.`, then the package's paths.
        if let ["-L" | "--listfiles", package] = args {
            let bare = package.split(':').next().unwrap_or(package);
            return Some(match (self.ctx.package_files?)(bare) {
                Some(paths) => {
                    let mut text = "/.\n".to_owned();
                    for path in paths {
                        text.push_str(&path);
                        text.push('\n');
                    }
                    (text, 0)
                }
                None => (String::new(), 1),
            });
        }
        // `--control-path PACKAGE [FILE]`: a package the image lacks has none (status 1);
        // the image keeps no /var/lib/dpkg/info, so an installed one prints nothing.
        if let ["--control-path", package, ..] = args {
            let bare = package.split(':').next().unwrap_or(package);
            return Some((String::new(), i32::from(installed(bare).is_none())));
        }
        let mut format = "${binary:Package}\t${Version}\n".to_owned();
        let mut show = false;
        let mut names = Vec::new();
        let mut words = args.iter();
        while let Some(arg) = words.next() {
            match *arg {
                "-W" | "--show" => show = true,
                "-f" | "--showformat" => format = (*words.next()?).to_owned(),
                a if a.starts_with("--showformat=") => {
                    format = a["--showformat=".len()..].to_owned()
                }
                // dpkg's option parser takes `-fFORMAT` and `-f=FORMAT` alike (locales'
                // postinst writes the latter).
                a if a.starts_with("-f") && a.len() > 2 => {
                    format = a[2..].strip_prefix('=').unwrap_or(&a[2..]).to_owned();
                }
                a if a.starts_with('-') => return None,
                a => names.push(a),
            }
        }
        if !show || names.is_empty() || names.iter().any(|n| n.contains(['*', '?', '['])) {
            return None;
        }
        let mut out = String::new();
        let mut status = 0;
        for name in names {
            let bare = name.split(':').next().unwrap_or(name);
            let Some((version, architecture)) = installed(bare) else {
                status = 1;
                continue;
            };
            let qualified = if architecture == "all" {
                bare.to_owned()
            } else {
                format!("{bare}:{architecture}")
            };
            let mut text = String::new();
            let mut rest = format.as_str();
            while let Some(at) = rest.find("${") {
                text.push_str(&rest[..at]);
                let end = rest[at..].find('}')? + at;
                let field = &rest[at + 2..end];
                // `${Field;WIDTH}`: only the field is taken.
                let field = field.split(';').next().unwrap_or(field);
                text.push_str(match field {
                    "Package" => bare,
                    // dpkg qualifies only Multi-Arch: same packages, which is not
                    // known here.
                    "binary:Package" if architecture == "all" => &qualified,
                    "binary:Package" => return None,
                    "Version" => &version,
                    "Architecture" => &architecture,
                    "db:Status-Want" => "install",
                    "db:Status-Status" => "installed",
                    "db:Status-Eflag" => "ok",
                    "Status" => "install ok installed",
                    _ => return None,
                });
                rest = &rest[end + 1..];
            }
            text.push_str(rest);
            out.push_str(&unescape_format(&text));
        }
        Some((out, status))
    }

    /// The text of an image file the scripts have not changed (small files only);
    /// `/dev/null` is empty.
    pub(crate) fn image_text(&self, path: &str) -> FileText {
        let Ok(path) = self.abs(path) else {
            return FileText::Unknown;
        };
        if path == "/dev/null" {
            return FileText::Text(String::new());
        }
        match self.file(&path, true) {
            None => return FileText::Missing,
            Some(FileKind::File | FileKind::Executable) => {}
            Some(_) => return FileText::Unknown,
        }
        if self.overlay.contains_key(path.as_str()) {
            return FileText::Unknown;
        }
        match self.ctx.files_text.and_then(|read| read(&path)) {
            Some(text) => FileText::Text(text),
            None => FileText::Unknown,
        }
    }

    /// Each stage of a pipeline of simple commands, its words expanded; `None` when a
    /// stage is anything else, or has a redirection whose effect on its output or input
    /// is not evaluated (see [`stage_redirect`]).
    pub(crate) fn pipeline_words(
        &mut self,
        stages: &[ast::Command],
    ) -> Option<Result<Vec<Stage>, String>> {
        let mut all = Vec::new();
        for stage in stages {
            let ast::Command::Simple(simple) = stage else {
                return None;
            };
            if simple.prefix.is_some() {
                return None;
            }
            let mut words = Vec::new();
            let mut discard_output = false;
            words.extend(simple.word_or_name.iter().map(|w| w.value.clone()));
            for item in simple.suffix.iter().flat_map(|s| &s.0) {
                match item {
                    ast::CommandPrefixOrSuffixItem::Word(w) => words.push(w.value.clone()),
                    ast::CommandPrefixOrSuffixItem::IoRedirect(r) => {
                        discard_output |= stage_redirect(r, discard_output)?;
                    }
                    _ => return None,
                }
            }
            all.push((words, discard_output));
        }
        let mut expanded = Vec::new();
        for (words, discard_output) in all {
            let mut argv = Vec::new();
            for word in &words {
                match self.expand_known(word) {
                    Ok(fields) => argv.extend(fields),
                    Err(why) => return Some(Err(why)),
                }
            }
            expanded.push(Stage {
                argv,
                discard_output,
            });
        }
        Some(Ok(expanded))
    }

    /// The output and status of a pipeline of known commands: each stage's output is the
    /// next one's input; the status is the last stage's.
    pub(crate) fn pipeline_output(&mut self, stages: &[Stage]) -> Result<(String, i32), String> {
        self.pipeline_output_from(stages, None)
    }

    /// As [`Self::pipeline_output`], the first stage reading `input` when given.
    pub(crate) fn pipeline_output_from(
        &mut self,
        stages: &[Stage],
        input: Option<(String, i32)>,
    ) -> Result<(String, i32), String> {
        let mut carried: Option<(String, i32)> = input;
        for stage in stages {
            let input = carried.as_ref().map(|(text, _)| text.as_str());
            let (text, status) = self.known_output(&stage.argv, input)?;
            let text = if stage.discard_output {
                String::new()
            } else {
                text
            };
            carried = Some((text, status));
        }
        Ok(carried.unwrap_or_default())
    }
}

/// dpkg-query's format escapes: `\n`, `\t`, `\\`.
fn unescape_format(text: &str) -> String {
    text.replace("\\n", "\n")
        .replace("\\t", "\t")
        .replace("\\\\", "\\")
}

/// One stage of a pipeline whose output is used: its words, and whether its standard
/// output goes elsewhere (`>/dev/null`, `>&2`).
pub(crate) struct Stage {
    pub(crate) argv: Vec<String>,
    pub(crate) discard_output: bool,
}

/// What a redirection does to a stage whose output or input is used: `Some(true)` its
/// standard output is discarded (`>/dev/null`, `>&2`, `&>/dev/null`), `Some(false)`
/// nothing that matters (`2>/dev/null`, `2>&-`), `None` what is not evaluated: its
/// standard input from elsewhere (`<FILE`, here-documents), its error output merged
/// (`2>&1`, unless standard output was discarded before: `>/dev/null 2>&1`), a file
/// written.
pub(crate) fn stage_redirect(redirect: &ast::IoRedirect, output_discarded: bool) -> Option<bool> {
    use ast::IoFileRedirectKind as Kind;
    use ast::IoFileRedirectTarget as Target;
    match redirect {
        ast::IoRedirect::File(fd, kind, target) => {
            let fd = fd.unwrap_or(match kind {
                Kind::Read | Kind::DuplicateInput | Kind::ReadAndWrite => 0,
                _ => 1,
            });
            let null = matches!(target, Target::Filename(w) if w.value == "/dev/null");
            let duplicate = match target {
                Target::Duplicate(w) => Some(w.value.as_str()),
                Target::Fd(n) => match *n {
                    1 => Some("1"),
                    2 => Some("2"),
                    _ => Some(""),
                },
                _ => None,
            };
            match (fd, kind, null, duplicate) {
                (0, ..) => None,
                (1, Kind::Write | Kind::Append | Kind::Clobber, true, _) => Some(true),
                (1, Kind::DuplicateOutput, _, Some("2" | "-")) => Some(true),
                (2, Kind::Write | Kind::Append | Kind::Clobber, true, _) => Some(false),
                (2, Kind::DuplicateOutput, _, Some("-")) => Some(false),
                (2, Kind::DuplicateOutput, _, Some("1")) if output_discarded => Some(false),
                _ => None,
            }
        }
        ast::IoRedirect::OutputAndError(w, _) if w.value == "/dev/null" => Some(true),
        _ => None,
    }
}

impl Shell<'_, '_> {
    /// `stat [-L] -c FORMAT FILE` (or `--format=`, `--printf=`) of a file as the image
    /// ships it: `%a` `%U` `%G` `%u` `%g` `%n` `%%`; `None` for anything else.
    fn stat(&self, args: &[&str]) -> Option<(String, i32)> {
        let (mut format, mut newline, mut follow, mut file) = (None, true, false, None);
        let mut words = args.iter();
        while let Some(arg) = words.next() {
            match *arg {
                "-L" | "--dereference" => follow = true,
                "-c" => format = Some((*words.next()?).to_owned()),
                a if a.starts_with("--format=") => format = Some(a["--format=".len()..].to_owned()),
                a if a.starts_with("--printf=") => {
                    format = Some(a["--printf=".len()..].to_owned());
                    newline = false;
                }
                a if a.starts_with('-') => return None,
                a if file.is_none() => file = Some(a),
                _ => return None,
            }
        }
        // No such file: stat prints nothing on its standard output, and fails.
        if self.file(&self.abs(file?).ok()?, follow).is_none() {
            return Some((String::new(), 1));
        }
        let meta = self.metadata_now(file?, follow)?;
        let mut out = String::new();
        let mut chars = format?.chars().collect::<Vec<_>>().into_iter();
        while let Some(c) = chars.next() {
            if c != '%' {
                out.push(c);
                continue;
            }
            match chars.next()? {
                'a' => out.push_str(&format!("{:o}", meta.mode & 0o7777)),
                'U' => out.push_str(meta.owner.as_deref().unwrap_or("UNKNOWN")),
                'G' => out.push_str(meta.group.as_deref().unwrap_or("UNKNOWN")),
                'u' => out.push_str(&meta.uid.to_string()),
                'g' => out.push_str(&meta.gid.to_string()),
                'n' => out.push_str(file?),
                '%' => out.push('%'),
                _ => return None,
            }
        }
        if newline {
            out.push('\n');
        }
        Some((out, 0))
    }
}

/// What `update-alternatives --query NAME` prints: the alternative, then each choice, in
/// its machine-readable format.
fn query_text(name: &str, alternative: &crate::Alternative) -> String {
    let mut text = format!("Name: {name}\nLink: {}\n", alternative.link);
    let mut slaves: Vec<&(String, String)> = alternative.slaves.iter().collect();
    slaves.sort();
    if !slaves.is_empty() {
        text.push_str("Slaves:\n");
        for (slave, link) in &slaves {
            text.push_str(&format!(" {slave} {link}\n"));
        }
    }
    let status =
        if alternative.manual.is_some() && alternative.value() == alternative.manual.as_deref() {
            "manual"
        } else {
            "auto"
        };
    text.push_str(&format!(
        "Status: {status}\nBest: {}\nValue: {}\n",
        alternative.best().unwrap_or_default(),
        alternative.value().unwrap_or("none"),
    ));
    let mut choices: Vec<&crate::AlternativeChoice> = alternative.choices.iter().collect();
    choices.sort_by(|a, b| a.path.cmp(&b.path));
    for crate::AlternativeChoice {
        path,
        priority,
        slaves: choice_slaves,
    } in choices
    {
        text.push_str(&format!("\nAlternative: {path}\nPriority: {priority}\n"));
        let mut choice_slaves: Vec<&(String, String)> = choice_slaves.iter().collect();
        choice_slaves.sort();
        if !choice_slaves.is_empty() {
            text.push_str("Slaves:\n");
            for (slave, slave_path) in choice_slaves {
                text.push_str(&format!(" {slave} {slave_path}\n"));
            }
        }
    }
    text
}
