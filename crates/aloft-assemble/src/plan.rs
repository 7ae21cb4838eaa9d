//! Which packages go into which layer: one layer per source package, so that images
//! sharing a source share its layer byte for byte; when there are more sources than the
//! budget allows, the largest keep their own layer and the rest share one.

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

    fn weight(&self) -> u64 {
        self.packages.iter().map(|p| p.size).sum()
    }
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
    let mut layers: Vec<LayerPlan> = by_source
        .into_iter()
        .map(|(source, mut packages)| {
            packages.sort_by(|a, b| a.name.cmp(&b.name));
            LayerPlan {
                sources: vec![source.to_owned()],
                packages,
            }
        })
        .collect();
    let budget = budget.max(1) as usize;
    if layers.len() > budget {
        // Keep the heaviest `budget - 1` as they are; merge the rest into one.
        let mut order: Vec<usize> = (0..layers.len()).collect();
        order.sort_by(|&a, &b| {
            layers[b]
                .weight()
                .cmp(&layers[a].weight())
                .then_with(|| layers[a].sources.cmp(&layers[b].sources))
        });
        let keep: std::collections::BTreeSet<usize> = order[..budget - 1].iter().copied().collect();
        let mut kept = Vec::new();
        let mut merged = LayerPlan {
            sources: Vec::new(),
            packages: Vec::new(),
        };
        for (i, layer) in layers.into_iter().enumerate() {
            if keep.contains(&i) {
                kept.push(layer);
            } else {
                merged.sources.extend(layer.sources);
                merged.packages.extend(layer.packages);
            }
        }
        merged.sources.sort();
        merged.packages.sort_by(|a, b| a.name.cmp(&b.name));
        kept.push(merged);
        kept.sort_by(|a, b| a.sources.cmp(&b.sources));
        layers = kept;
    }
    layers
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
    fn over_budget_the_smallest_sources_share_a_layer() {
        let packages = [
            pkg("a", "a", 50),
            pkg("b", "b", 1),
            pkg("c", "c", 30),
            pkg("d", "d", 2),
        ];
        let layers = plan_layers(&packages, 3);
        let sources: Vec<Vec<String>> = layers.iter().map(|l| l.sources.clone()).collect();
        assert_eq!(sources, [vec!["a"], vec!["b", "d"], vec!["c"]]);
        // Input order does not matter.
        let mut reversed = packages.to_vec();
        reversed.reverse();
        assert_eq!(plan_layers(&reversed, 3), layers);
        assert_eq!(plan_layers(&packages, 1).len(), 1);
    }
}
