//! Job payloads: JSON with a version, `{"v": 1, "data": {…}}`. A handler reads only the
//! version it knows, so a job enqueued by a newer (or much older) release fails clearly as a
//! dead letter instead of being misread; a handler that changes its payload raises its
//! version and keeps reading the old one until the queue has drained.

use crate::JobError;
use serde::de::DeserializeOwned;
use serde::{Deserialize, Serialize};

#[derive(Serialize)]
struct Out<'a, T> {
    v: u16,
    data: &'a T,
}

#[derive(Deserialize)]
struct In<T> {
    v: u16,
    data: T,
}

#[derive(Deserialize)]
struct VersionOnly {
    v: Option<u16>,
}

/// The payload text of `data` at `version`.
pub fn encode<T: Serialize>(version: u16, data: &T) -> Result<String, serde_json::Error> {
    serde_json::to_string(&Out { v: version, data })
}

/// Reads a payload written at `version`; anything else is a permanent failure.
pub fn decode<T: DeserializeOwned>(version: u16, payload: &str) -> Result<T, JobError> {
    let found = serde_json::from_str::<VersionOnly>(payload)
        .map_err(|e| JobError::Permanent(format!("the payload is not a JSON object: {e}")))?;
    if found.v != Some(version) {
        return Err(JobError::Permanent(format!(
            "payload version {:?}, but this release reads version {version}",
            found.v
        )));
    }
    let read: In<T> = serde_json::from_str(payload).map_err(|e| JobError::Permanent(format!("bad payload: {e}")))?;
    debug_assert_eq!(read.v, version);
    Ok(read.data)
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;

    #[derive(Debug, PartialEq, Serialize, Deserialize)]
    struct Mail {
        to: String,
    }

    #[test]
    fn payloads_round_trip_and_other_versions_are_refused() {
        let text = encode(2, &Mail { to: "a@b.cz".into() }).unwrap();
        assert_eq!(text, r#"{"v":2,"data":{"to":"a@b.cz"}}"#);
        assert_eq!(decode::<Mail>(2, &text).unwrap(), Mail { to: "a@b.cz".into() });
        assert!(matches!(decode::<Mail>(3, &text), Err(JobError::Permanent(_))));
        assert!(matches!(decode::<Mail>(2, r#"{"to":"a@b.cz"}"#), Err(JobError::Permanent(_))));
        assert!(matches!(decode::<Mail>(2, "garbage"), Err(JobError::Permanent(_))));
        assert!(matches!(decode::<Mail>(2, r#"{"v":2,"data":{}}"#), Err(JobError::Permanent(_))));
    }
}
