//! Reference data: an import merged over what the server holds, and what each
//! kind of device may have of it.

use tiyan_core::protocol::DeviceRole;
use tiyan_core::reference::{ReferenceData, check_password_hash};

use crate::error::{Error, Result};
use crate::reference_files::Loaded;
use crate::store::{Device, PasswordHash, ReferenceImport, Storage, sha256_hex};

/// Imports `loaded` over the current data (sections it leaves empty keep what
/// is there) and returns the version now in force. A failed read of the current
/// data fails the import: it is never taken for "nothing there".
pub async fn import(store: &dyn Storage, loaded: Loaded) -> Result<i64> {
    let current = match store.reference_version().await? {
        Some(_) => Some(store.reference().await?),
        None => None,
    };
    let merged = loaded.data.merged_over(current.as_ref());
    merged.validate().map_err(|e| Error::Invalid(e.to_string()))?;
    let mut passwords = Vec::with_capacity(loaded.passwords.len());
    for (id, hash) in loaded.passwords {
        check_password_hash(&id, &hash).map_err(|e| Error::Invalid(e.to_string()))?;
        if !merged.officers.iter().any(|o| o.id == id) {
            return Err(Error::Invalid(format!("a password for officer {id}, who is not in the data")));
        }
        passwords.push((id, PasswordHash::new(hash)));
    }
    let fingerprint = sha256_hex(&serde_json::to_vec(&merged).map_err(Error::internal)?);
    store.import_reference(&ReferenceImport { data: merged, fingerprint, photos: loaded.photos, passwords }).await
}

/// A kiosk gets its own hall (with the staff PIN hashes it checks sign-ins
/// against); an officer laptop gets halls, matters and officer profiles, but no
/// staff. No password hash is in the data at all.
pub fn for_device(mut d: ReferenceData, device: &Device) -> ReferenceData {
    match device.role {
        DeviceRole::Kiosk => {
            d.halls.retain(|h| h.id == device.hall_id);
            d.windows.retain(|w| w.hall_id == device.hall_id);
            d.staff.retain(|s| s.hall_id == device.hall_id);
            d.matters.clear();
            d.officers.clear();
        }
        DeviceRole::Officer => d.staff.clear(),
    }
    d
}
