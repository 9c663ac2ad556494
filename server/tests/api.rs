//! The API through `Router::oneshot`, on both backends: a SQLite file in a
//! temporary folder and a fresh PostgreSQL database. Every test runs twice,
//! as `sqlite::NAME` and `postgres::NAME`.

#![allow(clippy::unwrap_used, clippy::expect_used)]

mod common;

use axum::body::Body;
use axum::http::{Request, StatusCode};
use chrono::{DateTime, Duration};
use http_body_util::BodyExt;
use serde_json::{Value, json};
use tiyan_core::Level;
use tiyan_core::diary::{Channel, DiaryBody, DiaryRevision, Mode, Problem, ProblemCategory};
use tiyan_core::protocol::DeviceRole;
use tiyan_core::rating::Rating;
use tiyan_server::testing::Backend;
use tiyan_services::reference_files::load_json;
use tiyan_services::{Who, reference};
use tiyan_storage::{RatingFilter, StoredSecret};

use tower::ServiceExt;
use uuid::Uuid;

tiyan_server::on_both_backends!(
    health_answers_with_the_backend_and_its_schema,
    the_public_page_says_nothing_about_devices,
    enrolment_codes_work_once_and_expire,
    a_made_up_or_mistyped_code_is_looked_up_not_hashed,
    device_secrets_are_kept_as_sha256_only,
    a_secret_from_an_older_server_is_moved_to_sha256,
    requests_need_the_right_secret_and_a_device_not_revoked,
    uploads_store_each_record_once_and_refuse_what_would_corrupt,
    a_kiosk_sends_only_ratings_of_its_own_hall_with_known_ids,
    a_refused_record_keeps_its_whole_page_out,
    a_kiosk_pulls_its_hall_and_the_photos_by_hash,
    an_import_that_changes_nothing_keeps_the_version,
    reference_data_never_reaches_a_device_with_a_password_hash,
    diaries_come_only_from_officer_laptops_of_known_officers,
    photos_resume_by_chunk_and_must_match_their_hash,
    officers_sign_in_with_their_password_only,
    officer_sign_in_locks_out_per_officer_and_per_address,
    an_officer_whose_appointment_ended_cannot_sign_in,
    a_code_for_the_other_role_is_refused_and_stays_usable,
    the_csv_export_keeps_a_formula_typed_at_the_kiosk_as_text,
    figures_group_by_the_devices_own_date,
    housekeeping_forgets_old_request_ids_abandoned_uploads_and_failures,
);

use common::*;

async fn health_answers_with_the_backend_and_its_schema(backend: Backend) {
    let s = server(backend).await;
    let (status, body) = s.call("GET", "/api/v1/health", &[], vec![]).await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(body["protocol"], 1);
    assert_eq!(body["ok"]["status"], "ok");
    let name = match backend {
        Backend::Sqlite => "sqlite",
        Backend::Postgres => "postgres",
    };
    // The schema is the number of the backend's migrations.
    let dir = format!("{}/../crates/storage-{name}/migrations", env!("CARGO_MANIFEST_DIR"));
    let schema = std::fs::read_dir(dir).map(|d| d.count() as u64).unwrap_or_default();
    assert_eq!((body["ok"]["backend"].as_str(), body["ok"]["schema"].as_u64()), (Some(name), Some(schema)));
    let (status, body) = s.call("GET", "/api/v1/nowhere", &[], vec![]).await;
    assert_eq!((status, code_of(&body)), (StatusCode::NOT_FOUND, Some("not_found")));
}

async fn the_public_page_says_nothing_about_devices(backend: Backend) {
    let s = server(backend).await;
    let (device, _) = s.enroll(Some("jianghai-w02")).await;
    let (status, body) = s.call("GET", "/", &[], vec![]).await;
    assert_eq!(status, StatusCode::OK);
    let page = body.as_str().unwrap();
    assert!(page.contains("服务器正在运行"), "{page}");
    for secret in [device.to_string(), "jianghai".into(), "test kiosk".into()] {
        assert!(!page.contains(&secret), "the public page names {secret}");
    }
}

