use crate::WindowCount;
use std::collections::HashMap;
use std::sync::{Arc, Mutex, MutexGuard};
use std::time::{Duration, Instant};

#[derive(Debug)]
enum Value {
    Counter(u64),
    Bytes(Vec<u8>),
}

#[derive(Debug)]
struct Entry {
    value: Value,
    expires_at: Instant,
}

/// An in-process cache with per-entry expiry and a bound on the number of entries, so a
/// flood of distinct keys (say, rate-limit counters for many addresses) cannot exhaust memory.
#[derive(Clone, Debug)]
pub struct MemoryCache {
    entries: Arc<Mutex<HashMap<String, Entry>>>,
    capacity: usize,
}

impl MemoryCache {
    /// A cache holding at most `capacity` entries.
    pub fn new(capacity: usize) -> Self {
        Self { entries: Arc::new(Mutex::new(HashMap::new())), capacity: capacity.max(1) }
    }

    fn lock(&self) -> MutexGuard<'_, HashMap<String, Entry>> {
        // A panic while holding the lock leaves plain data behind; keep using it.
        self.entries.lock().unwrap_or_else(|poisoned| poisoned.into_inner())
    }

    /// Makes room for one more entry: drops expired entries, then the ones expiring soonest.
    fn make_room(entries: &mut HashMap<String, Entry>, capacity: usize, now: Instant) {
        if entries.len() < capacity {
            return;
        }
        entries.retain(|_, entry| entry.expires_at > now);
        if entries.len() >= capacity {
            let mut by_expiry: Vec<(Instant, String)> =
                entries.iter().map(|(key, entry)| (entry.expires_at, key.clone())).collect();
            by_expiry.sort();
            let excess = entries.len() + 1 - capacity + capacity / 10;
            for (_, key) in by_expiry.into_iter().take(excess) {
                entries.remove(&key);
            }
        }
    }

    pub(crate) fn increment(&self, key: &str, window: Duration) -> WindowCount {
        let now = Instant::now();
        let mut entries = self.lock();
        if let Some(entry) = entries.get_mut(key)
            && entry.expires_at > now
            && let Value::Counter(count) = &mut entry.value
        {
            *count += 1;
            return WindowCount { count: *count, resets_in: entry.expires_at - now };
        }
        Self::make_room(&mut entries, self.capacity, now);
        entries.insert(key.to_owned(), Entry { value: Value::Counter(1), expires_at: now + window });
        WindowCount { count: 1, resets_in: window }
    }

    pub(crate) fn count(&self, key: &str) -> WindowCount {
        let now = Instant::now();
        match self.lock().get(key) {
            Some(Entry { value: Value::Counter(count), expires_at }) if *expires_at > now => {
                WindowCount { count: *count, resets_in: *expires_at - now }
            }
            _ => WindowCount { count: 0, resets_in: Duration::ZERO },
        }
    }

    pub(crate) fn set(&self, key: &str, value: Vec<u8>, ttl: Duration) {
        let now = Instant::now();
        let mut entries = self.lock();
        if !entries.contains_key(key) {
            Self::make_room(&mut entries, self.capacity, now);
        }
        entries.insert(key.to_owned(), Entry { value: Value::Bytes(value), expires_at: now + ttl });
    }

    pub(crate) fn get(&self, key: &str) -> Option<Vec<u8>> {
        let now = Instant::now();
        match self.lock().get(key) {
            Some(Entry { value: Value::Bytes(bytes), expires_at }) if *expires_at > now => Some(bytes.clone()),
            _ => None,
        }
    }

    pub(crate) fn delete(&self, key: &str) {
        self.lock().remove(key);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn counters_count_within_their_window_and_restart_after_it() {
        let cache = MemoryCache::new(10);
        let window = Duration::from_millis(50);
        assert_eq!(cache.increment("k", window).count, 1);
        assert_eq!(cache.increment("k", window).count, 2);
        assert_eq!(cache.count("k").count, 2);
        std::thread::sleep(Duration::from_millis(60));
        assert_eq!(cache.count("k").count, 0);
        assert_eq!(cache.increment("k", window).count, 1);
    }

    #[test]
    fn values_expire() {
        let cache = MemoryCache::new(10);
        cache.set("v", b"x".to_vec(), Duration::from_millis(30));
        assert_eq!(cache.get("v"), Some(b"x".to_vec()));
        std::thread::sleep(Duration::from_millis(40));
        assert_eq!(cache.get("v"), None);
    }

    #[test]
    fn the_number_of_entries_stays_bounded() {
        let cache = MemoryCache::new(100);
        for i in 0..10_000 {
            cache.increment(&format!("ip:{i}"), Duration::from_secs(60));
        }
        assert!(cache.lock().len() <= 100);
        // the newest counter survived eviction
        assert_eq!(cache.count("ip:9999").count, 1);
    }
}
