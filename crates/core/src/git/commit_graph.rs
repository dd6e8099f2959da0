//! Git's commit-graph file (`objects/info/commit-graph`, or the split chain
//! in `objects/info/commit-graphs/`), read as `git log` reads it: each
//! commit's tree, parents and committer time without inflating the commit,
//! and — when the graph was written with `--changed-paths` — its
//! changed-path Bloom filter, which says for most commits that a path did
//! *not* change, so that its trees need not be read at all.
//!
//! The format is gitformat-commit-graph(5). gix reads the commit data but not
//! the Bloom filters, so the few chunks needed are read here. A graph that is
//! missing, disabled or malformed is simply not used (as git does): every
//! answer can also be had from the objects, only slower.

use std::ops::Range;
use std::path::Path;

const SIGNATURE: &[u8; 4] = b"CGPH";
const FANOUT: u32 = u32::from_be_bytes(*b"OIDF");
const OID_LOOKUP: u32 = u32::from_be_bytes(*b"OIDL");
const COMMIT_DATA: u32 = u32::from_be_bytes(*b"CDAT");
const EXTRA_EDGES: u32 = u32::from_be_bytes(*b"EDGE");
const BLOOM_INDEX: u32 = u32::from_be_bytes(*b"BIDX");
const BLOOM_DATA: u32 = u32::from_be_bytes(*b"BDAT");
/// A parent slot with no parent.
const NO_PARENT: u32 = 0x7000_0000;
/// In the second parent slot: the rest is an index into the extra edges.
const EXTRA_EDGE: u32 = 0x8000_0000;
/// The seeds of the two murmur3 hashes a Bloom key is made of.
const SEEDS: [u32; 2] = [0x293a_e76f, 0x7e64_6e2c];

/// What the graph knows of a commit.
pub(super) struct GraphCommit {
    /// The commit's root tree.
    pub tree: gix::ObjectId,
    /// Its parents, in order.
    pub parents: Vec<gix::ObjectId>,
    /// Committer time, seconds since the epoch.
    pub time: i64,
}

/// One file of the graph (the whole graph, or one layer of a split chain).
struct Layer {
    data: Vec<u8>,
    /// How many commits the layers below this one hold (positions are
    /// numbered through the whole chain, base first).
    first: u32,
    count: u32,
    fanout: usize,
    oids: usize,
    commits: usize,
    edges: Option<Range<usize>>,
    bloom: Option<Bloom>,
}

/// A layer's changed-path filters.
struct Bloom {
    index: usize,
    /// The filters, one after the other (after the chunk's header).
    data: Range<usize>,
    /// 1: git's first murmur3, which mis-hashes bytes >= 0x80; 2: correct.
    version: u32,
    hashes: u32,
}

/// A repository's commit-graph.
pub(super) struct CommitGraph {
    layers: Vec<Layer>,
    hash_len: usize,
}

/// A path made into the keys its changed-path filters are queried with:
/// the path and each folder above it (git adds all of them for every
/// changed file).
pub(super) struct PathKeys {
    /// The two murmur3 hashes of each key.
    keys: Vec<[u32; 2]>,
    /// Version 1 filters hash bytes >= 0x80 differently (as signed `char`);
    /// for ASCII paths both versions agree.
    ascii: bool,
}

impl PathKeys {
    /// The keys of `path` (repository-relative, `/`-separated); `None` for
    /// the root, which every commit changes.
    pub fn new(path: &str) -> Option<PathKeys> {
        if path.is_empty() {
            return None;
        }
        let mut keys = Vec::new();
        let mut end = path.len();
        loop {
            let key = &path.as_bytes()[..end];
            keys.push(SEEDS.map(|seed| murmur3(seed, key)));
            match path[..end].rfind('/') {
                Some(slash) => end = slash,
                None => break,
            }
        }
        Some(PathKeys {
            keys,
            ascii: path.is_ascii(),
        })
    }
}

