//! Which packages go into which layer: one layer per source package, so that images
//! sharing a source share its layer byte for byte, and a one-package bump recompresses
//! about that package's own bytes. A package of 1 MiB of .deb or more gets a layer of
//! its own: images that install different packages of one source (PHP's cli, fpm and
//! Apache module) then share the rest of it (in the 11 manifests, php8.4's layer was 3
//! different blobs of 6-8 MB per arch). Past the budget, the sources under 64 KB of
//! .debs (a third of a PHP image's sources, 1 MB of its 57) go into 4 buckets chosen by
//! a hash of the source's name, where a layer of its own would save little: which
//! bucket depends on the source alone, never on what else the image holds, so the
//! other layers stay the same from image to image and from one bump to the next. Only
//! when the layers still exceed the budget does the threshold double.

use std::collections::BTreeMap;

use crate::package::PackageInput;

/// The packages of one layer, sorted by name.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct LayerPlan {
    /// Source packages in the layer, sorted.
    pub sources: Vec<String>,
    /// Its packages, sorted by name.
    pub packages: Vec<PackageInput>,
}

impl LayerPlan {
    /// A short description for the image history (`apt: php8.4 (6 packages)`).
    pub fn description(&self) -> String {
        let names: Vec<&str> = self.packages.iter().map(|p| p.name.as_str()).collect();
        let sources = if self.sources.len() > 3 {
            format!(
                "{} and {} more sources",
                self.sources[..3].join(", "),
                self.sources.len() - 3
            )
        } else {
            self.sources.join(", ")
        };
        format!("aloft: {sources}: {}", names.join(" "))
    }

    /// Its .debs' bytes: what building it costs, roughly.
    pub fn weight(&self) -> u64 {
        self.packages.iter().map(|p| p.size).sum()
    }
}

/// A package whose .deb is this large or larger has a layer of its own.
pub const HEAVY_PACKAGE_BYTES: u64 = 1 << 20;

/// Past the budget, a source whose .debs are smaller than this goes into a shared
/// bucket (doubled until the layers fit the budget).
pub const SMALL_SOURCE_BYTES: u64 = 64 * 1024;
/// How many buckets the small sources share (fewer if the budget is smaller).
pub const SMALL_SOURCE_BUCKETS: usize = 4;

/// The bucket of a small source: a hash of its name alone.
fn bucket_of(source: &str, buckets: usize) -> usize {
    use sha2::{Digest, Sha256};
    let hash = Sha256::digest(source.as_bytes());
    usize::from(hash[0]) % buckets.max(1)
}

/// Groups `packages` into at most `budget` layers (at least one), ordered by their first
/// source name so the order never depends on anything but the lock.
pub fn plan_layers(packages: &[PackageInput], budget: u32) -> Vec<LayerPlan> {
    let mut by_source: BTreeMap<&str, Vec<PackageInput>> = BTreeMap::new();
    for package in packages {
        by_source
            .entry(package.source.as_str())
            .or_default()
            .push(package.clone());
    }
    let layers: Vec<LayerPlan> = by_source
        .into_iter()
        .map(|(source, mut packages)| {
            packages.sort_by(|a, b| a.name.cmp(&b.name));
            LayerPlan {
                sources: vec![source.to_owned()],
                packages,
            }
        })
        .collect();
    let layers = split_heavy_packages(&layers);
    let budget = budget.max(1) as usize;
    if layers.len() <= budget {
        return layers;
    }
    let buckets = SMALL_SOURCE_BUCKETS.min(budget);
    let mut threshold = SMALL_SOURCE_BYTES;
    loop {
        let large = layers.iter().filter(|l| l.weight() >= threshold).count();
        let used: std::collections::BTreeSet<usize> = layers
            .iter()
            .filter(|l| l.weight() < threshold)
            .map(|l| bucket_of(&l.sources[0], buckets))
            .collect();
        if large + used.len() <= budget {
            break;
        }
        threshold = threshold.saturating_mul(2);
    }
    let mut kept = Vec::new();
    let mut shared: BTreeMap<usize, LayerPlan> = BTreeMap::new();
    for layer in layers {
        if layer.weight() >= threshold {
            kept.push(layer);
            continue;
        }
        let bucket = shared
            .entry(bucket_of(&layer.sources[0], buckets))
            .or_insert_with(|| LayerPlan {
                sources: Vec::new(),
                packages: Vec::new(),
            });
        bucket.sources.extend(layer.sources);
        bucket.packages.extend(layer.packages);
    }
    for mut bucket in shared.into_values() {
        bucket.sources.sort();
        bucket.packages.sort_by(|a, b| a.name.cmp(&b.name));
        kept.push(bucket);
    }
    kept.sort_by(|a, b| a.sources.cmp(&b.sources));
    kept
}

/// `layers` (one per source) with each heavy package moved to a layer of its own,
/// ordered by source, then the source's remaining layer first, then package name.
fn split_heavy_packages(layers: &[LayerPlan]) -> Vec<LayerPlan> {
    let mut split = Vec::with_capacity(layers.len());
    for layer in layers {
        let (heavy, rest): (Vec<&PackageInput>, Vec<&PackageInput>) = layer
            .packages
            .iter()
            .partition(|p| p.size >= HEAVY_PACKAGE_BYTES);
        if !rest.is_empty() {
            split.push(LayerPlan {
                sources: layer.sources.clone(),
                packages: rest.into_iter().cloned().collect(),
            });
        }
        split.extend(heavy.into_iter().map(|package| LayerPlan {
            sources: layer.sources.clone(),
            packages: vec![package.clone()],
        }));
    }
    split
}

