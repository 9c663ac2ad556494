//! Officers on a shared laptop. The first sign-in goes to the server; after it
//! the laptop keeps the profile and an Argon2id verifier of the password it
//! made itself, so the officer can sign in offline. Wrong passwords, online or
//! offline, count towards the same growing delay and lock-out as PINs.

use chrono::NaiveDate;
use rusqlite::{OptionalExtension, params};
use tiyan_core::reference::Officer;

use crate::{Error, Result, Store, secret};

fn subject(officer_id: &str) -> String {
    format!("officer:{officer_id}")
}

type OfficerRow = (String, String, Option<String>, Option<u8>, Option<String>, String, String);

fn officer(row: OfficerRow) -> Result<Officer> {
    let (id, name, gender, age, occupation, from, to) = row;
    let date =
        |s: &str| NaiveDate::parse_from_str(s, "%Y-%m-%d").map_err(|e| Error::Corrupt(format!("date {s:?}: {e}")));
    Ok(Officer { appointed_from: date(&from)?, appointed_to: date(&to)?, id, name, gender, age, occupation })
}

impl Store {
    /// Before asking the server: refuses while this officer must wait or is locked out.
    pub fn officer_gate(&self, officer_id: &str) -> Result<()> {
        self.check_pin_gate(&subject(officer_id))
    }

    /// The server refused the password: count it here too.
    pub fn officer_wrong_password(&self, officer_id: &str) -> Result<Error> {
        self.record_pin_failure(&subject(officer_id))
    }

    /// The server accepted `password` for `profile`: keep the profile and a
    /// verifier for offline sign-ins.
    pub fn officer_signed_in_online(&self, profile: &Officer, password: &str) -> Result<Officer> {
        self.check_appointment(profile)?;
        let hash = secret::hash(password)?;
        let now = self.now().to_rfc3339();
        self.write(|tx| {
            tx.execute(
                "INSERT INTO officers_local (officer_id, name, gender, age, occupation, appointed_from, appointed_to,
                                             password_hash, verified_at)
                 VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9)
                 ON CONFLICT (officer_id) DO UPDATE SET name = excluded.name, gender = excluded.gender,
                     age = excluded.age, occupation = excluded.occupation, appointed_from = excluded.appointed_from,
                     appointed_to = excluded.appointed_to, password_hash = excluded.password_hash,
                     verified_at = excluded.verified_at",
                params![
                    profile.id,
                    profile.name,
                    profile.gender,
                    profile.age,
                    profile.occupation,
                    profile.appointed_from.to_string(),
                    profile.appointed_to.to_string(),
                    hash,
                    now
                ],
            )?;
            Ok(())
        })?;
        self.clear_pin_failures(&subject(&profile.id))?;
        Ok(profile.clone())
    }

    /// Without the server: against the verifier kept at the last online sign-in.
    pub fn officer_sign_in_offline(&self, officer_id: &str, password: &str) -> Result<Officer> {
        let hash: Option<String> = self
            .conn()
            .query_row("SELECT password_hash FROM officers_local WHERE officer_id = ?1", [officer_id], |r| r.get(0))
            .optional()?;
        let Some(hash) = hash else {
            return Err(Error::OfficerNeedsServer);
        };
        self.attempt_pin(&subject(officer_id), Some(&hash), password)?;
        let profile = self.local_officer(officer_id)?.ok_or(Error::OfficerNeedsServer)?;
        self.check_appointment(&profile)?;
        Ok(profile)
    }

    pub fn local_officer(&self, officer_id: &str) -> Result<Option<Officer>> {
        let row = self
            .conn()
            .query_row(
                "SELECT officer_id, name, gender, age, occupation, appointed_from, appointed_to
                 FROM officers_local WHERE officer_id = ?1",
                [officer_id],
                |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?, r.get(3)?, r.get(4)?, r.get(5)?, r.get(6)?)),
            )
            .optional()?;
        row.map(officer).transpose()
    }

    /// Officers who signed in on this laptop before (ids only: the sign-in
    /// screen offers them, masked, so nobody types an id twice).
    pub fn local_officers(&self) -> Result<Vec<Officer>> {
        let conn = self.conn();
        let mut stmt = conn.prepare(
            "SELECT officer_id, name, gender, age, occupation, appointed_from, appointed_to
             FROM officers_local ORDER BY verified_at DESC",
        )?;
        let rows: Vec<OfficerRow> = stmt
            .query_map([], |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?, r.get(3)?, r.get(4)?, r.get(5)?, r.get(6)?)))?
            .collect::<rusqlite::Result<_>>()?;
        rows.into_iter().map(officer).collect()
    }

    fn check_appointment(&self, o: &Officer) -> Result<()> {
        if !o.appointed_on(self.now().date_naive()) {
            return Err(Error::OfficerNotAppointed);
        }
        Ok(())
    }
}

