//! Man pages in roff (`man(7)` macros).

use hashvive_common::options::OptionDef;
use hashvive_common::programs::Program;
use hashvive_common::version;

/// Text as roff shows it: backslashes and hyphens escaped, and no line
/// starting with a control character.
fn escape(text: &str) -> String {
    let escaped = text.replace('\\', "\\e").replace('-', "\\-");
    escaped
        .lines()
        .map(|line| match line.starts_with(['.', '\'']) {
            true => format!("\\&{line}"),
            false => line.to_string(),
        })
        .collect::<Vec<_>>()
        .join("\n")
}

pub fn page(program: &Program, options: &[OptionDef]) -> String {
    let upper = program.name.to_uppercase();
    let mut out = format!(
        ".TH {upper} 1 \"\" \"{}\" \"User Commands\"\n.SH NAME\n{} \\- {}\n.SH SYNOPSIS\n",
        escape(&super::version_line()),
        escape(program.name),
        escape(&version::header(program.title)),
    );
    for usage in program.usage {
        out.push_str(&format!(".B {}\n{}\n.br\n", escape(program.name), escape(usage)));
    }
    out.push_str(".SH DESCRIPTION\n");
    for paragraph in program.description.split("\n\n") {
        out.push_str(&format!("{}\n.PP\n", escape(paragraph)));
    }
    out.push_str(".SH OPTIONS\n");
    let mut category = None;
    for option in options {
        if category != Some(option.category) {
            category = Some(option.category);
            out.push_str(&format!(".SS {}\n", escape(option.category.title())));
        }
        let debug = if super::is_debug_only(option) { " (debugging; listed by \\fB\\-help\\-debug\\fR)" } else { "" };
        out.push_str(&format!(
            ".TP\n\\fB\\-{}\\fR{}\n{}{debug}\n",
            escape(option.name),
            escape(option.param),
            escape(&option.help)
        ));
    }
    if !program.commands.is_empty() {
        out.push_str(".SH COMMANDS\n");
        for (name, about) in program.commands {
            out.push_str(&format!(".TP\n\\fB{}\\fR\n{}\n", escape(name), escape(about)));
        }
    }
    out.push_str(&format!(
        ".SH FILES\n.TP\n\\fI~/.hashvive/hashvive.conf\\fR\nThe configuration file; \\fB\\-conf\\fR and \\fB\\-datadir\\fR move it. \
         An example with every option is installed as \\fIshare/examples/hashvive.conf\\fR.\n\
         .SH SEE ALSO\nhashvived(1), hashvive\\-node(1), hashvive\\-cli(1), hashvive\\-wallet(1)\n\
         .SH COPYRIGHT\n{}\n",
        escape(version::license_text().trim())
    ));
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn control_characters_and_hyphens_are_escaped() {
        assert_eq!(escape("-datadir=<dir>"), "\\-datadir=<dir>");
        assert_eq!(escape("a\\b"), "a\\eb");
        assert_eq!(escape(".hidden\n'quoted"), "\\&.hidden\n\\&'quoted");
    }

    #[test]
    fn every_listed_option_has_an_entry() {
        let program = &hashvive_common::programs::HASHVIVED;
        let options = crate::listed_options(program);
        let page = page(program, &options);
        assert!(page.starts_with(".TH HASHVIVED 1 "));
        for option in &options {
            assert!(page.contains(&format!("\\fB\\-{}\\fR", escape(option.name))), "{}", option.name);
        }
        assert!(!page.contains("\n.SS Hidden options"));
    }
}
