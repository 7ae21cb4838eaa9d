//! The public types: what the caller supplies ([`Context`]) and what it gets back ([`Reading`]).

use std::fmt;

/// What a path is in the image, as `lstat` would say (symlinks are not followed).
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub enum FileKind {
    /// A regular file without execute permission.
    File,
    /// A regular file with execute permission (answers `[ -x ]`, `command -v`).
    Executable,
    /// A directory.
    Dir,
    /// A symbolic link, with its target as stored in the link.
    Symlink(String),
}

/// An account the script asks about (`getent passwd NAME`, `id NAME`, `getent group NAME`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Account<'a> {
    /// A user (`getent passwd`, `id`).
    User(&'a str),
    /// A group (`getent group`).
    Group(&'a str),
}

/// Answers about an account: `Some(true)` exists, `Some(false)` does not, `None` unknown.
pub type AccountOracle<'a> = &'a dyn Fn(Account<'_>) -> Option<bool>;

/// The version and architecture of a package of the image (`dpkg-query -W`): `None`
/// when the image does not have it.
pub type PackageOracle<'a> = &'a dyn Fn(&str) -> Option<(String, String)>;

/// The paths a package of the image installed (`dpkg-query -L`), absolute, in its
/// archive's order; `None` when the image does not have it.
pub type PackageFilesOracle<'a> = &'a dyn Fn(&str) -> Option<Vec<String>>;

/// The diversion of a path the image's scripts made so far: the diverting package
/// (`None`: local) and where it diverts to; `None` when the path is not diverted.
pub type DiversionOracle<'a> = &'a dyn Fn(&str) -> Option<(Option<String>, String)>;

/// An alternative as update-alternatives knows it (`--query`, `--list`).
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct Alternative {
    /// The generic name, e.g. `/etc/mysql/my.cnf`.
    pub link: String,
    /// The choice set by hand (`--set`); `None` in auto mode.
    pub manual: Option<String>,
    /// The choices whose path the image has, in the order registered.
    pub choices: Vec<AlternativeChoice>,
    /// The slaves' names and generic links, as the choices registered them.
    pub slaves: Vec<(String, String)>,
}

/// One choice of an [`Alternative`].
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct AlternativeChoice {
    /// Its path, e.g. `/etc/mysql/mariadb.cnf`.
    pub path: String,
    /// Its priority.
    pub priority: i64,
    /// Its slaves: name, path.
    pub slaves: Vec<(String, String)>,
}

impl Alternative {
    /// The choice in effect: the one set by hand, else the highest priority (ties: the
    /// first in path order, as update-alternatives sorts them).
    pub fn value(&self) -> Option<&str> {
        if let Some(manual) = &self.manual
            && self.choices.iter().any(|c| c.path == *manual)
        {
            return Some(manual);
        }
        self.best()
    }

    /// The choice auto mode picks.
    pub fn best(&self) -> Option<&str> {
        let mut sorted: Vec<&AlternativeChoice> = self.choices.iter().collect();
        sorted.sort_by(|a, b| a.path.cmp(&b.path));
        sorted
            .into_iter()
            .reduce(|best, c| if c.priority > best.priority { c } else { best })
            .map(|c| c.path.as_str())
    }
}

/// The alternatives the image's scripts registered so far, by name: `None` when there is
/// no alternative of that name.
pub type AlternativeOracle<'a> = &'a dyn Fn(&str) -> Option<Alternative>;

/// Owner, group and mode of a path of the image (`stat`, `chmod --reference`).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Metadata {
    /// The permission bits, set-id and sticky bits included (`0o4755`).
    pub mode: u32,
    /// The owner's id.
    pub uid: u64,
    /// The group's id.
    pub gid: u64,
    /// The owner's name, when the image's accounts have one.
    pub owner: Option<String>,
    /// The group's name, when the image's accounts have one.
    pub group: Option<String>,
}

/// The metadata of a path the image's packages ship (an absolute path with no symbolic
/// link in it): `None` when it ships none there.
pub type MetadataOracle<'a> = &'a dyn Fn(&str) -> Option<Metadata>;

/// Answers `lstat` of an absolute, normalized path in the image: `None` when absent.
pub type FileOracle<'a> = &'a dyn Fn(&str) -> Option<FileKind>;

/// The text of a shell script of the image (an absolute path), when it is one: what a
/// maintainer script runs of the image's own helpers is read the same way.
pub type ScriptOracle<'a> = &'a dyn Fn(&str) -> Option<String>;

/// The names in a directory of the image (an absolute, normalized path with no symlink
/// in it), for pathname expansion: `None` when it is no directory.
pub type ListingOracle<'a> = &'a dyn Fn(&str) -> Option<Vec<String>>;

const UNKNOWN_ACCOUNTS: AccountOracle<'static> = &|_| None;

/// What the reader may ask about the image the script runs in.
#[derive(Clone, Copy)]
pub struct Context<'a> {
    /// The package whose script this is (`$DPKG_MAINTSCRIPT_PACKAGE`, error messages).
    pub package: &'a str,
    /// The image's files, directories included, like `lstat`; symlinks are followed by the
    /// reader, which asks again for each target. Executables must be reported as
    /// [`FileKind::Executable`]: `[ -x ]`, `command -v` and `which` depend on it.
    pub files: FileOracle<'a>,
    /// The image's accounts (`getent`, `id`); [`Context::new`] answers "unknown" for every
    /// account, so `if ! getent passwd x; then adduser ...` is then skipped. Accounts the
    /// script creates itself are known afterwards either way.
    pub accounts: AccountOracle<'a>,
    /// The package's architecture (`$DPKG_MAINTSCRIPT_ARCH`: `amd64`, or `all`), if known.
    pub architecture: Option<&'a str>,
    /// The image's architecture (`dpkg --print-architecture`), if known.
    pub native_architecture: Option<&'a str>,
    /// The image's shell scripts, for helpers a maintainer script runs; none without it.
    pub scripts: Option<ScriptOracle<'a>>,
    /// The text of any (small) file of the image, for files a script sources; none
    /// without it.
    pub files_text: Option<ScriptOracle<'a>>,
    /// The image's directory listings, for pathname patterns (`for f in /etc/x.d/*`);
    /// without it a pattern is not expanded.
    pub listing: Option<ListingOracle<'a>>,
    /// The image's /etc/passwd and /etc/group as the script starts, for what `getent`
    /// prints; without them its output is not known (its status still is, through
    /// `accounts`).
    pub account_files: Option<(&'a str, &'a str)>,
    /// The default answer of a debconf question, from the templates of the image's
    /// packages (`db_get` in a non-interactive install that was asked nothing); without
    /// it `$RET` is not known after `db_get`.
    pub debconf: Option<ScriptOracle<'a>>,
    /// The image's packages, for `dpkg-query -W`; without it its output is not known.
    pub installed: Option<PackageOracle<'a>>,
    /// The diversions earlier scripts made, for `dpkg-divert --listpackage` and
    /// `--truename`; without it their output is not known.
    pub diversions: Option<DiversionOracle<'a>>,
    /// The alternatives earlier scripts registered, for `update-alternatives --query`
    /// and `--list`; without it their output is not known.
    pub alternatives: Option<AlternativeOracle<'a>>,
    /// Owners and modes of the image's files, for `stat`, `--reference` and symbolic
    /// modes; without it they are not known.
    pub metadata: Option<MetadataOracle<'a>>,
    /// The files of each package, for `dpkg-query -L`; without it its output is not
    /// known.
    pub package_files: Option<PackageFilesOracle<'a>>,
}