async fn enrolment_codes_work_once_and_expire(backend: Backend) {
    let s = server(backend).await;
    let code = s.code(Some("jianghai-w02"), DeviceRole::Kiosk, Duration::zero()).await;
    let device = Uuid::now_v7();
    let req =
        serde_json::to_vec(&json!({"code": code.to_lowercase(), "device_id": device, "name": "窗口 02"})).unwrap();

    let (status, body) = s.call("POST", "/api/v1/enroll", &[("x-tiyan-protocol", "7".into())], req.clone()).await;
    assert_eq!((status, code_of(&body)), (StatusCode::BAD_REQUEST, Some("incompatible_protocol")));
    let (status, body) = s.call("POST", "/api/v1/enroll", &[], req.clone()).await;
    assert_eq!((status, code_of(&body)), (StatusCode::BAD_REQUEST, Some("malformed")));

    let (status, body) = s.call("POST", "/api/v1/enroll", &proto(), req.clone()).await;
    assert_eq!(status, StatusCode::OK, "{body}");
    assert_eq!(body["ok"]["device_id"], device.to_string());
    assert_eq!(body["ok"]["window_id"], "jianghai-w02");
    assert_eq!(body["ok"]["secret"].as_str().unwrap().len(), 64);

    let (status, body) = s.call("POST", "/api/v1/enroll", &proto(), req).await;
    assert_eq!((status, code_of(&body)), (StatusCode::FORBIDDEN, Some("invalid_code")), "used once");

    let expired = s.code(None, DeviceRole::Kiosk, Duration::hours(2)).await;
    let req = serde_json::to_vec(&json!({"code": expired, "device_id": Uuid::now_v7(), "name": "late"})).unwrap();
    let (status, body) = s.call("POST", "/api/v1/enroll", &proto(), req).await;
    assert_eq!((status, code_of(&body)), (StatusCode::FORBIDDEN, Some("invalid_code")), "expired");
}

async fn a_made_up_or_mistyped_code_is_looked_up_not_hashed(backend: Backend) {
    let s = server(backend).await;
    // Made up: refused with the same words as a used one, and nothing enrolled.
    for made_up in ["AAAA-BBBB-CCCC-DDDD", "", "x"] {
        let req = serde_json::to_vec(&json!({"code": made_up, "device_id": Uuid::now_v7(), "name": "x"})).unwrap();
        let (status, body) = s.call("POST", "/api/v1/enroll", &proto(), req).await;
        assert_eq!((status, code_of(&body)), (StatusCode::FORBIDDEN, Some("invalid_code")));
    }
    assert!(s.store.devices().await.unwrap().is_empty());
    // Typed without dashes, with spaces, in lower case: the same code.
    let code = s.code(Some("jianghai-w02"), DeviceRole::Kiosk, Duration::zero()).await;
    let typed = format!("  {} ", code.replace('-', " ").to_lowercase());
    let req = serde_json::to_vec(&json!({"code": typed, "device_id": Uuid::now_v7(), "name": "x"})).unwrap();
    assert_eq!(s.call("POST", "/api/v1/enroll", &proto(), req).await.0, StatusCode::OK);
}

async fn device_secrets_are_kept_as_sha256_only(backend: Backend) {
    let s = server(backend).await;
    let (device, secret) = s.enroll(Some("jianghai-w02")).await;
    let (_, stored) = s.store.device_credentials(device).await.unwrap().unwrap();
    assert_eq!(stored, StoredSecret::Sha256(tiyan_infra::secret::token_digest(&secret)));
    assert_eq!(format!("{stored:?}"), "StoredSecret(..)", "a stored secret never prints");
    // The device as the rest of the server sees it carries no secret at all.
    let listed = serde_json::to_string(&s.store.devices().await.unwrap()).unwrap();
    assert!(!listed.contains("secret") && !listed.contains(&hex::encode(tiyan_infra::secret::token_digest(&secret))));
}

async fn a_secret_from_an_older_server_is_moved_to_sha256(backend: Backend) {
    let s = server(backend).await;
    let (device, secret) = s.enroll(Some("jianghai-w02")).await;
    let argon = tiyan_infra::secret::hash(&secret).unwrap();
    s.db.execute(&format!("UPDATE devices SET secret_hash = '{argon}' WHERE id = '{device}'")).await;
    assert!(matches!(s.store.device_credentials(device).await.unwrap().unwrap().1, StoredSecret::LegacyArgon2(_)));
    assert_eq!(s.call("GET", "/api/v1/sync/state", &auth(device, "wrong"), vec![]).await.0, StatusCode::UNAUTHORIZED);
    assert!(matches!(s.store.device_credentials(device).await.unwrap().unwrap().1, StoredSecret::LegacyArgon2(_)));
    assert_eq!(s.call("GET", "/api/v1/sync/state", &auth(device, &secret), vec![]).await.0, StatusCode::OK);
    let (_, stored) = s.store.device_credentials(device).await.unwrap().unwrap();
    assert_eq!(stored, StoredSecret::Sha256(tiyan_infra::secret::token_digest(&secret)));
    assert_eq!(s.call("GET", "/api/v1/sync/state", &auth(device, &secret), vec![]).await.0, StatusCode::OK);
}

