//! Reference data in the page: the tree of regions, halls, windows, staff (with photo and PIN),
//! bad-review reasons, the quarter's experience list and officers. Each kind
//! is a table and a form described once as fields, so the template is one
//! loop; a row is edited by opening it into the form (`?edit=kind:id`). Every
//! save is a new version that devices pick up at their next sync.

use std::collections::HashMap;
use std::sync::Arc;

use askama::Template;
use axum::extract::{Path, Query, State};
use axum::http::header;
use axum::response::{IntoResponse, Response};
use chrono::NaiveDate;
use serde::Deserialize;
use tiyan_core::Text;
use tiyan_core::accounts::{Place, Role};
use tiyan_core::reference::{Hall, Matter, Officer, Reason, ReferenceData, Window};
use tiyan_core::region::{Division, Level, Region, in_tree_order};

use super::ledger::context;
use super::page::{Choice, Chrome, Section, render};
use super::session::{Failure, Office, OnPage, Posted, Uploaded};
use super::texts::Texts;
use crate::AppState;
use crate::error::{Error, Invalid};
use tiyan_services::reference::{self, Edit, Kind, StaffForm};

/// One input of a form.
pub struct Field {
    pub name: &'static str,
    pub label: &'static str,
    pub value: String,
    /// `text`, `date`, `number`, `select`, `file`, `password`.
    pub input: &'static str,
    pub options: Vec<Choice>,
    pub required: bool,
    /// The row's id, fixed once the row exists.
    pub readonly: bool,
}

pub struct Row {
    /// The hall the row belongs to, for the hall filter (None: every hall's).
    pub hall: Option<String>,
    pub cells: Vec<String>,
    pub photo: Option<String>,
    pub edit_href: String,
    pub retire_action: String,
    pub may_change: bool,
}

/// One kind of reference data: its table and its form.
pub struct Block {
    pub kind: &'static str,
    pub title: &'static str,
    pub columns: Vec<&'static str>,
    pub rows: Vec<Row>,
    pub fields: Vec<Field>,
    pub editing: bool,
    pub may_add: bool,
    pub action: String,
    pub multipart: bool,
    /// The rows matching the search, before the page cut them.
    pub matching: usize,
    /// "rows 101–200 of 20,000" and the links to the pages around, when there is more than one.
    pub pager: Option<Pager>,
}

pub struct Pager {
    pub label: String,
    pub prev: Option<String>,
    pub next: Option<String>,
}

/// A page of a table: a province's twenty thousand staff are never one page.
const ROWS_PER_PAGE: usize = 100;

#[derive(Template)]
#[template(path = "admin/reference.html")]
struct ReferencePage {
    c: Chrome,
    version: String,
    blocks: Vec<Block>,
    q: String,
    halls: Vec<Choice>,
}

/// `edit=kind:id` opens a row in its form; `q` searches every table (ids,
/// names, numbers), `hall` narrows them to one hall, `page_<kind>` pages one.
#[derive(Deserialize)]
pub struct PageQuery {
    edit: Option<String>,
    #[serde(default)]
    q: String,
    #[serde(default)]
    hall: String,
    #[serde(flatten)]
    pages: HashMap<String, String>,
}

impl PageQuery {
    fn href(&self, kind: &str, page: usize) -> String {
        let mut href = format!(
            "/admin/reference?q={}&hall={}",
            super::page::query_value(&self.q),
            super::page::query_value(&self.hall)
        );
        for (k, v) in self.pages.iter().filter(|(k, _)| k.starts_with("page_") && *k != &format!("page_{kind}")) {
            href.push_str(&format!("&{k}={}", super::page::query_value(v)));
        }
        href.push_str(&format!("&page_{kind}={page}#{kind}"));
        href
    }

