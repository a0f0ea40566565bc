//! The reference point of patron's performance targets: a minimal axum server that returns
//! a 12 KB page from memory. `scripts/perf/run` loads it and patron the same way and reports
//! patron's throughput as a share of this one.
//!
//! Usage: `cargo run --release --example limit_server -- 127.0.0.1:18300`

#![allow(clippy::unwrap_used, clippy::expect_used)]

#[tokio::main(flavor = "current_thread")]
async fn main() {
    let address = std::env::args().nth(1).unwrap_or_else(|| "127.0.0.1:18300".to_owned());
    let page: &'static str =
        Box::leak(format!("<!doctype html><html><body>{}</body></html>", "x".repeat(12 * 1024)).into_boxed_str());
    let app = axum::Router::new().route("/", axum::routing::get(move || async move { axum::response::Html(page) }));
    let listener = tokio::net::TcpListener::bind(&address).await.expect("bind");
    println!("limit server on {address}");
    axum::serve(listener, app).await.expect("serve");
}
