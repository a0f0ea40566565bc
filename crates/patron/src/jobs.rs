//! The job handlers this build runs. Each feature adds its handlers here.

/// Every job handler of patron.
pub fn registry() -> patron_jobs::Registry {
    patron_jobs::Registry::new()
}