    /// Keeps the rows the search and the hall ask for, and the page of them asked for.
    fn cut(&self, t: &Texts, block: &mut Block) {
        let q = self.q.trim().to_lowercase();
        let hall = self.hall.trim();
        let rows = std::mem::take(&mut block.rows);
        let matching: Vec<Row> = rows
            .into_iter()
            .filter(|r| hall.is_empty() || r.hall.as_deref().is_none_or(|h| h == hall))
            .filter(|r| q.is_empty() || r.cells.iter().any(|c| c.to_lowercase().contains(&q)))
            .collect();
        block.matching = matching.len();
        let pages = matching.len().div_ceil(ROWS_PER_PAGE).max(1);
        let page = self
            .pages
            .get(&format!("page_{}", block.kind))
            .and_then(|p| p.parse::<usize>().ok())
            .unwrap_or(0)
            .min(pages - 1);
        let first = page * ROWS_PER_PAGE;
        if pages > 1 {
            let last = (first + ROWS_PER_PAGE).min(matching.len());
            block.pager = Some(Pager {
                label: t.fill(&t.fill(&t.fill(t.rows_of, "from", first + 1), "to", last), "total", matching.len()),
                prev: (page > 0).then(|| self.href(block.kind, page - 1)),
                next: (page + 1 < pages).then(|| self.href(block.kind, page + 1)),
            });
        }
        block.rows = matching.into_iter().skip(first).take(ROWS_PER_PAGE).collect();
    }
}

fn text(name: &'static str, label: &'static str, value: &str, required: bool) -> Field {
    Field { name, label, value: value.to_string(), input: "text", options: Vec::new(), required, readonly: false }
}

fn typed(input: &'static str, f: Field) -> Field {
    Field { input, ..f }
}

fn id_field(t: &Texts, value: &str, editing: bool) -> Field {
    Field { readonly: editing, ..text("id", t.id, value, true) }
}

fn select(name: &'static str, label: &'static str, options: Vec<Choice>) -> Field {
    Field { name, label, value: String::new(), input: "select", options, required: true, readonly: false }
}

