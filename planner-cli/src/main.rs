//! `planner`: the command-line front end of the rolling-upgrade planner.
//!
//! The binary is glue: it parses arguments, reads files, calls
//! `planner-core`, renders, and maps every outcome to an exit code.

mod check;
mod diff;
mod exit;
mod import;
mod load;
mod output;
mod status;
mod verify;

use std::io::Write;
use std::path::PathBuf;
use std::process::ExitCode;

use clap::{CommandFactory, FromArgMatches, Parser, Subcommand, ValueEnum};

use exit::Outcome;
use load::{LoadError, load, print_diagnostics};
use planner_core::inventory::Checked;
use planner_core::plan::{Plan, PlanOptions};
use planner_core::verify::Accounts;
use planner_render as render;

const EXAMPLES: &str = "\
Examples:
  planner check examples/enterprise.yaml
  planner plan examples/enterprise.yaml
  planner plan examples/enterprise.yaml --format markdown --output change.md
  planner plan examples/saas.yaml --format json --output plan.json --now 2026-11-29T00:00:00Z
  planner verify plan.json --inventory examples/saas.yaml
  planner explain examples/enterprise.yaml mbx2.corp.example.com
  planner plan examples/enterprise.yaml --format script --output upgrade.sh
  planner completions bash > /etc/bash_completion.d/planner";

/// Plans safe rolling upgrades of multi-server mail installations.
///
/// The planner reads an inventory of servers, roles, versions, capacities and
/// mailboxes, and writes a plan that upgrades every server without losing mail:
/// redundant roles one node at a time, mailstores after they are backed up and
/// emptied. It never touches a server.
#[derive(Parser, Debug)]
#[command(name = "planner", version)]
struct Cli {
    /// Print errors only: no warnings on stderr.
    #[arg(short, long, global = true, conflicts_with = "verbose")]
    quiet: bool,
    /// Say on stderr what was read and what was planned.
    #[arg(short, long, global = true)]
    verbose: bool,
    #[command(subcommand)]
    command: Command,
}

/// The command line's definition, with the exit codes and examples in `--help`.
fn command() -> clap::Command {
    Cli::command().after_help(format!("{}\n\n{EXAMPLES}", exit::help()))
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
        /// Plan what is left of this plan (JSON) after the steps the journal records as done.
        #[arg(long, value_name = "PLAN.json", requires = "journal")]
        resume: Option<PathBuf>,
        /// The journal of the run to resume from (with --resume).
        #[arg(long, value_name = "FILE", requires = "resume")]
        journal: Option<PathBuf>,
    },
    /// Draw the server dependency graph with waves as ranks and mailbox flows.
    Graph {
        /// The inventory file (YAML, format 1).
        inventory: PathBuf,
        #[command(flatten)]
        options: PlanArgs,
        /// Output format.
        #[arg(long, short, value_enum, default_value_t = GraphFormat::Dot)]
        format: GraphFormat,
        /// Write to this file instead of stdout (`-` is stdout).
        #[arg(long, short)]
        output: Option<PathBuf>,
    },
    /// Check a JSON plan against the safety rules and the inventory; exit 0 only if every rule holds.
    Verify {
        /// The plan (JSON, upgrade-plan/v2).
        plan: PathBuf,
        /// The inventory it was made from.
        #[arg(long)]
        inventory: PathBuf,
        /// The policy overrides the plan was made with (never read from the plan).
        #[command(flatten)]
        options: PolicyArgs,
        /// The run's journal: the plan must agree with what it records as done.
        #[arg(long, value_name = "FILE")]
        journal: Option<PathBuf>,
    },
    /// What the script's journal says is done and left, and when the rest should end.
    Status {
        /// The plan (JSON, upgrade-plan/v2) the script was made from.
        plan: PathBuf,
        /// The journal the script wrote (PLANNER_JOURNAL, upgrade.journal by default).
        #[arg(long)]
        journal: PathBuf,
    },
    /// What changed between two JSON plans; exit 0 when they do the same work, 1 when not.
    Diff {
        /// The plan approved before (JSON, upgrade-plan/v2).
        old: PathBuf,
        /// The new plan.
        new: PathBuf,
    },
    /// Explain why a server is in its wave, or where a mailbox goes and why.
    Explain {
        /// The inventory file (YAML, format 1).
        inventory: PathBuf,
        /// A server name or an account.
        name: String,
        #[command(flatten)]
        options: PlanArgs,
    },
    /// Print the read-only script that gathers an installation's facts into a directory (`sh collect.sh DIR`).
    Collect,
    /// Write an inventory from the directory `sh collect.sh DIR` filled; save it where you run this.
    Import {
        /// The directory the collect script wrote.
        dir: PathBuf,
        /// The version every server must end on.
        #[arg(long, value_name = "VERSION")]
        target: String,
        /// Write to this file instead of stdout (`-` is stdout); written whole or not at all.
        #[arg(long, short)]
        output: Option<PathBuf>,
    },
    /// Print shell completions for bash, zsh, fish, elvish or PowerShell.
    Completions {
        /// The shell.
        shell: clap_complete::Shell,
    },
    /// Print the manual page (roff).
    Man,
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
    /// The plan format (upgrade-plan/v2).
    Plan,
}

