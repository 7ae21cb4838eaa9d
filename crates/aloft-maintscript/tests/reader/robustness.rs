//! No panic, whatever the text: mutated fixtures and random shell-like token soup.

use aloft_maintscript::{Context, FileKind, read_postinst};

/// xorshift64*: deterministic, no dependency.
struct Rng(u64);

impl Rng {
    fn next(&mut self) -> u64 {
        self.0 ^= self.0 >> 12;
        self.0 ^= self.0 << 25;
        self.0 ^= self.0 >> 27;
        self.0.wrapping_mul(0x2545_f491_4f6c_dd1d)
    }

    fn below(&mut self, n: usize) -> usize {
        (self.next() % n.max(1) as u64) as usize
    }
}

const TOKENS: &[&str] = &[
    "if",
    "then",
    "else",
    "elif",
    "fi",
    "for",
    "in",
    "do",
    "done",
    "case",
    "esac",
    ";;",
    "while",
    "until",
    "{",
    "}",
    "(",
    ")",
    "$(",
    "`",
    "\"",
    "'",
    "$",
    "${",
    "}",
    "$1",
    "$2",
    "$@",
    "\"$@\"",
    "${x:-y}",
    "${x#*/}",
    "${#x}",
    "$((1+2))",
    "|",
    "||",
    "&&",
    ";",
    "&",
    "\n",
    ">",
    ">>",
    "<",
    "<<EOF",
    "<<-'EOF'",
    "EOF",
    "2>&1",
    ">/dev/null",
    "[",
    "]",
    "[[",
    "]]",
    "-e",
    "-z",
    "-n",
    "=",
    "!=",
    "!",
    "x=1",
    "x",
    "f()",
    "return",
    "exit",
    "break",
    "continue",
    "shift",
    "set",
    "--",
    "local",
    "export",
    "unset",
    ".",
    "ln",
    "-s",
    "-sf",
    "mkdir",
    "-p",
    "-m",
    "0755",
    "chown",
    "root:adm",
    "chmod",
    "u+x",
    "cp",
    "mv",
    "rm",
    "-rf",
    "touch",
    "install",
    "-d",
    "update-alternatives",
    "--install",
    "--slave",
    "/usr/bin/x",
    "ucf",
    "ucfr",
    "php_invoke",
    "enmod",
    "adduser",
    "--system",
    "useradd",
    "-r",
    "dpkg",
    "--compare-versions",
    "lt-nl",
    "dpkg-statoverride",
    "--list",
    "--add",
    "command",
    "-v",
    "which",
    "test",
    "*",
    "?",
    "~",
    "/etc/*",
    "a b",
    "\\",
    "\\\n",
    "#",
    "# comment\n",
    "echo",
    "cat",
    "db_get",
    "eval",
    "trap",
];

/// Rounds of mutation; `ALOFT_FUZZ_ROUNDS` makes a longer run.
fn rounds(default: usize) -> usize {
    std::env::var("ALOFT_FUZZ_ROUNDS")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(default)
}

fn check(text: &str) {
    let files = |p: &str| match p {
        "/etc" | "/usr" | "/usr/bin" | "/var" => Some(FileKind::Dir),
        "/bin" => Some(FileKind::Symlink("usr/bin".into())),
        "/loop" => Some(FileKind::Symlink("/loop".into())),
        "/usr/bin/x" => Some(FileKind::Executable),
        _ => None,
    };
    let ctx = Context::new("fuzz", &files);
    // Only panics matter: errors and readings are both fine. A panic inside the parser is
    // caught and reported as line 0.
    if let Err(err) = read_postinst(text, &ctx) {
        assert_ne!(err.line(), 0, "the parser panicked on {text:?}");
    }
}

fn fixtures() -> Vec<String> {
    let dir = concat!(env!("CARGO_MANIFEST_DIR"), "/tests/data");
    let mut texts: Vec<String> = std::fs::read_dir(dir)
        .into_iter()
        .flatten()
        .flatten()
        .map(|e| e.path())
        .filter(|p| p.extension().is_some_and(|e| e == "postinst"))
        .filter_map(|p| std::fs::read_to_string(p).ok())
        .collect();
    texts.sort();
    texts
}

#[test]
fn mutated_fixtures_do_not_panic() {
    let mut rng = Rng(0x9e37_79b9_7f4a_7c15);
    for text in fixtures() {
        check(&text);
        let lines: Vec<&str> = text.lines().collect();
        for _ in 0..rounds(60) {
            let mut chars: Vec<char> = text.chars().collect();
            for _ in 0..=rng.below(4) {
                let at = rng.below(chars.len());
                match rng.below(5) {
                    0 if !chars.is_empty() => {
                        let at = at.min(chars.len() - 1);
                        chars.remove(at);
                    }
                    1 => {
                        let token = TOKENS[rng.below(TOKENS.len())];
                        for (i, c) in token.chars().enumerate() {
                            chars.insert((at + i).min(chars.len()), c);
                        }
                    }
                    2 if chars.len() > 1 => {
                        let other = rng.below(chars.len());
                        let at = at.min(chars.len() - 1);
                        chars.swap(at, other);
                    }
                    _ => {
                        let c = [
                            '"', '\'', '`', '(', ')', '{', '}', '$', '\\', '\n', ';', '|',
                        ][rng.below(12)];
                        chars.insert(at.min(chars.len()), c);
                    }
                }
            }
            check(&chars.into_iter().collect::<String>());
            // Whole lines dropped or repeated.
            let mut shuffled: Vec<&str> = lines.clone();
            if !shuffled.is_empty() {
                let at = rng.below(shuffled.len());
                if rng.below(2) == 0 {
                    shuffled.remove(at);
                } else {
                    let line = shuffled[rng.below(shuffled.len())];
                    shuffled.insert(at, line);
                }
            }
            check(&shuffled.join("\n"));
        }
    }
}

