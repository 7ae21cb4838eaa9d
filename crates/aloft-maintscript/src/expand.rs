//! Word expansion: parameters, quoting, field splitting, and the few command substitutions
//! whose output is known (`$(command -v X)`, `$(which X)`, `$(echo ...)`).

use brush_parser::ast;
use brush_parser::word::{Parameter, ParameterExpr, ParameterTestType, SpecialParameter};
use brush_parser::word::{WordPiece, WordPieceWithSource};

use crate::pattern::{self, Trim};
use crate::shell::{Positional, Shell, Status, Value};

/// One field of an expanded word.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum Field {
    Known(String),
    /// One field whose text is unknown; the text says why.
    Unknown(String),
}

/// A piece of an expanded word before field splitting.
#[derive(Debug, Clone)]
enum Seg {
    Text {
        text: String,
        quoted: bool,
        /// From an unquoted expansion: subject to field splitting.
        split: bool,
    },
    Unknown {
        why: String,
        quoted: bool,
    },
    /// Between the parameters of `"$@"`.
    Break,
}

#[derive(Default)]
struct FieldBuilder {
    text: String,
    pattern: String,
    unknown: Option<String>,
}

impl FieldBuilder {
    fn push(&mut self, c: char, quoted: bool) {
        self.text.push(c);
        if quoted {
            self.pattern.push_str(&pattern::escape(&c.to_string()));
        } else {
            self.pattern.push(c);
        }
    }

    fn push_str(&mut self, s: &str, quoted: bool) {
        for c in s.chars() {
            self.push(c, quoted);
        }
    }
}

/// What `seq [FIRST [STEP]] LAST` prints (integers only), one number a line.
pub(crate) fn seq(args: &[&str]) -> Option<String> {
    let numbers: Vec<i64> = args.iter().map(|a| a.parse().ok()).collect::<Option<_>>()?;
    let (first, step, last) = match numbers.as_slice() {
        [last] => (1, 1, *last),
        [first, last] => (*first, 1, *last),
        [first, step, last] => (*first, *step, *last),
        _ => return None,
    };
    // In i128, so no script's numbers overflow; at most 10,001 of them.
    let (first, step, last) = (i128::from(first), i128::from(step), i128::from(last));
    if step == 0 {
        return None;
    }
    let count = if (step > 0 && first > last) || (step < 0 && first < last) {
        0
    } else {
        (last - first) / step + 1
    };
    if count > 10_001 {
        return None;
    }
    let out: Vec<String> = (0..count).map(|i| (first + i * step).to_string()).collect();
    Some(out.join("\n"))
}

/// Segments as one string (fields joined by a space); an unknown segment is the error.
fn joined(segs: Vec<Seg>) -> Result<String, String> {
    let mut out = String::new();
    for seg in segs {
        match seg {
            Seg::Text { text, .. } => out.push_str(&text),
            Seg::Unknown { why, .. } => return Err(why),
            Seg::Break => out.push(' '),
        }
    }
    Ok(out)
}

