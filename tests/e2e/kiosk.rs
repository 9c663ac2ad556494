//! The kiosk as a citizen, a staff member and an administrator use it: the real
//! app in a real WebKit window under Xvfb, driven over WebDriver, and each step
//! checked in the SQLite file afterwards.

use std::time::Duration;

use anyhow::Result;
use tiyan_system_tests::{ADMIN_PIN, App, STAFF_PIN, db, demo_reference};

const LONG: Duration = Duration::from_secs(15);

fn count(conn: &rusqlite::Connection, sql: &str) -> i64 {
    conn.query_row(sql, [], |r| r.get(0)).expect(sql)
}

#[tokio::test]
async fn setup_sign_in_rate_idle_and_administer() -> Result<()> {
    let data = tempfile::tempdir()?;
    let app = App::launch(data.path(), &[]).await?;

    // First start: setup behind a PIN.
    app.wait_screen("setup", LONG).await?;
    app.screenshot("01-setup").await?;
    app.fill("setup-reference-path", &demo_reference().display().to_string()).await?;
    app.click("setup-import").await?;
    app.wait_text("setup-import-summary", "8", LONG).await?;
    app.keypad("setup-pin", ADMIN_PIN).await?;
    app.keypad("setup-pin", ADMIN_PIN).await?;
    app.click("setup-window-jianghai-w02").await?;

    // Nobody signed in: the window is closed and takes no ratings.
    app.wait_screen("closed", LONG).await?;
    app.screenshot("02-window-closed").await?;
    assert!(app.client.find(fantoccini::Locator::Css("[data-testid='welcome-start']")).await.is_err());

    // Staff sign-in with employee number and personal PIN.
    app.click("closed-staff-sign-in").await?;
    app.keypad("signin-no", "100102").await?;
    app.keypad("signin-pin", STAFF_PIN).await?;
    app.wait_screen("welcome", LONG).await?;
    assert_eq!(app.text("staff-name").await?, "李明华");
    assert_eq!(app.text("staff-employee-no").await?, "100102");
    app.screenshot("03-welcome").await?;

    // A 5/5 rating.
    app.click("welcome-start").await?;
    app.wait_screen("rate", LONG).await?;
    app.click("level-attitude-5").await?;
    app.click("level-competence-5").await?;
    app.screenshot("04-rating").await?;
    app.click("rate-submit").await?;
    app.wait_screen("thanks", LONG).await?;
    app.screenshot("05-thank-you").await?;
    {
        let conn = db(data.path())?;
        let (a, c, staff): (i64, i64, String) =
            conn.query_row("SELECT attitude, competence, staff_id FROM ratings WHERE seq = 1", [], |r| {
                Ok((r.get(0)?, r.get(1)?, r.get(2)?))
            })?;
        assert_eq!((a, c, staff.as_str()), (5, 5, "staff-100102"));
    }

    // A 1/2 rating needs a reason; the thank-you screen goes back by itself.
    app.wait_screen("welcome", LONG).await?;
    app.click("welcome-start").await?;
    app.click("level-attitude-1").await?;
    app.click("level-competence-2").await?;
    app.click("rate-submit").await?;
    app.wait_screen("reasons", LONG).await?;
    assert!(!app.find("reasons-submit").await?.is_enabled().await?, "no reason, no submit");
    app.click("reason-long_wait").await?;
    app.click("reason-poor_attitude").await?;
    app.screenshot("06-bad-review-reasons").await?;
    app.click("reasons-submit").await?;
    app.wait_screen("thanks", LONG).await?;
    app.screenshot("07-thank-you-bad-review").await?;
    {
        let conn = db(data.path())?;
        let (a, c, reasons): (i64, i64, String) =
            conn.query_row("SELECT attitude, competence, reasons FROM ratings WHERE seq = 2", [], |r| {
                Ok((r.get(0)?, r.get(1)?, r.get(2)?))
            })?;
        assert_eq!((a, c), (1, 2));
        assert_eq!(reasons, r#"["long_wait","poor_attitude"]"#);
    }

    // In English, by the toggle on the welcome screen.
    app.wait_screen("welcome", LONG).await?;
    app.click("lang-toggle").await?;
    assert_eq!(app.text("welcome-start").await?, "Rate this service");
    app.screenshot("08-welcome-english").await?;
    app.click("welcome-start").await?;
    app.click("level-attitude-4").await?;
    app.click("level-competence-3").await?;
    app.screenshot("09-rating-english").await?;
    app.click("rate-submit").await?;
    app.wait_screen("thanks", LONG).await?;
    assert!(app.text("screen-thanks").await?.contains("Thank you"));
    // Back home, the next citizen gets Chinese again.
    app.wait_screen("welcome", LONG).await?;
    assert_eq!(app.text("welcome-start").await?, "开始评价");

    // A wrong admin PIN is refused and counted in the database.
    app.click("admin-open").await?;
    app.wait_screen("adminPin", LONG).await?;
    app.keypad("admin-pin", "000000").await?;
    app.wait_text("pin-error", "密码错误", LONG).await?;
    app.screenshot("10-admin-wrong-pin").await?;
    assert_eq!(count(&db(data.path())?, "SELECT failures FROM pin_failures WHERE subject = 'admin'"), 1);
    app.keypad("admin-pin", ADMIN_PIN).await?;
    app.wait_screen("admin", LONG).await?;
    assert_eq!(count(&db(data.path())?, "SELECT count(*) FROM pin_failures"), 0, "a right PIN clears the count");
    assert_eq!(app.text("admin-total").await?, "3");
    assert_eq!(app.text("admin-unsent").await?, "3");
    app.screenshot("11-admin").await?;

    // The administrator shortens the idle time and exports the CSV.
    app.fill("admin-idle", "5").await?;
    app.click("admin-save-settings").await?;
    app.find("admin-notice").await?;
    app.click("admin-export").await?;
    let result = app.wait_text("admin-export-result", ".csv", LONG).await?;
    let csv_path = result.split_whitespace().find(|w| w.ends_with(".csv")).map(str::to_string).unwrap_or_default();
    let csv = std::fs::read_to_string(
        data.path().join("exports").join(std::path::Path::new(&csv_path).file_name().unwrap_or_default()),
    )?;
    assert_eq!(csv.lines().count(), 4, "header and three ratings:\n{csv}");
    let settings: String =
        db(data.path())?.query_row("SELECT value FROM meta WHERE key = 'settings'", [], |r| r.get(0))?;
    assert!(settings.contains("\"idle_seconds\":5"), "{settings}");
    app.click("admin-back").await?;

    // A half-finished rating is dropped after the idle time, with a countdown.
    app.wait_screen("welcome", LONG).await?;
    app.click("welcome-start").await?;
    app.click("level-attitude-3").await?;
    app.find("idle-warning").await?;
    app.screenshot("12-idle-countdown").await?;
    app.wait_screen("welcome", LONG).await?;
    assert_eq!(count(&db(data.path())?, "SELECT count(*) FROM ratings"), 3, "the abandoned rating was not stored");
    assert_eq!(app.text("staff-name").await?, "李明华", "the staff session survived the reset");

    // The staff member signs out with their PIN: the window closes.
    app.click("staff-menu").await?;
    app.keypad("signout-pin", STAFF_PIN).await?;
    app.wait_screen("closed", LONG).await?;

    let conn = db(data.path())?;
    let seqs: Vec<i64> =
        conn.prepare("SELECT seq FROM ratings ORDER BY seq")?.query_map([], |r| r.get(0))?.collect::<Result<_, _>>()?;
    assert_eq!(seqs, vec![1, 2, 3]);
    assert_eq!(count(&conn, "SELECT count(*) FROM staff_sessions WHERE signed_out_at IS NULL"), 0);
    let admin_hash: String = conn.query_row("SELECT value FROM meta WHERE key = 'admin_pin_hash'", [], |r| r.get(0))?;
    assert!(admin_hash.starts_with("$argon2id$"));
    app.quit().await
}

#[tokio::test]
async fn a_case_number_binds_one_rating_and_the_kiosk_is_locked_down() -> Result<()> {
    let data = tempfile::tempdir()?;
    tiyan_system_tests::prepared_kiosk(data.path(), "jianghai-w04", "100104")?;
    let app = App::launch(data.path(), &[]).await?;
    app.wait_screen("welcome", LONG).await?;

    app.click("staff-menu").await?;
    app.fill("case-no-input", "sb2026-0815").await?;
    app.click("case-no-save").await?;
    app.wait_screen("welcome", LONG).await?;
    app.wait_text("welcome-case-no", "SB2026-0815", LONG).await?;
    app.click("welcome-start").await?;
    app.click("level-attitude-5").await?;
    app.click("level-competence-4").await?;
    app.click("rate-submit").await?;
    app.wait_screen("thanks", LONG).await?;

    // The same case again is refused on the staff side.
    app.wait_screen("welcome", LONG).await?;
    app.click("staff-menu").await?;
    app.fill("case-no-input", "SB2026-0815").await?;
    app.click("case-no-save").await?;
    app.wait_text("staff-menu-error", "已评价", LONG).await?;
    app.screenshot("13-case-already-rated").await?;
    app.click("staff-menu-back").await?;

    // Lockdown: the window fills the screen, has no context menu or text selection.
    let (w, h) = {
        let r = app.client.get_window_rect().await?;
        (r.2, r.3)
    };
    assert_eq!((w, h), (1280, 800), "the kiosk covers the whole screen");
    let prevented: bool = app
        .client
        .execute(
            "const e = new MouseEvent('contextmenu', {bubbles: true, cancelable: true}); \
             document.body.dispatchEvent(e); return e.defaultPrevented;",
            vec![],
        )
        .await?
        .as_bool()
        .unwrap_or(false);
    assert!(prevented, "the context menu is suppressed");
    let select: String = app
        .client
        .execute("return getComputedStyle(document.querySelector('h1')).webkitUserSelect || getComputedStyle(document.querySelector('h1')).userSelect;", vec![])
        .await?
        .as_str()
        .unwrap_or_default()
        .to_string();
    assert_eq!(select, "none");

    let conn = db(data.path())?;
    let case: String = conn.query_row("SELECT case_no FROM ratings", [], |r| r.get(0))?;
    assert_eq!(case, "SB2026-0815");
    app.quit().await
}
