//! Debian's Chromium, headless, driven over WebDriver by its chromedriver:
//! the browser the hall office's pages are tested in. A 1366×768 window, the
//! office screen the pages are made for; screenshots under
//! `target/screenshots/`.

use std::process::{Command, Stdio};
use std::time::Duration;

use anyhow::{Context, Result, anyhow};
use fantoccini::elements::Element;
use fantoccini::{Client, ClientBuilder, Locator};

use crate::{Guard, free_port, screenshot_dir, wait_for_port, which};

pub struct Chromium {
    pub client: Client,
    /// The site under test: `http://127.0.0.1:PORT`.
    pub base: String,
    _driver: Guard,
}

fn binary(names: &[&str], what: &str) -> Result<std::path::PathBuf> {
    names.iter().find_map(|n| which(n)).ok_or_else(|| {
        anyhow!("{what} is not installed: scripts/setup.sh installs Debian's chromium and chromium-driver")
    })
}

impl Chromium {
    pub async fn launch(base: &str) -> Result<Chromium> {
        let driver = binary(&["chromedriver"], "chromedriver")?;
        let browser = binary(&["chromium", "chromium-browser"], "chromium")?;
        let port = free_port();
        let child = Command::new(driver)
            .arg(format!("--port={port}"))
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .context("starting chromedriver")?;
        let guard = Guard(child);
        wait_for_port(port).await?;
        let mut caps = serde_json::Map::new();
        caps.insert(
            "goog:chromeOptions".into(),
            serde_json::json!({
                "binary": browser,
                "args": [
                    "--headless=new", "--no-sandbox", "--disable-gpu", "--disable-dev-shm-usage",
                    "--window-size=1366,768", "--lang=zh-CN", "--no-first-run",
                    "--disable-background-networking", "--disable-extensions", "--disable-sync",
                ],
            }),
        );
        let client = ClientBuilder::native()
            .capabilities(caps)
            .connect(&format!("http://127.0.0.1:{port}"))
            .await
            .context("opening a WebDriver session in Chromium")?;
        Ok(Chromium { client, base: base.trim_end_matches('/').to_string(), _driver: guard })
    }

    pub async fn goto(&self, path: &str) -> Result<()> {
        self.client.goto(&format!("{}{path}", self.base)).await.with_context(|| format!("opening {path}"))
    }

    pub async fn path(&self) -> Result<String> {
        let url = self.client.current_url().await?;
        Ok(format!("{}{}", url.path(), url.query().map(|q| format!("?{q}")).unwrap_or_default()))
    }

    pub async fn find(&self, css: &str) -> Result<Element> {
        self.client
            .wait()
            .at_most(Duration::from_secs(10))
            .every(Duration::from_millis(50))
            .for_element(Locator::Css(css))
            .await
            .with_context(|| format!("waiting for {css}"))
    }

    pub async fn has(&self, css: &str) -> Result<bool> {
        Ok(!self.client.find_all(Locator::Css(css)).await?.is_empty())
    }

    pub async fn count(&self, css: &str) -> Result<usize> {
        Ok(self.client.find_all(Locator::Css(css)).await?.len())
    }

    pub async fn text(&self, css: &str) -> Result<String> {
        Ok(self.find(css).await?.text().await?)
    }

    pub async fn fill(&self, css: &str, value: &str) -> Result<()> {
        let e = self.find(css).await?;
        e.clear().await?;
        e.send_keys(value).await.with_context(|| format!("typing into {css}"))
    }

    pub async fn select(&self, css: &str, value: &str) -> Result<()> {
        self.find(css).await?.select_by_value(value).await.with_context(|| format!("choosing {value} in {css}"))
    }

    /// Clicks something that leads to another page, and waits for that page.
    pub async fn click(&self, css: &str) -> Result<()> {
        let e = self.find(css).await?;
        // A mark on this document: gone once the next one has replaced it.
        self.client.execute("window.__leaving = true", vec![]).await?;
        e.click().await.with_context(|| format!("clicking {css}"))?;
        self.settled().await
    }

    /// Waits until a new page (not the one marked as being left) has loaded.
    pub async fn settled(&self) -> Result<()> {
        for _ in 0..400 {
            let state = self
                .client
                .execute("return window.__leaving ? 'leaving' : document.readyState", vec![])
                .await
                .unwrap_or_default();
            if state.as_str() == Some("complete") {
                return Ok(());
            }
            tokio::time::sleep(Duration::from_millis(25)).await;
        }
        Err(anyhow!("the page did not finish loading"))
    }

    pub async fn screenshot(&self, name: &str) -> Result<()> {
        let png = self.client.screenshot().await?;
        std::fs::write(screenshot_dir().join(format!("{name}.png")), png)?;
        Ok(())
    }

    /// Signs in on the sign-in page (where an unsigned visit lands).
    pub async fn sign_in(&self, login: &str, password: &str) -> Result<()> {
        self.goto("/admin").await?;
        self.fill("#sign-in input[name=login]", login).await?;
        self.fill("#sign-in input[name=password]", password).await?;
        self.click("#sign-in button[type=submit]").await
    }

    pub async fn sign_out(&self) -> Result<()> {
        self.click("form[action='/admin/sign-out'] button").await
    }

    /// What the page showed when a story stopped, for whoever reads the
    /// failure: `<name>.png` and `<name>.html` beside the screenshots.
    pub async fn save_failure(&self, name: &str) {
        let _ = self.screenshot(name).await;
        let _ = std::fs::write(
            screenshot_dir().join(format!("{name}.html")),
            self.client.source().await.unwrap_or_default(),
        );
    }

    pub async fn close(self) -> Result<()> {
        self.client.close().await?;
        Ok(())
    }
}