impl<'p> Shell<'p, '_> {
    pub(crate) fn parser_options(&self) -> brush_parser::ParserOptions {
        brush_parser::ParserOptions {
            enable_extended_globbing: self.bash,
            sh_mode: !self.bash,
            ..Default::default()
        }
    }

    fn parse_word(&self, word: &str) -> Result<Vec<WordPieceWithSource>, String> {
        brush_parser::word::parse(word, &self.parser_options())
            .map_err(|_| format!("the word `{word}` could not be parsed"))
    }

    /// Expands a word as a command argument: the fields after splitting. `Err` when even
    /// the number of fields is unknown (an unquoted unknown value, a pathname pattern).
    pub(crate) fn expand_fields(&mut self, word: &str) -> Result<Vec<Field>, String> {
        if self.bash
            && word.contains('{')
            && let Ok(Some(parts)) =
                brush_parser::word::parse_brace_expansions(word, &self.parser_options())
            && parts
                .iter()
                .any(|p| matches!(p, brush_parser::word::BraceExpressionOrText::Expr(_)))
        {
            return Err(format!("the brace expansion in `{word}` is not evaluated"));
        }
        let pieces = self.parse_word(word)?;
        // `"$@"` alone with no parameters gives no field at all.
        if let [only] = pieces.as_slice()
            && let WordPiece::DoubleQuotedSequence(inner) = &only.piece
            && let [inner] = inner.as_slice()
            && let WordPiece::ParameterExpansion(ParameterExpr::Parameter {
                parameter:
                    Parameter::Special(SpecialParameter::AllPositionalParameters { concatenate: false }),
                indirect: false,
            }) = &inner.piece
            && self.positional == Positional::Known(Vec::new())
        {
            return Ok(Vec::new());
        }
        let mut segs = Vec::new();
        self.segments(&pieces, false, &mut segs);
        let ifs = match self.var("IFS") {
            Value::Set(ifs) => ifs,
            Value::Unset => " \t\n".to_owned(),
            Value::Unknown(why) => {
                if segs
                    .iter()
                    .any(|s| matches!(s, Seg::Text { split: true, .. }))
                {
                    return Err(why);
                }
                String::new()
            }
        };
        let mut fields: Vec<FieldBuilder> = Vec::new();
        let mut cur: Option<FieldBuilder> = None;
        for seg in segs {
            match seg {
                Seg::Text {
                    text,
                    quoted,
                    split: true,
                } => {
                    for c in text.chars() {
                        if ifs.contains(c) {
                            let whitespace = c.is_whitespace();
                            match cur.take() {
                                Some(f) => fields.push(f),
                                None if !whitespace => fields.push(FieldBuilder::default()),
                                None => {}
                            }
                        } else {
                            cur.get_or_insert_with(FieldBuilder::default)
                                .push(c, quoted);
                        }
                    }
                }
                Seg::Text { text, quoted, .. } => {
                    cur.get_or_insert_with(FieldBuilder::default)
                        .push_str(&text, quoted);
                }
                Seg::Unknown { why, quoted: true } => {
                    let f = cur.get_or_insert_with(FieldBuilder::default);
                    f.unknown.get_or_insert(why);
                }
                Seg::Unknown { why, quoted: false } => return Err(why),
                Seg::Break => {
                    fields.push(cur.take().unwrap_or_default());
                    cur = Some(FieldBuilder::default());
                }
            }
        }
        fields.extend(cur);
        let mut out = Vec::with_capacity(fields.len());
        for f in fields {
            match f.unknown {
                Some(why) => out.push(Field::Unknown(why)),
                None if pattern::has_glob(&f.pattern) => match self.glob(&f.pattern, &f.text) {
                    Some(matched) => out.extend(matched.into_iter().map(Field::Known)),
                    None => {
                        return Err(format!(
                            "`{}` is a pathname pattern (the directory listing is not known)",
                            f.text
                        ));
                    }
                },
                None => out.push(Field::Known(f.text)),
            }
        }
        Ok(out)
    }

    /// Pathname expansion of an absolute `pattern` whose only pattern characters are in
    /// its last component (`/var/lib/mysql/debian-*.flag`): the matching names, sorted,
    /// or the word itself when none matches (as sh does); `None` when the directory's
    /// listing is not known.
    fn glob(&self, pattern: &str, text: &str) -> Option<Vec<String>> {
        let (dir_pattern, name_pattern) = pattern.rsplit_once('/')?;
        let (dir, _) = text.rsplit_once('/')?;
        if !text.starts_with('/') || pattern::has_glob(dir_pattern) || dir.contains(['*', '?', '['])
        {
            return None;
        }
        let dir = if dir.is_empty() { "/" } else { dir };
        let names = self.list_now(dir)?;
        let mut matched: Vec<String> = names
            .into_iter()
            .filter(|name| !name.starts_with('.') || name_pattern.starts_with('.'))
            .filter(|name| pattern::matches(name_pattern, name))
            .map(|name| {
                if dir == "/" {
                    format!("/{name}")
                } else {
                    format!("{dir}/{name}")
                }
            })
            .collect();
        matched.sort();
        if matched.is_empty() {
            matched.push(text.to_owned());
        }
        Some(matched)
    }

    /// Expands a word and requires every field to be known.
    pub(crate) fn expand_known(&mut self, word: &str) -> Result<Vec<String>, String> {
        self.expand_fields(word)?
            .into_iter()
            .map(|f| match f {
                Field::Known(s) => Ok(s),
                Field::Unknown(why) => Err(why),
            })
            .collect()
    }

    /// Expands a word without splitting or pathname expansion (assignments, `case WORD`,
    /// redirection targets, `[[ ]]` operands).
    pub(crate) fn expand_one(&mut self, word: &str) -> Result<String, String> {
        let pieces = self.parse_word(word)?;
        let mut segs = Vec::new();
        self.segments(&pieces, false, &mut segs);
        joined(segs)
    }

    /// Expands a word as a pattern: quoted characters are escaped.
    pub(crate) fn expand_pattern(&mut self, word: &str) -> Result<String, String> {
        let pieces = self.parse_word(word)?;
        let mut segs = Vec::new();
        self.segments(&pieces, false, &mut segs);
        let mut out = FieldBuilder::default();
        for seg in segs {
            match seg {
                Seg::Text { text, quoted, .. } => out.push_str(&text, quoted),
                Seg::Unknown { why, .. } => return Err(why),
                Seg::Break => out.push(' ', true),
            }
        }
        Ok(out.pattern)
    }

    /// A here-document's text, expanded when its delimiter was not quoted.
    pub(crate) fn expand_heredoc(&mut self, doc: &ast::IoHereDocument) -> Result<String, String> {
        if !doc.requires_expansion {
            return Ok(doc.doc.value.clone());
        }
        let pieces = brush_parser::word::parse_heredoc(&doc.doc.value, &self.parser_options())
            .map_err(|_| "the here-document could not be parsed".to_owned())?;
        let mut segs = Vec::new();
        self.segments(&pieces, true, &mut segs);
        joined(segs)
    }

    fn segments(&mut self, pieces: &[WordPieceWithSource], quoted: bool, out: &mut Vec<Seg>) {
        for piece in pieces {
            match &piece.piece {
                WordPiece::Text(text) => out.push(Seg::Text {
                    text: text.clone(),
                    quoted,
                    split: false,
                }),
                WordPiece::SingleQuotedText(text) => out.push(Seg::Text {
                    text: text.clone(),
                    quoted: true,
                    split: false,
                }),
                WordPiece::AnsiCQuotedText(text) if !text.contains('\\') => out.push(Seg::Text {
                    text: text.clone(),
                    quoted: true,
                    split: false,
                }),
                WordPiece::AnsiCQuotedText(text) => out.push(Seg::Unknown {
                    why: format!("`$'{text}'` quoting with escapes is not supported"),
                    quoted: true,
                }),
                WordPiece::DoubleQuotedSequence(inner)
                | WordPiece::GettextDoubleQuotedSequence(inner) => {
                    // `""` makes a field even when empty.
                    out.push(Seg::Text {
                        text: String::new(),
                        quoted: true,
                        split: false,
                    });
                    self.segments(inner, true, out);
                }
                WordPiece::TildeExpansion(_) => out.push(Seg::Unknown {
                    why: "`~` (a home directory) is not known".to_owned(),
                    quoted: true,
                }),
                WordPiece::ParameterExpansion(expr) => self.parameter_segments(expr, quoted, out),
                WordPiece::CommandSubstitution(cmd)
                | WordPiece::BackquotedCommandSubstitution(cmd) => match self.substitute(cmd) {
                    Ok(text) => out.push(Seg::Text {
                        text,
                        quoted,
                        split: !quoted,
                    }),
                    Err(why) => out.push(Seg::Unknown { why, quoted }),
                },
                WordPiece::EscapeSequence(seq) => {
                    let escaped: String = seq.chars().skip(1).collect();
                    let text = if escaped == "\n" {
                        String::new()
                    } else if !quoted || matches!(escaped.as_str(), "$" | "`" | "\"" | "\\") {
                        escaped
                    } else {
                        seq.clone()
                    };
                    out.push(Seg::Text {
                        text,
                        quoted: true,
                        split: false,
                    });
                }
                WordPiece::ArithmeticExpression(expr) => {
                    let value = self.expand_one(&expr.value).and_then(|text| {
                        let var = |name: &str| match self.var(name) {
                            Value::Set(value) => Ok(Some(value)),
                            Value::Unset => Ok(None),
                            Value::Unknown(why) => Err(why),
                        };
                        crate::arith::evaluate(&text, &var)
                    });
                    out.push(match value {
                        Ok(value) => Seg::Text {
                            text: value.to_string(),
                            quoted,
                            split: !quoted,
                        },
                        Err(why) => Seg::Unknown {
                            why: format!("the arithmetic expansion `$(({}))`: {why}", expr.value),
                            quoted,
                        },
                    });
                }
            }
        }
    }

    fn value_segment(value: Value, quoted: bool, out: &mut Vec<Seg>) {
        match value {
            Value::Set(text) => out.push(Seg::Text {
                text,
                quoted,
                split: !quoted,
            }),
            Value::Unset => {}
            Value::Unknown(why) => out.push(Seg::Unknown { why, quoted }),
        }
    }

    /// Expands the text of a nested word (`${x:-WORD}`) in the current quoting.
    fn nested_segments(&mut self, word: Option<&str>, quoted: bool, out: &mut Vec<Seg>) {
        let Some(word) = word else { return };
        match self.parse_word(word) {
            Ok(pieces) => self.segments(&pieces, quoted, out),
            Err(why) => out.push(Seg::Unknown { why, quoted }),
        }
    }

    pub(crate) fn parameter_value(&self, parameter: &Parameter) -> Value {
        match parameter {
            Parameter::Positional(0) | Parameter::Special(SpecialParameter::ShellName) => {
                Value::Set(format!("/var/lib/dpkg/info/{}.postinst", self.ctx.package))
            }
            Parameter::Positional(n) => self.positional_value(*n as usize),
            Parameter::Special(special) => match special {
                SpecialParameter::PositionalParameterCount => match &self.positional {
                    Positional::Known(v) => Value::Set(v.len().to_string()),
                    Positional::Unknown(why) => Value::Unknown(why.clone()),
                },
                SpecialParameter::LastExitStatus => match self.last {
                    Status::Known(code) => Value::Set(code.to_string()),
                    Status::Unknown => Value::Unknown(
                        "`$?`: the exit status of the last command is not known".to_owned(),
                    ),
                },
                SpecialParameter::AllPositionalParameters { .. } => match &self.positional {
                    Positional::Known(values) => {
                        let mut joined = Vec::new();
                        for v in values {
                            match v {
                                Value::Set(s) => joined.push(s.clone()),
                                Value::Unset => joined.push(String::new()),
                                Value::Unknown(why) => return Value::Unknown(why.clone()),
                            }
                        }
                        Value::Set(joined.join(" "))
                    }
                    Positional::Unknown(why) => Value::Unknown(why.clone()),
                },
                SpecialParameter::CurrentOptionFlags
                | SpecialParameter::ProcessId
                | SpecialParameter::LastBackgroundProcessId
                | SpecialParameter::ShellName => {
                    Value::Unknown(format!("`${special}` is not known"))
                }
            },
            Parameter::Named(name) => self.var(name),
            Parameter::NamedWithIndex { .. } | Parameter::NamedWithAllIndices { .. } => {
                Value::Unknown(format!("`{parameter}`: arrays are not supported"))
            }
        }
    }

    fn parameter_segments(&mut self, expr: &ParameterExpr, quoted: bool, out: &mut Vec<Seg>) {
        let is_unset_or_null = |v: &Value, test: &ParameterTestType| match v {
            Value::Unset => Some(true),
            Value::Set(s) => Some(matches!(test, ParameterTestType::UnsetOrNull) && s.is_empty()),
            Value::Unknown(_) => None,
        };
        match expr {
            ParameterExpr::Parameter {
                parameter,
                indirect: false,
            } => {
                if let Parameter::Special(SpecialParameter::AllPositionalParameters {
                    concatenate,
                }) = parameter
                {
                    self.all_positional_segments(*concatenate, quoted, out);
                } else {
                    Self::value_segment(self.parameter_value(parameter), quoted, out);
                }
            }
            ParameterExpr::UseDefaultValues {
                parameter,
                indirect: false,
                test_type,
                default_value,
            } => {
                let value = self.parameter_value(parameter);
                match is_unset_or_null(&value, test_type) {
                    Some(true) => self.nested_segments(default_value.as_deref(), quoted, out),
                    _ => Self::value_segment(value, quoted, out),
                }
            }
            ParameterExpr::AssignDefaultValues {
                parameter,
                indirect: false,
                test_type,
                default_value,
            } => {
                let value = self.parameter_value(parameter);
                match is_unset_or_null(&value, test_type) {
                    Some(true) => {
                        let word = default_value.clone().unwrap_or_default();
                        let new = match self.expand_one(&word) {
                            Ok(text) => Value::Set(text),
                            Err(why) => Value::Unknown(why),
                        };
                        if let Parameter::Named(name) = parameter {
                            self.set_var(name, new.clone());
                        }
                        Self::value_segment(new, quoted, out);
                    }
                    _ => Self::value_segment(value, quoted, out),
                }
            }
            ParameterExpr::IndicateErrorIfNullOrUnset {
                parameter,
                indirect: false,
                test_type,
                ..
            } => {
                let value = self.parameter_value(parameter);
                match is_unset_or_null(&value, test_type) {
                    Some(true) => out.push(Seg::Unknown {
                        why: format!("`{parameter}` is not set, so the shell would abort here"),
                        quoted,
                    }),
                    _ => Self::value_segment(value, quoted, out),
                }
            }
            ParameterExpr::UseAlternativeValue {
                parameter,
                indirect: false,
                test_type,
                alternative_value,
            } => {
                let value = self.parameter_value(parameter);
                match (is_unset_or_null(&value, test_type), value) {
                    (Some(false), _) => {
                        self.nested_segments(alternative_value.as_deref(), quoted, out);
                    }
                    (Some(true), _) => {}
                    (None, value) => Self::value_segment(value, quoted, out),
                }
            }
            ParameterExpr::ParameterLength {
                parameter,
                indirect: false,
            } => {
                let value = match self.parameter_value(parameter) {
                    Value::Set(s) => Value::Set(s.chars().count().to_string()),
                    Value::Unset => Value::Set("0".to_owned()),
                    unknown @ Value::Unknown(_) => unknown,
                };
                Self::value_segment(value, quoted, out);
            }
            ParameterExpr::RemoveSmallestSuffixPattern {
                parameter,
                indirect: false,
                pattern,
            } => self.trim_segments(
                parameter,
                pattern.as_deref(),
                Trim::SmallestSuffix,
                quoted,
                out,
            ),
            ParameterExpr::RemoveLargestSuffixPattern {
                parameter,
                indirect: false,
                pattern,
            } => self.trim_segments(
                parameter,
                pattern.as_deref(),
                Trim::LargestSuffix,
                quoted,
                out,
            ),
            ParameterExpr::RemoveSmallestPrefixPattern {
                parameter,
                indirect: false,
                pattern,
            } => self.trim_segments(
                parameter,
                pattern.as_deref(),
                Trim::SmallestPrefix,
                quoted,
                out,
            ),
            ParameterExpr::RemoveLargestPrefixPattern {
                parameter,
                indirect: false,
                pattern,
            } => self.trim_segments(
                parameter,
                pattern.as_deref(),
                Trim::LargestPrefix,
                quoted,
                out,
            ),
            _ => out.push(Seg::Unknown {
                why: "this form of `${...}` expansion is not supported".to_owned(),
                quoted,
            }),
        }
    }

    fn all_positional_segments(&self, concatenate: bool, quoted: bool, out: &mut Vec<Seg>) {
        let values = match &self.positional {
            Positional::Known(values) => values.clone(),
            Positional::Unknown(why) => {
                out.push(Seg::Unknown {
                    why: why.clone(),
                    quoted: false,
                });
                return;
            }
        };
        for (i, value) in values.into_iter().enumerate() {
            if i > 0 {
                if quoted && !concatenate {
                    out.push(Seg::Break);
                } else {
                    out.push(Seg::Text {
                        text: " ".to_owned(),
                        quoted,
                        split: !quoted,
                    });
                }
            }
            match value {
                Value::Unset => out.push(Seg::Text {
                    text: String::new(),
                    quoted,
                    split: !quoted,
                }),
                value => Self::value_segment(value, quoted, out),
            }
        }
    }

    fn trim_segments(
        &mut self,
        parameter: &Parameter,
        pattern: Option<&str>,
        how: Trim,
        quoted: bool,
        out: &mut Vec<Seg>,
    ) {
        let value = self.parameter_value(parameter);
        let pattern = match pattern {
            Some(p) => self.expand_pattern(p),
            None => Ok(String::new()),
        };
        match (value, pattern) {
            (Value::Set(text), Ok(p)) => {
                Self::value_segment(Value::Set(pattern::trim(&text, &p, how)), quoted, out)
            }
            (Value::Unset, Ok(_)) => {}
            (Value::Unknown(why), _) | (_, Err(why)) => out.push(Seg::Unknown { why, quoted }),
        }
    }

    /// The output of `$(cmd)` when it is known: a pipeline of commands whose output is
    /// known (`command -v X`, `echo ...`, `dpkg --print-architecture`, a small image file)
    /// and text filters (`| sed 's/:/ /g'`), trailing newlines removed.
    fn substitute(&mut self, cmd: &str) -> Result<String, String> {
        let unknown = || {
            format!(
                "`$({})` is the output of a command",
                crate::shell::one_line(cmd)
            )
        };
        let options = self.parser_options();
        let program = brush_parser::uncached_tokenize_str(cmd, &options.tokenizer_options())
            .ok()
            .and_then(|tokens| brush_parser::parse_tokens(&tokens, &options).ok())
            .ok_or_else(unknown)?;
        match self.pure_substitution(&program) {
            Some(Ok(output)) => Ok(output),
            Some(Err(())) | None => self.run_substitution(program).ok_or_else(unknown),
        }
    }

    /// `$(cmd)` run as a subshell whose output is captured: functions, lists, loops
    /// (`$(get_timezone)`, `$(for u in ...; do echo ...; done)`). `None`, with nothing it
    /// did kept, when a command in it prints what the reader cannot know.
    fn run_substitution(&mut self, program: ast::Program) -> Option<String> {
        let program: &'p ast::Program = self.arena.alloc(program);
        let text = self.capture_run(|sh| {
            sh.in_subshell(|sh| {
                sh.run_program(program);
                crate::shell::Flow::Next
            })
        })?;
        self.substitution_status = match self.last {
            Status::Known(code) => Some(code),
            Status::Unknown => None,
        };
        Some(text.trim_end_matches('\n').to_owned())
    }

    /// Runs `body` with its standard output captured: the text it printed, or `None`,
    /// with nothing it did kept (calls, skipped constructs, files), when a command in it
    /// printed what the reader cannot know or its status is not known.
    pub(crate) fn capture_run(
        &mut self,
        body: impl FnOnce(&mut Self) -> crate::shell::Flow,
    ) -> Option<String> {
        // Nested `eval`s and substitutions end here rather than in a stack overflow.
        if self.nesting >= crate::shell::MAX_CALLS {
            return None;
        }
        let snapshot = self.snapshot();
        let uncertain = self.uncertain;
        let line = self.line;
        self.captures.push((String::new(), None));
        self.nesting += 1;
        body(self);
        self.nesting -= 1;
        let (text, unknown) = self.captures.pop()?;
        // Anything skipped or undecided inside may have printed: the text is not known.
        if unknown.is_some() || self.last == Status::Unknown || self.uncertain != uncertain {
            let dropped = self.roll_back(snapshot);
            // What it would have done is listed, not lost.
            if dropped > 0 {
                self.skip(
                    line,
                    "$(...)",
                    crate::Why::Undecidable(format!(
                        "a command substitution whose output is not known makes {dropped} change(s), which are not applied"
                    )),
                );
            }
            return None;
        }
        Some(text)
    }

    /// `$(cmd)` of a pipeline list whose output is known without running anything:
    /// `None` when it is no such list, `Some(Err(()))` when a stage's output is not known.
    fn pure_substitution(&mut self, program: &ast::Program) -> Option<Result<String, ()>> {
        let [list] = program.complete_commands.as_slice() else {
            return None;
        };
        let [item] = list.0.as_slice() else {
            return None;
        };
        // `A || true`, `A && B`: the output of each pipeline that runs, in order.
        let mut output = String::new();
        let mut status = 0;
        let rest = item.0.additional.iter().map(|next| match next {
            ast::AndOr::And(p) => (Some(true), p),
            ast::AndOr::Or(p) => (Some(false), p),
        });
        for (when, pipeline) in std::iter::once((None, &item.0.first)).chain(rest) {
            let runs = match when {
                None => true,
                Some(on_success) => (status == 0) == on_success,
            };
            if !runs {
                continue;
            }
            let Some(Ok(stages)) = self.pipeline_words(&pipeline.seq) else {
                return Some(Err(()));
            };
            let Ok((text, code)) = self.pipeline_output(&stages) else {
                return Some(Err(()));
            };
            output.push_str(&text);
            status = match (pipeline.bang, code) {
                (true, 0) => 1,
                (true, _) => 0,
                (false, code) => code,
            };
        }
        self.substitution_status = Some(status);
        Some(Ok(output.trim_end_matches('\n').to_owned()))
    }

    /// What `command -v NAME` prints: functions and builtins by name, commands by path.
    pub(crate) fn command_v(&self, name: &str) -> Option<String> {
        if self.functions.contains_key(name) || crate::classify::is_builtin(name) {
            return Some(name.to_owned());
        }
        self.which(name)
    }
}
