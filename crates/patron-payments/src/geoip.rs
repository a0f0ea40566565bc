//! The country of an IP address, from a MaxMind-format database (GeoLite2/GeoIP2 Country or
//! City) the operator downloads and names with `PATRON_GEOIP_DB`: a third piece of evidence of
//! where a buyer is. Without the setting nothing is looked up.

use crate::PaymentError;
use std::net::IpAddr;
use std::path::Path;

/// A loaded country database.
pub struct GeoIp {
    reader: maxminddb::Reader<Vec<u8>>,
}

impl std::fmt::Debug for GeoIp {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("GeoIp").field("database_type", &self.reader.metadata().database_type).finish()
    }
}

impl GeoIp {
    /// Reads the database at `path`; an unreadable file or another format is an error naming it.
    pub fn open(path: &Path) -> Result<Self, PaymentError> {
        let reader = maxminddb::Reader::open_readfile(path).map_err(|e| {
            PaymentError::Provider(format!("PATRON_GEOIP_DB: {} is not a MaxMind database: {e}", path.display()))
        })?;
        Ok(Self { reader })
    }

    /// The ISO code of the country `ip` is in, when the database knows it.
    pub fn country(&self, ip: IpAddr) -> Option<String> {
        let found = self.reader.lookup(ip).ok()?;
        let record: maxminddb::geoip2::Country<'_> = found.decode().ok()??;
        record.country.iso_code.map(|code| code.to_ascii_uppercase())
    }
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;

    #[test]
    fn a_file_that_is_no_database_is_an_error_naming_the_setting() {
        let dir = std::env::temp_dir().join(format!("patron-geoip-{}", std::process::id()));
        std::fs::create_dir_all(&dir).unwrap();
        let path = dir.join("not.mmdb");
        std::fs::write(&path, b"hello").unwrap();
        let error = GeoIp::open(&path).unwrap_err().to_string();
        assert!(error.contains("PATRON_GEOIP_DB") && error.contains("not.mmdb"), "{error}");
        assert!(GeoIp::open(&dir.join("missing.mmdb")).is_err());
        std::fs::remove_dir_all(&dir).unwrap();
    }
}
