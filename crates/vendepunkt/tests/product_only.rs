//! The product binary is the product only: the development tools (generator, benchmarks,
//! add-client) are `vendepunkt-dev` in `crates/devtools`, and `vendepunkt` has no such
//! commands.
#![allow(clippy::unwrap_used)]

mod common;
use common::run;

#[test]
fn the_product_binary_has_no_development_commands() {
    for command in ["dev", "generate", "bench", "add-client", "bench-insights"] {
        let (code, _, err) = run(&[command, "--help"]);
        assert_eq!(code, 2, "{command}: {err}");
        assert!(err.contains("unrecognized subcommand"), "{command}: {err}");
    }
    let (code, help, _) = run(&["--help"]);
    assert_eq!(code, 0);
    assert!(!help.contains("dev "), "{help}");
    assert!(!help.contains("Developer tools"), "{help}");
}