/// The rows of every kind, and the form of each (filled with the row being edited).
fn blocks(
    t: &'static Texts,
    office: &Office,
    data: &ReferenceData,
    lang: tiyan_core::Language,
    editing: Option<(Kind, &str)>,
) -> Vec<Block> {
    let scope = office.scope();
    // What every hall shares is the province's supervisor's to change.
    let supervisor = scope.everywhere();
    let editing_of = |k: Kind| editing.filter(|(kind, _)| *kind == k).map(|(_, id)| id);
    let hall_name =
        |id: &str| data.halls.iter().find(|h| h.id == id).map_or(id.to_string(), |h| h.name.get(lang).to_string());
    let halls_offered = |current: &str| -> Vec<Choice> {
        data.halls
            .iter()
            .filter(|h| scope.administers(&h.id))
            .map(|h| Choice::new(h.id.clone(), h.name.get(lang), current))
            .collect()
    };
    let row = |kind: Kind, id: &str, cells: Vec<String>, may_change: bool| Row {
        hall: data.hall_of(kind, id).map(str::to_string),
        cells,
        photo: None,
        edit_href: format!(
            "/admin/reference?edit={}:{}#{}",
            kind.as_str(),
            super::page::query_value(id),
            kind.as_str()
        ),
        retire_action: format!("/admin/reference/{}/{}/retire", kind.as_str(), super::page::query_value(id)),
        may_change,
    };
    let block = |kind: Kind, title, columns, rows, fields, may_add: bool| Block {
        kind: kind.as_str(),
        title,
        columns,
        rows,
        fields,
        editing: editing_of(kind).is_some(),
        may_add,
        action: format!("/admin/reference/{}", kind.as_str()),
        multipart: kind == Kind::Staff,
        matching: 0,
        pager: None,
    };
    let mut out = Vec::new();

    // The tree of regions: the province's supervisor keeps it; each account sees its own part.
    let tree = in_tree_order(&data.regions);
    let holds = |code: &Division| scope.holds(&Place::Region(code.clone()));
    let region_name = |code: Option<&Division>| {
        code.map(|c| {
            data.regions.iter().find(|r| &r.code == c).map_or(c.to_string(), |r| format!("{c} {}", r.name.get(lang)))
        })
        .unwrap_or_default()
    };
    let e = editing_of(Kind::Region).and_then(|id| data.regions.iter().find(|r| r.code.as_str() == id));
    let fields = vec![
        Field { label: t.division_code, ..id_field(t, e.map_or("", |r| r.code.as_str()), e.is_some()) },
        text("name_zh", t.name_zh, e.map_or("", |r| &r.name.zh), true),
        text("name_en", t.name_en, e.map_or("", |r| &r.name.en), false),
    ];
    let rows = tree
        .iter()
        .filter(|(_, r)| holds(&r.code))
        .map(|(depth, r)| {
            let name = format!("{}{}", "　".repeat(*depth), r.name.zh);
            let cells = vec![r.code.to_string(), name, r.name.en.clone(), level_name(t, r.code.level()).to_string()];
            row(Kind::Region, r.code.as_str(), cells, supervisor)
        })
        .collect();
    out.push(block(
        Kind::Region,
        t.regions,
        vec![t.division_code, t.name_zh, t.name_en, t.level],
        rows,
        fields,
        supervisor,
    ));

    // Halls: a supervisor adds them under their region; an administrator renames their own.
    let e = editing_of(Kind::Hall).and_then(|id| data.halls.iter().find(|h| h.id == id));
    let current = e.and_then(|h| h.division.as_ref());
    let mut divisions = vec![Choice::new("", t.no_region, current.map_or("", |d| d.as_str()))];
    divisions.extend(tree.iter().filter(|(_, r)| holds(&r.code) || Some(&r.code) == current).map(|(depth, r)| {
        let label = format!("{}{} {}", "　".repeat(*depth), r.code, r.name.get(lang));
        Choice::new(r.code.to_string(), label, current.map_or("", |d| d.as_str()))
    }));
    let fields = vec![
        id_field(t, e.map_or("", |h| &h.id), e.is_some()),
        text("name_zh", t.name_zh, e.map_or("", |h| &h.name.zh), true),
        text("name_en", t.name_en, e.map_or("", |h| &h.name.en), false),
        Field { required: false, ..select("division", t.region, divisions) },
        text("credit_code", t.credit_code, e.and_then(|h| h.credit_code.as_deref()).unwrap_or(""), false),
    ];
    let rows = data
        .halls
        .iter()
        .filter(|h| scope.sees(&h.id))
        .map(|h| {
            let cells = vec![h.id.clone(), h.name.zh.clone(), h.name.en.clone(), region_name(h.division.as_ref())];
            row(Kind::Hall, &h.id, cells, scope.administers(&h.id))
        })
        .collect();
    let may_add_hall = scope.role == Role::Supervisor;
    out.push(block(Kind::Hall, t.halls, vec![t.id, t.name_zh, t.name_en, t.region], rows, fields, may_add_hall));

    // Windows.
    let e = editing_of(Kind::Window).and_then(|id| data.windows.iter().find(|w| w.id == id));
    let fields = vec![
        id_field(t, e.map_or("", |w| &w.id), e.is_some()),
        select("hall_id", t.hall, halls_offered(e.map_or("", |w| &w.hall_id))),
        text("number", t.number, e.map_or("", |w| &w.number), true),
        text("name_zh", t.name_zh, e.map_or("", |w| &w.name.zh), true),
        text("name_en", t.name_en, e.map_or("", |w| &w.name.en), false),
        text("credit_code", t.window_credit_code, e.and_then(|w| w.credit_code.as_deref()).unwrap_or(""), false),
    ];
    let rows = data
        .windows
        .iter()
        .filter(|w| scope.sees(&w.hall_id))
        .map(|w| {
            let cells =
                vec![w.id.clone(), hall_name(&w.hall_id), w.number.clone(), w.name.zh.clone(), w.name.en.clone()];
            row(Kind::Window, &w.id, cells, scope.administers(&w.hall_id))
        })
        .collect();
    let may_add = data.halls.iter().any(|h| scope.administers(&h.id));
    out.push(block(Kind::Window, t.windows, vec![t.id, t.hall, t.number, t.name_zh, t.name_en], rows, fields, may_add));

    // Staff, with photo and PIN.
    let e = editing_of(Kind::Staff).and_then(|id| data.staff.iter().find(|s| s.id == id));
    let dept = |s: &tiyan_core::reference::Staff| s.department.as_ref().map(|d| d.zh.clone()).unwrap_or_default();
    let fields = vec![
        id_field(t, e.map_or("", |s| &s.id), e.is_some()),
        select("hall_id", t.hall, halls_offered(e.map_or("", |s| &s.hall_id))),
        text("employee_no", t.employee_no, e.map_or("", |s| &s.employee_no), true),
        text("name", t.name, e.map_or("", |s| &s.name), true),
        text("department", t.department, &e.map(dept).unwrap_or_default(), false),
        typed("password", text("pin", t.pin, "", e.is_none())),
        typed("file", text("photo", t.photo, "", false)),
    ];
    let rows = data
        .staff
        .iter()
        .filter(|s| scope.sees(&s.hall_id))
        .map(|s| {
            let cells = vec![s.id.clone(), hall_name(&s.hall_id), s.employee_no.clone(), s.name.clone(), dept(s)];
            let mut r = row(Kind::Staff, &s.id, cells, scope.administers(&s.hall_id));
            r.photo = s.photo_sha256.as_ref().map(|sha| format!("/admin/reference/photos/{sha}"));
            r
        })
        .collect();
    out.push(block(
        Kind::Staff,
        t.staff,
        vec![t.id, t.hall, t.employee_no, t.name, t.department],
        rows,
        fields,
        may_add,
    ));

    // Reasons, the experience list and officers are every hall's: a supervisor's to change.
    let e = editing_of(Kind::Reason).and_then(|id| data.reasons.iter().find(|r| r.code == id));
    let fields = vec![
        Field { name: "id", ..id_field(t, e.map_or("", |r| &r.code), e.is_some()) },
        text("name_zh", t.label_zh, e.map_or("", |r| &r.label.zh), true),
        text("name_en", t.label_en, e.map_or("", |r| &r.label.en), false),
        text("indicator", t.indicator_code, e.and_then(|r| r.indicator.as_deref()).unwrap_or(""), false),
    ];
    let rows = data
        .reasons
        .iter()
        .map(|r| {
            let cells =
                vec![r.code.clone(), r.label.zh.clone(), r.label.en.clone(), r.indicator.clone().unwrap_or_default()];
            row(Kind::Reason, &r.code, cells, supervisor)
        })
        .collect();
    let columns = vec![t.code, t.label_zh, t.label_en, t.indicator_code];
    out.push(block(Kind::Reason, t.reasons_list, columns, rows, fields, supervisor));

    let e = editing_of(Kind::Matter).and_then(|id| data.matters.iter().find(|m| m.id == id));
    let fields = vec![
        id_field(t, e.map_or("", |m| &m.id), e.is_some()),
        text("name_zh", t.name_zh, e.map_or("", |m| &m.name.zh), true),
        text("name_en", t.name_en, e.map_or("", |m| &m.name.en), false),
        text("category_zh", t.matter_category, e.map_or("", |m| &m.category.zh), true),
        text("category_en", t.category_en, e.map_or("", |m| &m.category.en), false),
        text("quarter", t.quarter, &e.and_then(|m| m.quarter.clone()).unwrap_or_default(), false),
        text("task_code", t.task_code, e.and_then(|m| m.task_code.as_deref()).unwrap_or(""), false),
    ];
    let rows = data
        .matters
        .iter()
        .map(|m| {
            let cells =
                vec![m.id.clone(), m.name.zh.clone(), m.category.zh.clone(), m.quarter.clone().unwrap_or_default()];
            row(Kind::Matter, &m.id, cells, supervisor)
        })
        .collect();
    out.push(block(Kind::Matter, t.matters, vec![t.id, t.name_zh, t.category, t.quarter], rows, fields, supervisor));

    let e = editing_of(Kind::Officer).and_then(|id| data.officers.iter().find(|o| o.id == id));
    let fields = vec![
        id_field(t, e.map_or("", |o| &o.id), e.is_some()),
        text("name", t.name, e.map_or("", |o| &o.name), true),
        text("gender", t.gender, &e.and_then(|o| o.gender.clone()).unwrap_or_default(), false),
        typed("number", text("age", t.age, &e.and_then(|o| o.age).map(|a| a.to_string()).unwrap_or_default(), false)),
        text("occupation", t.occupation, &e.and_then(|o| o.occupation.clone()).unwrap_or_default(), false),
        typed(
            "date",
            text(
                "appointed_from",
                t.appointed_from,
                &e.map(|o| o.appointed_from.to_string()).unwrap_or_default(),
                true,
            ),
        ),
        typed(
            "date",
            text("appointed_to", t.appointed_to, &e.map(|o| o.appointed_to.to_string()).unwrap_or_default(), true),
        ),
        typed("password", text("password", t.officer_password, "", false)),
    ];
    let rows = data
        .officers
        .iter()
        .map(|o| {
            let period = format!("{} – {}", o.appointed_from, o.appointed_to);
            row(
                Kind::Officer,
                &o.id,
                vec![o.id.clone(), o.name.clone(), o.occupation.clone().unwrap_or_default(), period],
                supervisor,
            )
        })
        .collect();
    out.push(block(
        Kind::Officer,
        t.officers,
        vec![t.id, t.name, t.occupation, t.appointment],
        rows,
        fields,
        supervisor,
    ));
    out
}

