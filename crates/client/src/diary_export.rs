//! A publishable page of a diary entry, in the layout of the published
//! 体验官日记: the officer card (name masked), the officer's own account,
//! the measured times, the score, highlights, problems, suggestions, photos.
//! One self-contained HTML file (photos inline), printable to PDF.

use std::fmt::Write;

use base64::Engine as _;
use tiyan_core::diary::{CheckItem, CheckMark, DiaryRevision, ProblemCategory};
use tiyan_core::mask::mask_name;
use tiyan_core::reference::Officer;

use crate::{Result, Store};

fn esc(s: &str) -> String {
    s.replace('&', "&amp;").replace('<', "&lt;").replace('>', "&gt;").replace('"', "&quot;").replace('\'', "&#39;")
}

fn paragraphs(s: &str) -> String {
    s.lines().filter(|l| !l.trim().is_empty()).map(|l| format!("<p>{}</p>", esc(l.trim()))).collect()
}

fn category(c: ProblemCategory) -> &'static str {
    match c {
        ProblemCategory::WindowSigns => "窗口布局与标识",
        ProblemCategory::Process => "办事流程",
        ProblemCategory::Environment => "环境卫生",
        ProblemCategory::Discipline => "工作纪律",
        ProblemCategory::Online => "网上办事",
        ProblemCategory::Guide => "办事指南",
        ProblemCategory::Other => "其他",
    }
}

fn check_item(c: CheckItem) -> &'static str {
    match c {
        CheckItem::WindowSigns => "窗口标识",
        CheckItem::Process => "服务流程",
        CheckItem::Cleanliness => "环境卫生",
        CheckItem::Discipline => "工作纪律",
        CheckItem::OnlineSmoothness => "网上办理顺畅",
        CheckItem::GuideCompleteness => "办事指南完整",
    }
}

fn mark(m: CheckMark) -> &'static str {
    match m {
        CheckMark::Good => "好",
        CheckMark::Fair => "一般",
        CheckMark::Poor => "差",
        CheckMark::NotSeen => "未涉及",
    }
}

const STYLE: &str = "body{font-family:'Noto Sans CJK SC','Noto Serif CJK SC',sans-serif;max-width:46rem;margin:2rem auto;\
padding:0 1.5rem;color:#1d2733;line-height:1.8}h1{font-size:1.6rem;color:#8a1c1c;border-bottom:3px solid #8a1c1c;\
padding-bottom:.4rem}h2{font-size:1.15rem;color:#8a1c1c;margin-top:1.6rem}.card{background:#f7f1e8;padding:.8rem 1.2rem;\
border-radius:.4rem}.card dl{display:grid;grid-template-columns:7rem 1fr;margin:0}.card dt{color:#6b5a45}.card dd{margin:0}\
.times{display:flex;gap:1.5rem;flex-wrap:wrap}.times b{font-size:1.3rem}.photos{display:grid;\
grid-template-columns:repeat(auto-fill,minmax(14rem,1fr));gap:.8rem}figure{margin:0}img{width:100%;border-radius:.3rem}\
figcaption{font-size:.9rem;color:#555}footer{margin-top:2rem;font-size:.85rem;color:#777}@media print{body{margin:0}}";