async fn requests_need_the_right_secret_and_a_device_not_revoked(backend: Backend) {
    let s = server(backend).await;
    let (device, secret) = s.enroll(Some("jianghai-w02")).await;
    let (status, body) = s.call("GET", "/api/v1/sync/state", &proto(), vec![]).await;
    assert_eq!((status, code_of(&body)), (StatusCode::UNAUTHORIZED, Some("unauthenticated")));
    assert_eq!(s.call("GET", "/api/v1/sync/state", &auth(device, "0000"), vec![]).await.0, StatusCode::UNAUTHORIZED);
    let (status, _) = s.call("GET", "/api/v1/sync/state", &auth(Uuid::now_v7(), &secret), vec![]).await;
    assert_eq!(status, StatusCode::UNAUTHORIZED);
    let (status, body) = s.call("GET", "/api/v1/sync/state", &auth(device, &secret), vec![]).await;
    assert_eq!(status, StatusCode::OK, "{body}");
    assert_eq!(body["ok"]["streams"][0], json!({"kind": "rating", "through": 0}));
    assert_eq!(body["ok"]["reference_version"], 1);

    s.store.revoke(device, s.now()).await.unwrap();
    let (status, body) = s.call("GET", "/api/v1/sync/state", &auth(device, &secret), vec![]).await;
    assert_eq!((status, code_of(&body)), (StatusCode::UNAUTHORIZED, Some("device_revoked")));
    // Enrolled again with a new code, it works again, with the new secret only.
    let code = s.code(Some("jianghai-w02"), DeviceRole::Kiosk, Duration::zero()).await;
    let req = serde_json::to_vec(&json!({"code": code, "device_id": device, "name": "again"})).unwrap();
    let (_, body) = s.call("POST", "/api/v1/enroll", &proto(), req).await;
    let new_secret = body["ok"]["secret"].as_str().unwrap().to_string();
    assert_eq!(s.call("GET", "/api/v1/sync/state", &auth(device, &new_secret), vec![]).await.0, StatusCode::OK);
    assert_eq!(s.call("GET", "/api/v1/sync/state", &auth(device, &secret), vec![]).await.0, StatusCode::UNAUTHORIZED);
}

async fn uploads_store_each_record_once_and_refuse_what_would_corrupt(backend: Backend) {
    let s = server(backend).await;
    let (device, secret) = s.enroll(Some("jianghai-w02")).await;
    let records: Vec<Rating> = (1..=3).map(|i| rating(device, i)).collect();

    let (status, body) = s.upload(device, &secret, ratings(&records)).await;
    assert_eq!(status, StatusCode::OK, "{body}");
    assert_eq!(body["ok"], json!({"kind": "rating", "through": 3, "stored": 3, "duplicates": 0}));

    // The same records again (a lost answer, retried): a no-op, acknowledged again.
    let (status, body) = s.upload(device, &secret, ratings(&records)).await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(body["ok"], json!({"kind": "rating", "through": 3, "stored": 0, "duplicates": 3}));

    // The very same request again (same request id): a replay.
    let headers = upload_headers(device, &secret);
    let next = vec![rating(device, 4)];
    assert_eq!(s.call("POST", "/api/v1/sync/upload", &headers, ratings(&next)).await.0, StatusCode::OK);
    let (status, body) = s.call("POST", "/api/v1/sync/upload", &headers, ratings(&next)).await;
    assert_eq!((status, code_of(&body)), (StatusCode::CONFLICT, Some("replayed")));

    // Same id and sequence number, other content: 409, and nothing of that page is kept.
    let mut changed = records[1].clone();
    changed.competence = Level::BasicallySatisfied;
    let (status, body) = s.upload(device, &secret, ratings(&[changed, rating(device, 5)])).await;
    assert_eq!((status, code_of(&body)), (StatusCode::CONFLICT, Some("conflict")));
    // Another id under a held sequence number is a conflict too.
    assert_eq!(s.upload(device, &secret, ratings(&[rating(device, 2)])).await.0, StatusCode::CONFLICT);

    // A hole, another device's records, disorder, no request id, junk, too much.
    let (status, body) = s.upload(device, &secret, ratings(&[rating(device, 9 + 2000)])).await;
    assert_eq!((status, code_of(&body)), (StatusCode::UNPROCESSABLE_ENTITY, Some("gap")));
    let (status, body) = s.upload(device, &secret, ratings(&[rating(Uuid::now_v7(), 5)])).await;
    assert_eq!((status, code_of(&body)), (StatusCode::FORBIDDEN, Some("forbidden")));
    let (status, _) = s.upload(device, &secret, ratings(&[rating(device, 6), rating(device, 5)])).await;
    assert_eq!(status, StatusCode::BAD_REQUEST);
    let (status, _) =
        s.call("POST", "/api/v1/sync/upload", &auth(device, &secret), ratings(&[rating(device, 5)])).await;
    assert_eq!(status, StatusCode::BAD_REQUEST);
    let (status, body) =
        s.upload(device, &secret, b"{\"kind\":\"rating\",\"records\":[{\"seq\":\"x\"}]}".to_vec()).await;
    assert_eq!((status, code_of(&body)), (StatusCode::BAD_REQUEST, Some("malformed")));
    let (status, body) = s.upload(device, &secret, ratings(&[rating(device, 5)])).await;
    assert_eq!(status, StatusCode::OK, "{body}");
    let mut huge = ratings(&[rating(device, 6)]);
    huge.extend(std::iter::repeat_n(b' ', tiyan_core::protocol::MAX_BODY_BYTES));
    let (status, body) = s.upload(device, &secret, huge).await;
    assert_eq!((status, code_of(&body)), (StatusCode::PAYLOAD_TOO_LARGE, Some("too_large")));

    // After all that: exactly records 1..=5, as sent.
    assert_eq!(s.held().await, vec![1, 2, 3, 4, 5]);
    let held = s.store.ratings(&RatingFilter::default()).await.unwrap();
    assert_eq!(held[1].rating, records[1]);
    let (_, body) = s.call("GET", "/api/v1/sync/state", &auth(device, &secret), vec![]).await;
    assert_eq!(body["ok"]["streams"][0]["through"], 5);
}

