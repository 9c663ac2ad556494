// The smallest Tauri 2 app with a window: the reference for `tiyan-bench footprint`.
// Its page calls `ready` once it has run, as Tiyan's first screen asks for its status.
#[tauri::command]
fn ready() {
    eprintln!("minimal-tauri: ready");
}

fn main() {
    let app = tauri::Builder::default().invoke_handler(tauri::generate_handler![ready]);
    app.run(tauri::generate_context!()).expect("the minimal app runs");
}