/// Plan output formats.
#[derive(Clone, Copy, Debug, PartialEq, Eq, ValueEnum)]
enum Format {
    /// A summary, then one line per step.
    Text,
    /// The plan contract (upgrade-plan/v2).
    Json,
    /// The plan contract as YAML (the same data as json).
    Yaml,
    /// A change-approval document.
    Markdown,
    /// A POSIX shell script of the commands, run wave by wave.
    Script,
    /// The server dependency graph for Graphviz, waves as ranks.
    Dot,
    /// The server dependency graph as a Mermaid flowchart.
    Mermaid,
}

/// Graph output formats.
#[derive(Clone, Copy, Debug, PartialEq, Eq, ValueEnum)]
enum GraphFormat {
    /// Graphviz DOT.
    Dot,
    /// Mermaid flowchart.
    Mermaid,
}

impl Format {
    /// Writes the plan to `out`; `colour` applies to the text format only.
    fn render(
        self,
        plan: &planner_core::plan::Plan,
        colour: bool,
        mut out: &mut dyn Write,
    ) -> Result<(), render::Error> {
        // The renderers take a sized writer; `&mut dyn Write` is one.
        let out = &mut out;
        match self {
            Format::Text => render::text::render(plan, colour, out)?,
            Format::Json => render::json::render(plan, out)?,
            Format::Yaml => render::yaml::render(plan, out)?,
            Format::Markdown => render::markdown::render(plan, out)?,
            Format::Script => render::script::render(plan, out)?,
            Format::Dot => render::dot::render(plan, out)?,
            Format::Mermaid => render::mermaid::render(plan, out)?,
        }
        Ok(())
    }
}

/// Options that override the inventory's policy for one run.
#[derive(clap::Args, Debug)]
pub(crate) struct PolicyArgs {
    /// Override policy.strategy.
    #[arg(long, value_enum)]
    strategy: Option<StrategyArg>,
    /// Override policy.max_fill (`90%` or `0.9`).
    #[arg(long, value_name = "FRACTION")]
    max_fill: Option<String>,
}

/// The planning options: policy overrides and the reference time.
#[derive(clap::Args, Debug)]
struct PlanArgs {
    #[command(flatten)]
    policy: PolicyArgs,
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
        let now = match &self.now {
            Some(t) => t.parse::<jiff::Timestamp>().map_err(|_| {
                format!("--now `{t}` is not an RFC 3339 time (such as 2026-11-29T00:00:00Z)")
            })?,
            None => jiff::Timestamp::now(),
        };
        self.policy.resolve(now)
    }
}