/// Seeded 32-bit murmur3, as git's version 2 filters hash paths.
fn murmur3(seed: u32, data: &[u8]) -> u32 {
    const C1: u32 = 0xcc9e_2d51;
    const C2: u32 = 0x1b87_3593;
    let mut hash = seed;
    let mut blocks = data.chunks_exact(4);
    for block in &mut blocks {
        let k = u32::from_le_bytes([block[0], block[1], block[2], block[3]]);
        hash ^= k.wrapping_mul(C1).rotate_left(15).wrapping_mul(C2);
        hash = hash
            .rotate_left(13)
            .wrapping_mul(5)
            .wrapping_add(0xe654_6b64);
    }
    let tail = blocks.remainder();
    if !tail.is_empty() {
        let mut k = 0u32;
        for (i, b) in tail.iter().enumerate() {
            k ^= u32::from(*b) << (8 * i);
        }
        hash ^= k.wrapping_mul(C1).rotate_left(15).wrapping_mul(C2);
    }
    hash ^= data.len() as u32;
    hash ^= hash >> 16;
    hash = hash.wrapping_mul(0x85eb_ca6b);
    hash ^= hash >> 13;
    hash = hash.wrapping_mul(0xc2b2_ae35);
    hash ^ (hash >> 16)
}

fn be32(data: &[u8], at: usize) -> Option<u32> {
    Some(u32::from_be_bytes(data.get(at..at + 4)?.try_into().ok()?))
}

fn be64(data: &[u8], at: usize) -> Option<u64> {
    Some(u64::from_be_bytes(data.get(at..at + 8)?.try_into().ok()?))
}

impl Layer {
    /// Parses one graph file; `None` when it is not one we can read.
    fn parse(data: Vec<u8>, first: u32, hash_len: usize) -> Option<Layer> {
        let hash_version = match hash_len {
            20 => 1,
            32 => 2,
            _ => return None,
        };
        if data.get(..4)? != SIGNATURE || *data.get(4)? != 1 || *data.get(5)? != hash_version {
            return None;
        }
        let chunks = usize::from(*data.get(6)?);
        let mut table = Vec::with_capacity(chunks);
        for n in 0..=chunks {
            let at = 8 + 12 * n;
            table.push((
                be32(&data, at)?,
                usize::try_from(be64(&data, at + 4)?).ok()?,
            ));
        }
        let chunk = |id: u32| -> Option<Range<usize>> {
            let n = table[..chunks].iter().position(|(c, _)| *c == id)?;
            let (start, end) = (table[n].1, table[n + 1].1);
            (start <= end && end <= data.len()).then_some(start..end)
        };
        let fanout = chunk(FANOUT)?;
        let oids = chunk(OID_LOOKUP)?;
        let commits = chunk(COMMIT_DATA)?;
        if fanout.len() != 256 * 4 {
            return None;
        }
        let count = be32(&data, fanout.start + 255 * 4)?;
        let n = usize::try_from(count).ok()?;
        if oids.len() != n * hash_len || commits.len() != n * (hash_len + 16) {
            return None;
        }
        let bloom = match (chunk(BLOOM_INDEX), chunk(BLOOM_DATA)) {
            (Some(index), Some(bdat)) if index.len() == n * 4 && bdat.len() >= 12 => {
                let version = be32(&data, bdat.start)?;
                let hashes = be32(&data, bdat.start + 4)?;
                let filters = bdat.start + 12..bdat.end;
                // The index must end inside the data it indexes.
                let last = if n == 0 {
                    0
                } else {
                    be32(&data, index.end - 4)?
                };
                ((version == 1 || version == 2)
                    && (1..=32).contains(&hashes)
                    && usize::try_from(last).ok()? <= filters.len())
                .then_some(Bloom {
                    index: index.start,
                    data: filters,
                    version,
                    hashes,
                })
            }
            _ => None,
        };
        Some(Layer {
            first,
            count,
            fanout: fanout.start,
            oids: oids.start,
            commits: commits.start,
            edges: chunk(EXTRA_EDGES),
            bloom,
            data,
        })
    }

