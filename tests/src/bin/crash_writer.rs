//! Submits ratings to a prepared kiosk as fast as it can and prints
//! `ack <seq> <id>` after each commit returned, for the crash test to kill it
//! at any moment and then check that every acknowledged rating survived.

use std::io::Write;

use tiyan_core::rating::RatingInput;

fn main() {
    let dir = std::env::args().nth(1).expect("usage: crash_writer <data-dir>");
    let kiosk = tiyan_client::Kiosk::open(std::path::Path::new(&dir)).expect("open the kiosk");
    let mut out = std::io::stdout().lock();
    for i in 0u64.. {
        let (a, c) = ((i % 5 + 1) as u8, ((i / 5) % 5 + 1) as u8);
        let bad = a <= 2 || c <= 2;
        let input = RatingInput {
            session_id: uuid::Uuid::now_v7(),
            attitude: a,
            competence: c,
            reasons: if bad { vec!["long_wait".into()] } else { vec![] },
            comment: Some(format!("crash-test rating {i}")),
            phone: None,
            phone_consent: false,
        };
        let receipt = kiosk.submit_rating(&input).expect("submit");
        writeln!(out, "ack {} {}", receipt.seq, receipt.id).expect("stdout");
        out.flush().expect("stdout");
    }
}
