//! Conditions: `test`/`[`, `[[ ]]`, and `dpkg --compare-versions`.

use brush_parser::ast::{BinaryPredicate, ExtendedTestExpr, TestExpr, UnaryPredicate};

use crate::FileKind;
use crate::shell::{Shell, Status, Value};

/// Three-valued `and`.
fn and(a: Option<bool>, b: impl FnOnce() -> Option<bool>) -> Option<bool> {
    match a {
        Some(false) => Some(false),
        Some(true) => b(),
        None => match b() {
            Some(false) => Some(false),
            _ => None,
        },
    }
}

/// Three-valued `or`.
fn or(a: Option<bool>, b: impl FnOnce() -> Option<bool>) -> Option<bool> {
    match a {
        Some(true) => Some(true),
        Some(false) => b(),
        None => match b() {
            Some(true) => Some(true),
            _ => None,
        },
    }
}

impl Shell<'_, '_> {
    /// `test ARGS` / `[ ARGS ]` with expanded arguments (without the closing `]`).
    pub(crate) fn eval_test(&mut self, args: &[String]) -> Status {
        let Ok(expr) = brush_parser::test_command::parse(args) else {
            // A syntax error: `test` exits with 2.
            return Status::Known(2);
        };
        match self.test_expr(&expr) {
            Some(result) => Status::from_bool(result),
            None => {
                if self.why.is_empty() {
                    self.why = format!("`test {}` is not decided", args.join(" "));
                }
                Status::Unknown
            }
        }
    }

    fn test_expr(&mut self, expr: &TestExpr) -> Option<bool> {
        match expr {
            TestExpr::False => Some(false),
            TestExpr::Literal(s) => Some(!s.is_empty()),
            TestExpr::And(a, b) => {
                let left = self.test_expr(a);
                and(left, || self.test_expr(b))
            }
            TestExpr::Or(a, b) => {
                let left = self.test_expr(a);
                or(left, || self.test_expr(b))
            }
            TestExpr::Not(e) => self.test_expr(e).map(|b| !b),
            TestExpr::Parenthesized(e) => self.test_expr(e),
            TestExpr::UnaryTest(pred, operand) => self.unary(pred, operand),
            TestExpr::BinaryTest(pred, left, right) => self.binary(pred, left, right, false),
        }
    }

    pub(crate) fn eval_extended(&mut self, expr: &ExtendedTestExpr) -> Option<bool> {
        let result = match expr {
            ExtendedTestExpr::And(a, b) => {
                let left = self.eval_extended(a);
                and(left, || self.eval_extended(b))
            }
            ExtendedTestExpr::Or(a, b) => {
                let left = self.eval_extended(a);
                or(left, || self.eval_extended(b))
            }
            ExtendedTestExpr::Not(e) => self.eval_extended(e).map(|b| !b),
            ExtendedTestExpr::Parenthesized(e) => self.eval_extended(e),
            ExtendedTestExpr::UnaryTest(pred, word) => match self.expand_one(&word.value) {
                Ok(operand) => self.unary(pred, &operand),
                Err(why) => {
                    self.why = why;
                    None
                }
            },
            ExtendedTestExpr::BinaryTest(pred, left, right) => {
                let pattern = matches!(
                    pred,
                    BinaryPredicate::StringExactlyMatchesPattern
                        | BinaryPredicate::StringDoesNotExactlyMatchPattern
                );
                let l = self.expand_one(&left.value);
                let r = if pattern {
                    self.expand_pattern(&right.value)
                } else {
                    self.expand_one(&right.value)
                };
                match (l, r) {
                    (Ok(l), Ok(r)) => self.binary(pred, &l, &r, true),
                    (Err(why), _) | (_, Err(why)) => {
                        self.why = why;
                        None
                    }
                }
            }
        };
        if result.is_none() && self.why.is_empty() {
            self.why = format!("`[[ {expr} ]]` is not decided");
        }
        result
    }

    fn unary(&mut self, pred: &UnaryPredicate, operand: &str) -> Option<bool> {
        match pred {
            UnaryPredicate::StringHasZeroLength => return Some(operand.is_empty()),
            UnaryPredicate::StringHasNonZeroLength => return Some(!operand.is_empty()),
            UnaryPredicate::ShellVariableIsSetAndAssigned => {
                return match self.var(operand) {
                    Value::Set(_) => Some(true),
                    Value::Unset => Some(false),
                    Value::Unknown(why) => {
                        self.why = why;
                        None
                    }
                };
            }
            _ => {}
        }
        if operand.is_empty() {
            return Some(false);
        }
        let path = match self.abs(operand) {
            Ok(path) => path,
            Err(why) => {
                self.why = why;
                return None;
            }
        };
        let followed = || self.file(&path, true);
        let result = match pred {
            UnaryPredicate::FileExists
            | UnaryPredicate::FileExistsAndIsReadable
            | UnaryPredicate::FileExistsAndIsWritable => followed().is_some(),
            UnaryPredicate::FileExistsAndIsRegularFile => {
                matches!(followed(), Some(FileKind::File | FileKind::Executable))
            }
            UnaryPredicate::FileExistsAndIsDir => matches!(followed(), Some(FileKind::Dir)),
            UnaryPredicate::FileExistsAndIsExecutable => {
                matches!(followed(), Some(FileKind::Executable | FileKind::Dir))
            }
            UnaryPredicate::FileExistsAndIsSymlink => {
                matches!(self.file(&path, false), Some(FileKind::Symlink(_)))
            }
            UnaryPredicate::FileExistsAndIsNotZeroLength => match followed() {
                None => false,
                Some(FileKind::Dir) => true,
                Some(_) => {
                    self.why = format!("`-s {operand}`: the file's size is not known");
                    return None;
                }
            },
            UnaryPredicate::FileExistsAndIsBlockSpecialFile
            | UnaryPredicate::FileExistsAndIsCharSpecialFile
            | UnaryPredicate::FileExistsAndIsFifo
            | UnaryPredicate::FileExistsAndIsSocket
                if followed().is_none() =>
            {
                false
            }
            other => {
                self.why = format!("`{other} {operand}` is not decided");
                return None;
            }
        };
        Some(result)
    }

