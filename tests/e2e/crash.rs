//! kill -9 at any moment never loses an acknowledged rating, never corrupts the
//! database, never repeats a sequence number: first at the store, many times
//! over, then on the real app in its WebKit window.

use std::collections::HashSet;
use std::io::{BufRead, BufReader};
use std::path::Path;
use std::process::{Command, Stdio};
use std::time::Duration;

use anyhow::{Context, Result, ensure};
use rand::Rng;
use tiyan_system_tests::{App, db, prepared_kiosk};

/// Every acknowledged id is stored, the file is sound, sequence numbers are 1..=n.
fn check(data_dir: &Path, acked: &HashSet<String>) -> Result<usize> {
    tiyan_system_tests::check_kiosk_store(data_dir, acked)
}

#[test]
fn the_store_survives_kill_9_at_random_moments() -> Result<()> {
    let data = tempfile::tempdir()?;
    prepared_kiosk(data.path(), "jianghai-w01", "100101")?;
    let mut rng = rand::rng();
    let mut acked = HashSet::new();
    for round in 0..40 {
        let mut child = Command::new(env!("CARGO_BIN_EXE_crash_writer"))
            .arg(data.path())
            .stdout(Stdio::piped())
            .stderr(Stdio::inherit())
            .spawn()?;
        let mut lines = BufReader::new(child.stdout.take().context("stdout")?).lines();
        if round % 2 == 0 {
            // Right after an acknowledgement…
            for _ in 0..rng.random_range(1..40) {
                let line = lines.next().context("the writer stopped")??;
                acked.insert(line.split_whitespace().nth(2).context("ack line")?.to_string());
            }
        } else {
            // …or at a moment that has nothing to do with one (mid-transaction, mid-fsync).
            std::thread::sleep(Duration::from_millis(rng.random_range(0..120)));
        }
        child.kill()?; // SIGKILL
        child.wait()?;
        // Acknowledgements already in the pipe count too: they were printed after the commit.
        for line in lines {
            acked.insert(line?.split_whitespace().nth(2).context("ack line")?.to_string());
        }
        check(data.path(), &acked).with_context(|| format!("after kill {round}"))?;
    }
    let total = check(data.path(), &acked)?;
    ensure!(acked.len() > 200, "only {} ratings were acknowledged in 40 rounds", acked.len());
    eprintln!("{total} ratings stored, {} acknowledged before a kill -9, none lost", acked.len());
    Ok(())
}

/// A rating through the screen: start, two levels, submit.
async fn rate(app: &App, attitude: u8, competence: u8) -> Result<()> {
    app.wait_screen("welcome", Duration::from_secs(15)).await?;
    app.click("welcome-start").await?;
    app.click(&format!("level-attitude-{attitude}")).await?;
    app.click(&format!("level-competence-{competence}")).await
}

#[tokio::test]
async fn the_app_survives_kill_9_right_after_the_thank_you_and_mid_submit() -> Result<()> {
    let data = tempfile::tempdir()?;
    prepared_kiosk(data.path(), "jianghai-w05", "100106")?;
    let mut acked = HashSet::new();
    let mut rng = rand::rng();
    for round in 0..6 {
        let app = App::launch(data.path(), &[]).await?;
        rate(&app, 5 - round % 3, 4).await?;
        let before: i64 = db(data.path())?.query_row("SELECT count(*) FROM ratings", [], |r| r.get(0))?;
        app.click("rate-submit").await?;
        if round % 2 == 0 {
            // The citizen saw "thank you": that rating must survive anything.
            app.wait_screen("thanks", Duration::from_secs(15)).await?;
            app.kill9()?;
            let id: String =
                db(data.path())?.query_row("SELECT id FROM ratings WHERE seq = ?1", [before + 1], |r| r.get(0))?;
            acked.insert(id);
        } else {
            // Somewhere between the tap and the commit.
            tokio::time::sleep(Duration::from_millis(rng.random_range(0..40))).await;
            app.kill9()?;
        }
        drop(app);
        check(data.path(), &acked).with_context(|| format!("after kill {round}"))?;
    }
    // The kiosk starts again on the same data and keeps counting from where it was.
    let app = App::launch(data.path(), &[]).await?;
    rate(&app, 3, 3).await?;
    app.click("rate-submit").await?;
    app.wait_screen("thanks", Duration::from_secs(15)).await?;
    let n = check(data.path(), &acked)?;
    ensure!(n >= acked.len() + 1);
    app.quit().await
}
