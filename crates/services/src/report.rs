//! A month's figures and rankings as a file: JSON (the figures as computed),
//! CSV (one table, every level), or an Excel workbook (a sheet per level:
//! hall, windows, staff, and the method; Chinese headers; numbers as numbers).
//! Used by `tiyan-server report` and by the hall office's download.

use std::io::Write;

use rust_xlsxwriter::{Format as CellFormat, Workbook, Worksheet, XlsxError};
use serde::Serialize;
use tiyan_core::cell::spreadsheet_safe;

use crate::assessment::{Figures, Line, MonthFigures, RegionMonth};

#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub enum Format {
    Json,
    Csv,
    Xlsx,
}

/// One hall's month, or every hall's.
#[derive(Debug, Clone, Serialize)]
#[serde(untagged)]
pub enum Report {
    /// `--hall`: the hall's figures, `staff` and `windows` at the top.
    Hall(Box<MonthFigures>),
    /// A region's halls (or every hall), ranked in it, and the windows across
    /// them: `{"month": ..., "region": ..., "total": ..., "halls": [...], "windows": [...]}`.
    Region(Box<RegionMonth>),
}

impl Report {
    fn halls(&self) -> &[MonthFigures] {
        match self {
            Report::Hall(h) => std::slice::from_ref(h.as_ref()),
            Report::Region(r) => &r.halls,
        }
    }
}

pub fn write(out: &mut dyn Write, report: &Report, format: Format) -> anyhow::Result<()> {
    match format {
        Format::Json => {
            serde_json::to_writer_pretty(&mut *out, report)?;
            writeln!(out)?;
        }
        Format::Csv => write_csv(out, report)?,
        Format::Xlsx => out.write_all(&workbook(report)?)?,
    }
    Ok(())
}

/// The columns every level shares, after its own (level, hall, id, number, name).
const FIGURE_HEADERS: [&str; 30] = [
    "有效评价数",
    "服务态度 非常满意",
    "服务态度 满意",
    "服务态度 基本满意",
    "服务态度 不满意",
    "服务态度 非常不满意",
    "业务能力 非常满意",
    "业务能力 满意",
    "业务能力 基本满意",
    "业务能力 不满意",
    "业务能力 非常不满意",
    "服务态度满意度(%)",
    "业务能力满意度(%)",
    "综合满意度(%)",
    "差评数",
    "差评率(%)",
    "排名得分(%)",
    "排名",
    "评价数不足",
    "连续两月末位",
    "台账条目",
    "回访率(%)",
    "整改率(%)",
    "按期整改率(%)",
    "已整改",
    "办件数",
    "已评价办件",
    "评价率(%)",
    "评价率偏低",
    "无办件编号的评价",
];

/// A figure's cells: a count, a rate (None: nothing to rate), or words.
enum Cell {
    Count(u64),
    Rate(Option<f64>),
    Text(String),
}

fn cells(f: &Figures) -> Vec<Cell> {
    let mut c = vec![Cell::Count(f.ratings)];
    // Best level first, as the national standard lists them.
    c.extend(f.attitude.iter().rev().map(|n| Cell::Count(*n)));
    c.extend(f.competence.iter().rev().map(|n| Cell::Count(*n)));
    c.extend([
        Cell::Rate(f.attitude_satisfaction),
        Cell::Rate(f.competence_satisfaction),
        Cell::Rate(f.satisfaction),
        Cell::Count(f.bad_reviews),
        Cell::Rate(f.bad_rate),
        Cell::Rate(f.score),
        match f.rank {
            Some(r) => Cell::Count(u64::from(r)),
            None => Cell::Text(String::new()),
        },
        Cell::Text(if f.too_few { "是" } else { "" }.into()),
        Cell::Text(if f.called_in { "是" } else { "" }.into()),
        Cell::Count(f.ledger.items),
        Cell::Rate(f.call_back_rate),
        Cell::Rate(f.rectified_rate),
        Cell::Rate(f.on_time_rate),
        Cell::Count(f.ledger.rectified),
        Cell::Count(f.cases.served),
        Cell::Count(f.cases.rated),
        Cell::Rate(f.rating_rate),
        Cell::Text(if f.rate_low { "是" } else { "" }.into()),
        Cell::Count(f.without_case),
    ]);
    c
}

/// The level's name of a region's windows, ranked across its halls.
const REGION_WINDOWS: &str = "区域窗口";

/// Every line of a report with its hall and its level's name in the sheets;
/// a region's report ends with its windows ranked across the halls.
fn lines(report: &Report) -> Vec<(&'static str, &str, Line<'_>)> {
    let across = match report {
        Report::Region(r) => r.windows.as_slice(),
        Report::Hall(_) => &[],
    };
    let across = across.iter().map(|w| {
        let l = &w.window;
        let line = Line { level: "window", id: &l.window_id, number: &l.number, name: &l.name, figures: &l.figures };
        (REGION_WINDOWS, w.hall_id.as_str(), line)
    });
    report
        .halls()
        .iter()
        .flat_map(|h| {
            h.lines().into_iter().map(|l| {
                let level = match l.level {
                    "hall" => "大厅",
                    "window" => "窗口",
                    _ => "工作人员",
                };
                (level, h.hall.hall_id.as_str(), l)
            })
        })
        .chain(across)
        .collect()
}