impl<'a> Context<'a> {
    /// A context with a file oracle; accounts and architectures are unknown.
    pub fn new(package: &'a str, files: FileOracle<'a>) -> Self {
        Self {
            package,
            files,
            accounts: UNKNOWN_ACCOUNTS,
            architecture: None,
            native_architecture: None,
            scripts: None,
            files_text: None,
            listing: None,
            account_files: None,
            debconf: None,
            installed: None,
            diversions: None,
            alternatives: None,
            metadata: None,
            package_files: None,
        }
    }

    /// The same context, able to list the image's directories, so that pathname patterns
    /// (`rm -f /var/lib/x/*.flag`, `for hook in /usr/share/x/*.d`) expand.
    #[must_use]
    pub fn with_listing(self, listing: ListingOracle<'a>) -> Self {
        Self {
            listing: Some(listing),
            ..self
        }
    }

    /// The same context, able to read the image's files that a script sources
    /// (`. /etc/default/cacerts`): one that only sets variables sets them.
    #[must_use]
    pub fn with_sourced_files(self, files_text: ScriptOracle<'a>) -> Self {
        Self {
            files_text: Some(files_text),
            ..self
        }
    }

    /// The same context, able to read the image's shell scripts, so that a helper the
    /// script runs (`/usr/share/mysql-common/configure-symlinks install ...`) is read with
    /// its arguments.
    #[must_use]
    pub fn with_scripts(self, scripts: ScriptOracle<'a>) -> Self {
        Self {
            scripts: Some(scripts),
            ..self
        }
    }

