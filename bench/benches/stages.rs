//! The library's stages on generated inventories (issue 6), with divan.
//!
//! ```sh
//! cargo bench -p planner-bench                 # every stage, both sizes
//! cargo bench -p planner-bench -- plan         # only the stages whose name matches
//! ```
//!
//! Two sizes: 5,000 mailboxes on 5 stores (one site) and 100,000 mailboxes on
//! 40 stores (two sites of 20), generated in memory with seed 1 at the start.
//! Stages, each through the public API of `planner-core` only:
//!
//! - `parse`: `inventory::parse` of the inventory text (the YAML alone);
//! - `validate`: `Document::validate` with the `zmprov gqu` lists as bytes;
//! - `load`: both, as `planner plan` does after reading the files;
//! - `plan`: `engine::plan` at a fixed reference time;
//! - `serialize`: `serde_json::to_string` of the plan;
//! - `serialize_pretty`: `serde_json::to_string_pretty`, what the CLI writes;
//! - `verify`: `verify::verify` of the plan against the inventory.
//!
//! Timings are only measured and printed here; no test asserts them.

use std::fmt;
use std::sync::OnceLock;

use divan::Bencher;
use divan::counter::ItemsCount;
use planner_bench::{Generated, Params, generate};
use planner_core::engine;
use planner_core::inventory::{self, Checked, Document, MailboxList};
use planner_core::plan::{Plan, PlanOptions};

fn main() {
    divan::main();
}

/// The generated inventories measured.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord)]
enum Size {
    Small,
    Large,
}

const SIZES: [Size; 2] = [Size::Small, Size::Large];

impl Size {
    fn params(self) -> Params {
        match self {
            Size::Small => Params::new(5_000, 5),
            Size::Large => Params::new(100_000, 40),
        }
    }
}

impl fmt::Display for Size {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let p = self.params();
        write!(f, "{}_mailboxes_{}_stores", p.mailboxes, p.stores)
    }
}

/// A generated inventory with the results of every stage, as inputs of the next.
struct Fixture {
    generated: Generated,
    document: Document,
    checked: Checked,
    options: PlanOptions,
    plan: Plan,
}

fn fixture(size: Size) -> &'static Fixture {
    static SMALL: OnceLock<Fixture> = OnceLock::new();
    static LARGE: OnceLock<Fixture> = OnceLock::new();
    let cell = match size {
        Size::Small => &SMALL,
        Size::Large => &LARGE,
    };
    cell.get_or_init(|| {
        let generated = generate(&size.params()).expect("the sizes measured are valid layouts");
        let document = parse_generated(&generated);
        let checked = validate_generated(&generated, &document);
        let now = "2026-11-29T00:00:00Z"
            .parse::<jiff::Timestamp>()
            .expect("a valid RFC 3339 time");
        let options = PlanOptions::at(now);
        let plan = engine::plan(&checked, &options).expect("a generated inventory has a safe plan");
        Fixture {
            generated,
            document,
            checked,
            options,
            plan,
        }
    })
}

fn parse_generated(generated: &Generated) -> Document {
    inventory::parse("inventory.yaml", generated.inventory.as_bytes())
        .expect("the generated inventory parses")
}

fn validate_generated(generated: &Generated, document: &Document) -> Checked {
    let lists: Vec<MailboxList<'_>> = document
        .mailbox_files()
        .iter()
        .map(|f| MailboxList {
            label: f.path.to_string(),
            content: generated
                .file(f.path)
                .ok_or_else(|| "not generated".to_string()),
        })
        .collect();
    document
        .validate(&lists)
        .expect("the generated inventory is valid")
}

/// The whole load sequence, as the CLI runs it (the callback copies each
/// list, as reading a file would).
fn load_generated(generated: &Generated) -> Checked {
    planner_core::load("inventory.yaml", generated.inventory.as_bytes(), |path| {
        generated
            .file(path)
            .map(<[u8]>::to_vec)
            .ok_or_else(|| "not generated".to_string())
    })
    .expect("the generated inventory is valid")
}

fn mailboxes(size: Size) -> ItemsCount {
    ItemsCount::new(size.params().mailboxes)
}

#[divan::bench(args = SIZES, max_time = 3)]
fn parse(bencher: Bencher, size: Size) {
    let f = fixture(size);
    bencher.bench(|| parse_generated(divan::black_box(&f.generated)));
}

#[divan::bench(args = SIZES, max_time = 5)]
fn validate(bencher: Bencher, size: Size) {
    let f = fixture(size);
    bencher
        .counter(mailboxes(size))
        .bench(|| validate_generated(divan::black_box(&f.generated), &f.document));
}

#[divan::bench(args = SIZES, max_time = 5)]
fn load(bencher: Bencher, size: Size) {
    let f = fixture(size);
    bencher.counter(mailboxes(size)).bench(|| {
        let generated = divan::black_box(&f.generated);
        load_generated(generated)
    });
}

#[divan::bench(args = SIZES, max_time = 10)]
fn plan(bencher: Bencher, size: Size) {
    let f = fixture(size);
    bencher
        .counter(mailboxes(size))
        .bench(|| engine::plan(divan::black_box(&f.checked), &f.options).expect("a safe plan"));
}

#[divan::bench(args = SIZES, max_time = 5)]
fn serialize(bencher: Bencher, size: Size) {
    let f = fixture(size);
    bencher
        .counter(mailboxes(size))
        .bench(|| serde_json::to_string(divan::black_box(&f.plan)).expect("a plan serializes"));
}

#[divan::bench(args = SIZES, max_time = 5)]
fn serialize_pretty(bencher: Bencher, size: Size) {
    let f = fixture(size);
    bencher.counter(mailboxes(size)).bench(|| {
        serde_json::to_string_pretty(divan::black_box(&f.plan)).expect("a plan serializes")
    });
}

#[divan::bench(args = SIZES, max_time = 10)]
fn verify(bencher: Bencher, size: Size) {
    let f = fixture(size);
    bencher.counter(mailboxes(size)).bench(|| {
        let violations = planner_core::verify::verify(
            divan::black_box(&f.plan),
            f.checked.inventory(),
            &f.options,
        );
        assert!(
            violations.is_empty(),
            "the plan breaks a rule: {violations:?}"
        );
        violations
    });
}