    /// The position of `id` in this layer (lexicographic).
    fn find(&self, id: &gix::oid, hash_len: usize) -> Option<u32> {
        let bytes = id.as_bytes();
        let first = usize::from(bytes[0]);
        let low = if first == 0 {
            0
        } else {
            be32(&self.data, self.fanout + (first - 1) * 4)?
        };
        let high = be32(&self.data, self.fanout + first * 4)?;
        let (mut low, mut high) = (low, high.min(self.count));
        while low < high {
            let mid = low + (high - low) / 2;
            let at = self.oids + mid as usize * hash_len;
            match self.data.get(at..at + hash_len)?.cmp(bytes) {
                std::cmp::Ordering::Less => low = mid + 1,
                std::cmp::Ordering::Greater => high = mid,
                std::cmp::Ordering::Equal => return Some(mid),
            }
        }
        None
    }
}

impl CommitGraph {
    /// The graph in `objects` (a repository's objects folder), when there is
    /// one and it can be read: the single file first, then a split chain.
    pub fn open(objects: &Path, hash_len: usize) -> Option<CommitGraph> {
        let info = objects.join("info");
        let files: Vec<std::path::PathBuf> = match std::fs::metadata(info.join("commit-graph")) {
            Ok(_) => vec![info.join("commit-graph")],
            Err(_) => {
                let chain =
                    std::fs::read_to_string(info.join("commit-graphs/commit-graph-chain")).ok()?;
                chain
                    .lines()
                    .map(str::trim)
                    .filter(|line| !line.is_empty())
                    .map(|hash| info.join(format!("commit-graphs/graph-{hash}.graph")))
                    .collect()
            }
        };
        let mut layers = Vec::with_capacity(files.len());
        let mut first = 0u32;
        for file in files {
            let layer = Layer::parse(std::fs::read(file).ok()?, first, hash_len)?;
            first = first.checked_add(layer.count)?;
            layers.push(layer);
        }
        (!layers.is_empty()).then_some(CommitGraph { layers, hash_len })
    }

    /// The position of `id` in the whole graph.
    pub fn position(&self, id: &gix::oid) -> Option<u32> {
        self.layers
            .iter()
            .find_map(|layer| Some(layer.first + layer.find(id, self.hash_len)?))
    }

    fn layer(&self, position: u32) -> Option<(&Layer, usize)> {
        let layer = self
            .layers
            .iter()
            .find(|l| position >= l.first && position - l.first < l.count)?;
        Some((layer, (position - layer.first) as usize))
    }

    fn id_at(&self, position: u32) -> Option<gix::ObjectId> {
        let (layer, n) = self.layer(position)?;
        let at = layer.oids + n * self.hash_len;
        let bytes = layer.data.get(at..at + self.hash_len)?;
        Some(gix::hash::oid::try_from_bytes(bytes).ok()?.to_owned())
    }

    /// The commit at `position`: tree, parents and committer time.
    pub fn commit(&self, position: u32) -> Option<GraphCommit> {
        let (layer, n) = self.layer(position)?;
        let at = layer.commits + n * (self.hash_len + 16);
        let data = &layer.data;
        let tree = gix::hash::oid::try_from_bytes(data.get(at..at + self.hash_len)?)
            .ok()?
            .to_owned();
        let at = at + self.hash_len;
        let (first_parent, second_parent) = (be32(data, at)?, be32(data, at + 4)?);
        let mut parents = Vec::new();
        if first_parent != NO_PARENT {
            parents.push(self.id_at(first_parent)?);
        }
        if second_parent & EXTRA_EDGE != 0 {
            // An octopus: the second and later parents are in the edge list.
            let edges = layer.edges.as_ref()?;
            let mut edge = edges.start + 4 * (second_parent & !EXTRA_EDGE) as usize;
            loop {
                if edge + 4 > edges.end {
                    return None;
                }
                let value = be32(data, edge)?;
                parents.push(self.id_at(value & !EXTRA_EDGE)?);
                if value & EXTRA_EDGE != 0 {
                    break;
                }
                edge += 4;
            }
        } else if second_parent != NO_PARENT {
            parents.push(self.id_at(second_parent)?);
        }
        let time = (be64(data, at + 8)? & 0x0003_ffff_ffff) as i64;
        Some(GraphCommit {
            tree,
            parents,
            time,
        })
    }