    /// The same context, with the package's architecture (`all` or the image's) and the
    /// image's, so that `$DPKG_MAINTSCRIPT_ARCH` and `$(dpkg --print-architecture)` are known.
    #[must_use]
    pub fn with_architectures(self, package: &'a str, native: &'a str) -> Self {
        Self {
            architecture: Some(package),
            native_architecture: Some(native),
            ..self
        }
    }

    /// The same context, with the text of /etc/passwd and /etc/group, so that `getent
    /// passwd NAME | cut -d: -f6` and `getent group shadow | grep -q ...` are known.
    #[must_use]
    pub fn with_account_files(self, passwd: &'a str, group: &'a str) -> Self {
        Self {
            account_files: Some((passwd, group)),
            ..self
        }
    }

    /// The same context, answering `db_get QUESTION` with the question's default.
    #[must_use]
    pub fn with_debconf_defaults(self, defaults: ScriptOracle<'a>) -> Self {
        Self {
            debconf: Some(defaults),
            ..self
        }
    }

    /// The same context, answering `dpkg-query -W` with the image's packages.
    #[must_use]
    pub fn with_packages(self, installed: PackageOracle<'a>) -> Self {
        Self {
            installed: Some(installed),
            ..self
        }
    }

    /// The same context, answering `dpkg-divert` queries with the diversions earlier
    /// scripts made (and those this script makes).
    #[must_use]
    pub fn with_diversions(self, diversions: DiversionOracle<'a>) -> Self {
        Self {
            diversions: Some(diversions),
            ..self
        }
    }

    /// The same context, answering `update-alternatives --query` and `--list` with the
    /// alternatives earlier scripts registered (and those this script registers).
    #[must_use]
    pub fn with_alternatives(self, alternatives: AlternativeOracle<'a>) -> Self {
        Self {
            alternatives: Some(alternatives),
            ..self
        }
    }

    /// The same context, answering `stat`, `chmod`/`chown --reference` and symbolic
    /// modes with the owners and modes of the image's files.
    #[must_use]
    pub fn with_metadata(self, metadata: MetadataOracle<'a>) -> Self {
        Self {
            metadata: Some(metadata),
            ..self
        }
    }

    /// The same context, answering `dpkg-query -L` with the files of the image's
    /// packages.
    #[must_use]
    pub fn with_package_files(self, package_files: PackageFilesOracle<'a>) -> Self {
        Self {
            package_files: Some(package_files),
            ..self
        }
    }

    /// The same context, answering account questions with `accounts`.
    #[must_use]
    pub fn with_accounts(self, accounts: AccountOracle<'a>) -> Self {
        Self { accounts, ..self }
    }
}

impl fmt::Debug for Context<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Context")
            .field("package", &self.package)
            .finish_non_exhaustive()
    }
}

/// What an Apache tool enables: `a2enmod`, `a2enconf`, `a2ensite`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum ApacheKind {
    /// `mods-available/NAME.load` (and `.conf`).
    Module,
    /// `conf-available/NAME.conf`.
    Conf,
    /// `sites-available/NAME.conf`.
    Site,
}

