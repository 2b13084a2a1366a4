//! Shell completions for bash, zsh and fish: the option names (with `=`
//! where a value follows), and in zsh and fish a short description.

use hashvive_common::options::OptionDef;

/// `-name=` for options that take a value, `-name` for switches.
fn word(option: &OptionDef) -> String {
    match option.param.is_empty() {
        true => format!("-{}", option.name),
        false => format!("-{}=", option.name),
    }
}

fn function_name(program: &str) -> String {
    format!("_{}", program.replace('-', "_"))
}

pub fn bash(program: &str, options: &[OptionDef]) -> String {
    let words: Vec<String> = options.iter().map(word).collect();
    let function = function_name(program);
    format!(
        "# bash completion for {program}; generated from its option definitions.\n\
         {function}() {{\n\
         \x20   local cur=\"${{COMP_WORDS[COMP_CWORD]}}\"\n\
         \x20   COMPREPLY=($(compgen -W \"{}\" -- \"$cur\"))\n\
         \x20   # An option taking a value keeps the cursor after its '='.\n\
         \x20   if [[ ${{#COMPREPLY[@]}} -eq 1 && ${{COMPREPLY[0]}} == *= ]]; then\n\
         \x20       compopt -o nospace\n\
         \x20   fi\n\
         }}\n\
         complete -F {function} {program}\n",
        words.join(" ")
    )
}

pub fn zsh(program: &str, options: &[OptionDef]) -> String {
    let mut out = format!("#compdef {program}\n# zsh completion for {program}; generated from its option definitions.\n\nlocal -a options\noptions=(\n");
    for option in options {
        // _describe splits "word:description" at the first unescaped colon.
        let entry = format!("{}:{}", word(option).replace(':', "\\:"), super::summary(option));
        out.push_str(&format!("  '{}'\n", entry.replace('\'', "'\\''")));
    }
    out.push_str(")\n_describe -t options 'option' options -S ''\n");
    out
}

pub fn fish(program: &str, options: &[OptionDef]) -> String {
    let mut out = format!("# fish completion for {program}; generated from its option definitions.\n");
    for option in options {
        let value = if option.param.is_empty() { "" } else { " -r" };
        out.push_str(&format!(
            "complete -c {program} -o {}{value} -d '{}'\n",
            option.name,
            super::summary(option).replace('\\', "\\\\").replace('\'', "\\'")
        ));
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use hashvive_common::options::Category;

    fn options() -> Vec<OptionDef> {
        vec![
            OptionDef::new("datadir", "=<dir>", "Specify data directory. More.", Category::Options),
            OptionDef::new("regtest", "", "Use the 'regtest' chain: for tests", Category::ChainParams),
        ]
    }

    #[test]
    fn each_shell_gets_every_option() {
        let bash = bash("hashvive-cli", &options());
        assert!(bash.contains("compgen -W \"-datadir= -regtest\""));
        assert!(bash.contains("complete -F _hashvive_cli hashvive-cli"));
        let zsh = zsh("hashvive-cli", &options());
        assert!(zsh.starts_with("#compdef hashvive-cli\n"));
        assert!(zsh.contains("'-datadir=:Specify data directory'"));
        assert!(
            zsh.contains("'-regtest:Use the '\\''regtest'\\'' chain\\: for tests'") || zsh.contains("-regtest:Use the")
        );
        let fish = fish("hashvive-cli", &options());
        assert!(fish.contains("complete -c hashvive-cli -o datadir -r -d 'Specify data directory'"));
        assert!(fish.contains("-o regtest -d 'Use the \\'regtest\\' chain: for tests'"));
    }
}
