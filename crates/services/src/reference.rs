//! Reference data: an import merged over what the server holds, and what each
//! kind of device may have of it.

use std::sync::Arc;

use tiyan_core::Text;
use tiyan_core::accounts::{Place, Role, Scope};
use tiyan_core::protocol::{DeviceRole, ReferenceUpdate};
pub use tiyan_core::reference::Kind;
use tiyan_core::reference::{
    Change, Hall, Matter, Officer, Reason, ReferenceData, ReferenceError, Row, Staff, Window, check_password_hash,
};
use tiyan_core::region::Region;
use tiyan_infra::photo;

use super::audit::{self, AuditAction};
use super::cache::Versioned;
use super::{Services, Who};
use crate::error::{Error, Invalid, Result};
use crate::reference_files::Loaded;
use tiyan_storage::{Basis, Device, PasswordHash, ReferenceEdit, ReferenceImport, Storage, sha256_hex};

/// Imports `loaded` over the current data (sections it leaves empty keep what
/// is there) and returns the version now in force; from the console (a
/// province's data arrives as files), by someone who may change every hall;
/// logged. A failed read of the current data fails the import: it is never
/// taken for "nothing there".
pub async fn import(cx: &Services, who: &Who<'_>, loaded: Loaded) -> Result<i64> {
    if !who.scope().everywhere() {
        return Err(Error::Forbidden("a whole import changes every hall".into()));
    }
    let store = cx.store.as_ref();
    let current = match store.reference_version().await? {
        Some(_) => Some(store.reference().await?),
        None => None,
    };
    let merged = loaded.data.merged_over(current.as_ref());
    merged.validate().map_err(Invalid::from)?;
    let mut passwords = Vec::with_capacity(loaded.passwords.len());
    for (id, hash) in loaded.passwords {
        check_password_hash(&id, &hash).map_err(Invalid::from)?;
        if !merged.officers.iter().any(|o| o.id == id) {
            return Err(Invalid::OfficerUnknown(id).into());
        }
        passwords.push((id, PasswordHash::new(hash)));
    }
    let fingerprint = sha256_hex(&serde_json::to_vec(&merged).map_err(Error::internal)?);
    let detail = format!(
        "{} halls, {} windows, {} staff, {} officers",
        merged.halls.len(),
        merged.windows.len(),
        merged.staff.len(),
        merged.officers.len()
    );
    let import = ReferenceImport { data: merged, fingerprint, photos: loaded.photos, passwords, basis: Basis::File };
    let version = store.import_reference(&import).await?;
    audit::record(cx, who, AuditAction::ReferenceImported, &format!("version {version}"), &detail).await?;
    Ok(version)
}

/// What changed for a device since the version it holds (`since`): nothing
/// when it holds the current one, else the current data cut to what it needs:
/// a kiosk its own hall (with the staff PIN hashes it checks sign-ins
/// against), an officer laptop the halls, matters and officer profiles but no
/// staff; no password hash at all. The version sent is the one read with the
/// data, in one transaction; a kiosk's is its hall's.
pub async fn update_for(cx: &Services, device: &Device, since: Option<i64>) -> Result<ReferenceUpdate> {
    if device.role == DeviceRole::Kiosk {
        // Its own hall's rows at its hall's version, read as such: a province's
        // twenty thousand staff are not read to hand a kiosk its hall's eight.
        return Ok(cx.store.hall_reference(&device.hall_id, since).await?);
    }
    let version = cx.store.reference_version().await?;
    if version.is_none() || version == since {
        return Ok(ReferenceUpdate { version, data: None });
    }
    // An officer laptop: halls, matters and officer profiles, no staff.
    let mut data = cx.store.reference().await?;
    data.staff.clear();
    Ok(ReferenceUpdate { version: Some(data.version), data: Some(data) })
}

/// A staff portrait, to a kiosk of the staff member's hall (no other device
/// is given staff).
pub async fn device_photo(cx: &Services, device: &Device, sha256: &str) -> Result<Vec<u8>> {
    if !tiyan_core::sync::is_sha256_hex(sha256) {
        return Err(Error::Malformed("a photo is named by the lower-case hex SHA-256 of its bytes".into()));
    }
    let data = cx.reference().await?;
    let theirs = device.role == DeviceRole::Kiosk
        && data.staff.iter().any(|s| s.photo_sha256.as_deref() == Some(sha256) && s.hall_id == device.hall_id);
    if !theirs {
        return Err(Error::NotFound("photo".into()));
    }
    cx.store.photo(sha256).await?.ok_or_else(|| Error::NotFound("photo".into()))
}

