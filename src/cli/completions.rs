//! `hotline-pulse completions SHELL`: the shell completion script (clap_complete), on
//! standard output: `hotline-pulse completions bash > /etc/bash_completion.d/hotline-pulse`.

use std::io::Write;

use clap::{Args, CommandFactory};
use clap_complete::Shell;

use super::args::Cli;

#[derive(Debug, Args)]
pub struct CompletionsArgs {
    /// The shell to complete for.
    #[arg(value_enum)]
    pub shell: Shell,
}

/// The completion script for `shell`.
pub fn script(shell: Shell) -> Vec<u8> {
    let mut out = Vec::new();
    clap_complete::generate(shell, &mut Cli::command(), "hotline-pulse", &mut out);
    out
}

/// Writes the script to standard output. A reader that stops early (`| head`) is not an
/// error.
pub fn completions(args: &CompletionsArgs) -> anyhow::Result<()> {
    // Generated into memory first: clap_complete panics when its writer fails.
    let script = script(args.shell);
    let mut stdout = std::io::stdout().lock();
    match stdout.write_all(&script).and_then(|()| stdout.flush()) {
        Err(e) if e.kind() != std::io::ErrorKind::BrokenPipe => {
            Err(anyhow::Error::new(e).context("writing the completion script"))
        }
        _ => Ok(()),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn text(shell: Shell) -> String {
        String::from_utf8(script(shell)).expect("UTF-8")
    }

    #[test]
    fn each_shell_completes_the_commands_and_their_flags() {
        for (shell, marker) in [
            (Shell::Bash, "complete -F _hotline__pulse"),
            (Shell::Zsh, "#compdef hotline-pulse"),
            (Shell::Fish, "complete -c hotline-pulse"),
        ] {
            let s = text(shell);
            assert!(s.contains(marker), "{shell}: no {marker:?}");
            for word in [
                "serve",
                "replay",
                "check-config",
                "completions",
                "--brokers",
                "--check-topics",
            ] {
                assert!(s.contains(word), "{shell}: {word} is not completed");
            }
        }
    }

    #[test]
    fn enumerated_values_are_offered() {
        // `replay --format` takes one of three words; bash lists them.
        let s = text(Shell::Bash);
        assert!(
            s.contains("table json prometheus"),
            "replay --format values"
        );
    }
}
