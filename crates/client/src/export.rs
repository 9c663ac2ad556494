//! Export of all ratings to CSV, for a hall that runs without a server.

use std::io::Write;
use std::path::{Path, PathBuf};

use serde::Serialize;
use tiyan_core::cell::spreadsheet_safe;
use tiyan_core::mask::mask_phone;

use crate::store::Store;
use crate::{Error, Result};

#[derive(Debug, Clone, PartialEq, Eq, Serialize, ts_rs::TS)]
pub struct ExportSummary {
    pub path: PathBuf,
    pub count: u64,
}

const HEADER: [&str; 17] = [
    "seq",
    "id",
    "device_time",
    "hall",
    "window_no",
    "window",
    "employee_no",
    "staff_name",
    "case_no",
    "attitude",
    "attitude_label",
    "competence",
    "competence_label",
    "bad_review",
    "reasons",
    "comment",
    "phone_masked",
];

impl Store {
    /// Writes every rating, in sequence order, to `ratings-<time>.csv` in `dir`
    /// (UTF-8 with a byte-order mark, so spreadsheet programs on Windows read the
    /// Chinese correctly), every cell kept as text (a comment cannot become a
    /// formula). The file appears complete or not at all. Phone numbers
    /// are masked: a CSV travels further than the kiosk.
    pub fn export_csv(&self, dir: &Path) -> Result<ExportSummary> {
        std::fs::create_dir_all(dir).map_err(Error::io(format!("cannot create {}", dir.display())))?;
        let name = format!("ratings-{}.csv", self.now().format("%Y%m%d-%H%M%S"));
        let path = dir.join(name);
        let partial = path.with_extension("csv.partial");
        let count = self.write_csv(&partial)?;
        std::fs::rename(&partial, &path).map_err(Error::io(format!("cannot write {}", path.display())))?;
        Ok(ExportSummary { path, count })
    }

    fn write_csv(&self, to: &Path) -> Result<u64> {
        let io = |e: std::io::Error| Error::Io { context: format!("cannot write {}", to.display()), source: e };
        let csv_err = |e: csv::Error| Error::Corrupt(format!("csv: {e}"));
        let mut file = std::fs::File::create(to).map_err(io)?;
        file.write_all("\u{feff}".as_bytes()).map_err(io)?;
        let mut w = csv::Writer::from_writer(file);
        w.write_record(HEADER).map_err(csv_err)?;

        let conn = self.conn();
        let mut stmt = conn.prepare(
            "SELECT r.seq, r.id, r.device_time, coalesce(h.name_zh, r.hall_id), coalesce(w.number, ''),
                    coalesce(w.name_zh, r.window_id), coalesce(s.employee_no, ''), coalesce(s.name, r.staff_id),
                    coalesce(r.case_no, ''), r.attitude, r.competence,
                    (SELECT coalesce(group_concat(coalesce(rs.label_zh, j.value), '；'), '')
                       FROM json_each(r.reasons) j LEFT JOIN reasons rs ON rs.code = j.value),
                    coalesce(r.comment, ''), coalesce(r.phone, '')
             FROM ratings r
             LEFT JOIN halls h ON h.id = r.hall_id
             LEFT JOIN windows w ON w.id = r.window_id
             LEFT JOIN staff s ON s.id = r.staff_id
             ORDER BY r.seq",
        )?;
        let mut rows = stmt.query([])?;
        let mut count = 0u64;
        while let Some(r) = rows.next()? {
            let attitude: u8 = r.get(9)?;
            let competence: u8 = r.get(10)?;
            let label = |v: u8| tiyan_core::Level::try_from(v).map(|l| l.label_zh()).unwrap_or("?");
            let phone: String = r.get(13)?;
            let record = [
                r.get::<_, i64>(0)?.to_string(),
                r.get(1)?,
                r.get(2)?,
                r.get(3)?,
                r.get(4)?,
                r.get(5)?,
                r.get(6)?,
                r.get(7)?,
                r.get(8)?,
                attitude.to_string(),
                label(attitude).to_string(),
                competence.to_string(),
                label(competence).to_string(),
                if attitude <= 2 || competence <= 2 { "是" } else { "否" }.to_string(),
                r.get(11)?,
                r.get(12)?,
                if phone.is_empty() { phone } else { mask_phone(&phone) },
            ];
            w.write_record(record.iter().map(|c| spreadsheet_safe(c).into_owned())).map_err(csv_err)?;
            count += 1;
        }
        let file = w.into_inner().map_err(|e| io(e.into_error()))?;
        file.sync_all().map_err(io)?;
        Ok(count)
    }
}