#[cfg(test)]
mod tests {
    use super::*;

    fn pkg(name: &str, source: &str, size: u64) -> PackageInput {
        PackageInput {
            name: name.into(),
            version: "1".into(),
            architecture: "amd64".into(),
            source: source.into(),
            sha256: "0".repeat(64),
            size,
            deb: format!("/debs/{name}.deb").into(),
            slice: None,
        }
    }

    #[test]
    fn one_layer_per_source_within_budget() {
        let packages = [
            pkg("php8.4-cli", "php8.4", 10),
            pkg("libc6", "glibc", 100),
            pkg("php8.4-common", "php8.4", 5),
        ];
        let layers = plan_layers(&packages, 40);
        assert_eq!(layers.len(), 2);
        assert_eq!(layers[0].sources, ["glibc"]);
        assert_eq!(
            layers[1]
                .packages
                .iter()
                .map(|p| p.name.as_str())
                .collect::<Vec<_>>(),
            ["php8.4-cli", "php8.4-common"]
        );
    }

    #[test]
    fn within_budget_heavy_packages_get_layers_of_their_own() {
        let mib = 1 << 20;
        let cli = [
            pkg("php8.4-cli", "php8.4", 2 * mib),
            pkg("php8.4-common", "php8.4", mib - 1),
            pkg("php8.4-opcache", "php8.4", 300 << 10),
            pkg("libc6", "glibc", 3 * mib),
        ];
        let layers = plan_layers(&cli, 40);
        let names: Vec<Vec<&str>> = layers
            .iter()
            .map(|l| l.packages.iter().map(|p| p.name.as_str()).collect())
            .collect();
        assert_eq!(
            names,
            [
                vec!["libc6"],
                vec!["php8.4-common", "php8.4-opcache"],
                vec!["php8.4-cli"]
            ]
        );
        // An image with php8.4-fpm instead shares the source's other layers.
        let mut fpm = cli.to_vec();
        fpm[0] = pkg("php8.4-fpm", "php8.4", 2 * mib);
        let fpm_layers = plan_layers(&fpm, 40);
        assert_eq!(fpm_layers[..2], layers[..2]);
        assert_eq!(fpm_layers[2].packages[0].name, "php8.4-fpm");
        // Over the budget, the light layers share buckets first.
        let tight = plan_layers(&cli, 3);
        assert_eq!(tight.len(), 3);
        assert!(
            tight
                .iter()
                .any(|l| l.packages.len() == 1 && l.packages[0].name == "php8.4-cli")
        );
    }

    #[test]
    fn over_budget_small_sources_share_buckets_chosen_by_name_alone() {
        let big = 1 << 20;
        let mut packages = vec![pkg("a", "a", big), pkg("c", "c", 300 << 10)];
        for i in 0..20 {
            packages.push(pkg(&format!("t{i}"), &format!("tiny{i}"), 1000 + i));
        }
        let layers = plan_layers(&packages, 8);
        assert!(layers.len() <= 8, "{}", layers.len());
        // The large sources keep their own layers.
        assert!(layers.iter().any(|l| l.sources == ["a"]));
        assert!(layers.iter().any(|l| l.sources == ["c"]));
        // Every package is in exactly one layer.
        let count: usize = layers.iter().map(|l| l.packages.len()).sum();
        assert_eq!(count, packages.len());
        // Input order does not matter.
        let mut reversed = packages.clone();
        reversed.reverse();
        assert_eq!(plan_layers(&reversed, 8), layers);
        assert_eq!(plan_layers(&packages, 1).len(), 1);

        // Another image with more tiny sources: the large layers and each tiny source's
        // bucket are the same; only the buckets the new sources join change.
        let mut other = packages.clone();
        other.push(pkg("extra", "extra-tiny", 500));
        let other_layers = plan_layers(&other, 8);
        let changed: Vec<_> = layers
            .iter()
            .filter(|l| !other_layers.contains(l))
            .collect();
        assert_eq!(changed.len(), 1, "{changed:?}");
        assert!(changed[0].sources.iter().all(|s| s.starts_with("tiny")));
    }

    #[test]
    fn a_tight_budget_raises_the_threshold_until_the_layers_fit() {
        let packages: Vec<PackageInput> = (0..30)
            .map(|i| pkg(&format!("p{i}"), &format!("s{i}"), (i + 1) * (100 << 10)))
            .collect();
        for budget in [1, 2, 3, 5, 10, 29] {
            let layers = plan_layers(&packages, budget);
            assert!(
                layers.len() <= budget as usize,
                "{budget}: {}",
                layers.len()
            );
            let count: usize = layers.iter().map(|l| l.packages.len()).sum();
            assert_eq!(count, 30);
        }
        assert_eq!(plan_layers(&packages, 30).len(), 30);
    }
}
