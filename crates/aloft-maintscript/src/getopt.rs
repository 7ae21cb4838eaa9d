//! A small GNU `getopt_long`: short options (bundled), long options (`--x v`, `--x=v`, unique
//! prefixes), `--`, operands anywhere.

/// Whether an option takes an argument.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Arg {
    No,
    Required,
    /// Only attached: `-dVALUE`, `--debug=VALUE`.
    Optional,
}

/// One option: its short letter, long name (also its key in the result) and argument.
#[derive(Debug, Clone, Copy)]
pub(crate) struct Opt {
    pub(crate) short: Option<char>,
    pub(crate) long: &'static str,
    pub(crate) arg: Arg,
}

pub(crate) const fn opt(short: char, long: &'static str, arg: Arg) -> Opt {
    Opt {
        short: Some(short),
        long,
        arg,
    }
}

pub(crate) const fn long(long: &'static str, arg: Arg) -> Opt {
    Opt {
        short: None,
        long,
        arg,
    }
}

/// Parsed options (by long name, in order) and operands.
#[derive(Debug, Default)]
pub(crate) struct Parsed {
    pub(crate) options: Vec<(&'static str, Option<String>)>,
    pub(crate) operands: Vec<String>,
}

impl Parsed {
    pub(crate) fn has(&self, name: &str) -> bool {
        self.options.iter().any(|(n, _)| *n == name)
    }

    /// The last value given to `name`.
    pub(crate) fn value(&self, name: &str) -> Option<&str> {
        self.options
            .iter()
            .rev()
            .find(|(n, _)| *n == name)
            .and_then(|(_, v)| v.as_deref())
    }

    /// The first option given among `names`.
    pub(crate) fn first_of(&self, names: &[&str]) -> Option<&'static str> {
        self.options
            .iter()
            .map(|(n, _)| *n)
            .find(|n| names.contains(n))
    }
}

/// Parses `args` against `opts`; `Err` names the option that does not fit.
pub(crate) fn parse(args: &[String], opts: &[Opt]) -> Result<Parsed, String> {
    let mut out = Parsed::default();
    let mut i = 0;
    while i < args.len() {
        let arg = &args[i];
        i += 1;
        if arg == "--" {
            out.operands.extend(args[i..].iter().cloned());
            break;
        }
        if let Some(body) = arg.strip_prefix("--") {
            let (name, attached) = match body.split_once('=') {
                Some((n, v)) => (n, Some(v.to_owned())),
                None => (body, None),
            };
            let exact = opts.iter().find(|o| o.long == name);
            let found = match exact {
                Some(o) => *o,
                None => {
                    let candidates: Vec<&Opt> =
                        opts.iter().filter(|o| o.long.starts_with(name)).collect();
                    match candidates.as_slice() {
                        [only] => **only,
                        _ => return Err(format!("option `{arg}`")),
                    }
                }
            };
            let value = match found.arg {
                Arg::No if attached.is_some() => return Err(format!("option `{arg}`")),
                Arg::No => None,
                Arg::Optional => attached,
                Arg::Required => match attached {
                    Some(v) => Some(v),
                    None => {
                        let v = args.get(i).ok_or_else(|| format!("option `{arg}`"))?;
                        i += 1;
                        Some(v.clone())
                    }
                },
            };
            out.options.push((found.long, value));
            continue;
        }
        if arg.len() > 1 && arg.starts_with('-') {
            let chars: Vec<char> = arg.chars().skip(1).collect();
            let mut j = 0;
            while j < chars.len() {
                let c = chars[j];
                j += 1;
                let found = opts
                    .iter()
                    .find(|o| o.short == Some(c))
                    .ok_or_else(|| format!("option `-{c}`"))?;
                let rest: String = chars[j..].iter().collect();
                let value = match found.arg {
                    Arg::No => None,
                    Arg::Optional => {
                        j = chars.len();
                        (!rest.is_empty()).then_some(rest)
                    }
                    Arg::Required => {
                        j = chars.len();
                        if rest.is_empty() {
                            let v = args.get(i).ok_or_else(|| format!("option `-{c}`"))?;
                            i += 1;
                            Some(v.clone())
                        } else {
                            Some(rest)
                        }
                    }
                };
                out.options.push((found.long, value));
            }
            continue;
        }
        out.operands.push(arg.clone());
    }
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn s(v: &[&str]) -> Vec<String> {
        v.iter().map(|x| (*x).to_owned()).collect()
    }

    #[test]
    fn parses_gnu_style() {
        let opts = [
            opt('s', "symbolic", Arg::No),
            opt('f', "force", Arg::No),
            opt('t', "target-directory", Arg::Required),
            opt('d', "debug", Arg::Optional),
        ];
        let p = parse(
            &s(&["-sf", "a", "--target-dir=/x", "b", "-d5", "--", "-c"]),
            &opts,
        )
        .unwrap_or_default();
        assert!(p.has("symbolic") && p.has("force"));
        assert_eq!(p.value("target-directory"), Some("/x"));
        assert_eq!(p.value("debug"), Some("5"));
        assert_eq!(p.operands, s(&["a", "b", "-c"]));
        assert!(parse(&s(&["-q"]), &opts).is_err());
        let p = parse(&s(&["-t", "/d", "x"]), &opts).unwrap_or_default();
        assert_eq!(p.value("target-directory"), Some("/d"));
        assert_eq!(p.operands, s(&["x"]));
    }
}
