//! The manifest as written in one YAML file: every field optional, unknown fields rejected.
//! Field names follow apko wherever apko has the concept.

use std::collections::BTreeMap;

use serde::Deserialize;
use serde_saphyr::Spanned;

/// One value or a list of them (`include: a.yaml` or `include: [a.yaml, b.yaml]`).
#[derive(Debug, Clone, Deserialize)]
#[serde(untagged)]
pub(crate) enum OneOrMany<T> {
    One(T),
    Many(Vec<T>),
}

impl<T> OneOrMany<T> {
    pub(crate) fn into_vec(self) -> Vec<T> {
        match self {
            OneOrMany::One(value) => vec![value],
            OneOrMany::Many(values) => values,
        }
    }
}

/// A scalar that YAML may have typed as a string or a number (`cmd: -v`, `mode: 0o644`).
#[derive(Debug, Clone, Deserialize)]
#[serde(untagged)]
pub(crate) enum Scalar {
    Int(u64),
    Text(String),
}

#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields, rename_all = "kebab-case")]
pub(crate) struct RawManifest {
    pub include: Option<Spanned<OneOrMany<String>>>,
    pub contents: Option<RawContents>,
    pub accounts: Option<RawAccounts>,
    pub entrypoint: Option<Spanned<RawEntrypoint>>,
    pub cmd: Option<Spanned<OneOrMany<String>>>,
    pub work_dir: Option<Spanned<String>>,
    pub environment: Option<BTreeMap<String, Spanned<Scalar>>>,
    pub paths: Option<Vec<Spanned<RawPath>>>,
    pub files: Option<Vec<Spanned<RawFile>>>,
    pub archs: Option<Vec<Spanned<String>>>,
    pub annotations: Option<BTreeMap<String, String>>,
    pub volumes: Option<Vec<Spanned<String>>>,
    pub stop_signal: Option<Spanned<Scalar>>,
    pub layering: Option<Spanned<RawLayering>>,
    pub ports: Option<Vec<Spanned<Scalar>>>,
    pub slim: Option<bool>,
    pub python_bytecode: Option<bool>,
    pub locales: Option<Vec<Spanned<String>>>,
}

#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields, rename_all = "kebab-case")]
pub(crate) struct RawContents {
    pub repositories: Option<Vec<Spanned<RawRepository>>>,
    pub packages: Option<Vec<Spanned<String>>>,
    pub exclude: Option<Vec<Spanned<String>>>,
    pub slices: Option<Vec<Spanned<RawSlice>>>,
}

#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields, rename_all = "kebab-case")]
pub(crate) struct RawSlice {
    pub package: String,
    pub paths: Vec<String>,
}

#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields, rename_all = "kebab-case")]
pub(crate) struct RawRepository {
    pub archive: Option<String>,
    pub url: Option<String>,
    pub path: Option<String>,
    pub suite: Option<String>,
    pub components: Option<Vec<String>>,
    pub keyring: Option<String>,
    pub name: Option<String>,
}

#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields, rename_all = "kebab-case")]
pub(crate) struct RawAccounts {
    pub groups: Option<Vec<Spanned<RawGroup>>>,
    pub users: Option<Vec<Spanned<RawUser>>>,
    pub run_as: Option<Spanned<Scalar>>,
}

#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields, rename_all = "kebab-case")]
pub(crate) struct RawGroup {
    pub groupname: String,
    pub gid: u32,
    pub members: Option<Vec<String>>,
}

#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields, rename_all = "kebab-case")]
pub(crate) struct RawUser {
    pub username: String,
    pub uid: u32,
    pub gid: Option<u32>,
    pub homedir: Option<String>,
    pub shell: Option<String>,
}

#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields, rename_all = "kebab-case")]
pub(crate) struct RawEntrypoint {
    pub command: Option<OneOrMany<String>>,
    pub services: Option<BTreeMap<String, OneOrMany<String>>>,
}

#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields, rename_all = "kebab-case")]
pub(crate) struct RawPath {
    pub path: String,
    #[serde(rename = "type")]
    pub kind: String,
    pub uid: Option<u32>,
    pub gid: Option<u32>,
    pub permissions: Option<Scalar>,
    pub source: Option<String>,
    pub recursive: Option<bool>,
}

#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields, rename_all = "kebab-case")]
pub(crate) struct RawFile {
    pub source: String,
    pub path: String,
    pub mode: Option<Scalar>,
    pub uid: Option<u32>,
    pub gid: Option<u32>,
}

#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields, rename_all = "kebab-case")]
pub(crate) struct RawLayering {
    pub strategy: Option<String>,
    pub budget: Option<u32>,
}
