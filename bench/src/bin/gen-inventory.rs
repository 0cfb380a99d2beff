//! `gen-inventory`: writes a synthetic inventory and its `zmprov gqu` exports.
//!
//! ```sh
//! cargo run --release -p planner-bench --bin gen-inventory -- \
//!     --mailboxes 100000 --stores 20 --out target/bench-data/100000x20
//! ```
//!
//! Writes `DIR/inventory.yaml`, `DIR/exports/<store>.gqu` (one per store) and
//! `DIR/manifest.json` (what was generated, for scripts). The same arguments
//! give the same files, byte for byte. `--single-site` puts every store in one
//! site with one in ten new (the store-scaling shape); `--rates` adds the rates
//! of `examples/enterprise.yaml` to the policy.

use std::path::PathBuf;
use std::process::ExitCode;

use planner_bench::{Params, generate};

const USAGE: &str = "\
usage: gen-inventory --mailboxes N --stores S --out DIR [--seed K] [--sites-of 20] [--domain-size 50]
                     [--single-site] [--rates]

Writes DIR/inventory.yaml, DIR/exports/<store>.gqu and DIR/manifest.json: N mailboxes
in domains of --domain-size on S mailstores, in sites of --sites-of stores; the last
store of each site is empty and at the target version, every other store is 42-58%
full and must be emptied. Deterministic from --seed (default 1).

  --single-site  every store in one site, dc1; every tenth store (at least one) is
                 empty and at the target version, the others 42-58% full and to be
                 emptied (--sites-of is then ignored)
  --rates        add the rates of examples/enterprise.yaml to the policy (copy
                 200MiB/s, delta_fraction 5%, switch_per_account 3s, upgrade 40m),
                 so the plan carries time estimates";

struct Args {
    params: Params,
    out: PathBuf,
}

fn parse_args() -> Result<Args, String> {
    let mut params = Params::new(0, 0);
    let (mut mailboxes, mut stores, mut out) = (None, None, None);
    let mut args = std::env::args().skip(1);
    while let Some(arg) = args.next() {
        let (key, inline) = match arg.split_once('=') {
            Some((k, v)) => (k.to_string(), Some(v.to_string())),
            None => (arg.clone(), None),
        };
        if key == "-h" || key == "--help" {
            return Err(String::new());
        }
        if inline.is_none() && (key == "--single-site" || key == "--rates") {
            if key == "--single-site" {
                params.single_site = true;
            } else {
                params.rates = true;
            }
            continue;
        }
        let value = match inline {
            Some(v) => v,
            None => args.next().ok_or_else(|| format!("{key} needs a value"))?,
        };
        let number = |v: &str| -> Result<u64, String> {
            v.replace('_', "")
                .parse::<u64>()
                .map_err(|_| format!("{key}: `{v}` is not a whole number"))
        };
        let small = |v: &str| -> Result<u32, String> {
            u32::try_from(number(v)?).map_err(|_| format!("{key}: `{v}` is too large"))
        };
        match key.as_str() {
            "--mailboxes" => mailboxes = Some(number(&value)?),
            "--stores" => stores = Some(small(&value)?),
            "--out" => out = Some(PathBuf::from(value)),
            "--seed" => params.seed = number(&value)?,
            "--sites-of" => params.sites_of = small(&value)?,
            "--domain-size" => params.domain_size = small(&value)?,
            _ => return Err(format!("unknown argument `{arg}`")),
        }
    }
    params.mailboxes = mailboxes.ok_or("--mailboxes is required")?;
    params.stores = stores.ok_or("--stores is required")?;
    let out = out.ok_or("--out is required")?;
    Ok(Args { params, out })
}

fn main() -> ExitCode {
    let args = match parse_args() {
        Ok(a) => a,
        Err(e) if e.is_empty() => {
            println!("{USAGE}");
            return ExitCode::SUCCESS;
        }
        Err(e) => {
            eprintln!("error: {e}\n\n{USAGE}");
            return ExitCode::from(2);
        }
    };
    let generated = match generate(&args.params) {
        Ok(g) => g,
        Err(e) => {
            eprintln!("error: {e}");
            return ExitCode::from(2);
        }
    };
    if let Err(e) = generated.write_to(&args.out) {
        eprintln!("error: cannot write to `{}`: {e}", args.out.display());
        return ExitCode::FAILURE;
    }
    let p = &generated.params;
    println!(
        "{}: {} mailboxes in {} domains on {} mailstores in {} ({} to empty), {:.1} GiB, seed {}{}",
        args.out.join("inventory.yaml").display(),
        p.mailboxes,
        generated.domains,
        p.stores,
        if p.single_site {
            "one site".to_string()
        } else {
            format!("{} sites", p.sites())
        },
        generated.stores.iter().filter(|s| !s.at_target).count(),
        generated.bytes() as f64 / (1u64 << 30) as f64,
        p.seed,
        if p.rates { ", with rates" } else { "" }
    );
    ExitCode::SUCCESS
}
