// Every command gets an `allow-<command>` permission, which the capability files
// in capabilities/ grant to each window by name. The list is the app's one list.
include!("src/command_list.rs");
macro_rules! names {
    ($($module:ident :: $command:ident,)*) => {
        &[$(stringify!($command)),*]
    };
}
const COMMANDS: &[&str] = with_commands!(names);

fn main() {
    let dist = std::path::Path::new("../ui/dist/index.html");
    println!("cargo:rerun-if-changed=../ui/dist");
    if !dist.exists() {
        println!(
            "cargo:warning=ui/dist is missing: run `npm --prefix ui run build` (scripts/run.sh does) before building the app"
        );
    }
    tauri_build::try_build(
        tauri_build::Attributes::new().app_manifest(tauri_build::AppManifest::new().commands(COMMANDS)),
    )
    .expect("tauri-build failed");
}
