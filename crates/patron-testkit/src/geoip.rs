//! A country database in the MaxMind DB format (what `PATRON_GEOIP_DB` points at), written
//! here from a few IPv4 prefixes, as the format's specification describes it: a binary search
//! tree of 24-bit records, sixteen zero bytes, the data section, then the metadata after the
//! `\xAB\xCD\xEFMaxMind.com` marker. Each prefix maps to `{"country": {"iso_code": …}}`, the
//! shape of GeoIP2/GeoLite2 Country records.

use std::net::Ipv4Addr;

const EMPTY: u32 = u32::MAX;
const DATA: u32 = 1 << 31;

fn string(text: &str) -> Vec<u8> {
    assert!(text.len() < 29, "short strings only");
    let mut out = vec![(2 << 5) | u8::try_from(text.len()).expect("short")];
    out.extend_from_slice(text.as_bytes());
    out
}

fn map_header(pairs: usize) -> u8 {
    (7 << 5) | u8::try_from(pairs).expect("a small map")
}

fn uint(kind: u8, value: u64, bytes: usize) -> Vec<u8> {
    let mut out = if kind < 8 {
        vec![(kind << 5) | u8::try_from(bytes).expect("size")]
    } else {
        vec![u8::try_from(bytes).expect("size"), kind - 7]
    };
    out.extend_from_slice(&value.to_be_bytes()[8 - bytes..]);
    out
}

/// A database mapping each `(network, prefix length, ISO country code)` to the country.
pub fn country_database(entries: &[(Ipv4Addr, u8, &str)]) -> Vec<u8> {
    let mut nodes: Vec<[u32; 2]> = vec![[EMPTY, EMPTY]];
    let mut data: Vec<u8> = Vec::new();
    for (network, prefix, iso) in entries {
        assert!((1..=32).contains(prefix), "a prefix of 1 to 32 bits");
        let offset = u32::try_from(data.len()).expect("a small database");
        data.push(map_header(1));
        data.extend(string("country"));
        data.push(map_header(1));
        data.extend(string("iso_code"));
        data.extend(string(iso));
        let bits = u32::from(*network);
        let mut node = 0usize;
        for depth in 0..*prefix {
            let bit = usize::from((bits >> (31 - depth)) & 1 == 1);
            if depth + 1 == *prefix {
                nodes[node][bit] = DATA | offset;
            } else {
                if nodes[node][bit] == EMPTY {
                    nodes.push([EMPTY, EMPTY]);
                    nodes[node][bit] = u32::try_from(nodes.len() - 1).expect("a small tree");
                }
                node = usize::try_from(nodes[node][bit]).expect("a node");
            }
        }
    }
    let count = u32::try_from(nodes.len()).expect("a small tree");
    let mut file = Vec::new();
    for node in &nodes {
        for record in node {
            let value = match *record {
                EMPTY => count,
                r if r & DATA != 0 => count + 16 + (r & !DATA),
                r => r,
            };
            file.extend_from_slice(&value.to_be_bytes()[1..]);
        }
    }
    file.extend_from_slice(&[0; 16]);
    file.extend(data);
    file.extend_from_slice(b"\xAB\xCD\xEFMaxMind.com");
    file.push(map_header(9));
    for (key, value) in [
        ("node_count", uint(6, u64::from(count), 4)),
        ("record_size", uint(5, 24, 2)),
        ("ip_version", uint(5, 4, 2)),
        ("database_type", string("GeoIP2-Country")),
        ("languages", vec![0, 4]),
        ("binary_format_major_version", uint(5, 2, 2)),
        ("binary_format_minor_version", uint(5, 0, 2)),
        ("build_epoch", uint(9, 1_767_225_600, 8)),
        ("description", vec![map_header(0)]),
    ] {
        file.extend(string(key));
        file.extend(value);
    }
    file
}