pub async fn page(State(state): State<Arc<AppState>>, office: Office, Query(q): Query<PageQuery>) -> Response {
    let result = async {
        let c = Chrome::new(&office, Section::Reference)?;
        let t = office.t();
        let cx = context(&state, &office).await?;
        let editing = q.edit.as_deref().and_then(|e| e.split_once(':')).and_then(|(k, id)| Some((Kind::parse(k)?, id)));
        let lang = super::names::language(office.lang);
        let mut blocks = blocks(t, &office, &cx.data, lang, editing);
        for b in &mut blocks {
            q.cut(t, b);
        }
        let version = if cx.data.version > 0 { cx.data.version.to_string() } else { t.none_yet.to_string() };
        let scope = office.scope();
        let mut halls = vec![Choice::new("", t.all, &q.hall)];
        halls.extend(
            cx.data
                .halls
                .iter()
                .filter(|h| scope.sees(&h.id))
                .map(|h| Choice::new(h.id.clone(), h.name.get(lang), &q.hall)),
        );
        render(&office, &ReferencePage { c, version, blocks, q: q.q.clone(), halls })
    };
    result.await.unwrap_or_else(IntoResponse::into_response)
}

/// A form's fields by name, trimmed.
struct Fields(HashMap<String, String>);

impl Fields {
    fn get(&self, name: &str) -> String {
        self.0.get(name).map(|s| s.trim().to_string()).unwrap_or_default()
    }

