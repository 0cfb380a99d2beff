//! `planner`: the command-line front end of the rolling-upgrade planner.
//!
//! The binary is glue: it parses arguments, reads files, calls
//! `planner-core`, renders, and maps every outcome to an exit code.

mod check;
mod exit;
mod load;
mod output;
mod render;

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
  planner plan examples/enterprise.yaml
  planner plan examples/saas.yaml --format json --output plan.json --now 2026-11-29T00:00:00Z
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
    /// Plan the upgrade: print the plan, or why no safe plan exists; exit 0 or 1.
    Plan {
        /// The inventory file (YAML, format 1).
        inventory: PathBuf,
        #[command(flatten)]
        options: PlanArgs,
        /// Output format.
        #[arg(long, short, value_enum, default_value_t = Format::Text)]
        format: Format,
        /// Write to this file instead of stdout (`-` is stdout); written whole or not at all.
        #[arg(long, short)]
        output: Option<PathBuf>,
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
    /// The plan format (upgrade-plan/v1).
    Plan,
}

/// Plan output formats.
#[derive(Clone, Copy, Debug, PartialEq, Eq, ValueEnum)]
enum Format {
    /// A summary, then one line per step.
    Text,
    /// The plan contract (upgrade-plan/v1).
    Json,
}

/// Options that override the inventory's policy for one run.
#[derive(clap::Args, Debug)]
struct PlanArgs {
    /// Override policy.strategy.
    #[arg(long, value_enum)]
    strategy: Option<StrategyArg>,
    /// Override policy.max_fill (`90%` or `0.9`).
    #[arg(long, value_name = "FRACTION")]
    max_fill: Option<String>,
    /// The reference time for backup ages (RFC 3339); default: now.
    #[arg(long, value_name = "TIME")]
    now: Option<String>,
}

#[derive(Clone, Copy, Debug, ValueEnum)]
enum StrategyArg {
    Auto,
    Spread,
    Spare,
    Forward,
}

impl PlanArgs {
    /// The core's options, or a usage error message.
    fn resolve(&self) -> Result<planner_core::plan::PlanOptions, String> {
        use planner_core::inventory::{Fraction, Strategy};
        let now = match &self.now {
            Some(t) => t.parse::<jiff::Timestamp>().map_err(|_| {
                format!("--now `{t}` is not an RFC 3339 time (such as 2026-11-29T00:00:00Z)")
            })?,
            None => jiff::Timestamp::now(),
        };
        let max_fill = match &self.max_fill {
            Some(f) => {
                let v = Fraction::parse(f).map_err(|m| format!("--max-fill: {m}"))?;
                if v == Fraction::ZERO || v > Fraction::ONE {
                    return Err(format!(
                        "--max-fill must be above 0% and at most 100%, not {v}"
                    ));
                }
                Some(v)
            }
            None => None,
        };
        let strategy = self.strategy.map(|s| match s {
            StrategyArg::Auto => Strategy::Auto,
            StrategyArg::Spread => Strategy::Spread,
            StrategyArg::Spare => Strategy::Spare,
            StrategyArg::Forward => Strategy::Forward,
        });
        Ok(planner_core::plan::PlanOptions {
            strategy,
            max_fill,
            now,
        })
    }
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
        Command::Plan {
            inventory,
            options,
            format,
            output,
        } => {
            let options = match options.resolve() {
                Ok(o) => o,
                Err(message) => {
                    eprintln!("error: {message}");
                    return Outcome::Usage;
                }
            };
            let checked = match load(&inventory) {
                Ok(checked) => checked,
                Err(e) => return load_failed(e),
            };
            match planner_core::engine::plan(&checked, &options) {
                Ok(plan) => {
                    let text = match format {
                        Format::Text => render::text::render(&plan),
                        Format::Json => render::json::render(&plan),
                    };
                    output::write(output.as_deref(), &text)
                }
                Err(refusal) => {
                    eprintln!("error: no safe plan exists for {}", inventory.display());
                    for reason in &refusal.reasons {
                        eprintln!("error: {}", reason.message);
                        if let Some(hint) = &reason.hint {
                            eprintln!("  hint: {hint}");
                        }
                    }
                    Outcome::Refused
                }
            }
        }
        Command::Schema { which } => {
            let schema = match which {
                SchemaKind::Inventory => planner_core::inventory::schema(),
                SchemaKind::Plan => planner_core::plan::schema(),
            };
            let mut text = serde_json::to_string_pretty(&schema).unwrap_or_default();
            text.push('\n');
            emit(&text)
        }
    }
}

/// Reports an inventory that could not be loaded.
fn load_failed(error: LoadError) -> Outcome {
    match error {
        LoadError::Unreadable(message) => {
            eprintln!("error: {message}");
            Outcome::Usage
        }
        LoadError::Refused(refusal) => {
            print_diagnostics(&refusal.diagnostics);
            let errors = refusal.errors().count();
            eprintln!(
                "{errors} error{} found; the inventory is refused",
                if errors == 1 { "" } else { "s" }
            );
            Outcome::Refused
        }
    }
}

/// Writes to stdout; a closed pipe (`planner ... | head`) ends quietly.
pub(crate) fn emit(text: &str) -> Outcome {
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
