//! Writing JSON by hand, for the few commands that print it (`progress --json`): xtask has
//! no dependencies, and a JSON document of numbers, booleans and short strings needs only
//! its strings escaped right.

/// `text` as a JSON string, quotes included: `"`, `\` and every control character escaped
/// (RFC 8259, section 7), everything else as it is (JSON is UTF-8).
pub fn string(text: &str) -> String {
    let mut out = String::with_capacity(text.len() + 2);
    out.push('"');
    for c in text.chars() {
        match c {
            '"' => out.push_str("\\\""),
            '\\' => out.push_str("\\\\"),
            '\n' => out.push_str("\\n"),
            '\r' => out.push_str("\\r"),
            '\t' => out.push_str("\\t"),
            c if u32::from(c) < 0x20 => out.push_str(&format!("\\u{:04x}", u32::from(c))),
            c => out.push(c),
        }
    }
    out.push('"');
    out
}

/// A number, or `null` for none.
pub fn number_or_null(number: Option<impl std::fmt::Display>) -> String {
    number.map_or_else(|| "null".to_string(), |number| number.to_string())
}

/// An object from `(key, value)` pairs whose values are already JSON, on one line.
pub fn object(fields: &[(&str, String)]) -> String {
    let fields: Vec<String> = fields
        .iter()
        .map(|(key, value)| format!("{}: {value}", string(key)))
        .collect();
    format!("{{{}}}", fields.join(", "))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn strings_are_escaped() {
        assert_eq!(string("plain"), "\"plain\"");
        assert_eq!(string("a \"b\" \\ c"), "\"a \\\"b\\\" \\\\ c\"");
        assert_eq!(string("line\nnext\u{1}"), "\"line\\nnext\\u0001\"");
        assert_eq!(string("caf\u{e9}"), "\"caf\u{e9}\"");
    }

    #[test]
    fn objects_and_nulls() {
        assert_eq!(
            object(&[("a", "1".into()), ("b", number_or_null(None::<u32>))]),
            "{\"a\": 1, \"b\": null}"
        );
    }
}