    fn required(&self, name: &'static str) -> Result<String, Error> {
        let v = self.get(name);
        if v.is_empty() { Err(Invalid::Required(name).into()) } else { Ok(v) }
    }

    fn optional(&self, name: &str) -> Option<String> {
        Some(self.get(name)).filter(|v| !v.is_empty())
    }

    fn text(&self, zh: &'static str, en: &str) -> Result<Text, Error> {
        Ok(Text { zh: self.required(zh)?, en: self.get(en) })
    }

    fn date(&self, name: &'static str) -> Result<NaiveDate, Error> {
        self.required(name)?.parse().map_err(|_| Invalid::Value(name).into())
    }
}

/// A level of the tree in the reader's language.
fn level_name(t: &Texts, level: Level) -> &'static str {
    match level {
        Level::Province => t.level_province,
        Level::City => t.level_city,
        Level::County => t.level_county,
        Level::Township => t.level_township,
    }
}

/// The change a form describes.
fn edit_of(kind: Kind, f: &Fields) -> Result<Edit, Error> {
    let id = f.required("id")?;
    let division = |code: &str| Division::parse(code).map_err(|e| Error::from(Invalid::from(e)));
    Ok(match kind {
        Kind::Region => Edit::Region(Region { code: division(&id)?, name: f.text("name_zh", "name_en")? }),
        Kind::Hall => Edit::Hall(Hall {
            kiosk: None,
            id,
            name: f.text("name_zh", "name_en")?,
            division: f.optional("division").map(|c| division(&c)).transpose()?,
            credit_code: f.optional("credit_code").map(|c| c.to_ascii_uppercase()),
        }),
        Kind::Window => Edit::Window(Window {
            id,
            hall_id: f.required("hall_id")?,
            number: f.required("number")?,
            name: f.text("name_zh", "name_en")?,
            credit_code: f.optional("credit_code").map(|c| c.to_ascii_uppercase()),
        }),
        Kind::Reason => {
            Edit::Reason(Reason { code: id, label: f.text("name_zh", "name_en")?, indicator: f.optional("indicator") })
        }
        Kind::Matter => Edit::Matter(Matter {
            id,
            name: f.text("name_zh", "name_en")?,
            category: f.text("category_zh", "category_en")?,
            quarter: f.optional("quarter"),
            task_code: f.optional("task_code"),
        }),
        Kind::Officer => Edit::Officer {
            officer: Officer {
                id,
                name: f.required("name")?,
                gender: f.optional("gender"),
                age: f.optional("age").map(|a| a.parse().map_err(|_| Invalid::Value("age"))).transpose()?,
                occupation: f.optional("occupation"),
                appointed_from: f.date("appointed_from")?,
                appointed_to: f.date("appointed_to")?,
            },
            password: f.optional("password"),
        },
        Kind::Staff => Edit::Staff {
            staff: StaffForm {
                id,
                hall_id: f.required("hall_id")?,
                employee_no: f.required("employee_no")?,
                name: f.required("name")?,
                department: f.optional("department").map(|zh| Text { zh, en: String::new() }),
            },
            pin: f.optional("pin"),
            photo: None,
        },
    })
}

