//! Arithmetic expansion (`$((n + 1))`): the expression, once its parameters are expanded,
//! is parsed by brush-parser and evaluated here in the shell's integer arithmetic (64-bit,
//! wrapping, as dash and bash compute). Assignments inside the expression are not
//! evaluated.

use brush_parser::ast::{ArithmeticExpr, ArithmeticTarget, BinaryOperator, UnaryOperator};

/// The value of `text` (an expanded arithmetic expression), with `var` answering a
/// variable's value (`None`: unset, which counts as 0); `Err` says why it is not known.
pub(crate) fn evaluate(
    text: &str,
    var: &dyn Fn(&str) -> Result<Option<String>, String>,
) -> Result<i64, String> {
    let expr = parse(text)?;
    eval(&expr, var, 0)
}

/// Parentheses nested deeper than this are refused before parsing (the parser recurses
/// per level).
const MAX_PARENS: usize = 64;

fn parse(text: &str) -> Result<ArithmeticExpr, String> {
    // Long expressions (a chain of unary operators) recurse as deep in the parser.
    if text.len() > 1024 {
        return Err("the arithmetic expression is longer than 1024 bytes".to_owned());
    }
    let mut depth = 0usize;
    for c in text.chars() {
        match c {
            '(' => depth += 1,
            ')' => depth = depth.saturating_sub(1),
            _ => {}
        }
        if depth > MAX_PARENS {
            return Err(format!(
                "the arithmetic expression nests deeper than {MAX_PARENS}"
            ));
        }
    }
    brush_parser::arithmetic::parse(text)
        .map_err(|_| format!("the arithmetic expression `{text}` does not parse"))
}

/// Variables whose value is itself an expression are followed this deep.
const MAX_DEPTH: usize = 16;

fn eval(
    expr: &ArithmeticExpr,
    var: &dyn Fn(&str) -> Result<Option<String>, String>,
    depth: usize,
) -> Result<i64, String> {
    if depth > MAX_DEPTH {
        return Err("an arithmetic expression nests too deep".to_owned());
    }
    let eval = |e: &ArithmeticExpr| eval(e, var, depth + 1);
    Ok(match expr {
        ArithmeticExpr::Literal(n) => *n,
        ArithmeticExpr::Reference(ArithmeticTarget::Variable(name)) => match var(name)? {
            None => 0,
            Some(value) if value.trim().is_empty() => 0,
            Some(value) => {
                let parsed = brush_parser::arithmetic::parse(value.trim())
                    .map_err(|_| format!("`{name}` is `{value}`, which is not a number"))?;
                eval(&parsed)?
            }
        },
        ArithmeticExpr::Reference(ArithmeticTarget::ArrayElement(..)) => {
            return Err("arrays are not evaluated in arithmetic".to_owned());
        }
        ArithmeticExpr::UnaryOp(op, operand) => {
            let v = eval(operand)?;
            match op {
                UnaryOperator::UnaryPlus => v,
                UnaryOperator::UnaryMinus => v.wrapping_neg(),
                UnaryOperator::BitwiseNot => !v,
                UnaryOperator::LogicalNot => i64::from(v == 0),
            }
        }
        ArithmeticExpr::BinaryOp(op, left, right) => {
            // `&&` and `||` evaluate their right side only when it matters.
            match op {
                BinaryOperator::LogicalAnd => {
                    return Ok(i64::from(eval(left)? != 0 && eval(right)? != 0));
                }
                BinaryOperator::LogicalOr => {
                    return Ok(i64::from(eval(left)? != 0 || eval(right)? != 0));
                }
                _ => {}
            }
            let (a, b) = (eval(left)?, eval(right)?);
            binary(*op, a, b)?
        }
        ArithmeticExpr::Conditional(condition, then, otherwise) => {
            if eval(condition)? != 0 {
                eval(then)?
            } else {
                eval(otherwise)?
            }
        }
        ArithmeticExpr::Assignment(..)
        | ArithmeticExpr::BinaryAssignment(..)
        | ArithmeticExpr::UnaryAssignment(..) => {
            return Err("an assignment inside an arithmetic expansion is not evaluated".to_owned());
        }
    })
}

fn binary(op: BinaryOperator, a: i64, b: i64) -> Result<i64, String> {
    let shift = |b: i64| u32::try_from(b & 63).unwrap_or(0);
    Ok(match op {
        BinaryOperator::Power => {
            let exponent = u32::try_from(b).map_err(|_| "a negative exponent".to_owned())?;
            a.wrapping_pow(exponent)
        }
        BinaryOperator::Multiply => a.wrapping_mul(b),
        BinaryOperator::Divide | BinaryOperator::Modulo if b == 0 => {
            return Err("division by zero".to_owned());
        }
        BinaryOperator::Divide => a.wrapping_div(b),
        BinaryOperator::Modulo => a.wrapping_rem(b),
        BinaryOperator::Comma => b,
        BinaryOperator::Add => a.wrapping_add(b),
        BinaryOperator::Subtract => a.wrapping_sub(b),
        BinaryOperator::ShiftLeft => a.wrapping_shl(shift(b)),
        BinaryOperator::ShiftRight => a.wrapping_shr(shift(b)),
        BinaryOperator::LessThan => i64::from(a < b),
        BinaryOperator::LessThanOrEqualTo => i64::from(a <= b),
        BinaryOperator::GreaterThan => i64::from(a > b),
        BinaryOperator::GreaterThanOrEqualTo => i64::from(a >= b),
        BinaryOperator::Equals => i64::from(a == b),
        BinaryOperator::NotEquals => i64::from(a != b),
        BinaryOperator::BitwiseAnd => a & b,
        BinaryOperator::BitwiseXor => a ^ b,
        BinaryOperator::BitwiseOr => a | b,
        BinaryOperator::LogicalAnd => i64::from(a != 0 && b != 0),
        BinaryOperator::LogicalOr => i64::from(a != 0 || b != 0),
    })
}

#[cfg(test)]
mod tests {
    use super::evaluate;

    fn vars(name: &str) -> Result<Option<String>, String> {
        match name {
            "n" => Ok(Some("4".to_owned())),
            "hex" => Ok(Some("0x10".to_owned())),
            "empty" => Ok(Some(String::new())),
            "unknown" => Err("`unknown` is not known".to_owned()),
            _ => Ok(None),
        }
    }

    #[test]
    fn shell_arithmetic() {
        let value = |text: &str| evaluate(text, &vars);
        assert_eq!(value("n + 1"), Ok(5));
        assert_eq!(value("n * (2 + 3) % 7"), Ok(6));
        assert_eq!(value("hex / 2 - unset"), Ok(8));
        assert_eq!(value("empty + 010"), Ok(8));
        assert_eq!(value("n > 3 && n < 5 ? 1 : 2"), Ok(1));
        assert_eq!(value("-n << 2"), Ok(-16));
        assert_eq!(value("0 && unknown"), Ok(0));
        assert!(value("unknown + 1").is_err());
        assert!(value("n / 0").is_err());
        assert!(value("n = 3").is_err());
        assert!(value("n +").is_err());
    }
}