/// Which maintainer script is read, and so with which arguments dpkg runs it on a fresh
/// install.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum Script {
    /// `preinst install`, before the package is unpacked.
    Preinst,
    /// `postinst configure ""`, once it is unpacked and its dependencies configured.
    Postinst,
}

impl Script {
    /// `preinst` or `postinst` (`$DPKG_MAINTSCRIPT_NAME`).
    pub fn name(self) -> &'static str {
        match self {
            Script::Preinst => "preinst",
            Script::Postinst => "postinst",
        }
    }

    /// The arguments dpkg passes on a fresh install.
    pub(crate) fn arguments(self) -> &'static [&'static str] {
        match self {
            Script::Preinst => &["install"],
            Script::Postinst => &["configure", ""],
        }
    }
}

impl fmt::Display for Script {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.name())
    }
}

/// What a postinst does on a fresh install (`postinst configure ""`), as far as it can be
/// decided without running it.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Reading {
    /// The calls of known commands, in the order the script makes them.
    pub calls: Vec<Located<Call>>,
    /// Everything the reader did not evaluate, in script order.
    pub skipped: Vec<Skipped>,
    /// Files the script sources (`. FILE`), in order, once each; they are not followed.
    pub sourced: Vec<String>,
}

/// A value and where in the script it comes from.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Located<T> {
    /// The 1-based line of the command.
    pub line: usize,
    /// The lines of the calls of script functions that led here, outermost first.
    pub via: Vec<usize>,
    /// The value.
    pub value: T,
}

/// A construct the reader did not evaluate, and why.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Skipped {
    /// The 1-based line of the construct.
    pub line: usize,
    /// The lines of the calls of script functions that led here, outermost first.
    pub via: Vec<usize>,
    /// The construct as written (for compound commands, their head: `for x in $list`).
    pub text: String,
    /// Why it was skipped.
    pub why: Why,
}

/// Why a construct was skipped.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Why {
    /// The command is not one the reader knows.
    UnknownCommand,
    /// It depends on a value or a condition the reader cannot know; the text says which.
    Undecidable(String),
    /// The reader knows the construct but does not model this form of it; the text says which.
    Unsupported(String),
    /// Known, and deliberately left to the running container: what it makes is per
    /// machine or per container (a key pair, a machine id, a database); the text says why
    /// and what to do instead.
    AtRuntime(String),
}

impl fmt::Display for Why {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Self::UnknownCommand => f.write_str("unknown command"),
            Self::Undecidable(why) | Self::Unsupported(why) | Self::AtRuntime(why) => {
                f.write_str(why)
            }
        }
    }
}

/// A slave link of an alternative (`--slave LINK NAME PATH`).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Slave {
    /// The generic name, e.g. `/usr/share/man/man1/awk.1.gz`.
    pub link: String,
    /// The slave's name, e.g. `awk.1.gz`.
    pub name: String,
    /// The alternative's path, e.g. `/usr/share/man/man1/mawk.1.gz`.
    pub path: String,
}

/// How an account was asked for: the tools' defaults differ.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum AccountTool {
    /// Debian's `adduser`/`addgroup`.
    Adduser,
    /// shadow's `useradd`/`groupadd`.
    Useradd,
}

/// A user to create, with only the options the script gave (defaults are the tool's).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NewUser {
    /// The login name.
    pub name: String,
    /// Which tool was called.
    pub tool: AccountTool,
    /// `--system` / `-r`.
    pub system: bool,
    /// `--uid` / `-u`.
    pub uid: Option<u32>,
    /// The primary group: `--ingroup NAME`, `--gid ID`, `-g NAME|ID`.
    pub group: Option<String>,
    /// A group named after the user: `--group` (adduser), `-U` (true) or `-N` (false) (useradd).
    pub user_group: Option<bool>,
    /// `--home` / `-d`.
    pub home: Option<String>,
    /// `--no-create-home`, `-M` (false) or `-m` (true).
    pub create_home: Option<bool>,
    /// `--shell` / `-s`.
    pub shell: Option<String>,
    /// `--gecos`, `--comment` / `-c`.
    pub gecos: Option<String>,
    /// `-G a,b` (useradd).
    pub extra_groups: Vec<String>,
    /// `--disabled-password`.
    pub disabled_password: bool,
    /// `--disabled-login`.
    pub disabled_login: bool,
}

