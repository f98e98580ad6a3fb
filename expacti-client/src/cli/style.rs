//! Terminal colours, only when standard output is a terminal.

use std::io::IsTerminal;

/// Colours for human output; all empty when not writing to a terminal.
pub struct Style {
    pub dim: &'static str,
    pub bold: &'static str,
    pub red: &'static str,
    pub yellow: &'static str,
    pub green: &'static str,
    pub reset: &'static str,
}

impl Style {
    pub fn detect() -> Self {
        if std::io::stdout().is_terminal() && std::env::var_os("NO_COLOR").is_none() {
            Style {
                dim: "\x1b[2m",
                bold: "\x1b[1m",
                red: "\x1b[31m",
                yellow: "\x1b[33m",
                green: "\x1b[32m",
                reset: "\x1b[0m",
            }
        } else {
            Style {
                dim: "",
                bold: "",
                red: "",
                yellow: "",
                green: "",
                reset: "",
            }
        }
    }
}