    fn binary(
        &mut self,
        pred: &BinaryPredicate,
        left: &str,
        right: &str,
        extended: bool,
    ) -> Option<bool> {
        let int = |s: &str| s.trim().parse::<i64>().ok();
        let arith = |f: fn(i64, i64) -> bool| match (int(left), int(right)) {
            (Some(l), Some(r)) => Some(f(l, r)),
            _ => None,
        };
        let result = match pred {
            BinaryPredicate::StringExactlyMatchesString if extended => {
                Some(crate::pattern::matches(right, left))
            }
            BinaryPredicate::StringDoesNotExactlyMatchString if extended => {
                Some(!crate::pattern::matches(right, left))
            }
            BinaryPredicate::StringExactlyMatchesString => Some(left == right),
            BinaryPredicate::StringDoesNotExactlyMatchString => Some(left != right),
            BinaryPredicate::StringExactlyMatchesPattern => {
                Some(crate::pattern::matches(right, left))
            }
            BinaryPredicate::StringDoesNotExactlyMatchPattern => {
                Some(!crate::pattern::matches(right, left))
            }
            BinaryPredicate::LeftSortsBeforeRight => Some(left < right),
            BinaryPredicate::LeftSortsAfterRight => Some(left > right),
            BinaryPredicate::ArithmeticEqualTo => arith(|l, r| l == r),
            BinaryPredicate::ArithmeticNotEqualTo => arith(|l, r| l != r),
            BinaryPredicate::ArithmeticLessThan => arith(|l, r| l < r),
            BinaryPredicate::ArithmeticLessThanOrEqualTo => arith(|l, r| l <= r),
            BinaryPredicate::ArithmeticGreaterThan => arith(|l, r| l > r),
            BinaryPredicate::ArithmeticGreaterThanOrEqualTo => arith(|l, r| l >= r),
            _ => None,
        };
        if result.is_none() {
            self.why = format!("`{left} {pred} {right}` is not decided");
        }
        result
    }
}

/// `dpkg --compare-versions A OP B`: `Some(true)` when the relation holds. An empty version
/// (or `<unknown>`) is earlier than any other, or later with the `-nl` operators.
pub(crate) fn compare_versions(a: &str, op: &str, b: &str) -> Option<bool> {
    use std::cmp::Ordering;
    let empty = |v: &str| v.is_empty() || v == "<unknown>";
    let nl = op.ends_with("-nl");
    let ordering = match (empty(a), empty(b)) {
        (true, true) => Ordering::Equal,
        (true, false) if nl => Ordering::Greater,
        (true, false) => Ordering::Less,
        (false, true) if nl => Ordering::Less,
        (false, true) => Ordering::Greater,
        (false, false) => {
            let a: debversion::Version = a.parse().ok()?;
            let b: debversion::Version = b.parse().ok()?;
            a.cmp(&b)
        }
    };
    Some(match op {
        "lt" | "lt-nl" | "<<" => ordering == Ordering::Less,
        "le" | "le-nl" | "<=" | "<" => ordering != Ordering::Greater,
        "eq" | "=" => ordering == Ordering::Equal,
        "ne" => ordering != Ordering::Equal,
        "ge" | "ge-nl" | ">=" | ">" => ordering != Ordering::Less,
        "gt" | "gt-nl" | ">>" => ordering == Ordering::Greater,
        _ => return None,
    })
}

#[cfg(test)]
mod tests {
    use super::compare_versions;

    #[test]
    fn dpkg_semantics_for_empty_versions() {
        assert_eq!(compare_versions("", "lt", "7.0.3-2~"), Some(true));
        assert_eq!(compare_versions("", "lt-nl", "20111025"), Some(false));
        assert_eq!(compare_versions("", "le-nl", "7.7"), Some(false));
        assert_eq!(compare_versions("", "gt-nl", "1"), Some(true));
        assert_eq!(compare_versions("", "eq", ""), Some(true));
        assert_eq!(compare_versions("", "ge", "1"), Some(false));
        assert_eq!(compare_versions("1.0", "lt", "1.0+b1"), Some(true));
        assert_eq!(compare_versions("2.0~rc1", "ge", "2.0"), Some(false));
        assert_eq!(compare_versions("1", "frob", "2"), None);
    }
}
