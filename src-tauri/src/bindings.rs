//! The TypeScript side of the commands, generated from the Rust types with
//! ts-rs into `ui/src/lib/bindings.ts`: the shapes the commands take and answer
//! with, the command names (from `command_list.rs`) and the error codes (from
//! `tiyan_core::error_code`). `tests/bindings.rs` fails when the committed file
//! differs from what this produces; `TIYAN_BLESS=1` rewrites it.

use std::any::TypeId;
use std::collections::{BTreeMap, HashSet};

use ts_rs::{Config, TS, TypeVisitor};

/// Where the generated file lives, from the workspace root.
pub const PATH: &str = "ui/src/lib/bindings.ts";

macro_rules! names {
    ($($module:ident :: $command:ident,)*) => {
        &[$(stringify!($command)),*]
    };
}

/// The app's command names, in the order of the list.
pub const COMMANDS: &[&str] = with_commands!(names);

/// Collects the declarations of a type and of every type it mentions, once each,
/// by name: ts-rs visits dependencies in the order of their `TypeId`s, which
/// change with the build's features, and TypeScript does not mind the order.
struct Declarations {
    config: Config,
    seen: HashSet<TypeId>,
    out: BTreeMap<String, String>,
}

impl TypeVisitor for Declarations {
    fn visit<T: TS + 'static + ?Sized>(&mut self) {
        // Built-in types (strings, numbers, Option, Vec) have nowhere to be
        // declared; their parameters are still visited.
        if T::output_path().is_none() {
            T::visit_generics(self);
            return;
        }
        if !self.seen.insert(TypeId::of::<T>()) {
            return;
        }
        T::visit_dependencies(self);
        let docs = T::docs().unwrap_or_default();
        self.out.insert(T::ident(&self.config), format!("{docs}export {}", T::decl(&self.config)));
    }
}

/// The whole generated file.
pub fn typescript() -> String {
    use tiyan_client::{diary, export, kiosk, ledger, ratings, reference, staff, sync};
    use tiyan_core::{
        diary as core_diary, error_code::ErrorCode, ledger as core_ledger, pin, protocol, rating, settings,
    };

    // Numbers (u64 sequence numbers, counts) are JSON numbers well below 2^53.
    let config = Config::new().with_large_int("number");
    let mut d = Declarations { config, seen: HashSet::new(), out: BTreeMap::new() };
    // What the commands take and answer with.
    d.visit::<crate::commands::SetupDefaults>();
    d.visit::<kiosk::KioskStatus>();
    d.visit::<kiosk::AdminOverview>();
    d.visit::<reference::ImportSummary>();
    d.visit::<reference::WindowInfo>();
    d.visit::<staff::StaffCard>();
    d.visit::<rating::RatingInput>();
    d.visit::<ratings::RatingReceipt>();
    d.visit::<pin::PinGate>();
    d.visit::<settings::KioskSettings>();
    d.visit::<export::ExportSummary>();
    d.visit::<crate::app_log::LogTail>();
    d.visit::<sync::SyncStatus>();
    d.visit::<protocol::DeviceRole>();
    d.visit::<tiyan_client::laptop::OfficerStatus>();
    d.visit::<tiyan_client::laptop::OfficerCard>();
    d.visit::<reference::DiaryChoices>();
    d.visit::<tiyan_client::laptop::EntryRow>();
    d.visit::<tiyan_client::laptop::EntryDetail>();
    d.visit::<diary::Draft>();
    d.visit::<diary::PhotoInfo>();
    d.visit::<core_diary::DiaryBody>();
    d.visit::<core_diary::DiaryRevision>();
    d.visit::<core_ledger::Satisfaction>();
    d.visit::<ledger::ProblemLedger>();
    d.visit::<crate::window_link::LinkAdmin>();
    d.visit::<crate::window_link::Prompt>();
    d.visit::<tiyan_client::window::LinkNews>();
    // And how they fail.
    d.visit::<crate::error::CommandError>();

    let quoted = |items: &mut dyn Iterator<Item = &str>| items.map(|s| format!("'{s}'")).collect::<Vec<_>>();
    let commands = quoted(&mut COMMANDS.iter().copied());
    let codes = quoted(&mut ErrorCode::ALL.iter().map(|c| c.as_str()));
    let mut file = String::from(
        "// Generated from the Rust types by src-tauri/src/bindings.rs (ts-rs): do not edit.\n\
         // `TIYAN_BLESS=1 cargo test -p tiyan-app --test bindings` rewrites it; the test fails when it is stale.\n\n",
    );
    for decl in d.out.values() {
        file.push_str(decl);
        file.push_str("\n\n");
    }
    file.push_str("/** Every command of the app, as `command_list.rs` lists them. */\n");
    file.push_str(&format!("export const COMMANDS = [\n  {},\n] as const;\n", commands.join(",\n  ")));
    file.push_str("export type Command = (typeof COMMANDS)[number];\n\n");
    file.push_str("/** Every error code a screen must have words for (tiyan_core::error_code). */\n");
    file.push_str(&format!("export const ERROR_CODES = [\n  {},\n] as const;\n", codes.join(",\n  ")));
    file
}
