//! A server holding a province's reference data (200 halls, 5,000 windows,
//! 20,000 staff, no photos) against one holding the demo hall alone, in the
//! same run, through the real server over loopback: a kiosk of the demo hall
//! pulls its hall's data, sends single-rating uploads, and one staff member
//! of the hall is renamed. Each figure is printed beside the one-hall figure
//! and the 1.5× the issue allows; then whether a kiosk of another hall is
//! made to pull by that edit.

use std::path::Path;
use std::time::{Duration, Instant};

use anyhow::{Result, ensure};
use tiyan_client::sync::api::Api;
use tiyan_client::sync::transport::Http;
use tiyan_core::Text;
use tiyan_core::protocol::{StateQuery, Upload};
use tiyan_core::reference::{Hall, Staff, Window};
use tiyan_core::region::{Division, Region};
use tiyan_server::testing::Backend;
use tiyan_services::reference::{self, Edit, StaffForm};
use tiyan_services::reference_files::{Loaded, load_json};
use tiyan_services::{Clock, Services, Who};

use crate::stats::summarize;
use crate::sync::{backends, enrol, name, rating, start_server_with, start_time};

const HALLS: usize = 200;
const WINDOWS_PER_HALL: usize = 25;
const STAFF_PER_HALL: usize = 100;
const PULLS: usize = 60;
const UPLOADS: usize = 200;
/// Each edit is a write of well under a millisecond: twenty of them left the
/// median at the mercy of a few slow fsyncs (1.04× to 1.59× in one hour, the same code).
const EDITS: usize = 100;
const LIMIT: f64 = 1.5;

/// The demo hall, and with `province` 199 more halls under 20 cities and their
/// windows and staff (the PIN hash is one real Argon2id hash for all: hashing
/// 20,000 PINs is not what is measured).
fn data(province: bool) -> Result<Loaded> {
    let demo = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("../demo/reference.json");
    let mut loaded = load_json(&demo)?;
    if !province {
        return Ok(loaded);
    }
    let d = &mut loaded.data;
    let pin_hash = d.staff[0].pin_hash.clone();
    let text = |s: String| Text { zh: s.clone(), en: s };
    let code = |s: String| Division::parse(&s);
    for city in 1..=20 {
        d.regions.push(Region { code: code(format!("44{:02}00", 50 + city))?, name: text(format!("第{city}市")) });
        for county in 1..=10 {
            d.regions.push(Region {
                code: code(format!("44{:02}{county:02}", 50 + city))?,
                name: text(format!("第{city}市第{county}区")),
            });
        }
    }
    for h in 1..HALLS {
        let hall = format!("hall-{h:03}");
        let (city, county) = ((h - 1) / 10 + 1, (h - 1) % 10 + 1);
        d.halls.push(Hall {
            kiosk: None,
            id: hall.clone(),
            name: text(format!("第{h}政务服务中心")),
            division: Some(code(format!("44{:02}{county:02}", 50 + city))?),
            credit_code: None,
        });
        for w in 1..=WINDOWS_PER_HALL {
            d.windows.push(Window {
                id: format!("{hall}-w{w:02}"),
                hall_id: hall.clone(),
                number: format!("{w:02}"),
                name: text(format!("综合受理{w}")),
                credit_code: None,
            });
        }
        for s in 1..=STAFF_PER_HALL {
            d.staff.push(Staff {
                id: format!("{hall}-s{s:03}"),
                hall_id: hall.clone(),
                employee_no: format!("{}", 500_000 + h * 1000 + s),
                name: format!("员工{h}-{s}"),
                department: None,
                pin_hash: pin_hash.clone(),
                photo: None,
                photo_sha256: None,
            });
        }
    }
    Ok(loaded)
}

struct Figures {
    pull: Duration,
    pull_bytes: usize,
    upload: Duration,
    edit: Duration,
    /// Whether a kiosk of the demo hall was told to pull after an edit in another hall.
    other_hall_pulls: Option<bool>,
}