async fn a_kiosk_sends_only_ratings_of_its_own_hall_with_known_ids(backend: Backend) {
    let s = server(backend).await;
    let (device, secret) = s.enroll(Some("jianghai-w02")).await;
    type Spoil = fn(&mut Rating);
    let cases: Vec<(Spoil, &str)> = vec![
        (|r| r.hall_id = "another-hall".into(), "hall another-hall"),
        (|r| r.window_id = "elsewhere-w01".into(), "window elsewhere-w01"),
        (|r| r.staff_id = "staff-999999".into(), "staff staff-999999"),
        (
            |r| {
                r.attitude = Level::VeryDissatisfied;
                r.reasons = vec!["bribery".into()];
            },
            "unknown reason",
        ),
        (|r| r.attitude = Level::Dissatisfied, "needs at least one reason"),
        (|r| r.reasons = vec!["long_wait".into()], "only given with a bad review"),
        (|r| r.comment = Some("长".repeat(201)), "longer than 200"),
        (|r| r.phone = Some("13812345678".into()), "only to a bad review"),
        (|r| r.case_no = Some("a 1".into()), "case number"),
    ];
    for (spoil, words) in cases {
        let mut r = rating(device, 1);
        spoil(&mut r);
        let (status, body) = s.upload(device, &secret, ratings(&[r.clone()])).await;
        assert_eq!((status, code_of(&body)), (StatusCode::UNPROCESSABLE_ENTITY, Some("rejected")), "{words}: {body}");
        let message = body["error"]["message"].as_str().unwrap();
        assert!(message.contains(&r.id.to_string()) && message.contains(words), "{words}: {message}");
    }
    // A bad review with its reason, a comment and a consented call-back number is what a kiosk sends.
    let mut bad = rating(device, 1);
    bad.attitude = Level::VeryDissatisfied;
    bad.reasons = vec!["long_wait".into(), "unclear_guidance".into()];
    bad.comment = Some("=HYPERLINK(\"http://x\")".into());
    bad.phone = Some("13812345678".into());
    let (status, body) = s.upload(device, &secret, ratings(&[bad])).await;
    assert_eq!(status, StatusCode::OK, "{body}");
    // An officer laptop never sends ratings.
    let (laptop, laptop_secret) = s.enroll_as(DeviceRole::Officer, None).await;
    let (status, body) = s.upload(laptop, &laptop_secret, ratings(&[rating(laptop, 1)])).await;
    assert_eq!((status, code_of(&body)), (StatusCode::UNPROCESSABLE_ENTITY, Some("rejected")), "{body}");
    assert_eq!(s.held().await, vec![1]);
}

async fn a_refused_record_keeps_its_whole_page_out(backend: Backend) {
    let s = server(backend).await;
    let (device, secret) = s.enroll(Some("jianghai-w02")).await;
    let mut page: Vec<Rating> = (1..=5).map(|i| rating(device, i)).collect();
    page[3].staff_id = "staff-of-another-hall".into();
    let (status, body) = s.upload(device, &secret, ratings(&page)).await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY, "{body}");
    assert!(body["error"]["message"].as_str().unwrap().contains("sequence number 4"), "{body}");
    assert!(s.held().await.is_empty(), "nothing of the page is stored");
    let (_, body) = s.call("GET", "/api/v1/sync/state", &auth(device, &secret), vec![]).await;
    assert_eq!(body["ok"]["streams"][0]["through"], 0);
}

async fn a_kiosk_pulls_its_hall_and_the_photos_by_hash(backend: Backend) {
    let s = server(backend).await;
    let (device, secret) = s.enroll(Some("jianghai-w02")).await;
    let (status, body) = s.call("GET", "/api/v1/reference", &auth(device, &secret), vec![]).await;
    assert_eq!(status, StatusCode::OK);
    let data = &body["ok"]["data"];
    assert_eq!(body["ok"]["version"], 1);
    assert_eq!(data["halls"].as_array().unwrap().len(), 1);
    assert_eq!(data["staff"].as_array().unwrap().len(), 8);
    assert!(data["officers"].as_array().unwrap().is_empty(), "a kiosk has no business with officers");
    let sha = data["staff"][0]["photo_sha256"].as_str().unwrap().to_string();
    assert!(data["staff"][0].get("photo").is_none(), "no file paths leave the server");

    let (status, body) = s.call("GET", "/api/v1/reference?since=1", &auth(device, &secret), vec![]).await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(body["ok"]["data"], Value::Null, "up to date: nothing to send");

    let req = Request::get(format!("/api/v1/photos/{sha}"))
        .header("x-tiyan-protocol", "1")
        .header("authorization", format!("Bearer {device}:{secret}"))
        .body(Body::empty())
        .unwrap();
    let response = s.router.clone().oneshot(req).await.unwrap();
    assert_eq!(response.status(), StatusCode::OK);
    assert_eq!(response.headers()["content-type"], "image/jpeg");
    let bytes = response.into_body().collect().await.unwrap().to_bytes();
    assert_eq!(tiyan_storage::sha256_hex(&bytes), sha);
    let (status, _) = s.call("GET", "/api/v1/photos/..%2F..%2Fetc%2Fpasswd", &auth(device, &secret), vec![]).await;
    assert_eq!(status, StatusCode::BAD_REQUEST);
}

