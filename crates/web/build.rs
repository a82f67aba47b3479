//! The front-end assets come from npm and are embedded in the binary. Fail early, with the
//! fix, when they have not been installed.
fn main() {
    // Read at run time: a build script reused from another checkout must not look there.
    let manifest = std::env::var("CARGO_MANIFEST_DIR").unwrap_or_else(|_| ".".into());
    let root = std::path::Path::new(&manifest).join("../../node_modules");
    let needed = [
        "@digdir/designsystemet-css/dist/src/index.css",
        "@digdir/designsystemet-theme/brand/digdir.css",
        "htmx.org/dist/htmx.min.js",
        "htmx-ext-sse/dist/sse.min.js",
    ];
    for n in needed {
        let p = root.join(n);
        println!("cargo:rerun-if-changed={}", p.display());
        if !p.exists() {
            println!(
                "cargo:warning=missing {} — run `npm ci` in the repository root first",
                p.display()
            );
            std::process::exit(1);
        }
    }
}