/// A group to create.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NewGroup {
    /// The group name.
    pub name: String,
    /// Which tool was called.
    pub tool: AccountTool,
    /// `--system` / `-r`.
    pub system: bool,
    /// `--gid` / `-g`.
    pub gid: Option<u32>,
}

/// A call of a known command, with its arguments expanded and its options parsed.
///
/// Paths are absolute (relative ones are resolved against the working directory, `/` at
/// the start as under dpkg), except link targets, which are kept as written.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Call {
    /// `update-alternatives --install LINK NAME PATH PRIORITY [--slave LINK NAME PATH]...`.
    AlternativeInstall {
        /// The generic name, e.g. `/usr/bin/awk`.
        link: String,
        /// The alternative's name, e.g. `awk`.
        name: String,
        /// This alternative, e.g. `/usr/bin/mawk`.
        path: String,
        /// Its priority.
        priority: i64,
        /// Its slaves.
        slaves: Vec<Slave>,
    },
    /// `update-alternatives --remove NAME PATH`.
    AlternativeRemove {
        /// The alternative's name.
        name: String,
        /// The alternative to remove.
        path: String,
    },
    /// `update-alternatives --set NAME PATH` (manual mode).
    AlternativeSet {
        /// The alternative's name.
        name: String,
        /// The alternative chosen.
        path: String,
    },
    /// `update-alternatives --auto NAME`.
    AlternativeAuto {
        /// The alternative's name.
        name: String,
    },
    /// `update-xmlcatalog --add|--del`: an entry of an XML catalog, which the tool keeps
    /// in its data file and writes the catalog from (header, entries, footer).
    XmlCatalog {
        /// The catalog written: `/etc/xml/catalog` (`--root`) or `/etc/xml/PACKAGE.xml`.
        catalog: String,
        /// The tool's data file for it, under `/var/lib/xml-core`.
        data: String,
        /// The entry's element and identifier, as the tool keys it
        /// (`delegateSystem systemIdStartString="..."`).
        key: String,
        /// The rest of the element (`catalog="file:///etc/xml/PACKAGE.xml"`).
        entry: String,
        /// `--add` (else `--del`).
        add: bool,
        /// With `--root`, the package catalog the entry points at, which must exist.
        needs: Option<String>,
    },
    /// `ucf SRC DEST`: install `source` as the conffile `dest` (a copy on a fresh install).
    Ucf {
        /// The packaged default.
        source: String,
        /// The configuration file.
        dest: String,
    },
    /// `ucfr PACKAGE DEST`: register `dest` as owned by `package` in ucf's registry.
    Ucfr {
        /// The owning package.
        package: String,
        /// The configuration file.
        dest: String,
    },
    /// `php_invoke enmod VERSION SAPI MODULE` (php-maintscript-helper); `sapi` may be `ALL`.
    PhpEnmod {
        /// The PHP version, e.g. `8.4`.
        version: String,
        /// The SAPI (`cli`, `fpm`, ...) or `ALL`.
        sapi: String,
        /// The module, e.g. `mbstring`.
        module: String,
    },
    /// `a2enmod`, `a2enconf`, `a2ensite` NAME (or `apache2_invoke enmod NAME` of
    /// apache2-maintscript-helper): enable an Apache module, configuration or site.
    ApacheEnable {
        /// Module, configuration or site.
        kind: ApacheKind,
        /// Its name, without `.load`/`.conf`.
        name: String,
    },
    /// `a2dismod`, `a2disconf`, `a2dissite` NAME.
    ApacheDisable {
        /// Module, configuration or site.
        kind: ApacheKind,
        /// Its name.
        name: String,
    },
    /// `apache2_switch_mpm MPM` (apache2-maintscript-helper): disable the enabled MPM and
    /// enable `mpm_MPM`.
    ApacheSwitchMpm {
        /// The MPM, without `mpm_` (`prefork`).
        mpm: String,
    },
    /// `ln [-s] TARGET LINK` (`link` is where the link is made, after `ln`'s directory rule).
    Link {
        /// What the link points to, as written.
        target: String,
        /// The path of the new link.
        link: String,
        /// `-s`: a symbolic link, else a hard link.
        symbolic: bool,
    },
    /// `mkdir [-p] [-m MODE] DIR` or `install -d [-m MODE] [-o OWNER] [-g GROUP] DIR`.
    Mkdir {
        /// The directory; its parents are created too.
        path: String,
        /// The directory's mode, when given.
        mode: Option<u32>,
        /// `install -o`.
        owner: Option<String>,
        /// `install -g`.
        group: Option<String>,
    },
    /// `cp SRC DEST` (`dest` is the file made, after `cp`'s directory rule).
    Copy {
        /// The file copied.
        source: String,
        /// The new file.
        dest: String,
    },
    /// `mv SRC DEST` (`dest` after `mv`'s directory rule).
    Move {
        /// The path moved.
        source: String,
        /// Its new path.
        dest: String,
    },
    /// `rm [-r] PATH`.
    Remove {
        /// The path removed.
        path: String,
        /// `-r`: a directory and its contents.
        recursive: bool,
    },
    /// `rmdir DIR`: remove an empty directory.
    Rmdir {
        /// The directory.
        path: String,
    },
    /// `touch FILE`: create an empty file if absent.
    Touch {
        /// The file.
        path: String,
    },
    /// Output written to a file: `: > F`, `echo TEXT > F`, `cat > F <<EOF`.
    WriteFile {
        /// The file.
        path: String,
        /// What is written.
        content: String,
        /// `>>`: appended, else the file is replaced.
        append: bool,
    },
    /// `chown [-R] [OWNER][:GROUP] PATH` (`chgrp GROUP PATH` gives no owner).
    Chown {
        /// The new owner, a name or a number.
        owner: Option<String>,
        /// The new group, a name or a number.
        group: Option<String>,
        /// The path.
        path: String,
        /// `-R`.
        recursive: bool,
    },
    /// `chmod [-R] MODE PATH` with an octal mode.
    Chmod {
        /// The mode bits, e.g. `0o2775`.
        mode: u32,
        /// The path.
        path: String,
        /// `-R`.
        recursive: bool,
    },
    /// `dpkg-statoverride --add [--update] USER GROUP MODE PATH`.
    StatOverride {
        /// The owner, a name or `#uid`.
        user: String,
        /// The group, a name or `#gid`.
        group: String,
        /// The mode bits.
        mode: u32,
        /// The path.
        path: String,
        /// `--update`: applied to the path now, not only recorded.
        update: bool,
    },
    /// `adduser USER` / `useradd USER`.
    AddUser(NewUser),
    /// `addgroup GROUP` / `adduser --group GROUP` / `groupadd GROUP`.
    AddGroup(NewGroup),
    /// `adduser USER GROUP`, `usermod -a -G GROUP USER`, `gpasswd -a USER GROUP`.
    AddUserToGroup {
        /// The user.
        user: String,
        /// The group it joins.
        group: String,
    },
    /// `pwconv` (`groups: false`) or `grpconv` (`groups: true`): shadow passwords on,
    /// /etc/shadow made from /etc/passwd (or /etc/gshadow from /etc/group).
    ShadowOn {
        /// `grpconv`: the group file.
        groups: bool,
    },
    /// `dpkg-divert [--add | --remove] --no-rename [--package P] [--divert TO] PATH`:
    /// dpkg's diversion database, which the image does not carry; no file moves. Kept so
    /// that later `dpkg-divert --listpackage`/`--truename` queries see it.
    Divert {
        /// The diverted path.
        path: String,
        /// The diverting package (`None`: a local diversion).
        package: Option<String>,
        /// Where the diverted file goes (default `PATH.distrib`).
        divert_to: String,
        /// `--remove`.
        remove: bool,
    },
    /// A command skipped on purpose because its effect does not belong in an image, or is
    /// produced from the image's files by other means (service management, debconf, ...).
    Ignored {
        /// The command line, expanded where possible.
        command: String,
        /// Why it is ignored.
        reason: String,
    },
}