async fn an_import_that_changes_nothing_keeps_the_version(backend: Backend) {
    let s = server(backend).await;
    let store = s.store.as_ref();
    let console = Who::console(s.now());
    let import = |loaded| reference::import(s.cx(), &console, loaded);
    assert_eq!(import(load_json(&demo()).unwrap()).await.unwrap(), 1);
    let mut changed = load_json(&demo()).unwrap();
    changed.data.reasons.pop();
    assert_eq!(import(changed).await.unwrap(), 2);
    // A staff-only import keeps the other sections.
    let mut staff_only = load_json(&demo()).unwrap();
    staff_only.data.halls.clear();
    staff_only.data.windows.clear();
    staff_only.data.reasons.clear();
    staff_only.data.staff.truncate(3);
    assert_eq!(import(staff_only).await.unwrap(), 3);
    let now = store.reference().await.unwrap();
    assert_eq!((now.halls.len(), now.windows.len(), now.staff.len(), now.reasons.len()), (1, 6, 3, 8));
    assert_eq!(now.version, 3);
    // An inconsistent import changes nothing.
    let mut broken = load_json(&demo()).unwrap();
    broken.data.windows[0].hall_id = "nowhere".into();
    assert!(import(broken).await.is_err());
    assert_eq!(store.reference().await.unwrap(), now);
}

async fn reference_data_never_reaches_a_device_with_a_password_hash(backend: Backend) {
    let s = server(backend).await;
    let (laptop, secret) = s.enroll_as(DeviceRole::Officer, None).await;
    let (status, body) = s.call("GET", "/api/v1/reference", &auth(laptop, &secret), vec![]).await;
    assert_eq!(status, StatusCode::OK);
    let data = &body["ok"]["data"];
    assert!(data["officers"].as_array().unwrap().len() >= 2);
    assert!(data["staff"].as_array().unwrap().is_empty(), "an officer laptop gets no staff or their PIN hashes");
    let text = body.to_string();
    assert!(!text.contains("argon2"), "no hash of any kind: {text}");
    // Nor does the server's own reference read carry one.
    assert!(!serde_json::to_string(&s.store.reference().await.unwrap().officers).unwrap().contains("argon2"));
}

fn diary_revision(device: Uuid, seq: u64) -> DiaryRevision {
    DiaryRevision {
        id: Uuid::now_v7(),
        entry_id: Uuid::now_v7(),
        revision: 1,
        seq,
        device_id: device,
        officer_id: "gz-2026-07".into(),
        submitted_at: DateTime::parse_from_rfc3339("2026-11-23T10:00:00.123456789+08:00").unwrap(),
        body: DiaryBody {
            visited_at: Some(DateTime::parse_from_rfc3339("2026-11-23T09:00:00+08:00").unwrap()),
            hall_id: Some("jianghai".into()),
            matter_id: Some("m-geti".into()),
            channel: Some(Channel::Window),
            mode: Some(Mode::OnMyOwn),
            score: Some(7),
            account: "取号后等了二十分钟。".into(),
            problems: vec![Problem {
                id: Uuid::now_v7(), category: ProblemCategory::Guide, text: "指南过时".into()
            }],
            ..DiaryBody::default()
        },
    }
}