/// A staff member's portrait (as devices get it), to someone who sees their hall.
pub async fn staff_photo(cx: &Services, who: &Who<'_>, sha256: &str) -> Result<Vec<u8>> {
    let scope = who.scope();
    let data = cx.reference().await?;
    let theirs = data.staff.iter().any(|s| s.photo_sha256.as_deref() == Some(sha256) && scope.sees(&s.hall_id));
    if !theirs {
        return Err(Error::NotFound("photo".into()));
    }
    cx.store.photo(sha256).await?.ok_or_else(|| Error::NotFound("photo".into()))
}

/// Refuses a hall (and a window of it) the reference data does not hold.
pub async fn known_place(cx: &Services, hall_id: &str, window_id: Option<&str>) -> Result<()> {
    let data = cx.reference().await?;
    if !data.halls.iter().any(|h| h.id == hall_id) {
        return Err(Invalid::UnknownHall(hall_id.to_string()).into());
    }
    match window_id {
        Some(w) if !data.windows.iter().any(|x| x.id == w && x.hall_id == hall_id) => {
            Err(Invalid::UnknownWindow(w.to_string()).into())
        }
        _ => Ok(()),
    }
}

/// What a person changes in the page: one row added or changed, or retired.
#[derive(Debug, Clone)]
pub enum Edit {
    Region(Region),
    Hall(Hall),
    Window(Window),
    /// A staff member; `pin` (4–12 digits) is required for a new one and
    /// otherwise replaces the PIN; `photo` is an uploaded image, cut down here.
    Staff {
        staff: StaffForm,
        pin: Option<String>,
        photo: Option<Vec<u8>>,
    },
    Reason(Reason),
    Matter(Matter),
    /// An officer; `password` sets a new one (the officer's sessions on laptops are not affected).
    Officer {
        officer: Officer,
        password: Option<String>,
    },
    Retire {
        kind: Kind,
        id: String,
    },
}

/// A staff member as the form gives one (no PIN hash, no photo).
#[derive(Debug, Clone)]
pub struct StaffForm {
    pub id: String,
    pub hall_id: String,
    pub employee_no: String,
    pub name: String,
    pub department: Option<Text>,
}

impl Edit {
    fn kind(&self) -> Kind {
        match self {
            Edit::Region(_) => Kind::Region,
            Edit::Hall(_) => Kind::Hall,
            Edit::Window(_) => Kind::Window,
            Edit::Staff { .. } => Kind::Staff,
            Edit::Reason(_) => Kind::Reason,
            Edit::Matter(_) => Kind::Matter,
            Edit::Officer { .. } => Kind::Officer,
            Edit::Retire { kind, .. } => *kind,
        }
    }

    fn id(&self) -> &str {
        match self {
            Edit::Region(r) => r.code.as_str(),
            Edit::Hall(h) => &h.id,
            Edit::Window(w) => &w.id,
            Edit::Staff { staff, .. } => &staff.id,
            Edit::Reason(r) => &r.code,
            Edit::Matter(m) => &m.id,
            Edit::Officer { officer, .. } => &officer.id,
            Edit::Retire { id, .. } => id,
        }
    }
}

/// Who may make a change: the province's supervisor everything, including
/// what every hall shares (the regions, reasons, the experience list,
/// officers); a region's supervisor adds and retires the halls under it; an
/// administrator renames their halls and keeps their windows and staff. A
/// hall hangs only under a region the person holds, and no row moves to a
/// hall they do not administer.
fn may_edit(scope: &Scope, data: &ReferenceData, edit: &Edit) -> bool {
    if scope.everywhere() {
        return true;
    }
    let kind = edit.kind();
    let existing = data.hall_of(kind, edit.id()).map(str::to_string);
    let new_hall = match edit {
        Edit::Hall(h) => Some(h.id.as_str()),
        Edit::Window(w) => Some(w.hall_id.as_str()),
        Edit::Staff { staff, .. } => Some(staff.hall_id.as_str()),
        Edit::Retire { .. } => existing.as_deref(),
        _ => None,
    };
    match (kind, edit) {
        (Kind::Hall, Edit::Hall(h)) => {
            let before = data.halls.iter().find(|x| x.id == h.id);
            let division_ok = before.is_some_and(|b| b.division == h.division)
                || h.division.as_ref().is_some_and(|d| scope.holds(&Place::Region(d.clone())));
            match before {
                Some(_) => scope.administers(&h.id) && division_ok,
                None => scope.role == Role::Supervisor && division_ok,
            }
        }
        (Kind::Hall, _) => existing.is_some_and(|h| scope.supervises(&h)),
        (Kind::Window | Kind::Staff, _) => {
            new_hall.is_some_and(|h| scope.administers(h)) && existing.is_none_or(|h| scope.administers(&h))
        }
        (Kind::Region | Kind::Reason | Kind::Matter | Kind::Officer, _) => false,
    }
}

