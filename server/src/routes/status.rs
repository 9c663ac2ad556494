//! A plain status page at `/`: devices and how much each has sent. No personal
//! data: no names of citizens, no phone numbers, no comments.

use std::fmt::Write;
use std::sync::Arc;

use axum::extract::State;
use axum::response::Html;

use super::blocking;
use crate::AppState;
use crate::error::ApiFailure;

fn escape(s: &str) -> String {
    s.replace('&', "&amp;").replace('<', "&lt;").replace('>', "&gt;").replace('"', "&quot;")
}

pub async fn page(State(state): State<Arc<AppState>>) -> Result<Html<String>, ApiFailure> {
    let (devices, version) = blocking(&state, |s| Ok((s.devices()?, s.reference_version()?))).await?;
    let total: u64 = devices.iter().map(|d| d.ratings).sum();
    let mut rows = String::new();
    for d in &devices {
        let dev = &d.device;
        let state = if dev.revoked_at.is_some() { "已注销 revoked" } else { "正常 active" };
        let seen = dev.last_seen_at.map(|t| t.format("%Y-%m-%d %H:%M:%S UTC").to_string()).unwrap_or_default();
        let _ = write!(
            rows,
            "<tr><td><code>{}</code></td><td>{}</td><td>{:?}</td><td>{}</td><td>{}</td><td>{}</td><td>{}</td><td class=n>{}</td></tr>",
            dev.id,
            escape(&dev.name),
            dev.role,
            escape(&dev.hall_id),
            escape(dev.window_id.as_deref().unwrap_or("")),
            state,
            seen,
            d.ratings
        );
    }
    Ok(Html(format!(
        r#"<!doctype html><html lang="zh-CN"><head><meta charset="utf-8"><meta http-equiv="refresh" content="5">
<title>Tiyan 服务器</title><style>
body{{font-family:"Noto Sans CJK SC",sans-serif;margin:2rem;color:#15263a;background:#eef3f9}}
table{{border-collapse:collapse;background:#fff}}td,th{{padding:.4rem .8rem;border-bottom:1px solid #d3deea;text-align:left}}
.n{{text-align:right}}h1{{color:#073e78}}</style></head><body>
<h1>体验 Tiyan · 中心服务器</h1>
<p>评价总数 ratings: <b id="total">{total}</b> · 基础数据版本 reference version: {} · 每 5 秒刷新 refreshes every 5 s</p>
<table><tr><th>设备 device</th><th>名称 name</th><th>角色 role</th><th>大厅 hall</th><th>窗口 window</th><th>状态 state</th><th>最近同步 last seen</th><th>评价 ratings</th></tr>
{rows}</table></body></html>"#,
        version.map(|v| v.to_string()).unwrap_or_else(|| "—".into())
    )))
}
