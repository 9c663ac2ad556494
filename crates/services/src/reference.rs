//! Reference data: an import merged over what the server holds, and what each
//! kind of device may have of it.

use std::sync::Arc;

use tiyan_core::Text;
use tiyan_core::accounts::{Place, Role, Scope};
use tiyan_core::protocol::{DeviceRole, ReferenceUpdate};
use tiyan_core::reference::{FORMAT, Hall, Matter, Officer, Reason, ReferenceData, Staff, Window, check_password_hash};
use tiyan_core::region::Region;
use tiyan_infra::photo;

use super::audit::{self, AuditAction};
use super::cache::Versioned;
use super::{Services, Who};
use crate::error::{Error, Invalid, Result};
use crate::reference_files::Loaded;
use tiyan_storage::{Basis, Device, PasswordHash, ReferenceImport, Storage, sha256_hex};

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
/// when it holds the current one, else the current data cut to what it needs.
/// The version sent is the one read with the data, in one transaction.
pub async fn update_for(cx: &Services, device: &Device, since: Option<i64>) -> Result<ReferenceUpdate> {
    let version = cx.store.reference_version().await?;
    if version.is_none() || version == since {
        return Ok(ReferenceUpdate { version, data: None });
    }
    let data = for_device(cx.store.reference().await?, device);
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
            d.regions.clear();
        }
        DeviceRole::Officer => d.staff.clear(),
    }
    d
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

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Kind {
    Region,
    Hall,
    Window,
    Staff,
    Reason,
    Matter,
    Officer,
}

impl Kind {
    pub const ALL: [Kind; 7] =
        [Kind::Region, Kind::Hall, Kind::Window, Kind::Staff, Kind::Reason, Kind::Matter, Kind::Officer];

    pub fn as_str(self) -> &'static str {
        match self {
            Kind::Region => "region",
            Kind::Hall => "hall",
            Kind::Window => "window",
            Kind::Staff => "staff",
            Kind::Reason => "reason",
            Kind::Matter => "matter",
            Kind::Officer => "officer",
        }
    }

    pub fn parse(s: &str) -> Option<Kind> {
        Kind::ALL.into_iter().find(|k| k.as_str() == s)
    }
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

/// The hall a row of `kind` belongs to in `data` (None: a row shared by every
/// hall, or a row not there yet).
fn hall_of(data: &ReferenceData, kind: Kind, id: &str) -> Option<String> {
    match kind {
        Kind::Hall => data.halls.iter().find(|h| h.id == id).map(|h| h.id.clone()),
        Kind::Window => data.windows.iter().find(|w| w.id == id).map(|w| w.hall_id.clone()),
        Kind::Staff => data.staff.iter().find(|s| s.id == id).map(|s| s.hall_id.clone()),
        Kind::Region | Kind::Reason | Kind::Matter | Kind::Officer => None,
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
    let existing = hall_of(data, kind, edit.id());
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

/// Replaces the row with the same id, or adds it.
fn upsert<T>(rows: &mut Vec<T>, row: T, same: impl Fn(&T) -> bool) {
    match rows.iter_mut().find(|r| same(r)) {
        Some(r) => *r = row,
        None => rows.push(row),
    }
}

/// Makes one change in the page and returns the version now in force. The
/// change is made to the data as read here and written only if nobody changed
/// it meanwhile (else `Stale`: the person looks again), so two
/// administrators saving at once never lose one's change.
pub async fn edit(cx: &Services, who: &Who<'_>, edit: Edit) -> Result<i64> {
    let (store, hasher) = (cx.store.as_ref(), &cx.hasher);
    let mut data = store.reference().await?;
    let based_on = Some(data.version).filter(|v| *v > 0);
    if data.format.is_empty() {
        data.format = FORMAT.to_string();
    }
    if !may_edit(&who.scope(), &data, &edit) {
        return Err(Error::Forbidden("this change is not yours to make".into()));
    }
    let (kind, id) = (edit.kind(), edit.id().to_string());
    let mut photos = Vec::new();
    let mut passwords = Vec::new();
    match edit {
        Edit::Region(r) => upsert(&mut data.regions, r, |x| x.code.as_str() == id),
        Edit::Hall(h) => upsert(&mut data.halls, h, |x| x.id == id),
        Edit::Window(w) => upsert(&mut data.windows, w, |x| x.id == id),
        Edit::Staff { staff, pin, photo } => {
            let existing = data.staff.iter().find(|s| s.id == id);
            let pin_hash = match (pin.as_deref().map(str::trim).filter(|p| !p.is_empty()), existing) {
                (Some(pin), _) => {
                    check_pin(pin)?;
                    hasher.hash(pin).await?
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
            let row = Staff {
                id: staff.id,
                hall_id: staff.hall_id,
                employee_no: staff.employee_no,
                name: staff.name,
                department: staff.department,
                pin_hash,
                photo: None,
                photo_sha256,
            };
            upsert(&mut data.staff, row, |x| x.id == id);
        }
        Edit::Reason(r) => upsert(&mut data.reasons, r, |x| x.code == id),
        Edit::Matter(m) => upsert(&mut data.matters, m, |x| x.id == id),
        Edit::Officer { officer, password } => {
            if let Some(p) = password.as_deref().filter(|p| !p.is_empty()) {
                super::accounts::check_password(p)?;
                passwords.push((id.clone(), PasswordHash::new(hasher.hash(p).await?)));
            }
            upsert(&mut data.officers, officer, |x| x.id == id);
        }
        Edit::Retire { kind, .. } => {
            let before = count(&data, kind);
            match kind {
                Kind::Region => data.regions.retain(|x| x.code.as_str() != id),
                Kind::Hall => data.halls.retain(|x| x.id != id),
                Kind::Window => data.windows.retain(|x| x.id != id),
                Kind::Staff => data.staff.retain(|x| x.id != id),
                Kind::Reason => data.reasons.retain(|x| x.code != id),
                Kind::Matter => data.matters.retain(|x| x.id != id),
                Kind::Officer => data.officers.retain(|x| x.id != id),
            }
            if count(&data, kind) == before {
                return Err(Error::NotFound(kind.as_str().into()));
            }
        }
    }
    data.validate_consistent().map_err(Invalid::from)?;
    let fingerprint = sha256_hex(&serde_json::to_vec(&data).map_err(Error::internal)?);
    let version = store
        .import_reference(&ReferenceImport { data, fingerprint, photos, passwords, basis: Basis::Version(based_on) })
        .await?;
    let detail = format!("version {version}");
    let target = format!("{}:{id}", kind.as_str());
    audit::record(cx, who, AuditAction::ReferenceChanged, &target, &detail).await?;
    Ok(version)
}

fn count(d: &ReferenceData, kind: Kind) -> usize {
    match kind {
        Kind::Region => d.regions.len(),
        Kind::Hall => d.halls.len(),
        Kind::Window => d.windows.len(),
        Kind::Staff => d.staff.len(),
        Kind::Reason => d.reasons.len(),
        Kind::Matter => d.matters.len(),
        Kind::Officer => d.officers.len(),
    }
}

/// The reference data of the current version, as the hall office's pages read it.
#[derive(Default)]
pub struct ReferenceCache(Versioned<Option<i64>, ReferenceData>);

impl ReferenceCache {
    pub async fn current(&self, store: &dyn Storage) -> Result<Arc<ReferenceData>> {
        let load = async {
            let data = store.reference().await?;
            Ok((Some(data.version).filter(|v| *v > 0), data))
        };
        self.0.get(store.reference_version().await?, load).await
    }
}