    /// Whether the graph has changed-path filters for any commit.
    pub fn has_filters(&self) -> bool {
        self.layers.iter().any(|layer| layer.bloom.is_some())
    }

    /// What the changed-path filter of the commit at `position` says of the
    /// path: `Some(false)` when the commit certainly did not change it
    /// (against its first parent), `Some(true)` when it may have, `None`
    /// when there is no usable filter.
    pub fn may_have_changed(&self, position: u32, keys: &PathKeys) -> Option<bool> {
        let (layer, n) = self.layer(position)?;
        let bloom = layer.bloom.as_ref()?;
        if bloom.version == 1 && !keys.ascii {
            // Version 1 filters hash such paths with the bytes read as
            // signed `char` (git's first murmur3): not used for them.
            return None;
        }
        let start = match n {
            0 => 0,
            _ => be32(&layer.data, bloom.index + (n - 1) * 4)? as usize,
        };
        let end = be32(&layer.data, bloom.index + n * 4)? as usize;
        let filter = layer
            .data
            .get(bloom.data.start + start..bloom.data.start + end)?;
        if filter.is_empty() {
            return None;
        }
        let bits = filter.len() as u64 * 8;
        for &[a, b] in &keys.keys {
            for i in 0..bloom.hashes {
                let bit = u64::from(a.wrapping_add(i.wrapping_mul(b))) % bits;
                if filter[(bit / 8) as usize] & (1 << (bit % 8)) == 0 {
                    return Some(false);
                }
            }
        }
        Some(true)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn murmur3_matches_the_reference_values() {
        // Reference values of 32-bit MurmurHash3 (x86_32), as git's
        // t/helper/test-bloom prints them (seed 0).
        assert_eq!(murmur3(0, b""), 0x0000_0000);
        assert_eq!(murmur3(0, b"Hello world!"), 0x627b_0c2c);
        assert_eq!(
            murmur3(0, b"The quick brown fox jumps over the lazy dog"),
            0x2e4f_f723
        );
    }

    #[test]
    fn path_keys_are_the_path_and_every_folder_above_it() {
        let keys = PathKeys::new("apps/web/overlays/prod").expect("keys");
        assert_eq!(keys.keys.len(), 4);
        assert_eq!(keys.keys[3], SEEDS.map(|s| murmur3(s, b"apps")));
        assert!(PathKeys::new("").is_none());
    }

    #[test]
    fn a_malformed_graph_is_not_used() {
        assert!(Layer::parse(b"CGPH\x01\x01\x00\x00".to_vec(), 0, 20).is_none());
        assert!(Layer::parse(b"nope".to_vec(), 0, 20).is_none());
        assert!(Layer::parse(Vec::new(), 0, 20).is_none());
    }
}

/// The graph and its filters against what git itself reports, on
/// repositories written with the git CLI.
#[cfg(test)]
mod against_git {
    use super::*;
    use std::process::Command;

    struct Scratch(std::path::PathBuf);

    impl Scratch {
        fn new(name: &str) -> Scratch {
            let dir = std::env::temp_dir()
                .join(format!("trueup-commit-graph-{name}-{}", std::process::id()));
            let _ = std::fs::remove_dir_all(&dir);
            std::fs::create_dir_all(&dir).unwrap();
            let s = Scratch(dir);
            s.git(&["init", "-q", "-b", "main"]);
            s
        }

        fn git(&self, args: &[&str]) -> String {
            let out = Command::new("git")
                .args(["-c", "user.name=T", "-c", "user.email=t@example.com"])
                .args(args)
                .current_dir(&self.0)
                .env("GIT_CONFIG_NOSYSTEM", "1")
                .env("HOME", &self.0)
                .output()
                .unwrap();
            assert!(out.status.success(), "git {args:?}: {out:?}");
            String::from_utf8(out.stdout).unwrap()
        }