async fn diaries_come_only_from_officer_laptops_of_known_officers(backend: Backend) {
    let s = server(backend).await;
    let (kiosk, kiosk_secret) = s.enroll(Some("jianghai-w02")).await;
    let (status, body) = s.upload(kiosk, &kiosk_secret, diaries(&[diary_revision(kiosk, 1)])).await;
    assert_eq!((status, code_of(&body)), (StatusCode::UNPROCESSABLE_ENTITY, Some("rejected")), "{body}");

    let (laptop, secret) = s.enroll_as(DeviceRole::Officer, None).await;
    let mut incomplete = diary_revision(laptop, 1);
    incomplete.body.score = None;
    let (status, body) = s.upload(laptop, &secret, diaries(&[incomplete])).await;
    assert_eq!((status, code_of(&body)), (StatusCode::UNPROCESSABLE_ENTITY, Some("rejected")), "{body}");
    let mut stranger = diary_revision(laptop, 1);
    stranger.officer_id = "gz-1999-01".into();
    let (status, body) = s.upload(laptop, &secret, diaries(&[stranger])).await;
    assert!(body["error"]["message"].as_str().unwrap().contains("officer gz-1999-01"), "{body}");
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY);

    let r = diary_revision(laptop, 1);
    for _ in 0..2 {
        let (status, body) = s.upload(laptop, &secret, diaries(std::slice::from_ref(&r))).await;
        assert_eq!(status, StatusCode::OK, "{body}");
        assert_eq!(body["ok"]["through"], 1);
    }
    let held = s.store.diary_revisions().await.unwrap();
    assert_eq!(held.len(), 1, "a resend is a no-op");
    // Stored as sent, to the microsecond (what both backends keep) and with the device's offset.
    let mut expected = r.clone();
    expected.submitted_at = DateTime::parse_from_rfc3339("2026-11-23T10:00:00.123456+08:00").unwrap();
    assert_eq!(held[0].revision, expected);
    let mut changed = r.clone();
    changed.body.score = Some(2);
    assert_eq!(s.upload(laptop, &secret, diaries(&[changed])).await.0, StatusCode::CONFLICT);

    let (status, body) = s.call("GET", "/api/v1/ledger", &auth(laptop, &secret), vec![]).await;
    assert_eq!(status, StatusCode::OK, "{body}");
    assert_eq!(body["ok"][0]["problem_id"], r.body.problems[0].id.to_string());
    assert_eq!(body["ok"][0]["state"], "registered");
}

async fn photos_resume_by_chunk_and_must_match_their_hash(backend: Backend) {
    let s = server(backend).await;
    let (laptop, secret) = s.enroll_as(DeviceRole::Officer, None).await;
    let photo: Vec<u8> = (0..3000u32).map(|i| (i * 7 % 251) as u8).collect();
    let sha = tiyan_storage::sha256_hex(&photo);
    let path = |offset: usize| format!("/api/v1/photo-uploads/{sha}?offset={offset}&size={}", photo.len());
    let (status, body) = s.call("GET", &format!("/api/v1/photo-uploads/{sha}"), &auth(laptop, &secret), vec![]).await;
    assert_eq!((status, body["ok"]["received"].as_u64()), (StatusCode::OK, Some(0)));
    let (_, body) = s.call("POST", &path(0), &auth(laptop, &secret), photo[..1000].to_vec()).await;
    assert_eq!(body["ok"]["received"], 1000);
    // A chunk sent again (its answer was lost) changes nothing and says where to go on.
    let (_, body) = s.call("POST", &path(0), &auth(laptop, &secret), photo[..1000].to_vec()).await;
    assert_eq!(body["ok"]["received"], 1000);
    let (status, _) = s.call("POST", &path(1000), &auth(laptop, &secret), photo[1000..].repeat(2)).await;
    assert_eq!(status, StatusCode::BAD_REQUEST, "past the announced size");
    let (_, body) = s.call("POST", &path(1000), &auth(laptop, &secret), photo[1000..].to_vec()).await;
    assert_eq!((body["ok"]["received"].as_u64(), body["ok"]["complete"].as_bool()), (Some(3000), Some(true)));
    assert_eq!(s.store.diary_photo(&sha).await.unwrap().unwrap(), photo);

    // Bytes that do not match the name: refused, and the upload starts over.
    let wrong = format!("{:064x}", 42);
    let (status, body) = s
        .call("POST", &format!("/api/v1/photo-uploads/{wrong}?offset=0&size=10"), &auth(laptop, &secret), vec![1; 10])
        .await;
    assert_eq!(status, StatusCode::BAD_REQUEST, "{body}");
    let (_, body) = s.call("GET", &format!("/api/v1/photo-uploads/{wrong}"), &auth(laptop, &secret), vec![]).await;
    assert_eq!(body["ok"]["received"], 0);
    let (status, _) = s
        .call(
            "POST",
            &format!("/api/v1/photo-uploads/{wrong}?offset=0&size=999999999"),
            &auth(laptop, &secret),
            vec![1],
        )
        .await;
    assert_eq!(status, StatusCode::PAYLOAD_TOO_LARGE);
    let (status, _) = s.call("GET", "/api/v1/photo-uploads/not-a-hash", &auth(laptop, &secret), vec![]).await;
    assert_eq!(status, StatusCode::BAD_REQUEST);
    let (kiosk, kiosk_secret) = s.enroll(Some("jianghai-w02")).await;
    let (status, _) = s.call("POST", &path(0), &auth(kiosk, &kiosk_secret), photo[..10].to_vec()).await;
    assert_eq!(status, StatusCode::FORBIDDEN, "a kiosk sends no diary photos");
}

fn sign_in(id: &str, password: &str) -> Vec<u8> {
    serde_json::to_vec(&json!({"officer_id": id, "password": password})).unwrap()
}

