//! Reading reference data from the files an administrator prepares: the JSON
//! format the kiosk also reads (`tiyan-reference/1`), or one CSV per section.
//! Photos are read, checked to be images and named by their SHA-256; plain
//! PINs and passwords in a CSV are hashed here and never stored.

use std::path::{Path, PathBuf};

use anyhow::{Context, Result, bail};
use serde::Deserialize;
use tiyan_core::Text;
use tiyan_core::reference::{FORMAT, Hall, Matter, Officer, Reason, ReferenceData, Staff, Window};
use tiyan_core::region::{Division, Region};

use tiyan_storage::sha256_hex;

/// A photo larger than this is a mistake, not a portrait.
const MAX_PHOTO_BYTES: u64 = 10 * 1024 * 1024;

pub struct Loaded {
    pub data: ReferenceData,
    /// (sha256, bytes) of every photo the data names.
    pub photos: Vec<(String, Vec<u8>)>,
    /// (officer id, Argon2id hash) of the officers whose password the file sets.
    pub passwords: Vec<(String, String)>,
}

/// The officers' password hashes of a JSON file: read apart from the profiles,
/// so that no `Officer` ever carries one.
#[derive(Deserialize)]
struct OfficerPasswords {
    #[serde(default)]
    officers: Vec<OfficerPassword>,
}

#[derive(Deserialize)]
struct OfficerPassword {
    id: String,
    #[serde(default)]
    password_hash: Option<String>,
}

fn read_photo(base: &Path, relative: &str, owner: &str) -> Result<(String, Vec<u8>)> {
    if relative.starts_with('/') || relative.split(['/', '\\']).any(|p| p == "..") {
        bail!("{owner}: photo path {relative:?} must be relative and stay beside the file");
    }
    let path = base.join(relative);
    let len = std::fs::metadata(&path).with_context(|| format!("{owner}: photo {}", path.display()))?.len();
    if len > MAX_PHOTO_BYTES {
        bail!("{owner}: photo {} is larger than 10 MB", path.display());
    }
    let bytes = std::fs::read(&path).with_context(|| format!("{owner}: photo {}", path.display()))?;
    match image::guess_format(&bytes) {
        Ok(image::ImageFormat::Jpeg | image::ImageFormat::Png | image::ImageFormat::WebP) => {}
        _ => bail!("{owner}: {} is not a JPEG, PNG or WebP image", path.display()),
    }
    Ok((sha256_hex(&bytes), bytes))
}

/// Replaces each staff member's photo path by the photo's SHA-256.
fn attach_photos(data: &mut ReferenceData, base: &Path) -> Result<Vec<(String, Vec<u8>)>> {
    let mut photos = Vec::new();
    for s in &mut data.staff {
        if let Some(rel) = s.photo.take() {
            let (sha, bytes) = read_photo(base, &rel, &format!("staff {}", s.employee_no))?;
            s.photo_sha256 = Some(sha.clone());
            photos.push((sha, bytes));
        }
    }
    Ok(photos)
}

pub fn load_json(path: &Path) -> Result<Loaded> {
    let bytes = std::fs::read(path).with_context(|| format!("reading {}", path.display()))?;
    let mut data: ReferenceData =
        serde_json::from_slice(&bytes).with_context(|| format!("{} is not a reference-data file", path.display()))?;
    if data.format != FORMAT {
        bail!("{}: format {:?}, expected {FORMAT:?}", path.display(), data.format);
    }
    let passwords: OfficerPasswords = serde_json::from_slice(&bytes)?;
    let passwords = passwords.officers.into_iter().filter_map(|o| Some((o.id, o.password_hash?))).collect();
    let photos = attach_photos(&mut data, path.parent().unwrap_or(Path::new(".")))?;
    Ok(Loaded { data, photos, passwords })
}

/// One CSV file per section; any may be missing (that section is kept as it is).
#[derive(Debug, Default, Clone)]
pub struct CsvFiles {
    pub halls: Option<PathBuf>,
    pub windows: Option<PathBuf>,
    pub staff: Option<PathBuf>,
    pub reasons: Option<PathBuf>,
    pub matters: Option<PathBuf>,
    pub officers: Option<PathBuf>,
    pub regions: Option<PathBuf>,
}

fn rows<T: for<'de> Deserialize<'de>>(path: &Option<PathBuf>) -> Result<Vec<T>> {
    let Some(path) = path else { return Ok(vec![]) };
    let mut reader = csv::ReaderBuilder::new()
        .trim(csv::Trim::All)
        .from_path(path)
        .with_context(|| format!("reading {}", path.display()))?;
    reader
        .deserialize()
        .enumerate()
        .map(|(i, r)| r.with_context(|| format!("{} line {}", path.display(), i + 2)))
        .collect()
}

#[derive(Deserialize)]
struct HallRow {
    id: String,
    name_zh: String,
    #[serde(default)]
    name_en: String,
    /// The region's code (GB/T 2260), when the hall hangs under one.
    #[serde(default)]
    division: Option<String>,
    /// The running department's unified social credit code (for reporting up).
    #[serde(default)]
    credit_code: Option<String>,
}

/// The official list of divisions as CSV: `code,name` (or `name_zh`), and
/// `name_en` when there is one. Codes of 6 or 9 digits, or the statistics
/// bureau's 12 (统计用区划代码, to the township).
#[derive(Deserialize)]
struct RegionRow {
    code: String,
    #[serde(alias = "name")]
    name_zh: String,
    #[serde(default)]
    name_en: String,
}

fn division(code: &str, what: &str) -> Result<Division> {
    Division::parse_statistical(code).with_context(|| what.to_string())
}