        /// Commits `files` (path, text), each written into the worktree.
        fn commit(&self, files: &[(&str, &str)], message: &str) {
            for (path, text) in files {
                let file = self.0.join(path);
                std::fs::create_dir_all(file.parent().unwrap()).unwrap();
                std::fs::write(file, text).unwrap();
            }
            self.git(&["add", "-A"]);
            self.git(&["commit", "-q", "--allow-empty", "-m", message]);
        }

        fn graph(&self) -> CommitGraph {
            CommitGraph::open(&self.0.join(".git/objects"), 20).expect("a readable commit-graph")
        }
    }

    impl Drop for Scratch {
        fn drop(&mut self) {
            let _ = std::fs::remove_dir_all(&self.0);
        }
    }

    const PATHS: [&str; 6] = [
        "apps/web/overlays/prod",
        "apps/web/overlays/staging",
        "apps/web/base",
        "apps/api",
        "apps/web/overlays/prod/kustomization.yaml",
        "README.md",
    ];

    fn history(s: &Scratch, n: usize, offset: usize) {
        for i in offset..offset + n {
            let env = ["prod", "staging", "dev"][i % 3];
            let mut files = vec![(
                format!("apps/web/overlays/{env}/kustomization.yaml"),
                format!("newTag: \"{i}\"\n"),
            )];
            if i % 4 == 0 {
                files.push(("apps/api/base/deployment.yaml".into(), format!("v{i}\n")));
            }
            if i % 7 == 0 {
                files.push(("README.md".into(), format!("{i}\n")));
            }
            let files: Vec<(&str, &str)> = files
                .iter()
                .map(|(p, t)| (p.as_str(), t.as_str()))
                .collect();
            s.commit(&files, &format!("change {i}"));
        }
        // A merge (no filter is asked for it) and an empty commit.
        s.git(&["checkout", "-q", "-b", &format!("side{offset}")]);
        s.commit(&[("apps/web/base/x.yaml", &format!("{offset}\n"))], "side");
        s.git(&["checkout", "-q", "main"]);
        s.commit(
            &[("apps/web/overlays/prod/kustomization.yaml", "m\n")],
            "main side",
        );
        s.git(&[
            "merge",
            "-q",
            "--no-ff",
            "-m",
            "merge",
            &format!("side{offset}"),
        ]);
        s.commit(&[], "empty");
    }

    /// Every commit's data equals git's; a filter never says "unchanged" of
    /// a path the commit changed, and says it of most paths it did not (a
    /// commit changing one file has a 4-byte filter: false positives are
    /// common there).
    fn check(s: &Scratch, graph: &CommitGraph) {
        let log = s.git(&["log", "--all", "--format=%H %T %ct %P"]);
        let (mut said_unchanged, mut unchanged) = (0, 0);
        for line in log.lines() {
            let fields: Vec<&str> = line.split_whitespace().collect();
            let id = gix::ObjectId::from_hex(fields[0].as_bytes()).unwrap();
            let position = graph.position(&id).expect("every commit is in the graph");
            let commit = graph.commit(position).expect("commit data");
            assert_eq!(commit.tree.to_string(), fields[1]);
            assert_eq!(commit.time.to_string(), fields[2]);
            let parents: Vec<String> = commit.parents.iter().map(|p| p.to_string()).collect();
            assert_eq!(parents, fields[3..]);
            if fields.len() != 4 {
                continue;
            }
            for path in PATHS {
                let changed = !s
                    .git(&["diff", "--name-only", fields[3], fields[0], "--", path])
                    .is_empty();
                let keys = PathKeys::new(path).unwrap();
                let answer = graph.may_have_changed(position, &keys);
                if changed {
                    assert_eq!(answer, Some(true), "{path} changed in {}", fields[0]);
                } else {
                    unchanged += 1;
                    said_unchanged += usize::from(answer == Some(false));
                }
            }
        }
        assert!(
            said_unchanged * 3 >= unchanged * 2,
            "filters rule out {said_unchanged} of {unchanged} unchanged paths"
        );
    }