impl Store {
    /// The page of revision `revision`, photos inline as data URLs.
    pub fn diary_page(&self, officer: &Officer, revision: &DiaryRevision) -> Result<String> {
        let b = &revision.body;
        let choices = self.diary_choices()?;
        let hall = b
            .hall_id
            .as_ref()
            .and_then(|id| choices.halls.iter().find(|h| &h.id == id))
            .map(|h| h.name.zh.clone())
            .unwrap_or_else(|| b.place.clone());
        let matter = b
            .matter_id
            .as_ref()
            .and_then(|id| choices.matters.iter().find(|m| &m.id == id))
            .map(|m| m.name.zh.clone())
            .unwrap_or_else(|| b.matter_text.clone());
        let name = mask_name(&officer.name);
        let when = b.visited_at.map(|t| t.format("%Y年%-m月%-d日 %H:%M").to_string()).unwrap_or_default();
        let mut h = String::new();
        let _ = write!(
            h,
            "<!doctype html><html lang=\"zh-CN\"><head><meta charset=\"utf-8\"><title>体验官日记 · {name}</title>\
             <style>{STYLE}</style></head><body><h1>体验官日记 · {name}：{matter}</h1>",
            name = esc(&name),
            matter = esc(&matter)
        );
        let mut card = vec![("姓名", name.clone())];
        if let Some(g) = &officer.gender {
            card.push(("性别", g.clone()));
        }
        if let Some(a) = officer.age {
            card.push(("年龄", format!("{a}岁")));
        }
        if let Some(o) = &officer.occupation {
            card.push(("职业", o.clone()));
        }
        card.extend([("体验时间", when), ("体验地点", hall), ("所办事项", matter)]);
        h.push_str("<section class=\"card\"><h2>体验官名片</h2><dl>");
        for (k, v) in card {
            let _ = write!(h, "<dt>{k}</dt><dd>{}</dd>", esc(&v));
        }
        h.push_str("</dl></section>");
        let minutes = |m: Option<u32>| m.map(|m| format!("{m} 分钟")).unwrap_or_else(|| "—".into());
        let _ = write!(
            h,
            "<h2>办事用时</h2><div class=\"times\"><span>等候 <b>{}</b></span><span>窗口办理 <b>{}</b></span>\
             <span>全程 <b>{}</b></span><span>跑动次数 <b>{}</b></span><span>评分 <b>{} / 10</b></span></div>",
            minutes(b.minutes.waiting),
            minutes(b.minutes.handling),
            minutes(b.minutes.total),
            b.trips.map(|t| t.to_string()).unwrap_or_else(|| "—".into()),
            b.score.map(|s| s.to_string()).unwrap_or_else(|| "—".into())
        );
        let _ = write!(h, "<h2>体验官自述</h2>{}", paragraphs(&b.account));
        if !b.highlights.trim().is_empty() {
            let _ = write!(h, "<h2>找亮点</h2>{}", paragraphs(&b.highlights));
        }
        if !b.problems.is_empty() {
            h.push_str("<h2>挑刺</h2><ol>");
            for p in &b.problems {
                let _ = write!(h, "<li>【{}】{}</li>", category(p.category), esc(&p.text));
            }
            h.push_str("</ol>");
        }
        if !b.suggestions.is_empty() {
            h.push_str("<h2>提建议</h2><ol>");
            for s in &b.suggestions {
                let _ = write!(h, "<li>{}</li>", esc(s));
            }
            h.push_str("</ol>");
        }
        if !b.checklist.is_empty() {
            h.push_str("<h2>体验要点</h2><ul>");
            for (item, m) in &b.checklist {
                let _ = write!(h, "<li>{}：{}</li>", check_item(*item), mark(*m));
            }
            h.push_str("</ul>");
        }
        if !b.photos.is_empty() {
            h.push_str("<h2>现场照片</h2><div class=\"photos\">");
            for p in &b.photos {
                let data = base64::engine::general_purpose::STANDARD.encode(self.photo(&p.sha256, false)?);
                let _ = write!(
                    h,
                    "<figure><img src=\"data:image/jpeg;base64,{data}\" alt=\"{c}\"><figcaption>{c}</figcaption></figure>",
                    c = esc(&p.caption)
                );
            }
            h.push_str("</div>");
        }
        let _ = write!(
            h,
            "<footer>第 {} 版，提交于 {}</footer></body></html>",
            revision.revision,
            revision.submitted_at.format("%Y-%m-%d %H:%M")
        );
        Ok(h)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn text_is_escaped_and_the_name_masked() {
        assert_eq!(esc("<script>&\"'"), "&lt;script&gt;&amp;&quot;&#39;");
        assert_eq!(paragraphs("一\n\n<b>二</b>"), "<p>一</p><p>&lt;b&gt;二&lt;/b&gt;</p>");
    }
}
