//! A static reader of Debian maintainer scripts, pure: script text in, calls out, no I/O.
//!
//! [`read_postinst`] follows the path dpkg takes on a fresh install (`postinst configure ""`)
//! without running anything: assignments, `for` over known lists, `if`/`case`/`&&`/`||` whose
//! conditions it can decide (`$1`, `$2`, file tests and `command -v` against the image through
//! [`Context`], `dpkg --compare-versions`), script functions inlined with their arguments,
//! files made by earlier calls seen by later tests. It returns the [`Call`]s of a known set of
//! commands with expanded, parsed arguments, and reports what it could not decide as
//! [`Skipped`] rather than guess. A branch that ends in `exit 1` is taken not to run: the
//! install succeeded. Performing the calls is the caller's business.
//!
//! Parser: `brush-parser` (MIT), the parser of the brush shell: maintained, POSIX and bash
//! modes, source lines on words, and a word parser for quoting and `${...}` forms, so no
//! quoting rules are re-implemented here. `yash-syntax` is GPL-3.0 (this workspace is MIT or
//! Apache-2.0) and `conch-parser` has not been released since 0.1.1.

mod arith;
mod classify;
mod commands;
mod cond;
mod error;
mod exec;
mod expand;
mod filters;
mod find;
mod getopt;
mod inert;
mod model;
mod output;
mod paths;
mod pattern;
mod pipelines;
mod redirect;
mod shell;

pub use error::ScriptError;
pub use model::{
    Account, AccountOracle, AccountTool, Alternative, AlternativeChoice, AlternativeOracle,
    ApacheKind, Call, Context, DiversionOracle, FileKind, FileOracle, Located, Metadata,
    MetadataOracle, NewGroup, NewUser, PackageFilesOracle, PackageOracle, Reading, Script, Skipped,
    Slave, Why,
};

/// Nesting past which a script is refused (real scripts stay far below; the tokenizer and
/// the parser recurse per level).
const MAX_NESTING: usize = 100;

/// Reads what `text`, a postinst, does on a fresh install of `ctx.package`
/// (`postinst configure ""`).
///
/// # Errors
/// When `text` is not valid shell (or nests absurdly deep): the error names the package and
/// the line (0 if the parser panicked, which `brush-parser` should not but may do).
pub fn read_postinst(text: &str, ctx: &Context<'_>) -> Result<Reading, ScriptError> {
    read_script(Script::Postinst, text, ctx)
}

/// Reads what `text`, maintainer script `script`, does on a fresh install of
/// `ctx.package`: `preinst install` or `postinst configure ""`.
///
/// # Errors
/// As [`read_postinst`].
pub fn read_script(script: Script, text: &str, ctx: &Context<'_>) -> Result<Reading, ScriptError> {
    std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| read(script, text, ctx)))
        .unwrap_or_else(|_| {
            Err(ScriptError::new(
                ctx.package,
                0,
                "the shell parser panicked".to_owned(),
            ))
        })
}

fn read(script: Script, text: &str, ctx: &Context<'_>) -> Result<Reading, ScriptError> {
    let too_deep = |line| {
        ScriptError::new(
            ctx.package,
            line,
            format!("the script nests more than {MAX_NESTING} levels deep"),
        )
    };
    if let Some(line) = too_deep_text(text) {
        return Err(too_deep(line));
    }
    let first = text.lines().next().unwrap_or_default();
    let bash = first.starts_with("#!") && first.contains("bash");
    let options = brush_parser::ParserOptions {
        enable_extended_globbing: bash,
        sh_mode: !bash,
        ..Default::default()
    };
    let tokens = tokenize(text, &options)
        .map_err(|e| ScriptError::new(ctx.package, last_line(text), e.to_string()))?;
    if let Some(line) = too_deep_tokens(&tokens) {
        return Err(too_deep(line));
    }
    let program = brush_parser::parse_tokens(&tokens, &options).map_err(|e| {
        let line = match &e {
            brush_parser::ParseError::ParsingNear(pos) => pos.line,
            brush_parser::ParseError::Tokenizing {
                position: Some(pos),
                ..
            } => pos.line,
            _ => last_line(text),
        };
        ScriptError::new(ctx.package, line, e.to_string())
    })?;
    let arena = shell::ProgramArena::new();
    let mut sh = shell::Shell::new(ctx, &arena, script, bash);
    sh.run_program(&program);
    sh.run_exit_trap();
    Ok(sh.out)
}

/// Helpers run inside helpers past this depth are not read.
const MAX_HELPER_DEPTH: usize = 3;