    #[test]
    fn graph_data_and_changed_path_filters_agree_with_git() {
        let s = Scratch::new("filters");
        history(&s, 30, 0);
        s.git(&["commit-graph", "write", "--reachable", "--changed-paths"]);
        let graph = s.graph();
        assert_eq!(graph.layers.len(), 1);
        assert!(graph.has_filters());
        check(&s, &graph);
        // More commits in a second layer of a split chain.
        history(&s, 20, 100);
        s.git(&[
            "commit-graph",
            "write",
            "--reachable",
            "--changed-paths",
            "--split=no-merge",
        ]);
        std::fs::remove_file(s.0.join(".git/objects/info/commit-graph")).ok();
        let graph = s.graph();
        assert_eq!(graph.layers.len(), 2);
        check(&s, &graph);
    }

    /// Damaged graphs (cut short, bytes changed) are refused or answer
    /// something, but never panic or loop.
    #[test]
    fn a_damaged_graph_never_panics() {
        let s = Scratch::new("damaged");
        history(&s, 12, 0);
        s.git(&["commit-graph", "write", "--reachable", "--changed-paths"]);
        let bytes = std::fs::read(s.0.join(".git/objects/info/commit-graph")).unwrap();
        let ids: Vec<gix::ObjectId> = s
            .git(&["rev-list", "--all"])
            .lines()
            .map(|l| gix::ObjectId::from_hex(l.as_bytes()).unwrap())
            .collect();
        let keys = PathKeys::new("apps/web/overlays/prod").unwrap();
        let mut seed = 1u64;
        let mut next = |bound: usize| {
            seed = seed
                .wrapping_mul(6_364_136_223_846_793_005)
                .wrapping_add(1_442_695_040_888_963_407);
            (seed >> 33) as usize % bound
        };
        for round in 0..400 {
            let mut damaged = bytes.clone();
            if round % 4 == 0 {
                damaged.truncate(next(bytes.len()));
            } else {
                for _ in 0..1 + round % 5 {
                    let at = next(damaged.len());
                    damaged[at] = next(256) as u8;
                }
            }
            let Some(layer) = Layer::parse(damaged, 0, 20) else {
                continue;
            };
            let graph = CommitGraph {
                layers: vec![layer],
                hash_len: 20,
            };
            for id in &ids {
                if let Some(position) = graph.position(id) {
                    let _ = graph.commit(position);
                    let _ = graph.may_have_changed(position, &keys);
                }
            }
            for position in 0..graph.layers[0].count.min(64) {
                let _ = graph.commit(position);
                let _ = graph.may_have_changed(position, &keys);
            }
        }
    }

    #[test]
    fn non_ascii_paths_use_version_2_filters_only() {
        let s = Scratch::new("utf8");
        for i in 0..6 {
            let path = if i % 2 == 0 {
                "apps/café/a.yaml"
            } else {
                "apps/tea/b.yaml"
            };
            s.commit(&[(path, &format!("{i}\n"))], &format!("{i}"));
        }
        let head =
            gix::ObjectId::from_hex(s.git(&["rev-parse", "HEAD"]).trim().as_bytes()).unwrap();
        let keys = PathKeys::new("apps/café").unwrap();
        s.git(&[
            "-c",
            "commitGraph.changedPathsVersion=1",
            "commit-graph",
            "write",
            "--reachable",
            "--changed-paths",
        ]);
        let graph = s.graph();
        assert_eq!(
            graph.may_have_changed(graph.position(&head).unwrap(), &keys),
            None
        );
        s.git(&[
            "-c",
            "commitGraph.changedPathsVersion=2",
            "commit-graph",
            "write",
            "--reachable",
            "--changed-paths",
        ]);
        let graph = s.graph();
        assert!(
            graph.layers[0]
                .bloom
                .as_ref()
                .is_some_and(|b| b.version == 2)
        );
        // HEAD changed apps/tea; its parent changed apps/café.
        assert_eq!(
            graph.may_have_changed(graph.position(&head).unwrap(), &keys),
            Some(false)
        );
        let parent = graph
            .commit(graph.position(&head).unwrap())
            .unwrap()
            .parents[0];
        assert_eq!(
            graph.may_have_changed(graph.position(&parent).unwrap(), &keys),
            Some(true)
        );
        check(&s, &graph);
    }
}
