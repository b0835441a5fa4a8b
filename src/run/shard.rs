//! Splitting a batch across independent jobs (a Slurm job array, a Kubernetes Indexed Job):
//! shard `K/N` takes every N-th input of the batch sorted by path, starting at the K-th, so the
//! N jobs, given the same inputs, cover every input exactly once without talking to each other.

use std::fmt;
use std::path::Path;
use std::str::FromStr;

/// One of `count` equal parts of a batch; `index` counts from 1.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Shard {
    index: usize,
    count: usize,
}

/// Why a shard could not be read.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("`{text}` is not a shard: {why} (write K/N with 1 <= K <= N, e.g. 3/8)")]
pub struct ShardError {
    text: String,
    why: &'static str,
}

impl Shard {
    /// Shard `index` of `count` (from 1), or `None` when `index` is outside 1..=count.
    pub fn new(index: usize, count: usize) -> Option<Shard> {
        (1..=count)
            .contains(&index)
            .then_some(Shard { index, count })
    }

    /// Which shard, from 1.
    pub fn index(self) -> usize {
        self.index
    }

    /// How many shards.
    pub fn count(self) -> usize {
        self.count
    }

    /// Whether the item at `position` (from 0) of the sorted list is this shard's.
    pub fn owns(self, position: usize) -> bool {
        position % self.count == self.index - 1
    }

    /// This shard's items of `items`, after sorting them by `path` (byte order, so every machine
    /// sorts alike). Ties keep their order.
    pub fn take<T>(self, mut items: Vec<T>, path: impl Fn(&T) -> &Path) -> Vec<T> {
        items.sort_by(|a, b| path(a).as_os_str().cmp(path(b).as_os_str()));
        items
            .into_iter()
            .enumerate()
            .filter(|(position, _)| self.owns(*position))
            .map(|(_, item)| item)
            .collect()
    }
}

impl fmt::Display for Shard {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}/{}", self.index, self.count)
    }
}

impl FromStr for Shard {
    type Err = ShardError;
    fn from_str(text: &str) -> Result<Self, Self::Err> {
        let error = |why| ShardError {
            text: text.to_string(),
            why,
        };
        let (k, n) = text.split_once('/').ok_or_else(|| error("no `/`"))?;
        let k: usize = k
            .trim()
            .parse()
            .map_err(|_| error("K is not a whole number"))?;
        let n: usize = n
            .trim()
            .parse()
            .map_err(|_| error("N is not a whole number"))?;
        if n == 0 {
            return Err(error("N must be at least 1"));
        }
        Shard::new(k, n).ok_or_else(|| error("K must be from 1 to N"))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::path::PathBuf;

    #[test]
    fn reads_k_of_n() {
        assert_eq!("3/8".parse::<Shard>().unwrap(), Shard::new(3, 8).unwrap());
        assert_eq!("1/1".parse::<Shard>().unwrap().to_string(), "1/1");
        for bad in ["0/4", "5/4", "1/0", "4", "a/4", "1/b", "", "-1/4"] {
            assert!(bad.parse::<Shard>().is_err(), "{bad}");
        }
        let message = "0/4".parse::<Shard>().unwrap_err().to_string();
        assert!(
            message.contains("`0/4`") && message.contains("1 <= K <= N"),
            "{message}"
        );
    }

    #[test]
    fn the_shards_cover_every_input_once_whatever_the_order_given() {
        let paths: Vec<PathBuf> = (0..23)
            .map(|i| PathBuf::from(format!("videos/{}/clip{i}.mp4", i % 3)))
            .collect();
        for count in 1..=7 {
            let mut seen: Vec<PathBuf> = Vec::new();
            for index in 1..=count {
                let shard = Shard::new(index, count).unwrap();
                // Each job may list its inputs in another order (another machine's `find`).
                let mut given = paths.clone();
                given.rotate_left(index * 5 % paths.len());
                let mine = shard.take(given, |p| p.as_path());
                // Shards differ in size by at most one.
                let fair = paths.len() / count;
                assert!(mine.len() == fair || mine.len() == fair + 1);
                seen.extend(mine);
            }
            seen.sort();
            let mut all = paths.clone();
            all.sort();
            assert_eq!(seen, all, "{count} shards");
        }
    }
}