fn rate_text(r: Option<f64>) -> String {
    r.map(|r| format!("{r:.2}")).unwrap_or_default()
}

fn write_csv(out: &mut dyn Write, report: &Report) -> anyhow::Result<()> {
    out.write_all("\u{feff}".as_bytes())?;
    let mut w = csv::Writer::from_writer(out);
    let mut header = vec!["层级", "大厅", "编号", "窗口号/工号", "名称"];
    header.extend(FIGURE_HEADERS);
    w.write_record(&header)?;
    for (level, hall, l) in lines(report) {
        let mut row: Vec<String> =
            [level, hall, l.id, l.number, l.name].iter().map(|s| spreadsheet_safe(s).into_owned()).collect();
        row.extend(cells(l.figures).into_iter().map(|c| match c {
            Cell::Count(n) => n.to_string(),
            Cell::Rate(r) => rate_text(r),
            Cell::Text(t) => t,
        }));
        w.write_record(&row)?;
    }
    w.flush()?;
    Ok(())
}

/// The workbook's bytes.
pub fn workbook(report: &Report) -> Result<Vec<u8>, XlsxError> {
    let mut book = Workbook::new();
    let bold = CellFormat::new().set_bold();
    let rate = CellFormat::new().set_num_format("0.00");
    let all = lines(report);
    for (sheet, level, own) in [
        ("大厅", "大厅", ["大厅编号", "", "大厅名称"]),
        ("窗口", "窗口", ["窗口编号", "窗口号", "窗口名称"]),
        ("工作人员", "工作人员", ["人员编号", "工号", "姓名"]),
        ("区域窗口排名", REGION_WINDOWS, ["窗口编号", "窗口号", "窗口名称"]),
    ] {
        if level == REGION_WINDOWS && !matches!(report, Report::Region(_)) {
            continue;
        }
        let ws = book.add_worksheet().set_name(sheet)?;
        let mut headers: Vec<&str> = vec!["大厅"];
        headers.extend(own.iter().filter(|h| !h.is_empty()));
        let with_number = !own[1].is_empty();
        headers.extend(FIGURE_HEADERS);
        for (col, h) in headers.iter().enumerate() {
            ws.write_string_with_format(0, col as u16, *h, &bold)?;
        }
        for (row, (_, hall, l)) in (1u32..).zip(all.iter().filter(|l| l.0 == level)) {
            let mut col = 0u16;
            let text = |ws: &mut Worksheet, col: &mut u16, s: &str| -> Result<(), XlsxError> {
                ws.write_string(row, *col, s)?;
                *col += 1;
                Ok(())
            };
            text(ws, &mut col, hall)?;
            text(ws, &mut col, l.id)?;
            if with_number {
                text(ws, &mut col, l.number)?;
            }
            text(ws, &mut col, l.name)?;
            for c in cells(l.figures) {
                match c {
                    Cell::Count(n) => {
                        ws.write_number(row, col, n as f64)?;
                    }
                    Cell::Rate(Some(r)) => {
                        ws.write_number_with_format(row, col, r, &rate)?;
                    }
                    Cell::Rate(None) => {}
                    Cell::Text(t) => {
                        ws.write_string(row, col, t)?;
                    }
                }
                col += 1;
            }
        }
        ws.set_freeze_panes(1, 0)?;
        ws.autofit();
    }
    let ws = book.add_worksheet().set_name("方法")?;
    let mut row = 0u32;
    if let Report::Region(r) = report {
        let name = r.region.as_ref().map_or_else(|| "全部大厅".to_string(), |r| format!("{} {}", r.code, r.name.zh));
        for (label, value) in [("区域", name), ("区域排名最低评价数", r.minimum_ratings.to_string())] {
            ws.write_string_with_format(row, 0, label, &bold)?;
            ws.write_string(row, 1, value)?;
            row += 1;
        }
        row += 1;
    }
    for h in report.halls() {
        for (label, value) in [
            ("大厅", h.hall.name.clone()),
            ("月份", h.month.to_string()),
            ("方法版本", h.method.version.to_string()),
            ("公式", h.formula.clone()),
            ("最低评价数", h.minimum_ratings.to_string()),
            ("末位比例(%)", h.method.bottom_percent.to_string()),
            ("未计入：误触", h.left_out.misuse.to_string()),
            ("未计入：申诉成立", h.left_out.appeals.to_string()),
            ("未计入：同一办件重复评价", h.left_out.case_repeats.to_string()),
            ("评价率提示线(%)", h.rating_rate_percent.to_string()),
            ("计算时间", h.computed_at.to_rfc3339()),
        ] {
            ws.write_string_with_format(row, 0, label, &bold)?;
            ws.write_string(row, 1, value)?;
            row += 1;
        }
        row += 1;
    }
    ws.autofit();
    book.save_to_buffer()
}
