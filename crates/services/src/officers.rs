//! Officer sign-in at the server (a laptop's first sign-in, and every one made
//! online): the password against its Argon2id hash, the appointment period,
//! and wrong passwords counted per officer and per client address
//! ([`super::lockout`]).

use std::net::IpAddr;

use tiyan_core::reference::Officer;

use super::Services;
use super::lockout::Tally;
use crate::error::{Error, Result};

pub async fn sign_in(cx: &Services, officer_id: &str, password: &str, client: IpAddr) -> Result<Officer> {
    let (store, hasher, now) = (cx.store.as_ref(), &cx.hasher, cx.now());
    let tally = Tally::new(format!("officer:{officer_id}"), client);
    if let Err(e) = tally.check(store, now).await {
        tracing::warn!(officer = officer_id, %client, "officer sign-in refused: {e}");
        return Err(e);
    }
    let credentials = store.officer_credentials(officer_id).await?;
    let hash = credentials.as_ref().and_then(|c| c.password.as_ref()).map(|p| p.phc().to_string());
    // An unknown officer costs the same hash time as a wrong password.
    let ok = hasher.verify(password, hash.as_deref().unwrap_or(tiyan_infra::secret::DUMMY_HASH)).await?;
    let officer = match credentials {
        Some(c) if ok && hash.is_some() => c.officer,
        _ => {
            tally.failed(store, now).await?;
            tracing::warn!(officer = officer_id, %client, "officer sign-in refused: wrong password");
            return Err(Error::WrongPassword);
        }
    };
    tally.succeeded(store).await?;
    // Officers are appointed by Chinese cities: today is today in China Standard Time.
    if !officer.appointed_on(tiyan_core::workdays::china_date(now)) {
        return Err(Error::NotAppointed);
    }
    Ok(officer)
}