fn kind_of(office: &Office, kind: &str) -> Result<Kind, Failure> {
    Kind::parse(kind).ok_or(Failure::Page { error: Error::NotFound("page".into()), lang: office.lang })
}

async fn apply(state: &AppState, office: &Office, edit: Result<Edit, Error>, kind: Kind) -> Result<Response, Failure> {
    let saved = match edit {
        Ok(edit) => reference::edit(&state.services, &office.who(), edit).await,
        Err(e) => Err(e),
    };
    office.after(saved.map(|_| office.t().saved), &format!("/admin/reference#{}", kind.as_str()))
}

/// Saves a row of any kind but staff (whose form carries a photo).
pub async fn save(
    State(state): State<Arc<AppState>>,
    Path(kind): Path<String>,
    posted: Posted<HashMap<String, String>>,
) -> Response {
    let Posted { office, form } = posted;
    let result = async {
        let kind = kind_of(&office, &kind)?;
        if kind == Kind::Staff {
            return Err(Failure::Page {
                error: Error::Malformed("staff are saved with their photo".into()),
                lang: office.lang,
            });
        }
        apply(&state, &office, edit_of(kind, &Fields(form)), kind).await
    };
    result.await.unwrap_or_else(IntoResponse::into_response)
}

/// Saves a staff member, with a new photo if one was chosen (cut down as a device does).
pub async fn save_staff(State(state): State<Arc<AppState>>, uploaded: Uploaded) -> Response {
    let Uploaded { office, fields, mut files } = uploaded;
    let edit = edit_of(Kind::Staff, &Fields(fields)).map(|e| match e {
        Edit::Staff { staff, pin, .. } => Edit::Staff { staff, pin, photo: files.remove("photo") },
        other => other,
    });
    apply(&state, &office, edit, Kind::Staff).await.unwrap_or_else(IntoResponse::into_response)
}

pub async fn retire(
    State(state): State<Arc<AppState>>,
    Path((kind, id)): Path<(String, String)>,
    posted: Posted<super::session::Nothing>,
) -> Response {
    let office = posted.office;
    let result = async {
        let kind = kind_of(&office, &kind)?;
        apply(&state, &office, Ok(Edit::Retire { kind, id }), kind).await
    };
    result.await.unwrap_or_else(IntoResponse::into_response)
}

/// A staff member's portrait (as devices get it), to someone signed in.
pub async fn photo(State(state): State<Arc<AppState>>, office: Office, Path(sha256): Path<String>) -> Response {
    match reference::staff_photo(&state.services, &office.who(), &sha256).await.on(&office) {
        Ok(bytes) => ([(header::CONTENT_TYPE, "image/jpeg")], bytes).into_response(),
        Err(failure) => failure.into_response(),
    }
}