#[cfg(test)]
pub(crate) mod tests {
    use super::*;

    pub(crate) fn profile(id: &str) -> Officer {
        Officer {
            id: id.into(),
            name: "梁小能".into(),
            gender: Some("男".into()),
            age: Some(42),
            occupation: Some("个体工商户".into()),
            appointed_from: NaiveDate::from_ymd_opt(2026, 1, 1).unwrap(),
            appointed_to: NaiveDate::from_ymd_opt(2099, 12, 31).unwrap(),
        }
    }

    /// An officer who signed in online once, with the password "tiyan-2026".
    pub(crate) fn signed_in_officer(store: &Store, id: &str) -> String {
        store.officer_signed_in_online(&profile(id), "tiyan-2026").unwrap();
        id.to_string()
    }

    #[test]
    fn offline_sign_in_needs_one_online_sign_in_first() {
        let dir = tempfile::tempdir().unwrap();
        let store = Store::open(&dir.path().join("tiyan.db")).unwrap();
        assert!(matches!(store.officer_sign_in_offline("officer-01", "tiyan-2026"), Err(Error::OfficerNeedsServer)));
        signed_in_officer(&store, "officer-01");
        drop(store);
        let store = Store::open(&dir.path().join("tiyan.db")).unwrap();
        let o = store.officer_sign_in_offline("officer-01", "tiyan-2026").unwrap();
        assert_eq!(o.name, "梁小能");
        assert_eq!(store.local_officers().unwrap().len(), 1);
    }

    #[test]
    fn wrong_passwords_grow_a_delay_then_lock_out_across_restarts() {
        let dir = tempfile::tempdir().unwrap();
        let store = Store::open(&dir.path().join("tiyan.db")).unwrap();
        signed_in_officer(&store, "officer-01");
        assert!(matches!(
            store.officer_sign_in_offline("officer-01", "guess-1"),
            Err(Error::WrongPin { failures: 1, .. })
        ));
        assert!(matches!(
            store.officer_sign_in_offline("officer-01", "guess-2"),
            Err(Error::WrongPin { failures: 2, .. })
        ));
        // The third wrong one imposes a wait; the right password is refused during it.
        assert!(matches!(
            store.officer_sign_in_offline("officer-01", "guess-3"),
            Err(Error::WrongPin { failures: 3, retry_at: Some(_), .. })
        ));
        drop(store);
        let store = Store::open(&dir.path().join("tiyan.db")).unwrap();
        assert!(matches!(store.officer_sign_in_offline("officer-01", "tiyan-2026"), Err(Error::PinWait { .. })));
        // Failures the server reports count on the same tally.
        for _ in 0..3 {
            store.officer_wrong_password("officer-01").unwrap();
        }
        assert!(matches!(store.officer_gate("officer-01"), Err(Error::PinLocked { .. })));
    }

    #[test]
    fn an_appointment_that_ended_refuses_the_sign_in() {
        let dir = tempfile::tempdir().unwrap();
        let store = Store::open(&dir.path().join("tiyan.db")).unwrap();
        let mut p = profile("officer-09");
        p.appointed_to = NaiveDate::from_ymd_opt(2020, 12, 31).unwrap();
        assert!(matches!(store.officer_signed_in_online(&p, "pw-123456"), Err(Error::OfficerNotAppointed)));
    }
}