async fn measure(backend: Backend, province: bool, postgres: Option<&str>, dir: &Path) -> Result<Figures> {
    let server = start_server_with(backend, dir, postgres, tiyan_server::Settings::default()).await?;
    let cx = Services::new(server.store.clone(), Clock::system());
    let console = Who::console(cx.now());
    if province {
        let t = Instant::now();
        reference::import(&cx, &console, data(true)?).await?;
        println!("  imported the province's data in {:.1} s", t.elapsed().as_secs_f64());
    }
    let device = enrol(&server.store, 1).await?.remove(0);
    let api = Api::new(Http::new(&server.url)?);

    let mut pulls = Vec::new();
    let mut bytes = 0;
    for _ in 0..PULLS {
        let t = Instant::now();
        let update = api.reference(&device, None).await?;
        pulls.push(t.elapsed());
        bytes = serde_json::to_vec(&update)?.len();
        ensure!(update.data.is_some_and(|d| d.staff.len() == 8), "the demo hall's staff, and no one else");
    }

    let mut uploads = Vec::new();
    for seq in 1..=UPLOADS as u64 {
        let r = rating(device.device_id, seq, start_time());
        let t = Instant::now();
        api.upload(&device, &Upload::Rating(vec![r])).await?;
        uploads.push(t.elapsed());
    }

    let current = cx.reference().await?;
    let staff = current.staff.iter().find(|s| s.id == "staff-100102").cloned().expect("the demo hall's staff member");
    let rename = |name: String, of: &Staff| Edit::Staff {
        staff: StaffForm {
            id: of.id.clone(),
            hall_id: of.hall_id.clone(),
            employee_no: of.employee_no.clone(),
            name,
            department: of.department.clone(),
        },
        pin: None,
        photo: None,
    };
    let mut edits = Vec::new();
    for i in 0..EDITS {
        let t = Instant::now();
        reference::edit(&cx, &Who::console(cx.now()), rename(format!("李明华{i}"), &staff)).await?;
        edits.push(t.elapsed());
    }

    // An edit in another hall: is the demo hall's kiosk told to pull?
    let other_hall_pulls = if province {
        let before = api.state(&device, &StateQuery::default()).await?.reference_version;
        let other =
            current.staff.iter().find(|s| s.hall_id == "hall-001").cloned().expect("a staff member of hall-001");
        reference::edit(&cx, &Who::console(cx.now()), rename("改名".into(), &other)).await?;
        let after = api.state(&device, &StateQuery::default()).await?.reference_version;
        Some(before != after)
    } else {
        None
    };
    let _ = server.stop.send(());
    let p50 = |v: Vec<Duration>| summarize(v).p50;
    Ok(Figures { pull: p50(pulls), pull_bytes: bytes, upload: p50(uploads), edit: p50(edits), other_hall_pulls })
}

pub fn run(postgres: Option<&str>, dir: &Path) -> Result<()> {
    std::fs::create_dir_all(dir)?;
    let runtime = tokio::runtime::Builder::new_multi_thread().enable_all().build()?;
    runtime.block_on(async move {
        for backend in backends(postgres, &[]) {
            println!("\n=== {} ===", name(backend));
            let one = measure(backend, false, postgres, dir).await?;
            let all = measure(backend, true, postgres, dir).await?;
            let ms = |d: Duration| d.as_secs_f64() * 1e3;
            println!(
                "{:<48} {:>10} {:>12} {:>7}  (target ≤ {LIMIT}×)",
                format!(
                    "median ({HALLS} halls, {} windows, {} staff)",
                    HALLS * WINDOWS_PER_HALL,
                    HALLS * STAFF_PER_HALL
                ),
                "one hall",
                "a province",
                "ratio"
            );
            for (label, a, b) in [
                (format!("a kiosk pulls its hall's data ({} KB)", all.pull_bytes / 1024), one.pull, all.pull),
                ("a single-rating upload".to_string(), one.upload, all.upload),
                ("one staff member renamed".to_string(), one.edit, all.edit),
            ] {
                let ratio = b.as_secs_f64() / a.as_secs_f64();
                let verdict = if ratio <= LIMIT { "met" } else { "NOT met" };
                println!("{label:<48} {:>7.2} ms {:>9.2} ms {ratio:>6.2}×  {verdict}", ms(a), ms(b));
            }
            if let Some(pulls) = all.other_hall_pulls {
                println!(
                    "an edit in another hall makes the demo hall's kiosk pull: {}",
                    if pulls { "yes (every kiosk pulls)" } else { "no (only that hall's kiosks pull)" }
                );
            }
        }
        Ok(())
    })
}
