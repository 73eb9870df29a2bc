//! mdBook's anchor lines, `// ANCHOR: name` and `// ANCHOR_END: name`.
//!
//! They mark the pieces of a solution that the book includes by name, and the regions the
//! skeleton generator replaces ([`crate::skeleton`]). mdBook drops them from every include;
//! the skeleton generator drops them from the learner's file; fixtures ignore them.

/// Which of the two marker lines.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Marker {
    Start,
    End,
}

/// If `line` is an anchor line, which one and the anchor's name. Like mdBook, the marker
/// may sit anywhere in the line (usually after `//`).
pub fn marker(line: &str) -> Option<(Marker, &str)> {
    let (kind, rest) = if let Some(at) = line.find("ANCHOR_END:") {
        (Marker::End, &line[at + "ANCHOR_END:".len()..])
    } else if let Some(at) = line.find("ANCHOR:") {
        (Marker::Start, &line[at + "ANCHOR:".len()..])
    } else {
        return None;
    };
    let name = rest.trim_start();
    let end = name
        .find(|c: char| !(c.is_alphanumeric() || c == '_' || c == '-'))
        .unwrap_or(name.len());
    let name = &name[..end];
    (!name.is_empty()).then_some((kind, name))
}

/// Whether mdBook would drop this line from an include.
pub fn is_marker(line: &str) -> bool {
    marker(line).is_some()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn markers_are_recognised_with_their_names() {
        assert_eq!(
            marker("    // ANCHOR: todo1"),
            Some((Marker::Start, "todo1"))
        );
        assert_eq!(
            marker("// ANCHOR_END: send_line"),
            Some((Marker::End, "send_line"))
        );
        assert_eq!(marker("let anchor = 1; // no marker"), None);
        assert_eq!(marker("// ANCHOR:"), None);
    }
}