/// Reads a helper script of the image that a maintainer script runs with `args`: its
/// calls are the caller's. `None` past [`MAX_HELPER_DEPTH`] or when it does not parse.
pub(crate) fn read_helper(
    text: &str,
    ctx: &Context<'_>,
    args: &[String],
    depth: usize,
) -> Option<Reading> {
    if depth >= MAX_HELPER_DEPTH || too_deep_text(text).is_some() {
        return None;
    }
    let first = text.lines().next().unwrap_or_default();
    let bash = first.contains("bash");
    let options = brush_parser::ParserOptions {
        enable_extended_globbing: bash,
        sh_mode: !bash,
        ..Default::default()
    };
    let run = || {
        let tokens = tokenize(text, &options).ok()?;
        if too_deep_tokens(&tokens).is_some() {
            return None;
        }
        let program = brush_parser::parse_tokens(&tokens, &options).ok()?;
        let arena = shell::ProgramArena::new();
        let mut sh = shell::Shell::new(ctx, &arena, Script::Postinst, bash);
        sh.helper_depth = depth + 1;
        sh.positional =
            shell::Positional::Known(args.iter().cloned().map(shell::Value::Set).collect());
        sh.run_program(&program);
        sh.run_exit_trap();
        Some(sh.out)
    };
    std::panic::catch_unwind(std::panic::AssertUnwindSafe(run))
        .ok()
        .flatten()
}

/// Parses shell text the script gives while it runs (a trap's action); `None` when it
/// does not parse or nests too deep.
pub(crate) fn parse_text(text: &str, bash: bool) -> Option<brush_parser::ast::Program> {
    if too_deep_text(text).is_some() {
        return None;
    }
    let options = brush_parser::ParserOptions {
        enable_extended_globbing: bash,
        sh_mode: !bash,
        ..Default::default()
    };
    let tokens = tokenize(text, &options).ok()?;
    if too_deep_tokens(&tokens).is_some() {
        return None;
    }
    brush_parser::parse_tokens(&tokens, &options).ok()
}

/// Tokenizes `text` as a complete file: one that ends in a newline no backslash escapes.
/// brush-parser 0.4 loops without end, allocating, when the input ends inside `$(` right
/// after `<<` and blanks (`$(<<  ` at the end of the text: found by fuzzing); the
/// trailing newline ends the here-document tag first. A shell reads a file's last line
/// the same with or without it.
fn tokenize(
    text: &str,
    options: &brush_parser::ParserOptions,
) -> Result<Vec<brush_parser::Token>, brush_parser::TokenizerError> {
    let options = options.tokenizer_options();
    if text.ends_with('\n') && !text.ends_with("\\\n") {
        return brush_parser::uncached_tokenize_str(text, &options);
    }
    // Two newlines: a trailing backslash escapes the first.
    brush_parser::uncached_tokenize_str(&format!("{text}\n\n"), &options)
}

fn last_line(text: &str) -> usize {
    text.lines().count().max(1)
}

/// The line where bracket nesting first exceeds [`MAX_NESTING`]: the tokenizer recurses
/// into `$(`, `${` and friends, so this is checked on the raw text. A closer only closes its
/// own opener (a `case` pattern's `)` closes nothing).
fn too_deep_text(text: &str) -> Option<usize> {
    let mut open: Vec<char> = Vec::new();
    for (i, line) in text.lines().enumerate() {
        for c in line.chars() {
            let opener = match c {
                '(' | '{' | '[' => {
                    open.push(c);
                    None
                }
                ')' => Some('('),
                '}' => Some('{'),
                ']' => Some('['),
                _ => None,
            };
            if opener.is_some() && open.last().copied() == opener {
                open.pop();
            }
            if open.len() > MAX_NESTING {
                return Some(i + 1);
            }
        }
    }
    None
}

/// The line where compound commands (`if`, `case`, `do`, `{`, `(`) nest deeper than
/// [`MAX_NESTING`]: the parser recurses into each.
fn too_deep_tokens(tokens: &[brush_parser::Token]) -> Option<usize> {
    let mut open: Vec<&str> = Vec::new();
    for token in tokens {
        let (brush_parser::Token::Word(text, span) | brush_parser::Token::Operator(text, span)) =
            token;
        let opener = match text.as_str() {
            "if" | "case" | "do" | "{" | "(" => {
                open.push(text);
                None
            }
            "fi" => Some("if"),
            "esac" => Some("case"),
            "done" => Some("do"),
            "}" => Some("{"),
            ")" => Some("("),
            _ => None,
        };
        if opener.is_some() && open.last().copied() == opener {
            open.pop();
        }
        if open.len() > MAX_NESTING {
            return Some(span.start.line);
        }
    }
    None
}
