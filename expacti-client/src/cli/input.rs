//! How a command reaches a subcommand: one argument is a command line; several arguments
//! are an argv, quoted back into a command line.

/// The command line given after `--`.
pub fn command_line(words: &[String]) -> anyhow::Result<String> {
    match words {
        [] => anyhow::bail!("no command given: pass it after `--`, or use `--jsonl`"),
        [one] => Ok(one.clone()),
        many => Ok(expacti_core::parse::quote::join(
            many.iter().map(String::as_str),
        )),
    }
}
