//! `planner`: the command-line front end of the rolling-upgrade planner.
//!
//! The binary is glue: it parses arguments, reads files, calls
//! `planner-core`, renders, and maps every outcome to an exit code.

mod check;
mod exit;
mod load;

use std::io::Write;
use std::path::PathBuf;
use std::process::ExitCode;

use clap::{Parser, Subcommand, ValueEnum};

use exit::Outcome;
use load::{LoadError, load, print_diagnostics};

const AFTER_HELP: &str = "\
Exit codes:
  0  success
  1  the input was read but is refused (invalid inventory, no safe plan)
  2  usage error, or an input file that cannot be read

Examples:
  planner check examples/enterprise.yaml
  planner schema inventory > schemas/inventory.schema.json";

/// Plans safe rolling upgrades of multi-server mail installations.
#[derive(Parser, Debug)]
#[command(name = "planner", version, about, after_help = AFTER_HELP)]
struct Cli {
    #[command(subcommand)]
    command: Command,
}

#[derive(Subcommand, Debug)]
enum Command {
    /// Validate an inventory: print a summary, or every problem; exit 0 or 1.
    Check {
        /// The inventory file (YAML, format 1).
        inventory: PathBuf,
    },
    /// Print a JSON Schema.
    Schema {
        /// Which schema.
        which: SchemaKind,
    },
}

#[derive(Clone, Copy, Debug, ValueEnum)]
enum SchemaKind {
    /// The inventory format.
    Inventory,
}

fn main() -> ExitCode {
    let cli = match Cli::try_parse() {
        Ok(cli) => cli,
        Err(e) => {
            let _ = e.print();
            return ExitCode::from(if e.use_stderr() {
                exit::USAGE
            } else {
                exit::OK
            });
        }
    };
    run(cli).into()
}

fn run(cli: Cli) -> Outcome {
    match cli.command {
        Command::Check { inventory } => match load(&inventory) {
            Ok(checked) => {
                print_diagnostics(&checked.warnings);
                emit(&check::render(&inventory.display().to_string(), &checked))
            }
            Err(LoadError::Unreadable(message)) => {
                eprintln!("error: {message}");
                Outcome::Usage
            }
            Err(LoadError::Refused(refusal)) => {
                print_diagnostics(&refusal.diagnostics);
                let errors = refusal.errors().count();
                eprintln!(
                    "{errors} error{} found; the inventory is refused",
                    if errors == 1 { "" } else { "s" }
                );
                Outcome::Refused
            }
        },
        Command::Schema { which } => {
            let schema = match which {
                SchemaKind::Inventory => planner_core::inventory::schema(),
            };
            let mut text = serde_json::to_string_pretty(&schema).unwrap_or_default();
            text.push('\n');
            emit(&text)
        }
    }
}

/// Writes to stdout; a closed pipe (`planner ... | head`) ends quietly.
fn emit(text: &str) -> Outcome {
    let mut stdout = std::io::stdout().lock();
    match stdout
        .write_all(text.as_bytes())
        .and_then(|()| stdout.flush())
    {
        Ok(()) => Outcome::Done,
        Err(e) if e.kind() == std::io::ErrorKind::BrokenPipe => Outcome::Done,
        Err(e) => {
            eprintln!("error: cannot write the output: {}", load::describe(&e));
            Outcome::Refused
        }
    }
}