async fn officers_sign_in_with_their_password_only(backend: Backend) {
    let s = server(backend).await;
    let (laptop, secret) = s.enroll_as(DeviceRole::Officer, None).await;
    let path = "/api/v1/officers/sign-in";
    let (status, body) = s.call("POST", path, &auth(laptop, &secret), sign_in("gz-2026-07", "tiyan-2026")).await;
    assert_eq!(status, StatusCode::OK, "{body}");
    assert_eq!(body["ok"]["name"], "梁小能");
    assert!(body["ok"].get("password_hash").is_none(), "the hash never leaves the server");
    for (id, pw) in [("gz-2026-07", "guess"), ("nobody", "tiyan-2026")] {
        let (status, body) = s.call("POST", path, &auth(laptop, &secret), sign_in(id, pw)).await;
        assert_eq!((status, code_of(&body)), (StatusCode::FORBIDDEN, Some("wrong_password")));
    }
    let (kiosk, kiosk_secret) = s.enroll(Some("jianghai-w02")).await;
    let (status, _) = s.call("POST", path, &auth(kiosk, &kiosk_secret), sign_in("gz-2026-07", "tiyan-2026")).await;
    assert_eq!(status, StatusCode::FORBIDDEN);
}

async fn officer_sign_in_locks_out_per_officer_and_per_address(backend: Backend) {
    let s = server(backend).await;
    let (laptop, secret) = s.enroll_as(DeviceRole::Officer, None).await;
    let path = "/api/v1/officers/sign-in";
    // Two free mistakes, then a wait: the right password is refused while it lasts.
    for _ in 0..3 {
        let (status, _) = s.call("POST", path, &auth(laptop, &secret), sign_in("gz-2026-07", "guess")).await;
        assert_eq!(status, StatusCode::FORBIDDEN);
    }
    let (status, body) = s.call("POST", path, &auth(laptop, &secret), sign_in("gz-2026-07", "tiyan-2026")).await;
    assert_eq!((status, code_of(&body)), (StatusCode::TOO_MANY_REQUESTS, Some("locked")), "{body}");
    // Another officer from the same address is still let in (the address allows more).
    let (status, _) = s.call("POST", path, &auth(laptop, &secret), sign_in("gz-2026-12", "guanyu-2026")).await;
    assert_eq!(status, StatusCode::OK);
    // The count lives in the database: a second server process sees the same lock.
    let other = s.process(s.clock.clone());
    let req = Request::post(path)
        .header("x-tiyan-protocol", "1")
        .header("authorization", format!("Bearer {laptop}:{secret}"))
        .body(Body::from(sign_in("gz-2026-07", "tiyan-2026")))
        .unwrap();
    assert_eq!(other.oneshot(req).await.unwrap().status(), StatusCode::TOO_MANY_REQUESTS);
    // Many wrong passwords from one address, over many officer ids, lock the address.
    for i in 0..30 {
        s.call("POST", path, &auth(laptop, &secret), sign_in(&format!("guess-{i}"), "x")).await;
    }
    let (status, body) = s.call("POST", path, &auth(laptop, &secret), sign_in("gz-2026-12", "guanyu-2026")).await;
    assert_eq!((status, code_of(&body)), (StatusCode::TOO_MANY_REQUESTS, Some("locked")), "{body}");
}

async fn an_officer_whose_appointment_ended_cannot_sign_in(backend: Backend) {
    let s = server(backend).await;
    let mut loaded = load_json(&demo()).unwrap();
    for o in &mut loaded.data.officers {
        o.appointed_to = "2025-12-31".parse().unwrap();
        o.appointed_from = "2025-01-01".parse().unwrap();
    }
    reference::import(s.cx(), &Who::console(s.now()), loaded).await.unwrap();
    let (laptop, secret) = s.enroll_as(DeviceRole::Officer, None).await;
    let (status, body) =
        s.call("POST", "/api/v1/officers/sign-in", &auth(laptop, &secret), sign_in("gz-2026-07", "tiyan-2026")).await;
    assert_eq!((status, code_of(&body)), (StatusCode::FORBIDDEN, Some("not_appointed")), "{body}");
}

async fn a_code_for_the_other_role_is_refused_and_stays_usable(backend: Backend) {
    let s = server(backend).await;
    let code = s.code(None, DeviceRole::Officer, Duration::zero()).await;
    let enroll = |role: &str| {
        serde_json::to_vec(&json!({"code": code, "device_id": Uuid::now_v7(), "name": "x", "role": role})).unwrap()
    };
    let (status, body) = s.call("POST", "/api/v1/enroll", &proto(), enroll("kiosk")).await;
    assert_eq!((status, code_of(&body)), (StatusCode::FORBIDDEN, Some("wrong_role")));
    let (status, body) = s.call("POST", "/api/v1/enroll", &proto(), enroll("officer")).await;
    assert_eq!(status, StatusCode::OK, "{body}");
    assert_eq!(body["ok"]["role"], "officer");
}

