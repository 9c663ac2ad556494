//! The page at `/`: that the server is up, nothing more. It is public, so it
//! names no device, hall or count; the hall office's pages need a sign-in.

use axum::response::Html;

pub async fn page() -> Html<&'static str> {
    Html(
        r#"<!doctype html><html lang="zh-CN"><head><meta charset="utf-8"><title>Tiyan 服务器</title><style>
body{font-family:"Noto Sans CJK SC",sans-serif;margin:2rem;color:#15263a;background:#eef3f9}h1{color:#073e78}
</style></head><body><h1>体验 Tiyan · 中心服务器</h1>
<p>服务器正在运行。<br>The server is running.</p></body></html>"#,
    )
}
