//! The inventory: reading it, checking it, and the validated model planning uses.
//!
//! Reading happens in two steps because mailbox lists live in other files and
//! the library never opens a file: [`parse`] reads the inventory text and tells
//! which lists it names; the caller fetches them and passes their bytes to
//! [`Document::validate`], which checks everything and returns an
//! [`Inventory`] with its warnings, or every problem at once.

mod builder;
mod load;
mod locate;
mod mailbox_list;
mod model;
mod names;
mod parse;
mod profile;
mod raw;
mod tools;
mod units;
mod validate;
mod version;

pub use builder::{InventoryBuilder, ServerSpec};
pub use load::{load, resolve};
pub use model::{
    Capacity, Inventory, LastBackup, Load, Mailbox, Policy, Rates, Schedule, Server, ServerId,
    Window,
};
pub use names::{Account, ServerName};
pub use parse::parse;
pub use profile::{AvailabilityUnit, GroupDef, MAILSTORE, Profile, ProfileName, RoleDef};
pub use raw::{
    BackupAfterUpgrade, BackupPolicy, EvacuatePolicy, MailboxFileFormat, MoveBy, PurgePolicy,
    RawInventory, Strategy, Weekday,
};
pub use tools::Tools;
pub use units::{Bytes, BytesPerSecond, Fraction, Seconds};
pub use validate::{Checked, Document, MailboxFile, MailboxList};
pub use version::{AgainstTarget, Version};

/// The JSON Schema of the inventory format, generated from the input model.
pub fn schema() -> serde_json::Value {
    schemars::schema_for!(RawInventory).to_value()
}