#[test]
fn token_soup_does_not_panic() {
    let mut rng = Rng(0x0123_4567_89ab_cdef);
    for _ in 0..rounds(60) * 50 {
        let n = 1 + rng.below(40);
        let text: Vec<&str> = (0..n).map(|_| TOKENS[rng.below(TOKENS.len())]).collect();
        check(&text.join(" "));
    }
}

#[test]
fn deep_nesting_is_an_error_not_a_crash() {
    let deep = format!("{}{}", "(".repeat(5000), ")".repeat(5000));
    let files = |_: &str| None;
    let ctx = Context::new("deep", &files);
    assert!(read_postinst(&deep, &ctx).is_err());
    let deep_if = "if true; then ".repeat(2000) + &"fi; ".repeat(2000);
    assert!(read_postinst(&deep_if, &ctx).is_err());
    // A `case` pattern's `)` closes nothing.
    let deep_case = "case a in a) ".repeat(2000) + &";; esac ".repeat(2000);
    assert!(read_postinst(&deep_case, &ctx).is_err());
    // Whatever the tokenizer makes of this, it must not crash.
    let deep_subst = "echo $(case a in a) ".repeat(2000);
    let _ = read_postinst(&deep_subst, &ctx);
    let deep_subst = "echo \"$(".repeat(2000);
    assert!(read_postinst(&deep_subst, &ctx).is_err());
}

#[test]
fn recursion_is_bounded() {
    let files = |_: &str| None;
    let ctx = Context::new("loop", &files);
    let reading = read_postinst("f() { f; }\nf\n", &ctx).unwrap_or_default();
    assert!(!reading.skipped.is_empty());
    let reading = read_postinst("f() { touch /x; f; f; }\nf\n", &ctx).unwrap_or_default();
    assert!(!reading.skipped.is_empty());
}

#[test]
fn nesting_just_below_the_limits_does_not_overflow() {
    let files = |_: &str| None;
    let ctx = Context::new("nest", &files);
    let n = 99;
    let parens = format!("{}touch /x{}", "( ".repeat(n), " )".repeat(n));
    assert!(read_postinst(&parens, &ctx).is_ok());
    let ifs = format!(
        "{}touch /x\n{}",
        "if true; then\n".repeat(n),
        "fi\n".repeat(n)
    );
    assert!(read_postinst(&ifs, &ctx).is_ok());
    let body = format!("{}f\n{}", "{ ".repeat(n), " }".repeat(n));
    let recursive = format!("f() {{ {body}; }}\nf\n");
    let reading = read_postinst(&recursive, &ctx).unwrap_or_default();
    assert!(!reading.skipped.is_empty());
    let subst = format!(
        "x={}y{}\nln -s \"$x\" /l\n",
        "$(echo ".repeat(n / 2),
        ")".repeat(n / 2)
    );
    assert!(read_postinst(&subst, &ctx).is_ok());
}

#[test]
fn keywords_in_comments_and_strings_do_not_count_as_nesting() {
    let files = |_: &str| None;
    let ctx = Context::new("chatty", &files);
    let chatter = "# if you do this, then do that; if not, do nothing\necho \"if do case\"\n";
    let script = format!("{}touch /x\n", chatter.repeat(200));
    let reading = read_postinst(&script, &ctx).unwrap_or_default();
    assert_eq!(reading.calls.len(), 1);
}

/// Inputs the fuzz targets once failed on (fuzz/seeds/maintscript/regression-*): each
/// must be read (or refused) without running away.
#[test]
fn fuzz_regressions_are_read_in_bounded_work() {
    let dir = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("../../fuzz/seeds/maintscript");
    let files = |_: &str| None::<FileKind>;
    let mut seen = 0;
    for entry in std::fs::read_dir(&dir).into_iter().flatten().flatten() {
        let name = entry.file_name().to_string_lossy().into_owned();
        if !name.starts_with("regression-") {
            continue;
        }
        let text =
            String::from_utf8_lossy(&std::fs::read(entry.path()).unwrap_or_default()).into_owned();
        let ctx = Context::new("fuzz", &files).with_architectures("amd64", "amd64");
        let _ = read_postinst(&text, &ctx);
        seen += 1;
    }
    assert!(seen > 0, "no regression-* seed under {}", dir.display());
}

/// The fuzz finding reduced: a text that ends inside `$(` right after `<<` and blanks
/// (brush-parser's tokenizer loops on it, allocating without end).
#[test]
fn text_ending_after_a_here_document_operator_is_refused() {
    let files = |_: &str| None::<FileKind>;
    let ctx = Context::new("fuzz", &files);
    for text in ["$(<<  ", "$(<<-  ", "\"$(x <<\t ", "$(<<  \\", "$(<<  \\\n"] {
        assert!(read_postinst(text, &ctx).is_err(), "{text:?}");
    }
}
