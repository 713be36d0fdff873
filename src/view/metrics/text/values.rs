//! How the two formats write a label value or help text (escaping) and a number.

use std::fmt::Write as _;

use super::Format;

/// Escapes backslash and line feed, and the double quote when `quote` (label values
/// always; help text in OpenMetrics only).
pub(super) fn escape(s: &str, quote: bool, out: &mut String) {
    let special = |b: u8| b == b'\\' || b == b'\n' || (quote && b == b'"');
    if !s.bytes().any(special) {
        out.push_str(s);
        return;
    }
    for c in s.chars() {
        match c {
            '\\' => out.push_str("\\\\"),
            '\n' => out.push_str("\\n"),
            '"' if quote => out.push_str("\\\""),
            c => out.push(c),
        }
    }
}

/// Integers up to this are written without the float formatter (exact in an f64).
const EXACT: f64 = 1e15;

/// A number as the format's reference encoder writes it. Text 0.0.4: Rust's `Display`
/// (the `prometheus` crate's `to_string`). OpenMetrics: Go's shortest `%g` (exponent
/// form below 1e-4 and from 1e+06), with `.0` added to integers, `+Inf`, `-Inf`, `NaN`.
pub(super) fn number(format: Format, v: f64, out: &mut String) {
    let integral = v.fract() == 0.0 && v.abs() < EXACT && !(v == 0.0 && v.is_sign_negative());
    match format {
        // Most samples are counts: itoa, not the `fmt` machinery (a tenth of a render).
        Format::Text if integral => out.push_str(itoa::Buffer::new().format(v as i64)),
        Format::Text => {
            let _ = write!(out, "{v}");
        }
        Format::OpenMetrics if integral && v.abs() < 1e6 => {
            out.push_str(itoa::Buffer::new().format(v as i64));
            out.push_str(".0");
        }
        Format::OpenMetrics => go_float(v, out),
    }
}

fn go_float(v: f64, out: &mut String) {
    if v.is_nan() {
        out.push_str("NaN");
        return;
    }
    if v.is_infinite() {
        out.push_str(if v > 0.0 { "+Inf" } else { "-Inf" });
        return;
    }
    if v == 0.0 {
        out.push_str(if v.is_sign_negative() { "-0.0" } else { "0.0" });
        return;
    }
    // Rust's `{:e}` gives the shortest round-trip digits, as Go's -1 precision does.
    let sci = format!("{v:e}");
    let (mantissa, exp) = sci.split_once('e').unwrap_or((&sci, "0"));
    let exp: i32 = exp.parse().unwrap_or(0);
    if !(-4..6).contains(&exp) {
        let _ = write!(
            out,
            "{mantissa}e{}{:02}",
            if exp < 0 { '-' } else { '+' },
            exp.unsigned_abs()
        );
    } else {
        let start = out.len();
        let _ = write!(out, "{v}");
        if !out[start..].contains('.') {
            out.push_str(".0");
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn om(v: f64) -> String {
        let mut s = String::new();
        number(Format::OpenMetrics, v, &mut s);
        s
    }

    #[test]
    fn numbers_are_written_as_client_golang_writes_them() {
        for (v, want) in [
            (1.0, "1.0"),
            (0.0, "0.0"),
            (-0.0, "-0.0"),
            (-1.0, "-1.0"),
            (0.5, "0.5"),
            (3600.0, "3600.0"),
            (123456.0, "123456.0"),
            (2_592_000.0, "2.592e+06"),
            (1e6, "1e+06"),
            (0.0001, "0.0001"),
            (0.00001234, "1.234e-05"),
            (1e21, "1e+21"),
            (f64::INFINITY, "+Inf"),
            (f64::NEG_INFINITY, "-Inf"),
            (f64::NAN, "NaN"),
            (0.99, "0.99"),
        ] {
            assert_eq!(om(v), want, "{v}");
        }
    }
}
