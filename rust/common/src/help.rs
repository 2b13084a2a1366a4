//! `-help` text in the reference layout: options grouped by category, sorted by
//! name, each followed by its description wrapped under a 7-column indent.

use std::collections::BTreeMap;

use crate::options::{flags, Category, OptionDef};

const WIDTH: usize = 79;
const OPT_INDENT: usize = 2;
const MSG_INDENT: usize = 7;

/// Renders the option groups; `show_debug` adds the options only `-help-debug` lists.
pub fn format_options(defs: &[OptionDef], show_debug: bool) -> String {
    let mut groups: BTreeMap<Category, Vec<&OptionDef>> = BTreeMap::new();
    for def in defs {
        if def.category == Category::Hidden || (def.has(flags::DEBUG_ONLY) && !show_debug) {
            continue;
        }
        groups.entry(def.category).or_default().push(def);
    }
    let mut out = String::new();
    for (category, mut defs) in groups {
        defs.sort_by_key(|d| d.name);
        out.push_str(category.title());
        out.push_str(":\n\n");
        for def in defs {
            out.push_str(&" ".repeat(OPT_INDENT));
            out.push('-');
            out.push_str(def.name);
            out.push_str(def.param);
            out.push('\n');
            out.push_str(&wrap(&def.help, WIDTH - MSG_INDENT, MSG_INDENT));
            out.push_str("\n\n");
        }
    }
    out
}

/// Word-wraps `text` to `width` columns, indenting every line by `indent`.
pub fn wrap(text: &str, width: usize, indent: usize) -> String {
    let pad = " ".repeat(indent);
    let mut lines = Vec::new();
    for paragraph in text.split('\n') {
        let mut line = String::new();
        for word in paragraph.split(' ').filter(|w| !w.is_empty()) {
            if !line.is_empty() && line.len() + 1 + word.len() > width {
                lines.push(format!("{pad}{line}"));
                line.clear();
            }
            if !line.is_empty() {
                line.push(' ');
            }
            line.push_str(word);
        }
        lines.push(format!("{pad}{line}"));
    }
    lines.join("\n")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn groups_sorts_and_wraps() {
        let defs = vec![
            OptionDef::new("zeta", "", "last", Category::Options),
            OptionDef::new("alpha", "=<n>", "word ".repeat(30), Category::Options),
            OptionDef::new("secret", "", "hidden", Category::Hidden),
            OptionDef::new("dbg", "", "debug only", Category::DebugTest).flags(flags::DEBUG_ONLY),
        ];
        let text = format_options(&defs, false);
        assert!(text.starts_with("Options:\n\n  -alpha=<n>\n       word word"));
        assert!(text.find("-alpha").unwrap() < text.find("-zeta").unwrap());
        assert!(!text.contains("secret") && !text.contains("dbg"));
        assert!(text.lines().all(|l| l.len() <= WIDTH));
        assert!(format_options(&defs, true).contains("Debugging/Testing options:\n\n  -dbg\n"));
    }
}
