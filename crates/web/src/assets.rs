//! Front-end assets, installed from npm and embedded in the binary at build time, served under
//! content-hashed URLs so they can be cached forever.

use rust_embed::RustEmbed;
use sha2::{Digest, Sha256};
use std::borrow::Cow;
use std::collections::HashMap;

#[derive(RustEmbed)]
#[folder = "$CARGO_MANIFEST_DIR/../../node_modules/@digdir/designsystemet-css/dist/src/"]
#[include = "index.css"]
struct DesignsystemetCss;

#[derive(RustEmbed)]
#[folder = "$CARGO_MANIFEST_DIR/../../node_modules/@digdir/designsystemet-theme/brand/"]
#[include = "digdir.css"]
struct DesignsystemetTheme;

#[derive(RustEmbed)]
#[folder = "$CARGO_MANIFEST_DIR/../../node_modules/htmx.org/dist/"]
#[include = "htmx.min.js"]
struct Htmx;

#[derive(RustEmbed)]
#[folder = "$CARGO_MANIFEST_DIR/../../node_modules/htmx-ext-sse/dist/"]
#[include = "sse.min.js"]
struct HtmxSse;

#[derive(RustEmbed)]
#[folder = "$CARGO_MANIFEST_DIR/assets/"]
struct Own;

/// One asset: its bytes, content type and hashed URL.
pub struct Asset {
    pub bytes: Cow<'static, [u8]>,
    pub content_type: &'static str,
    pub url: String,
}

pub struct Assets {
    by_name: HashMap<&'static str, Asset>,
}

fn load(
    name: &'static str,
    file: Option<rust_embed::EmbeddedFile>,
) -> Option<(&'static str, Asset)> {
    let file = file?;
    let content_type = if name.ends_with(".css") {
        "text/css; charset=utf-8"
    } else if name.ends_with(".js") {
        "text/javascript; charset=utf-8"
    } else {
        "application/octet-stream"
    };
    let hash = hex::encode(Sha256::digest(&file.data));
    let url = format!("/assets/{}/{name}", &hash[..16]);
    Some((
        name,
        Asset {
            bytes: file.data,
            content_type,
            url,
        },
    ))
}

impl Assets {
    pub fn load() -> Self {
        let by_name = [
            load("designsystemet.css", DesignsystemetCss::get("index.css")),
            load("theme.css", DesignsystemetTheme::get("digdir.css")),
            load("htmx.min.js", Htmx::get("htmx.min.js")),
            load("htmx-sse.min.js", HtmxSse::get("sse.min.js")),
            load("app.css", Own::get("app.css")),
            load("app.js", Own::get("app.js")),
        ]
        .into_iter()
        .flatten()
        .collect();
        Self { by_name }
    }

    /// The hashed URL of an asset (empty if unknown, which a test guards against).
    pub fn url(&self, name: &str) -> String {
        self.by_name
            .get(name)
            .map(|a| a.url.clone())
            .unwrap_or_default()
    }

    /// The asset at `/assets/{hash}/{name}`, only if the hash matches.
    pub fn get(&self, hash: &str, name: &str) -> Option<&Asset> {
        self.by_name
            .get(name)
            .filter(|a| a.url == format!("/assets/{hash}/{name}"))
    }

    pub fn names(&self) -> Vec<&'static str> {
        self.by_name.keys().copied().collect()
    }
}