#[derive(Deserialize)]
struct WindowRow {
    id: String,
    hall_id: String,
    number: String,
    name_zh: String,
    #[serde(default)]
    name_en: String,
    /// The credit code of the department the window belongs to (for reporting up).
    #[serde(default)]
    credit_code: Option<String>,
}

#[derive(Deserialize)]
struct StaffRow {
    id: String,
    hall_id: String,
    employee_no: String,
    name: String,
    #[serde(default)]
    department_zh: Option<String>,
    #[serde(default)]
    department_en: Option<String>,
    /// A plain PIN, hashed at import…
    #[serde(default)]
    pin: Option<String>,
    /// …or its Argon2id hash.
    #[serde(default)]
    pin_hash: Option<String>,
    #[serde(default)]
    photo: Option<String>,
}

#[derive(Deserialize)]
struct ReasonRow {
    code: String,
    label_zh: String,
    #[serde(default)]
    label_en: String,
    /// The province's indicator code (for reporting up).
    #[serde(default)]
    indicator: Option<String>,
}

#[derive(Deserialize)]
struct MatterRow {
    id: String,
    name_zh: String,
    #[serde(default)]
    name_en: String,
    category_zh: String,
    #[serde(default)]
    category_en: String,
    #[serde(default)]
    quarter: Option<String>,
    /// The province's code of the matter (for reporting up).
    #[serde(default)]
    task_code: Option<String>,
}

#[derive(Deserialize)]
struct OfficerRow {
    id: String,
    name: String,
    #[serde(default)]
    gender: Option<String>,
    #[serde(default)]
    age: Option<u8>,
    #[serde(default)]
    occupation: Option<String>,
    appointed_from: chrono::NaiveDate,
    appointed_to: chrono::NaiveDate,
    #[serde(default)]
    password: Option<String>,
    #[serde(default)]
    password_hash: Option<String>,
}

fn hashed(plain: Option<String>, hash: Option<String>, what: &str) -> Result<Option<String>> {
    match (plain.filter(|p| !p.is_empty()), hash.filter(|h| !h.is_empty())) {
        (Some(p), _) => Ok(Some(tiyan_infra::secret::hash(&p).with_context(|| format!("hashing {what}"))?)),
        (None, h) => Ok(h),
    }
}

pub fn load_csv(files: &CsvFiles) -> Result<Loaded> {
    let opt = |s: Option<String>| s.filter(|v| !v.is_empty());
    let mut halls = Vec::new();
    for r in rows::<HallRow>(&files.halls)? {
        let code = opt(r.division).map(|c| division(&c, &format!("hall {}", r.id))).transpose()?;
        let name = Text::new(r.name_zh, r.name_en);
        halls.push(Hall { kiosk: None, id: r.id, name, division: code, credit_code: opt(r.credit_code) });
    }
    let mut regions = Vec::new();
    for r in rows::<RegionRow>(&files.regions)? {
        let code = division(&r.code, &format!("region {}", r.name_zh))?;
        regions.push(Region { code, name: Text::new(r.name_zh, r.name_en) });
    }
    let windows = rows::<WindowRow>(&files.windows)?
        .into_iter()
        .map(|r| Window {
            id: r.id,
            hall_id: r.hall_id,
            number: r.number,
            name: Text::new(r.name_zh, r.name_en),
            credit_code: opt(r.credit_code),
        })
        .collect();
    let mut staff = Vec::new();
    for r in rows::<StaffRow>(&files.staff)? {
        if let Some(pin) = &r.pin {
            tiyan_core::pin::check_staff_pin(pin).with_context(|| format!("staff {}", r.employee_no))?;
        }
        let pin_hash = hashed(r.pin, r.pin_hash, &format!("the PIN of staff {}", r.employee_no))?
            .with_context(|| format!("staff {}: a pin or pin_hash column is needed", r.employee_no))?;
        staff.push(Staff {
            id: r.id,
            hall_id: r.hall_id,
            employee_no: r.employee_no,
            name: r.name,
            department: opt(r.department_zh).map(|zh| Text::new(zh, r.department_en.unwrap_or_default())),
            pin_hash,
            photo: opt(r.photo),
            photo_sha256: None,
        });
    }
    let reasons = rows::<ReasonRow>(&files.reasons)?
        .into_iter()
        .map(|r| Reason {
            code: r.code,
            label: Text::new(r.label_zh, r.label_en),
            indicator: r.indicator.filter(|i| !i.is_empty()),
        })
        .collect();
    let matters = rows::<MatterRow>(&files.matters)?
        .into_iter()
        .map(|r| Matter {
            id: r.id,
            name: Text::new(r.name_zh, r.name_en),
            category: Text::new(r.category_zh, r.category_en),
            quarter: opt(r.quarter),
            task_code: opt(r.task_code),
        })
        .collect();
    let (mut officers, mut passwords) = (Vec::new(), Vec::new());
    for r in rows::<OfficerRow>(&files.officers)? {
        if let Some(hash) = hashed(r.password, r.password_hash, &format!("the password of officer {}", r.id))? {
            passwords.push((r.id.clone(), hash));
        }
        officers.push(Officer {
            id: r.id,
            name: r.name,
            gender: opt(r.gender),
            age: r.age,
            occupation: opt(r.occupation),
            appointed_from: r.appointed_from,
            appointed_to: r.appointed_to,
        });
    }
    let mut data =
        ReferenceData { format: FORMAT.into(), version: 0, halls, windows, staff, reasons, matters, officers, regions };
    let base = files.staff.as_deref().and_then(Path::parent).unwrap_or(Path::new("."));
    let photos = attach_photos(&mut data, base)?;
    Ok(Loaded { data, photos, passwords })
}
