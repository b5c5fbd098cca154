//! The crate stays pure, like `aws-sigv4`: no HTTP client or server among its dependencies.

#[test]
fn no_http_client_dependency() {
    let manifest = std::fs::read_to_string(concat!(env!("CARGO_MANIFEST_DIR"), "/Cargo.toml"))
        .expect("Cargo.toml");
    let deps = manifest
        .split("\n[dependencies]\n")
        .nth(1)
        .and_then(|rest| rest.split("\n[").next())
        .expect("a [dependencies] table");
    let names: Vec<&str> = deps
        .lines()
        .filter_map(|l| l.split(['=', '.', ' ']).next())
        .filter(|n| !n.is_empty() && !n.starts_with('#'))
        .collect();
    assert!(names.contains(&"ring"), "parsed {names:?}");
    for banned in [
        "reqwest",
        "hyper",
        "hyper-util",
        "http",
        "ureq",
        "isahc",
        "surf",
        "curl",
        "axum",
        "tokio",
    ] {
        assert!(
            !names.contains(&banned),
            "innography-hmac must not depend on {banned}"
        );
    }
}