fn check_pin(pin: &str) -> Result<()> {
    if (4..=12).contains(&pin.len()) && pin.bytes().all(|b| b.is_ascii_digit()) {
        Ok(())
    } else {
        Err(Invalid::Pin.into())
    }
}

/// Makes one change in the page and returns the version now in force. The
/// change is checked against the data as this process holds it and written
/// as that one row, only if nobody changed the data meanwhile (else `Stale`:
/// the person looks again), so two administrators saving at once never lose
/// one's change. Only the kiosks of the halls it touches pull again.
pub async fn edit(cx: &Services, who: &Who<'_>, edit: Edit) -> Result<i64> {
    let current = cx.reference().await?;
    let based_on = Some(current.version).filter(|v| *v > 0);
    if !may_edit(&who.scope(), &current, &edit) {
        return Err(Error::Forbidden("this change is not yours to make".into()));
    }
    let (kind, id) = (edit.kind(), edit.id().to_string());
    let mut photos = Vec::new();
    let mut passwords = Vec::new();
    let change = match edit {
        Edit::Region(r) => Change::Upsert(Row::Region(r)),
        Edit::Hall(h) => Change::Upsert(Row::Hall(h)),
        Edit::Window(w) => Change::Upsert(Row::Window(w)),
        Edit::Staff { staff, pin, photo } => {
            let existing = current.staff.iter().find(|s| s.id == id);
            let pin_hash = match (pin.as_deref().map(str::trim).filter(|p| !p.is_empty()), existing) {
                (Some(pin), _) => {
                    check_pin(pin)?;
                    cx.hasher.hash(pin).await?
                }
                (None, Some(s)) => s.pin_hash.clone(),
                (None, None) => return Err(Invalid::Required("PIN").into()),
            };
            let photo_sha256 = match photo {
                Some(bytes) => {
                    let thumb = tokio::task::spawn_blocking(move || photo::thumbnail(&bytes))
                        .await
                        .map_err(Error::internal)?
                        .map_err(|_| Invalid::Photo)?;
                    let sha = sha256_hex(&thumb);
                    photos.push((sha.clone(), thumb));
                    Some(sha)
                }
                None => existing.and_then(|s| s.photo_sha256.clone()),
            };
            Change::Upsert(Row::Staff(Staff {
                id: staff.id,
                hall_id: staff.hall_id,
                employee_no: staff.employee_no,
                name: staff.name,
                department: staff.department,
                pin_hash,
                photo: None,
                photo_sha256,
            }))
        }
        Edit::Reason(r) => Change::Upsert(Row::Reason(r)),
        Edit::Matter(m) => Change::Upsert(Row::Matter(m)),
        Edit::Officer { officer, password } => {
            if let Some(p) = password.as_deref().filter(|p| !p.is_empty()) {
                super::accounts::check_password(p)?;
                passwords.push((id.clone(), PasswordHash::new(cx.hasher.hash(p).await?)));
            }
            Change::Upsert(Row::Officer(officer))
        }
        Edit::Retire { kind, id } => Change::Retire(kind, id),
    };
    current.check_change(&change).map_err(|e| match e {
        ReferenceError::UnknownRow { kind, .. } => Error::NotFound(kind.into()),
        e => Invalid::from(e).into(),
    })?;
    let holders = current.holders(&change);
    let stored = ReferenceEdit { change: change.clone(), holders, photos, passwords, based_on };
    let version = cx.store.edit_reference(&stored).await?;
    // This process's copy is patched with the change rather than read again whole.
    drop(current);
    cx.reference.patch(based_on, version, change).await;
    let target = format!("{}:{id}", kind.as_str());
    audit::record(cx, who, AuditAction::ReferenceChanged, &target, &format!("version {version}")).await?;
    Ok(version)
}

/// The reference data of the current version, as the hall office's pages read it.
#[derive(Default)]
pub struct ReferenceCache(Versioned<Option<i64>, ReferenceData>);

impl ReferenceCache {
    /// After this process changed the data from version `from` to `to`: the
    /// copy kept is patched (without a copy of its own when nobody else holds
    /// it), so that the next page need not read twenty thousand staff again.
    pub async fn patch(&self, from: Option<i64>, to: i64, change: Change) {
        self.0
            .replace(&from, Some(to), |data| {
                data.apply(change);
                data.version = to;
            })
            .await;
    }

    pub async fn current(&self, store: &dyn Storage) -> Result<Arc<ReferenceData>> {
        let load = async {
            let data = store.reference().await?;
            Ok((Some(data.version).filter(|v| *v > 0), data))
        };
        self.0.get(store.reference_version().await?, load).await
    }
}