impl PolicyArgs {
    /// The core's options at `now`, or a usage error message.
    fn resolve(&self, now: jiff::Timestamp) -> Result<planner_core::plan::PlanOptions, String> {
        use planner_core::inventory::{Fraction, Strategy};
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
    let parsed = command()
        .try_get_matches()
        .and_then(|m| Cli::from_arg_matches(&m));
    let cli = match parsed {
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
    load::set_verbosity(if cli.quiet {
        load::Verbosity::Quiet
    } else if cli.verbose {
        load::Verbosity::Verbose
    } else {
        load::Verbosity::Normal
    });
    match cli.command {
        Command::Check { inventory } => check_inventory(&inventory),
        Command::Completions { shell } => {
            let mut buffer = Vec::new();
            clap_complete::generate(shell, &mut command(), "planner", &mut buffer);
            emit(&String::from_utf8_lossy(&buffer))
        }
        Command::Man => {
            let mut buffer = Vec::new();
            match clap_mangen::Man::new(command()).render(&mut buffer) {
                Ok(()) => emit(&String::from_utf8_lossy(&buffer)),
                Err(e) => {
                    eprintln!("error: cannot render the manual page: {e}");
                    Outcome::Refused
                }
            }
        }
        Command::Plan {
            inventory,
            options,
            format,
            output,
            resume,
            journal,
        } => plan_and_render(
            &inventory,
            &options,
            format,
            output.as_deref(),
            resume.as_deref().zip(journal.as_deref()),
        ),
        Command::Graph {
            inventory,
            options,
            format,
            output,
        } => {
            let format = match format {
                GraphFormat::Dot => Format::Dot,
                GraphFormat::Mermaid => Format::Mermaid,
            };
            plan_and_render(&inventory, &options, format, output.as_deref(), None)
        }
        Command::Verify {
            plan,
            inventory,
            options,
            journal,
        } => verify::run(&plan, &inventory, (&options, journal.as_deref())),
        Command::Explain {
            inventory,
            name,
            options,
        } => plan_then(
            &inventory,
            &options,
            None,
            |checked, plan, resolved, prepared| {
                if let Err(outcome) = prepared.judge(&inventory, checked, plan, resolved) {
                    return outcome;
                }
                match planner_core::explain::explain(checked.inventory(), plan, &name) {
                    Ok(explanation) => emit(&explanation.to_string()),
                    Err(unknown) => {
                        eprintln!("error: {unknown}");
                        if !unknown.closest.is_empty() {
                            let names: Vec<String> =
                                unknown.closest.iter().map(|n| format!("`{n}`")).collect();
                            eprintln!("  hint: did you mean {}?", names.join(" or "));
                        }
                        Outcome::Refused
                    }
                }
            },
        ),
        Command::Diff { old, new } => diff::run(&old, &new),
        Command::Collect => output::write(None, |out| Ok(planner_render::collect::render(out)?)),
        Command::Import {
            dir,
            target,
            output,
        } => import::run(&dir, &target, output.as_deref()),
        Command::Status { plan, journal } => status::run(&plan, &journal),
        Command::Schema { which } => schema(which),
    }
}

/// `planner schema`: a JSON Schema on stdout.
fn schema(which: SchemaKind) -> Outcome {
    let schema = match which {
        SchemaKind::Inventory => planner_core::inventory::schema(),
        SchemaKind::Plan => planner_core::plan::schema(),
    };
    output::write(None, |out| {
        serde_json::to_writer_pretty(&mut *out, &schema).map_err(planner_render::Error::Json)?;
        Ok(out.write_all(b"\n")?)
    })
}

/// `planner check`: the summary, or every problem.
fn check_inventory(inventory: &std::path::Path) -> Outcome {
    match load(inventory) {
        Ok(checked) => {
            print_diagnostics(checked.warnings());
            match check::render(&inventory.display().to_string(), &checked) {
                Ok(summary) => emit(&summary),
                Err(_) => {
                    eprintln!("error: cannot format the summary");
                    Outcome::Refused
                }
            }
        }
        Err(e) => load_failed(e),
    }
}

/// What the check of a new plan starts from: the checker's index of the
/// inventory's accounts, being built on a second thread (joined by the
/// check, so that rendering does not wait for it); or nothing, for a resumed
/// plan, which the library has judged already with the steps done before it.
enum Prepared<'s, 'c> {
    Index(std::thread::ScopedJoinHandle<'s, Accounts<'c>>),
    Judged,
}

impl Prepared<'_, '_> {
    /// The checker's verdict on the new plan (see [`judge`]).
    fn judge(
        self,
        inventory: &std::path::Path,
        checked: &Checked,
        plan: &Plan,
        options: &PlanOptions,
    ) -> Result<(), Outcome> {
        match self {
            // A thread that failed only costs the check its head start.
            Prepared::Index(index) => judge(inventory, checked, plan, options, index.join().ok()),
            Prepared::Judged => Ok(()),
        }
    }
}

/// Loads and plans, reporting any failure on stderr, then hands the plan to
/// `then` with the checker's index of the inventory's accounts. The index
/// and the inventory's digest depend on the inventory alone, so a second
/// thread builds them while the engine plans.
///
/// With `resume` (a plan and its run's journal), what is left of that plan
/// is planned instead (`planner_core::resume`).
fn plan_then(
    inventory: &std::path::Path,
    options: &PlanArgs,
    resume: Option<(&std::path::Path, &std::path::Path)>,
    then: impl for<'s, 'c> FnOnce(&'c Checked, &Plan, &PlanOptions, Prepared<'s, 'c>) -> Outcome,
) -> Outcome {
    let options = match options.resolve() {
        Ok(options) => options,
        Err(message) => {
            eprintln!("error: {message}");
            return Outcome::Usage;
        }
    };
    let previous = match resume.map(read_resume).transpose() {
        Ok(previous) => previous,
        Err(outcome) => return outcome,
    };
    let checked = match load(inventory) {
        Ok(checked) => checked,
        Err(error) => return load_failed(error),
    };
    let outcome = std::thread::scope(|scope| {
        let prepared = match previous {
            None => Prepared::Index(scope.spawn(|| {
                checked.digest();
                Accounts::new(checked.inventory())
            })),
            Some(_) => Prepared::Judged,
        };
        let planned = match &previous {
            None => planner_core::engine::plan(&checked, &options)
                .map_err(|refusal| report_refusal(inventory, &refusal)),
            Some((plan, digest, entries)) => {
                planner_core::resume::resume(&checked, plan, digest, entries, &options)
                    .map_err(|e| report_resume(inventory, &e))
            }
        };
        match planned {
            Ok(plan) => {
                if load::verbose() {
                    let s = &plan.summary;
                    eprintln!(
                        "planned {} servers in {} waves: strategy {}, {} mailbox moves",
                        s.servers_to_upgrade,
                        s.waves,
                        plan.strategy.chosen.as_str(),
                        s.mailboxes_moved
                    );
                }
                let outcome = then(&checked, &plan, &options, prepared);
                // The process ends next: freeing millions of names one by one
                // would only delay the exit (a third of a second at a million
                // mailboxes), so this memory, and the inventory's below, goes
                // back to the system with the process.
                std::mem::forget(plan);
                outcome
            }
            Err(()) => Outcome::Refused,
        }
    });
    std::mem::forget(checked);
    outcome
}

/// The independent checker's verdict on a plan the engine made: a plan it
/// rejects is an internal error, reported with its violations.
fn judge(
    inventory: &std::path::Path,
    checked: &Checked,
    plan: &Plan,
    options: &PlanOptions,
    accounts: Option<Accounts<'_>>,
) -> Result<(), Outcome> {
    let violations = match &accounts {
        Some(accounts) => {
            planner_core::verify::verify_new_with(plan, checked.inventory(), options, accounts)
        }
        None => planner_core::verify::verify_new(plan, checked.inventory(), options),
    };
    if violations.is_empty() {
        return Ok(());
    }
    eprintln!(
        "error: internal error: the plan made for {} breaks {} of the planner's own safety rules, so nothing was written",
        inventory.display(),
        violations.len()
    );
    for v in &violations {
        eprintln!("error: {v}");
    }
    eprintln!(
        "  hint: this is a bug in the planner; please report it with the inventory and the command line"
    );
    Err(Outcome::Refused)
}

/// Plans, then writes the plan in `format` to `output` (stdout by default),
/// once the independent checker has accepted it.
fn plan_and_render(
    inventory: &std::path::Path,
    options: &PlanArgs,
    format: Format,
    output: Option<&std::path::Path>,
    resume: Option<(&std::path::Path, &std::path::Path)>,
) -> Outcome {
    plan_then(
        inventory,
        options,
        resume,
        |checked, plan, options, prepared| {
            let colour = output::colour(output);
            output::write_checked(
                output,
                |out| format.render(plan, colour, out),
                || prepared.judge(inventory, checked, plan, options),
            )
        },
    )
}

/// Reads the plan to resume (with its file's digest) and its journal.
fn read_resume(
    (plan, journal): (&std::path::Path, &std::path::Path),
) -> Result<(Plan, String, Vec<planner_core::journal::Entry>), Outcome> {
    let (previous, digest) = verify::read_plan_file(plan).map_err(|e| match e {
        verify::PlanError::Unreadable => Outcome::Usage,
        verify::PlanError::NotAPlan => Outcome::Refused,
    })?;
    let entries = status::read_journal(journal)?;
    Ok((previous, digest, entries))
}

/// Prints why a plan cannot be resumed.
fn report_resume(inventory: &std::path::Path, error: &planner_core::resume::ResumeError) {
    if let planner_core::resume::ResumeError::NoSafePlan(refusal) = error {
        report_refusal(inventory, refusal);
        return;
    }
    eprintln!("error: cannot resume the plan for {}", inventory.display());
    for line in error.to_string().lines() {
        match line.strip_prefix("hint: ") {
            Some(hint) => eprintln!("  hint: {hint}"),
            None => eprintln!("error: {line}"),
        }
    }
}

/// Prints why no safe plan exists.
fn report_refusal(inventory: &std::path::Path, refusal: &planner_core::engine::NoSafePlan) {
    eprintln!("error: no safe plan exists for {}", inventory.display());
    for reason in &refusal.reasons {
        eprintln!("error: {}", reason.kind);
        if let Some(hint) = reason.hint() {
            eprintln!("  hint: {hint}");
        }
    }
}

/// Reports an inventory that could not be loaded.
pub(crate) fn load_failed(error: LoadError) -> Outcome {
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
    output::write(None, |out| Ok(out.write_all(text.as_bytes())?))
}
