//! The front-end assets come from npm and are embedded in the binary. Fail early, with the
//! fix, when they have not been installed.
fn main() {
    let root = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("../../node_modules");
    let needed = [
        "@digdir/designsystemet-css/dist/src/index.css",
        "@digdir/designsystemet-theme/brand/digdir.css",
        "htmx.org/dist/htmx.min.js",
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