async fn the_csv_export_keeps_a_formula_typed_at_the_kiosk_as_text(backend: Backend) {
    let s = server(backend).await;
    let (device, secret) = s.enroll(Some("jianghai-w02")).await;
    let mut bad = rating(device, 1);
    bad.attitude = Level::VeryDissatisfied;
    bad.reasons = vec!["long_wait".into()];
    bad.comment = Some("=HYPERLINK(\"http://evil.example\",\"点我\")".into());
    bad.case_no = Some("-1".into());
    assert_eq!(s.upload(device, &secret, ratings(&[bad])).await.0, StatusCode::OK);
    let held = s.store.ratings(&RatingFilter::default()).await.unwrap();
    let mut out = Vec::new();
    tiyan_services::export::write(&mut out, &held, tiyan_services::export::Format::Csv, false).unwrap();
    let text = String::from_utf8(out).unwrap();
    let mut reader = csv::Reader::from_reader(text.trim_start_matches('\u{feff}').as_bytes());
    let header = reader.headers().unwrap().clone();
    let row = reader.records().next().unwrap().unwrap();
    let cell = |name: &str| row[header.iter().position(|h| h == name).unwrap()].to_string();
    assert_eq!(cell("comment"), "'=HYPERLINK(\"http://evil.example\",\"点我\")");
    assert_eq!(cell("case_no"), "'-1");
    assert_eq!(cell("attitude"), "1", "numbers stay numbers");
}

async fn figures_group_by_the_devices_own_date(backend: Backend) {
    let s = server(backend).await;
    let (device, secret) = s.enroll(Some("jianghai-w02")).await;
    // 23:30 in Jiangmen is 15:30 UTC the same day; 00:30 on the 1st is still the 30th in UTC.
    let mut late = rating(device, 1);
    late.device_time = DateTime::parse_from_rfc3339("2026-11-30T23:30:00+08:00").unwrap();
    let mut early = rating(device, 2);
    early.device_time = DateTime::parse_from_rfc3339("2026-12-01T00:30:00+08:00").unwrap();
    assert_eq!(s.upload(device, &secret, ratings(&[late.clone(), early.clone()])).await.0, StatusCode::OK);
    let day = |d: &str| d.parse::<chrono::NaiveDate>().unwrap();
    let filter = |from: &str, to: &str| RatingFilter { from: Some(day(from)), to: Some(day(to)), ..Default::default() };
    let november = s.store.ratings(&filter("2026-11-01", "2026-11-30")).await.unwrap();
    assert_eq!(november.iter().map(|r| r.rating.seq).collect::<Vec<_>>(), vec![1]);
    let december = s.store.ratings(&filter("2026-12-01", "2026-12-31")).await.unwrap();
    assert_eq!(december.iter().map(|r| r.rating.seq).collect::<Vec<_>>(), vec![2]);
    assert_eq!(december[0].rating.device_time.offset().local_minus_utc(), 8 * 3600, "the offset is kept");
    assert_eq!(december[0].rating, early);
}

async fn housekeeping_forgets_old_request_ids_abandoned_uploads_and_failures(backend: Backend) {
    use tiyan_services::housekeeping::{Retention, prune};
    let s = server(backend).await;
    let (device, secret) = s.enroll(Some("jianghai-w02")).await;
    let headers = upload_headers(device, &secret);
    let first = ratings(&[rating(device, 1)]);
    assert_eq!(s.call("POST", "/api/v1/sync/upload", &headers, first.clone()).await.0, StatusCode::OK);
    let (laptop, laptop_secret) = s.enroll_as(DeviceRole::Officer, None).await;
    let sha = format!("{:064x}", 7);
    let path = format!("/api/v1/photo-uploads/{sha}?offset=0&size=100");
    s.call("POST", &path, &auth(laptop, &laptop_secret), vec![0; 40]).await;
    s.call("POST", "/api/v1/officers/sign-in", &auth(laptop, &laptop_secret), sign_in("made-up-1", "x")).await;
    assert_eq!(s.store.attempts("officer:made-up-1").await.unwrap().failures, 1);

    let retention = Retention::default();
    assert_eq!(prune(s.store.as_ref(), retention, s.now()).await.unwrap(), (0, 0), "nothing is old yet");
    let later = s.now() + retention.seen_requests + Duration::hours(1);
    assert_eq!(prune(s.store.as_ref(), retention, later).await.unwrap(), (1, 1));
    assert_eq!(s.store.attempts("officer:made-up-1").await.unwrap().failures, 0, "old failures forgotten");
    let (_, body) = s.call("GET", &format!("/api/v1/photo-uploads/{sha}"), &auth(laptop, &laptop_secret), vec![]).await;
    assert_eq!(body["ok"]["received"], 0, "the abandoned upload starts over");
    // A replay of a forgotten request is a resend of held records: acknowledged, stored once.
    let (status, body) = s.call("POST", "/api/v1/sync/upload", &headers, first).await;
    assert_eq!(status, StatusCode::OK, "{body}");
    assert_eq!(body["ok"]["duplicates"], 1);
    assert_eq!(s.held().await, vec![1]);
}
