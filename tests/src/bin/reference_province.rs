//! The reference 好差评 platform (`tiyan_system_tests::province`) as a program,
//! for trying reporting up by hand: it listens, checks every record strictly,
//! and prints each record it accepts or refuses.
//!
//! `cargo run -p tiyan-system-tests --bin reference_province -- zhejiang 127.0.0.1:9700 TOKEN`

use std::time::Duration;

use tiyan_system_tests::province::{Province, Shape};

#[tokio::main]
async fn main() -> anyhow::Result<()> {
    let mut args = std::env::args().skip(1);
    let usage = "usage: reference_province gbt39046|zhejiang [ADDRESS] [TOKEN]";
    let shape = match args.next().as_deref() {
        Some("gbt39046") => Shape::Gbt39046,
        Some("zhejiang") => Shape::Zhejiang,
        _ => anyhow::bail!(usage),
    };
    let address = args.next().unwrap_or_else(|| "127.0.0.1:9700".into());
    let token = args.next().unwrap_or_else(|| "try-it".into());
    let province = Province::start_at(shape, &token, &address).await?;
    println!("the reference {shape:?} platform at {} (bearer token {token:?}); Ctrl-C stops it", province.url());
    let (mut held, mut refused) = (0, 0);
    loop {
        tokio::time::sleep(Duration::from_millis(200)).await;
        let s = province.state();
        for h in &s.held[held..] {
            println!("accepted {} {}", h.kind, serde_json::Value::Object(h.record.clone()));
        }
        for (key, why) in &s.refused[refused..] {
            println!("refused {key}: {why}");
        }
        (held, refused) = (s.held.len(), s.refused.len());
    }
}
