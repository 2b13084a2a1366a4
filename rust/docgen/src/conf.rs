//! `share/examples/hashvive.conf`: every node option, commented out, under
//! its `-help` heading, with its help as a comment.

use hashvive_common::help::wrap;
use hashvive_common::options::{flags, OptionDef};

pub fn example(options: &[OptionDef]) -> String {
    let mut out = format!(
        "##\n## hashvive.conf: the configuration file of hashvived and hashvive-node\n## ({}).\n##\n\
         ## Each line is option=value, as on the command line without the dash.\n\
         ## Options in a [main], [test], [testnet4], [signet] or [regtest] section\n\
         ## apply to that chain only. Everything below is commented out: remove the\n\
         ## leading '#' of a line to use it.\n##\n",
        super::version_line()
    );
    let mut category = None;
    // Options the configuration file does not take (-conf, -datadir's kin) are left out.
    for option in options.iter().filter(|o| !o.has(flags::COMMAND_LINE_ONLY)) {
        if category != Some(option.category) {
            category = Some(option.category);
            out.push_str(&format!("\n\n### {}\n", option.category.title()));
        }
        let help = wrap(&option.help, 77, 0);
        out.push('\n');
        for line in help.lines() {
            out.push_str(&format!("# {line}\n").replace("# \n", "#\n"));
        }
        let value = match option.param.strip_prefix('=') {
            Some(placeholder) => placeholder.to_string(),
            None => "1".to_string(),
        };
        out.push_str(&format!("#{}={value}\n", option.name));
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_example_holds_every_option_the_file_takes() {
        let options = crate::listed_options(&hashvive_common::programs::HASHVIVED);
        let text = example(&options);
        for option in &options {
            let line = format!("\n#{}=", option.name);
            assert_eq!(text.contains(&line), !option.has(flags::COMMAND_LINE_ONLY), "{}", option.name);
        }
        assert!(text.lines().all(|l| l.is_empty() || l.starts_with('#')), "everything is commented out");
    }
}
