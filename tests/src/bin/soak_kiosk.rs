//! A kiosk under the kill soak: takes ratings as fast as citizens could
//! (printing `ack <seq> <id>` after each commit returned) while a sync round
//! runs against its server every few milliseconds, until it is killed with
//! SIGKILL. Usage: `soak_kiosk <data-dir> <clock-start>`; the kiosk must be
//! set up and enrolled already.

use std::io::Write;
use std::time::Duration;

use tiyan_client::sync::Engine;
use tiyan_client::sync::transport::Http;

fn main() {
    let mut args = std::env::args().skip(1);
    let (dir, start) = match (args.next(), args.next()) {
        (Some(d), Some(s)) => (d, s),
        _ => panic!("usage: soak_kiosk <data-dir> <clock-start>"),
    };
    let start = chrono::DateTime::parse_from_rfc3339(&start).expect("an RFC 3339 clock start");
    let clock = std::sync::Arc::new(tiyan_client::clock::StartedClock::new(start));
    let kiosk = tiyan_client::Kiosk::open_with_clock(std::path::Path::new(&dir), clock).expect("open the kiosk");
    let store = kiosk.shared_store();
    std::thread::spawn(move || {
        let runtime = tokio::runtime::Builder::new_current_thread().enable_all().build().expect("a runtime");
        runtime.block_on(async move {
            let (url, _) = store.credentials().ok().flatten().expect("an enrolled kiosk");
            let engine = Engine::new(store, Http::new(&url).expect("the server's address")).with_page(50);
            loop {
                // The server may be down (killed); the next round tries again.
                let pause = if engine.run_once().await.is_ok() { 5 } else { 50 };
                tokio::time::sleep(Duration::from_millis(pause)).await;
            }
        });
    });
    let mut out = std::io::stdout().lock();
    for i in 0u64.. {
        let receipt = kiosk.submit_rating(&tiyan_system_tests::sync_rig::citizen(i as usize, false)).expect("submit");
        writeln!(out, "ack {} {}", receipt.seq, receipt.id).expect("stdout");
        out.flush().expect("stdout");
        std::thread::sleep(Duration::from_millis(2));
    }
}
