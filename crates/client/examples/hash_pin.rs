//! Prints the Argon2id hash of a PIN, for preparing a reference-data file:
//! `cargo run -p tiyan-client --example hash_pin -- 2580`
fn main() {
    let Some(pin) = std::env::args().nth(1) else {
        eprintln!("usage: hash_pin <PIN>");
        std::process::exit(2);
    };
    match tiyan_client::secret::hash(&pin) {
        Ok(h) => println!("{h}"),
        Err(e) => {
            eprintln!("{e}");
            std::process::exit(1);
        }
    }
}
